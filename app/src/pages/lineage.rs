//! Staff: where an amount came from. The report files and line numbers behind one
//! track's revenue on one platform, in one territory and month, and what it earned per
//! stream there. Statement lines link here.

use super::components::{WithUser, loaded};
use crate::domain::Role;
use crate::error::AppError;
use crate::revenue::{Lineage, amount_lineage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LineagePage() -> impl IntoView {
    view! {
        <Title text="Lineage" />
        <WithUser roles=&[Role::Staff] render=|_| view! { <LineageView /> } />
    }
}

#[component]
fn LineageView() -> impl IntoView {
    let query = use_query_map();
    let lineage = Resource::new(
        move || {
            let q = query.read();
            let get = |key: &str| q.get(key).unwrap_or_default();
            (get("track"), get("platform"), get("territory"), get("month"))
        },
        |(track, platform, territory, month)| async move {
            let track = track.parse::<i64>().map_err(|_| AppError::NotFound)?;
            amount_lineage(track, platform, territory, month).await
        },
    );
    view! { {loaded(lineage, |lineage: Lineage| view! { <LineageDetail lineage /> })} }
}

#[component]
fn LineageDetail(lineage: Lineage) -> impl IntoView {
    let Lineage { track, isrc, platform, territory, month, files, per_stream } = lineage;
    view! {
        <h1>"Where it came from"</h1>
        <p class="subtitle">
            {track} " (" <span class="mono">{isrc}</span> ") · " {platform} " · " {territory}
            " · " {month}
        </p>
        <section class="card">
            <h2>"Per stream"</h2>
            <ul class="per-stream">
                {per_stream.into_iter().map(|p| view! {
                    <li>{p.said} <span class="muted small">{format!(" ({} streams, {} {})", p.units, p.gross, p.currency)}</span></li>
                }).collect_view()}
            </ul>
        </section>
        <section class="card">
            <h2>"Report files and lines"</h2>
            <table class="table lineage">
                <thead>
                    <tr>
                        <th>"File"</th>
                        <th>"Status"</th>
                        <th class="num">"Units"</th>
                        <th class="num">"Gross"</th>
                        <th>"Lines"</th>
                    </tr>
                </thead>
                <tbody>
                    {files.into_iter().map(|f| {
                        let shown = f.lines.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                        let more = (f.line_count > f.lines.len() as i64)
                            .then(|| format!(" and {} more", f.line_count - f.lines.len() as i64));
                        let reversed = (f.reversed > 0)
                            .then(|| format!(" ({} reversed)", f.reversed));
                        view! {
                            <tr>
                                <td><a href=format!("/ingestion/files/{}", f.id)>{f.name}</a></td>
                                <td>{f.status.replace('_', " ")}</td>
                                <td class="num">{f.units}</td>
                                <td class="num mono">{f.gross} " " {f.currency}</td>
                                <td class="small mono">{shown}{more}{reversed}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
