use super::components::{WithUser, loaded};
use crate::catalog::{TrackDetail, format_duration, get_track_detail};
use crate::conflicts::{TrackHold, track_holds};
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
            <Holds track_id=track.id />
            <p class="notice">
                "Streams and revenue per platform, territory and month appear here with the "
                "dashboards (not built yet). Statements already show what the track earned each payee."
            </p>
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
                let holds = holds.await.unwrap_or_default();
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
