//! Staff: the catalog editor. Find a release, open it to edit it and its tracks
//! (credits and platform ids included), add releases and labels, or import any of
//! them by CSV. The URL holds the search (`q`), the open release (`release`), the track
//! (`track`) and label (`label`) being edited, so every view can be linked to.

use super::components::{ImportCard, SearchBox, WithUser, action_feedback, loaded, successes};
use crate::catalog::{
    CatalogEditor, CatalogLabel, CatalogRelease, CatalogTrack, SaveLabel, SaveRelease, SaveTrack,
    catalog_for_staff, format_duration,
};
use crate::domain::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The id in the URL's `key` parameter, if any.
fn id_param(key: &'static str) -> Memo<Option<i64>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(key).and_then(|id| id.parse::<i64>().ok()))
}

#[component]
pub fn CatalogPage() -> impl IntoView {
    view! {
        <Title text="Catalog" />
        <WithUser roles=&[Role::Staff] render=|_| view! { <CatalogView /> } />
    }
}

#[component]
fn CatalogView() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let release = id_param("release");
    let track = id_param("track");
    let label = id_param("label");
    let save_label = ServerAction::<SaveLabel>::new();
    let save_release = ServerAction::<SaveRelease>::new();
    let save_track = ServerAction::<SaveTrack>::new();
    open_saved_release(save_release);
    let saved = (successes(save_label), successes(save_release), successes(save_track));
    let editor = Resource::new(
        move || {
            let saved = (saved.0.get(), saved.1.get(), saved.2.get());
            (q.get(), release.get(), track.get(), label.get(), saved)
        },
        |(q, release, ..)| catalog_for_staff(q, release),
    );
    view! {
        <h1>"Catalog"</h1>
        <p class="subtitle">
            "Labels, releases, their tracks, and the platforms' ids for them. Report lines "
            "that arrived before their track or id was known (suspense) are linked to it as "
            "soon as it is saved here or imported, and their revenue allocated."
        </p>
        <SearchBox label="Find a release or track (title, UPC, ISRC, artist, label)" />
        {loaded(editor, move |editor: CatalogEditor| {
            let editing_label = label
                .get_untracked()
                .and_then(|id| editor.labels.iter().find(|l| l.id == id).cloned());
            let open = editor.release.clone().map(|(release, tracks)| {
                let editing = track
                    .get_untracked()
                    .and_then(|id| tracks.iter().find(|t| t.id == id).cloned());
                view! {
                    <ReleaseForm labels=vec![] editing=Some(release.clone()) save=save_release />
                    <TracksCard release tracks editing save=save_track />
                }
            });
            let new_release = editor.release.is_none().then(|| view! {
                <ReleaseForm labels=editor.labels.clone() editing=None save=save_release />
            });
            view! {
                <ReleaseTable releases=editor.releases.clone() />
                {open}
                {new_release}
                <LabelsCard labels=editor.labels.clone() editing=editing_label save=save_label />
            }
        })}
        <ImportCard
            kind="labels"
            title="Import labels"
            what="labels"
            columns="name, accounting_currency"
            note="A label given again (same name, any case) is updated; its currency stays once it has releases or payees."
        />
        <ImportCard
            kind="releases"
            title="Import releases"
            what="releases"
            columns="label, upc, title, artist, release_date"
            note="A release given again (same UPC) is updated; it stays on its label."
        />
        <ImportCard
            kind="tracks"
            title="Import tracks"
            what="tracks"
            columns="release_upc, isrc, title, track_number, duration_seconds, main_artist, featured_artists (separated by ;)"
            note="A track given again (same ISRC) is updated; new artists are added."
        />
        <ImportCard
            kind="platform-ids"
            title="Import platform ids"
            what="platform ids"
            columns="isrc, platform, platform_track_id"
            note="Lines without an ISRC are matched by these."
        />
    }
}

/// Once a release is saved, open it, so its tracks can be added next.
fn open_saved_release(save: ServerAction<SaveRelease>) {
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = save.value().get() {
            navigate(&format!("/catalog?release={id}"), Default::default());
        }
    });
}

