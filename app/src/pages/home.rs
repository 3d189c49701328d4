//! The role-aware home page: each role lands on its own view of the catalog.

use super::components::{Stat, WithUser, cents, loaded};
use crate::auth::SessionUser;
use crate::catalog::{
    ArtistSummary, LABEL_CATALOG_FIRST, LabelCatalog, LabelSummary, ReleaseSummary,
    ReleaseWithTracks, TrackSummary, format_duration, get_label_catalog, label_summaries,
    my_releases,
};
use crate::conflicts::{Alerts, conflict_alerts, kind_label};
use crate::domain::Role;
use crate::users::{UserRow, list_users};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home" />
        <WithUser render=|user: SessionUser| match user.role {
            Role::Artist => view! { <ArtistHome user /> }.into_any(),
            Role::LabelManager => view! { <LabelHome user /> }.into_any(),
            Role::Staff => view! { <StaffHome /> }.into_any(),
        } />
    }
}

#[component]
fn ArtistHome(user: SessionUser) -> impl IntoView {
    let releases = Resource::new(|| (), |_| my_releases());
    view! {
        <h1>{user.scope_name.clone()}</h1>
        <p class="subtitle">"What your music earned, and your releases."</p>
        <super::dashboard::AnalysisView data=super::dashboard::Analysis::new(user.role, None) />
        <h2 class="section">"Your releases"</h2>
        {loaded(releases, |releases: Vec<ReleaseWithTracks>| {
            let track_count: usize = releases.iter().map(|r| r.tracks.len()).sum();
            view! {
                <div class="stats">
                    <Stat label="Releases" value=releases.len().to_string() />
                    <Stat label="Tracks" value=track_count.to_string() />
                </div>
                {releases.into_iter().map(|r| view! { <ReleaseCard release=r.release tracks=r.tracks /> }).collect_view()}
            }
        })}
    }
}

#[component]
fn ReleaseCard(release: ReleaseSummary, tracks: Vec<TrackSummary>) -> impl IntoView {
    view! {
        <section class="card release">
            <header class="release-head">
                <h2>{release.title}</h2>
                <p class="muted">
                    {release.artist_name} " · " {release.label_name} " · UPC "
                    <span class="mono">{release.upc}</span> " · "
                    {release.release_date.map(|d| d.to_string()).unwrap_or_default()}
                </p>
            </header>
            <TrackTable tracks />
        </section>
    }
}

