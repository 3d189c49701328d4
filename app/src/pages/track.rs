use super::components::{WithUser, loaded};
use super::dashboard::{Analysis, AnalysisView};
use crate::auth::SessionUser;
use crate::catalog::{TrackDetail, format_duration, get_track_detail};
use crate::conflicts::{TrackHold, track_holds};
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TrackPage() -> impl IntoView {
    view! { <WithUser render=|user: SessionUser| view! { <Track role=user.role /> } /> }
}

#[component]
fn Track(role: Role) -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").and_then(|id| id.parse::<i64>().ok());
    // Made here, before the track loads, so that hydration finds its data.
    let analysis = Analysis::new(role, Some(id.unwrap_or(0)));
    let detail = Resource::new(
        move || params.read().get("id").and_then(|id| id.parse::<i64>().ok()),
        |id| async move {
            match id {
                Some(id) => get_track_detail(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    loaded(detail, move |TrackDetail { track, release }| {
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
            <Holds track_id=track.id />
            <h2 class="section">"Performance"</h2>
            <AnalysisView data=analysis />
        }
    })
}

/// Revenue of the track held while its ownership is decided: how much, where, since
/// when and why; never who the other party is.
#[component]
fn Holds(track_id: i64) -> impl IntoView {
    let holds = Resource::new(move || track_id, track_holds);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let holds = super::components::settled(holds).await.unwrap_or_default();
                (!holds.is_empty()).then(|| view! {
                    <section class="notice notice-warning" data-testid="track-holds">
                        <h2>"Revenue on hold"</h2>
                        <ul>
                            {holds.into_iter().map(|h| view! { <li>{describe(&h)}</li> }).collect_view()}
                        </ul>
                        <p class="small">"Held revenue is paid as soon as the distributor decides whose it is; it then appears on your next statement."</p>
                    </section>
                })
            })}
        </Suspense>
    }
}

fn describe(hold: &TrackHold) -> String {
    let why = match hold.kind.as_str() {
        "overlapping_claims" => "ownership claims on this recording add up to more than 100%",
        _ => "a platform reports another party collecting on this recording",
    };
    let amount = hold
        .held
        .as_deref()
        .map(|h| format!("{} {}", super::components::cents(h), hold.currency))
        .unwrap_or_else(|| "Revenue".into());
    format!(
        "{amount} held in {} since {}: {why}.",
        hold.territories.join(", "),
        hold.since.clone().unwrap_or_default()
    )
}