#[component]
fn ReleaseTable(releases: Vec<CatalogRelease>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Releases " <span class="badge">{releases.len()}</span></h2>
            {if releases.is_empty() {
                view! { <p class="muted">"No release matches. Add one below, or import them."</p> }.into_any()
            } else {
                view! {
                    <table class="table releases">
                        <thead>
                            <tr>
                                <th>"Label"</th>
                                <th>"Title"</th>
                                <th>"Artist"</th>
                                <th>"UPC"</th>
                                <th>"Released"</th>
                                <th class="num">"Tracks"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {releases.into_iter().map(|r| view! {
                                <tr>
                                    <td>{r.label}</td>
                                    <td><a href=format!("/catalog?release={}", r.id)>{r.title}</a></td>
                                    <td>{r.artist}</td>
                                    <td class="mono">{r.upc}</td>
                                    <td>{r.release_date}</td>
                                    <td class="num">{r.tracks}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// A new release (choosing its label), or `editing` one, which stays on its label.
#[component]
fn ReleaseForm(
    labels: Vec<CatalogLabel>,
    editing: Option<CatalogRelease>,
    save: ServerAction<SaveRelease>,
) -> impl IntoView {
    let title = match &editing {
        Some(r) => format!("Release: {}", r.title),
        None => "New release".to_string(),
    };
    let field = |get: fn(&CatalogRelease) -> String| editing.as_ref().map(get).unwrap_or_default();
    let (name, artist) = (field(|r| r.title.clone()), field(|r| r.artist.clone()));
    let (upc, date) = (field(|r| r.upc.clone()), field(|r| r.release_date.clone()));
    let id = editing.as_ref().map_or(0, |r| r.id).to_string();
    let is_edit = editing.is_some();
    let label = match &editing {
        Some(r) => view! {
            <input type="hidden" name="label_id" value=r.label_id.to_string() />
            <span class="muted">{r.label.clone()}</span>
        }
        .into_any(),
        None => view! {
            <label>
                "Label"
                <select name="label_id" required>
                    {labels.iter().map(|l| view! {
                        <option value=l.id.to_string()>{format!("{} ({})", l.name, l.currency)}</option>
                    }).collect_view()}
                </select>
            </label>
        }
        .into_any(),
    };
    view! {
        <section class="card">
            <h2>{title.clone()}</h2>
            <ActionForm action=save attr:class="form form-inline" attr:aria-label=title>
                <input type="hidden" name="release_id" value=id />
                {label}
                <label>"Title" <input type="text" name="title" required value=name /></label>
                <label>"Artist" <input type="text" name="artist" required value=artist /></label>
                <label>"UPC or EAN" <input type="text" name="upc" required inputmode="numeric" value=upc /></label>
                <label>"Release date" <input type="date" name="release_date" value=date /></label>
                <button type="submit" class="button">{if is_edit { "Save release" } else { "Add release" }}</button>
            </ActionForm>
            {action_feedback(save, "Release saved.")}
            {is_edit.then(|| view! { <p class="small"><a href="/catalog">"Close this release"</a></p> })}
        </section>
    }
}

/// An open release's tracks, and the form for a new track or the one being edited.
#[component]
fn TracksCard(
    release: CatalogRelease,
    tracks: Vec<CatalogTrack>,
    editing: Option<CatalogTrack>,
    save: ServerAction<SaveTrack>,
) -> impl IntoView {
    let release_id = release.id;
    let next_number = tracks.iter().map(|t| t.track_number).max().unwrap_or(0) + 1;
    view! {
        <section class="card">
            <h2>"Tracks " <span class="badge">{tracks.len()}</span></h2>
            {if tracks.is_empty() {
                view! { <p class="muted">"This release has no tracks yet: add the first below."</p> }.into_any()
            } else {
                view! {
                    <table class="table tracks">
                        <thead>
                            <tr>
                                <th class="num">"#"</th>
                                <th>"Title"</th>
                                <th>"Artists"</th>
                                <th>"ISRC"</th>
                                <th class="num">"Length"</th>
                                <th>"Platform ids"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {tracks.into_iter().map(|t| {
                                let artists = match t.featured_artists.as_str() {
                                    "" => t.main_artist.clone(),
                                    featured => format!("{} feat. {}", t.main_artist, featured.replace(';', ",")),
                                };
                                view! {
                                    <tr>
                                        <td class="num">{t.track_number}</td>
                                        <td><a href=format!("/catalog?release={release_id}&track={}", t.id)>{t.title}</a></td>
                                        <td>{artists}</td>
                                        <td class="mono">{t.isrc}</td>
                                        <td class="num">{format_duration(t.duration_seconds)}</td>
                                        <td class="small mono">{t.platform_ids.replace('\n', ", ")}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <TrackForm release_id editing next_number save />
    }
}

#[component]
fn TrackForm(
    release_id: i64,
    editing: Option<CatalogTrack>,
    next_number: i32,
    save: ServerAction<SaveTrack>,
) -> impl IntoView {
    let title = match &editing {
        Some(t) => format!("Track: {}", t.title),
        None => "New track".to_string(),
    };
    let field = |get: fn(&CatalogTrack) -> String| editing.as_ref().map(get).unwrap_or_default();
    let (name, isrc) = (field(|t| t.title.clone()), field(|t| t.isrc.clone()));
    let length =
        field(|t| t.duration_seconds.map(|s| format_duration(Some(s))).unwrap_or_default());
    let (main, featured) =
        (field(|t| t.main_artist.clone()), field(|t| t.featured_artists.clone()));
    let ids = field(|t| t.platform_ids.clone());
    let id = editing.as_ref().map_or(0, |t| t.id).to_string();
    let is_edit = editing.is_some();
    let number = editing.as_ref().map_or(next_number, |t| t.track_number).to_string();
    view! {
        <section class="card">
            <h2>{title.clone()}</h2>
            <ActionForm action=save attr:class="form" attr:aria-label=title>
                <input type="hidden" name="track_id" value=id />
                <input type="hidden" name="release_id" value=release_id.to_string() />
                <div class="form-inline">
                    <label>"Number" <input type="number" name="track_number" min="1" required value=number /></label>
                    <label>"Title" <input type="text" name="title" required value=name /></label>
                    <label>"ISRC" <input type="text" name="isrc" required placeholder="CC-XXX-YY-NNNNN" value=isrc /></label>
                    <label>"Length" <input type="text" name="duration" placeholder="3:35" value=length /></label>
                </div>
                <div class="form-inline">
                    <label>"Main artist" <input type="text" name="main_artist" required value=main /></label>
                    <label>"Featured artists (separated by ;)" <input type="text" name="featured_artists" value=featured /></label>
                </div>
                <label>
                    "Platform ids: one \"platform: id\" per line (spotify, apple_music, amazon_music, youtube, deezer, tidal)"
                    <textarea name="platform_ids" rows="3" placeholder="spotify: 4uLU6hMCjMI75M1A2tKUQC\nyoutube: A123456789012345">{ids}</textarea>
                </label>
                <button type="submit" class="button">{if is_edit { "Save track" } else { "Add track" }}</button>
            </ActionForm>
            {action_feedback(save, "Track saved; report lines waiting for it were linked and allocated.")}
            {is_edit.then(|| view! {
                <p class="small"><a href=format!("/catalog?release={release_id}")>"Add a new track instead"</a></p>
            })}
        </section>
    }
}

#[component]
fn LabelsCard(
    labels: Vec<CatalogLabel>,
    editing: Option<CatalogLabel>,
    save: ServerAction<SaveLabel>,
) -> impl IntoView {
    let title = match &editing {
        Some(l) => format!("Label: {}", l.name),
        None => "New label".to_string(),
    };
    let id = editing.as_ref().map_or(0, |l| l.id).to_string();
    let name = editing.as_ref().map(|l| l.name.clone()).unwrap_or_default();
    let currency = editing.as_ref().map_or_else(|| "USD".to_string(), |l| l.currency.clone());
    view! {
        <section class="card">
            <h2>"Labels " <span class="badge">{labels.len()}</span></h2>
            <table class="table labels">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Accounting currency"</th>
                        <th class="num">"Releases"</th>
                        <th class="num">"Payees"</th>
                    </tr>
                </thead>
                <tbody>
                    {labels.into_iter().map(|l| view! {
                        <tr>
                            <td><a href=format!("/catalog?label={}", l.id)>{l.name}</a></td>
                            <td class="mono">{l.currency}</td>
                            <td class="num">{l.releases}</td>
                            <td class="num">{l.payees}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3>{title.clone()}</h3>
            <ActionForm action=save attr:class="form form-inline" attr:aria-label=title>
                <input type="hidden" name="label_id" value=id />
                <label>"Name" <input type="text" name="name" required value=name /></label>
                <label>
                    "Accounting currency (ISO 4217)"
                    <input type="text" name="accounting_currency" required maxlength="3" size="4" value=currency />
                </label>
                <button type="submit" class="button">{if editing.is_some() { "Save label" } else { "Add label" }}</button>
            </ActionForm>
            <p class="small muted">
                "A label's revenue, payees' balances and statements are kept in its currency, "
                "so the currency is fixed once the label has releases or payees."
            </p>
            {action_feedback(save, "Label saved.")}
        </section>
    }
}