#[component]
fn TrackTable(tracks: Vec<TrackSummary>) -> impl IntoView {
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th class="num">"#"</th>
                    <th>"Title"</th>
                    <th>"Artists"</th>
                    <th>"ISRC"</th>
                    <th class="num">"Length"</th>
                </tr>
            </thead>
            <tbody>
                {tracks
                    .into_iter()
                    .map(|t| {
                        view! {
                            <tr>
                                <td class="num">{t.track_number}</td>
                                <td><a href=format!("/tracks/{}", t.id)>{t.title}</a></td>
                                <td>{t.artists}</td>
                                <td class="mono">{t.isrc}</td>
                                <td class="num">{format_duration(t.duration_seconds)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn LabelHome(user: SessionUser) -> impl IntoView {
    let query = use_query_map();
    let all = Memo::new(move |_| query.read().get("catalog").as_deref() == Some("all"));
    let catalog = Resource::new(move || all.get(), get_label_catalog);
    view! {
        <h1>{user.scope_name.clone()}</h1>
        <p class="subtitle">"Your label's revenue, artists and releases."</p>
        <super::dashboard::AnalysisView data=super::dashboard::Analysis::new(user.role, None) />
        <super::dashboard::LabelPayouts />
        <h2 class="section" id="catalog">"Catalog"</h2>
        {loaded(catalog, |c: LabelCatalog| {
            let partial = (c.artists.len() as i64) < c.artist_count
                || (c.releases.len() as i64) < c.release_count;
            view! {
                <div class="stats">
                    <Stat label="Artists" value=c.artist_count.to_string() />
                    <Stat label="Releases" value=c.release_count.to_string() />
                    <Stat label="Tracks" value=c.track_count.to_string() />
                </div>
                <div class="columns">
                    <section class="card">
                        <h2>"Artists"</h2>
                        <ArtistTable artists=c.artists />
                    </section>
                    <section class="card wide">
                        <h2>"Releases"</h2>
                        <ReleaseTable releases=c.releases />
                    </section>
                </div>
                {partial.then(|| view! {
                    <p class="muted">
                        {format!("The {LABEL_CATALOG_FIRST} artists with the most tracks and the {LABEL_CATALOG_FIRST} newest releases. ")}
                        <a href="?catalog=all#catalog">
                            {format!("Show all {} artists and {} releases", c.artist_count, c.release_count)}
                        </a>
                    </p>
                })}
            }
        })}
    }
}

#[component]
fn ArtistTable(artists: Vec<ArtistSummary>) -> impl IntoView {
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th>"Artist"</th>
                    <th class="num" title="Releases with a track they are credited on">"Appears on"</th>
                    <th class="num">"Tracks"</th>
                </tr>
            </thead>
            <tbody>
                {artists
                    .into_iter()
                    .map(|a| view! {
                        <tr>
                            <td>{a.name}</td>
                            <td class="num">{a.release_count}</td>
                            <td class="num">{a.track_count}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn ReleaseTable(releases: Vec<ReleaseSummary>) -> impl IntoView {
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th>"Release"</th>
                    <th>"Artist"</th>
                    <th>"UPC"</th>
                    <th>"Released"</th>
                    <th class="num">"Tracks"</th>
                </tr>
            </thead>
            <tbody>
                {releases
                    .into_iter()
                    .map(|r| view! {
                        <tr>
                            <td>{r.title}</td>
                            <td>{r.artist_name}</td>
                            <td class="mono">{r.upc}</td>
                            <td>{r.release_date.map(|d| d.to_string()).unwrap_or_default()}</td>
                            <td class="num">{r.track_count}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn StaffHome() -> impl IntoView {
    let labels = Resource::new(|| (), |_| label_summaries());
    let users = Resource::new(|| (), |_| list_users());
    let alerts = Resource::new(|| (), |_| conflict_alerts());
    view! {
        <h1>"Overview"</h1>
        <p class="subtitle">"Every label and every login on this Backbeat."</p>
        {loaded(alerts, |alerts: Alerts| view! { <ConflictAlerts alerts /> })}
        <super::dashboard::StaffWatch />
        <h2 class="section">"Revenue"</h2>
        <super::dashboard::AnalysisView data=super::dashboard::Analysis::new(Role::Staff, None) />
        {loaded(labels, |labels: Vec<LabelSummary>| {
            let releases: i64 = labels.iter().map(|l| l.release_count).sum();
            let tracks: i64 = labels.iter().map(|l| l.track_count).sum();
            view! {
                <div class="stats">
                    <Stat label="Labels" value=labels.len().to_string() />
                    <Stat label="Releases" value=releases.to_string() />
                    <Stat label="Tracks" value=tracks.to_string() />
                </div>
                <section class="card">
                    <h2>"Labels"</h2>
                    <table class="table">
                        <thead>
                            <tr>
                                <th>"Label"</th>
                                <th>"Currency"</th>
                                <th class="num">"Artists"</th>
                                <th class="num">"Releases"</th>
                                <th class="num">"Tracks"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {labels
                                .into_iter()
                                .map(|l| view! {
                                    <tr>
                                        <td>{l.name}</td>
                                        <td>{l.accounting_currency}</td>
                                        <td class="num">{l.artist_count}</td>
                                        <td class="num">{l.release_count}</td>
                                        <td class="num">{l.track_count}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </section>
            }
        })}
        {loaded(users, |users: Vec<UserRow>| view! {
            <section class="card">
                <h2>"Users " <a class="small" href="/users">"manage"</a></h2>
                <table class="table">
                    <thead>
                        <tr><th>"Email"</th><th>"Role"</th><th>"Sees"</th><th>"Status"</th></tr>
                    </thead>
                    <tbody>
                        {users
                            .into_iter()
                            .map(|u| view! {
                                <tr>
                                    <td>{u.email}</td>
                                    <td>{u.role.label()}</td>
                                    <td>{u.link_name.unwrap_or_else(|| "Everything".into())}</td>
                                    <td>{if u.disabled { "Disabled" } else { "Active" }}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </section>
        })}
    }
}

/// New conflicts with much at stake: the first thing staff should see.
#[component]
fn ConflictAlerts(alerts: Alerts) -> impl IntoView {
    let Alerts { threshold, currency, conflicts } = alerts;
    (!conflicts.is_empty()).then(|| {
        view! {
            <section class="notice notice-warning" role="alert" data-testid="conflict-alerts">
                <h2>{format!("New conflicts with over {threshold} {currency} at stake")}</h2>
                <ul>
                    {conflicts.into_iter().map(|c| {
                        let amount = c.at_stake.as_deref()
                            .map(|a| format!("{} {currency}", cents(a))).unwrap_or_default();
                        view! {
                            <li>
                                <a href=format!("/conflicts/{}", c.id)>{format!("#{} {}", c.id, kind_label(&c.kind))}</a>
                                " · " {amount} " · " {c.summary}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <p><a href="/conflicts">"Open the conflict queue"</a></p>
            </section>
        }
    })
}
