use super::components::{WithUser, loaded};
use crate::catalog::{TrackDetail, format_duration, get_track_detail};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TrackPage() -> impl IntoView {
    view! { <WithUser render=|_| view! { <Track /> } /> }
}

#[component]
fn Track() -> impl IntoView {
    let params = use_params_map();
    let detail = Resource::new(
        move || params.read().get("id").and_then(|id| id.parse::<i64>().ok()),
        |id| async move {
            match id {
                Some(id) => get_track_detail(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    loaded(detail, |TrackDetail { track, release }| {
        view! {
            <Title text=track.title.clone() />
            <p class="breadcrumb"><a href="/">"Home"</a> " / " {release.title.clone()}</p>
            <h1>{track.title.clone()}</h1>
            <p class="subtitle">{track.artists.clone()}</p>
            <dl class="facts">
                <dt>"ISRC"</dt>
                <dd class="mono">{track.isrc.clone()}</dd>
                <dt>"Release"</dt>
                <dd>{release.title.clone()} " (track " {track.track_number} ")"</dd>
                <dt>"UPC"</dt>
                <dd class="mono">{release.upc.clone()}</dd>
                <dt>"Label"</dt>
                <dd>{release.label_name.clone()}</dd>
                <dt>"Released"</dt>
                <dd>{release.release_date.map(|d| d.to_string()).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Duration"</dt>
                <dd>{format_duration(track.duration_seconds)}</dd>
            </dl>
            <p class="notice">
                "Streams and revenue per platform, territory and month appear here with the "
                "dashboards (not built yet). Statements already show what the track earned each payee."
            </p>
        }
    })
}
