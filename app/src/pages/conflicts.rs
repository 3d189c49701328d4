//! The conflict queue (staff work it; label managers see their label's, read-only) and
//! a conflict's page: the competing claims, the lines behind it, what it holds, its
//! history, and the decisions staff can make.

use super::components::{Stat, WithUser, action_feedback, cents, loaded, pager, successes};
use crate::conflicts::{
    ActOnConflicts, ClaimSide, ConflictDetail, ConflictRow, KINDS, LineGroup, Queue, QueueFilter,
    STATUSES, SetConflictAlertAmount, conflict_queue, get_conflict, kind_label,
};
use crate::domain::{Platform, Role};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use rust_decimal::Decimal;

const VIEWERS: &[Role] = &[Role::LabelManager, Role::Staff];

/// An amount at full precision as people read it: rounded to cents, with its currency.
fn money(amount: &Option<String>, currency: &str) -> String {
    match amount.as_deref().map(str::parse::<Decimal>) {
        Some(Ok(_)) => format!("{} {currency}", cents(amount.as_deref().unwrap_or_default())),
        _ => "rate missing".to_string(),
    }
}

fn platform_list(codes: &[String]) -> Vec<String> {
    codes.iter().map(|c| Platform::name_of(c).to_string()).collect()
}

fn platform_names(codes: &[String]) -> String {
    platform_list(codes).join(", ")
}

/// Whether this kind of conflict holds revenue (the others hold nothing).
fn holds(kind: &str) -> bool {
    matches!(kind, "overlapping_claims" | "foreign_claim")
}

/// The first few of a long list.
fn few(items: &[String]) -> String {
    match items.len() {
        0 => "—".to_string(),
        1..=4 => items.join(", "),
        n => format!("{} and {} more", items[..3].join(", "), n - 3),
    }
}

fn status_text(row: &ConflictRow) -> String {
    match (&row.resolution, &row.assigned_to) {
        (Some(r), _) => format!("resolved: {}", r.replace('_', " ")),
        (None, Some(who)) => format!("{} · {who}", row.status),
        (None, None) => row.status.clone(),
    }
}

#[component]
pub fn ConflictsPage() -> impl IntoView {
    view! {
        <Title text="Conflicts" />
        <WithUser roles=VIEWERS render=|_| view! { <ConflictQueue /> } />
    }
}

fn filter_of(query: &leptos_router::params::ParamsMap) -> QueueFilter {
    let get = |key: &str| query.get(key).unwrap_or_default();
    QueueFilter {
        kind: get("kind"),
        status: get("status"),
        platform: get("platform"),
        label_id: get("label").parse().ok(),
        territory: get("territory"),
        min_age_days: get("age").parse().ok(),
        page: get("page").parse().ok(),
    }
}

/// The URL of the queue with `filter` on page `page`.
fn queue_href(filter: &QueueFilter, page: i64) -> String {
    let mut parts = vec![];
    for (key, value) in [
        ("kind", filter.kind.clone()),
        ("status", filter.status.clone()),
        ("platform", filter.platform.clone()),
        ("label", filter.label_id.map(|l| l.to_string()).unwrap_or_default()),
        ("territory", filter.territory.clone()),
        ("age", filter.min_age_days.map(|d| d.to_string()).unwrap_or_default()),
    ] {
        if !value.is_empty() {
            parts.push(format!("{key}={value}"));
        }
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    format!("/conflicts?{}", parts.join("&"))
}

#[component]
fn ConflictQueue() -> impl IntoView {
    let query = use_query_map();
    let act = ServerAction::<ActOnConflicts>::new();
    let done = successes(act);
    let queue = Resource::new(
        move || (filter_of(&query.read()), done.get()),
        |(filter, _)| conflict_queue(filter),
    );
    view! {
        <h1>"Conflicts"</h1>
        <p class="subtitle">
            "Ownership in doubt, found as reports arrive: claims that add up to more than "
            "100%, other parties collecting on our tracks, names that differ from the "
            "catalog, and lines that match no track. Held revenue waits here for a decision."
        </p>
        {loaded(queue, move |queue: Queue| {
            let filter = filter_of(&query.read_untracked());
            view! { <QueueView queue filter act /> }
        })}
    }
}

#[component]
fn QueueView(
    queue: Queue,
    filter: QueueFilter,
    act: ServerAction<ActOnConflicts>,
) -> impl IntoView {
    let currency = queue.currency.clone();
    let selected = RwSignal::new(Vec::<i64>::new());
    let live: i64 = queue.by_kind.iter().map(|k| k.count).sum();
    view! {
        <section class="card stats" aria-label="Totals">
            <Stat label="match these filters" value=queue.total.to_string() />
            <Stat label="at stake" value=money(&Some(queue.total_at_stake.clone()), &currency) />
            <Stat label="held" value=money(&Some(queue.total_held.clone()), &currency) />
            <Stat label="open in all" value=live.to_string() />
        </section>
        <p class="chips">
            {queue.by_kind.iter().map(|k| {
                let href = queue_href(&QueueFilter { kind: k.kind.clone(), ..QueueFilter::default() }, 1);
                view! {
                    <a class="chip" href=href>
                        {kind_label(&k.kind).to_string()} ": " {k.count} " · "
                        {money(&Some(k.at_stake.clone()), &currency)}
                    </a>
                }
            }).collect_view()}
        </p>
        <Filters filter=filter.clone() labels=queue.labels.clone() />
        {queue.can_act.then(|| view! { <BulkActions selected act /> })}
        <section class="card">
            <QueueTable rows=queue.rows.clone() currency=currency.clone() can_act=queue.can_act selected />
        </section>
        {pager("Pages", queue.page, queue.pages, move |page| queue_href(&filter, page))}
        {queue.can_act.then(|| view! { <AlertAmount currency=currency.clone() /> })}
    }
}

#[component]
fn AlertAmount(currency: String) -> impl IntoView {
    let set = ServerAction::<SetConflictAlertAmount>::new();
    view! {
        <section class="card">
            <h2>"Alerts"</h2>
            <ActionForm action=set attr:class="form form-inline" attr:aria-label="Alert amount">
                <label>
                    {format!("Alert staff to new conflicts with at least this much at stake ({currency})")}
                    <input name="amount" inputmode="decimal" required placeholder="100" />
                </label>
                <button type="submit" class="button">"Save"</button>
            </ActionForm>
            {action_feedback(set, "Saved: the overview shows new conflicts above that amount.")}
        </section>
    }
}

#[component]
fn Filters(filter: QueueFilter, labels: Vec<(i64, String)>) -> impl IntoView {
    let option = |value: String, label: String, current: &str| {
        let chosen = value == current;
        view! { <option value=value selected=chosen>{label}</option> }
    };
    let label_id = filter.label_id.map(|l| l.to_string()).unwrap_or_default();
    let age = filter.min_age_days.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <form method="get" action="/conflicts" class="form form-inline filters" aria-label="Filter conflicts">
            <label>
                "Kind"
                <select name="kind">
                    {option(String::new(), "Any kind".into(), &filter.kind)}
                    {KINDS.iter().map(|(c, l)| option(c.to_string(), l.to_string(), &filter.kind)).collect_view()}
                </select>
            </label>
            <label>
                "Status"
                <select name="status">
                    {STATUSES.iter().map(|(c, l)| option(c.to_string(), l.to_string(), &filter.status)).collect_view()}
                </select>
            </label>
            <label>
                "Platform"
                <select name="platform">
                    {option(String::new(), "Any platform".into(), &filter.platform)}
                    {Platform::ALL.iter().map(|p| option(p.code().to_string(), p.name().to_string(), &filter.platform)).collect_view()}
                </select>
            </label>
            <label>
                "Label"
                <select name="label">
                    {option(String::new(), "Any label".into(), &label_id)}
                    {labels.into_iter().map(|(id, name)| option(id.to_string(), name, &label_id)).collect_view()}
                </select>
            </label>
            <label>
                "Territory"
                <input name="territory" value=filter.territory.clone() size="4" maxlength="2" placeholder="US" />
            </label>
            <label>
                "Age"
                <select name="age">
                    {[("", "Any age"), ("7", "Over a week"), ("30", "Over a month"), ("90", "Over 3 months")]
                        .into_iter()
                        .map(|(v, l)| option(v.to_string(), l.to_string(), &age))
                        .collect_view()}
                </select>
            </label>
            <button type="submit" class="button">"Filter"</button>
            <a href="/conflicts" class="button-quiet">"Clear"</a>
        </form>
    }
}

#[component]
fn BulkActions(selected: RwSignal<Vec<i64>>, act: ServerAction<ActOnConflicts>) -> impl IntoView {
    let action = RwSignal::new("assign".to_string());
    let note = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act.dispatch(ActOnConflicts {
            ids: selected.get(),
            action: action.get(),
            note: note.get(),
            our_share: String::new(),
            isrc: String::new(),
        });
    };
    let count = move || selected.read().len();
    view! {
        <form class="form form-inline bulk" aria-label="Act on the selected conflicts" on:submit=submit>
            <span class="muted">{move || format!("{} selected", count())}</span>
            <label>
                "Action"
                <select name="action" on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="assign">"Assign to me"</option>
                    <option value="investigate">"Set investigating"</option>
                    <option value="ours">"Resolve as ours"</option>
                    <option value="theirs">"Resolve as theirs"</option>
                    <option value="not_a_conflict">"Not a conflict"</option>
                    <option value="note">"Add a note"</option>
                </select>
            </label>
            <label>
                "Note"
                <input name="note" prop:value=note on:input=move |ev| note.set(event_target_value(&ev)) />
            </label>
            <button type="submit" class="button" disabled=move || count() == 0>"Apply"</button>
        </form>
        {move || act.value().get().map(|result| match result {
            Ok(said) => view! { <p class="form-ok" role="status">{said}</p> }.into_any(),
            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
    }
}

#[component]
fn QueueTable(
    rows: Vec<ConflictRow>,
    currency: String,
    can_act: bool,
    selected: RwSignal<Vec<i64>>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No conflicts match these filters."</p> }.into_any();
    }
    let toggle = move |id: i64, on: bool| {
        selected.update(|s| {
            s.retain(|x| *x != id);
            if on {
                s.push(id);
            }
        })
    };
    view! {
        <table class="table conflicts">
            <thead>
                <tr>
                    {can_act.then(|| view! { <th><span class="visually-hidden">"Select"</span></th> })}
                    <th>"#"</th>
                    <th>"Kind"</th>
                    <th>"What"</th>
                    <th>"Label"</th>
                    <th>"Territories"</th>
                    <th>"Platforms"</th>
                    <th class="num">"At stake"</th>
                    <th class="num">"Held"</th>
                    <th>"Status"</th>
                    <th>"Opened"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let id = row.id;
                    let status = status_text(&row);
                    let held = if holds(&row.kind) { money(&row.held, &currency) } else { "—".into() };
                    view! {
                        <tr>
                            {can_act.then(|| view! {
                                <td>
                                    <input type="checkbox" aria-label=format!("Select conflict {id}")
                                        on:change=move |ev| toggle(id, event_target_checked(&ev)) />
                                </td>
                            })}
                            <td><a href=format!("/conflicts/{id}")>{format!("#{id}")}</a></td>
                            <td>{kind_label(&row.kind).to_string()}</td>
                            <td>
                                <a href=format!("/conflicts/{id}")>{row.summary.clone()}</a>
                            </td>
                            <td>{row.label.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{few(&row.territories)}</td>
                            <td>{few(&platform_list(&row.platforms))}</td>
                            <td class="num" title=row.at_stake.clone().unwrap_or_default()>{money(&row.at_stake, &currency)}</td>
                            <td class="num" title=row.held.clone().unwrap_or_default()>{held}</td>
                            <td>{status}</td>
                            <td class="nowrap">{row.opened_at.format("%Y-%m-%d").to_string()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn ConflictPage() -> impl IntoView {
    view! { <WithUser roles=VIEWERS render=|_| view! { <Conflict /> } /> }
}

#[component]
fn Conflict() -> impl IntoView {
    let params = use_params_map();
    let act = ServerAction::<ActOnConflicts>::new();
    let done = successes(act);
    let detail = Resource::new(
        move || (params.read().get("id").and_then(|id| id.parse::<i64>().ok()), done.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_conflict(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        {move || act.value().get().map(|result| match result {
            Ok(said) => view! { <p class="form-ok" role="status">{said}</p> }.into_any(),
            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        {loaded(detail, move |detail: ConflictDetail| view! { <ConflictView detail act /> })}
    }
}

#[component]
fn ConflictView(detail: ConflictDetail, act: ServerAction<ActOnConflicts>) -> impl IntoView {
    let row = detail.row.clone();
    let currency = detail.currency.clone();
    let live = matches!(row.status.as_str(), "open" | "investigating");
    let title = format!("Conflict #{}: {}", row.id, kind_label(&row.kind));
    view! {
        <Title text=title.clone() />
        <p class="breadcrumb"><a href="/conflicts">"Conflicts"</a> " / #" {row.id}</p>
        <h1>{title}</h1>
        <p class="subtitle">{row.summary.clone()}</p>
        <dl class="facts">
            <dt>"Status"</dt>
            <dd data-testid="conflict-status">{status_text(&row)}</dd>
            <dt>"Track"</dt>
            <dd>
                {match (row.track_id, row.track.clone()) {
                    (Some(id), Some(title)) => view! { <a href=format!("/tracks/{id}")>{title}</a> }.into_any(),
                    _ => view! { "none in the catalog" }.into_any(),
                }}
            </dd>
            <dt>"ISRC"</dt>
            <dd class="mono">{row.isrc.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Label"</dt>
            <dd>{row.label.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Territories"</dt>
            <dd>{row.territories.join(", ")}</dd>
            <dt>"Platforms"</dt>
            <dd>{platform_names(&row.platforms)}</dd>
            <dt>"Revenue at stake"</dt>
            <dd title=row.at_stake.clone().unwrap_or_default()>{money(&row.at_stake, &currency)}</dd>
            <dt>"Held now"</dt>
            <dd data-testid="conflict-held" title=row.held.clone().unwrap_or_default()>{money(&row.held, &currency)}</dd>
            <dt>"Opened"</dt>
            <dd>{row.opened_at.format("%Y-%m-%d %H:%M UTC").to_string()}</dd>
            {detail.decided_by.clone().map(|by| view! {
                <dt>"Decided"</dt>
                <dd>{by} " · " {detail.decided_at.map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()}
                    {detail.our_share.clone().map(|s| format!(" · our share {s}%"))}</dd>
            })}
        </dl>
        {(detail.can_act && live).then(|| view! { <Decide row=row.clone() act /> })}
        {(!detail.claims.is_empty()).then(|| view! { <Claims claims=detail.claims.clone() /> })}
        {(!detail.variants.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Names seen"</h2>
                <ul>{detail.variants.iter().map(|v| view! { <li>{v.clone()}</li> }).collect_view()}</ul>
            </section>
        })}
        {(!detail.held.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Held, by month and platform"</h2>
                <table class="table">
                    <thead><tr><th>"Month"</th><th>"Platform"</th><th>"Territory"</th><th class="num">"Held"</th></tr></thead>
                    <tbody>
                        {detail.held.iter().map(|h| view! {
                            <tr>
                                <td>{h.month.clone()}</td>
                                <td>{platform_names(std::slice::from_ref(&h.platform))}</td>
                                <td>{h.territory.clone()}</td>
                                <td class="num" title=h.amount.clone().unwrap_or_default()>{money(&h.amount, &currency)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
        <Lines lines=detail.lines.clone() staff=detail.can_act />
        <section class="card">
            <h2>"History"</h2>
            <ol class="history">
                {detail.history.iter().map(|e| view! {
                    <li>
                        <span class="muted">{e.at.format("%Y-%m-%d %H:%M").to_string()} " · "
                            {e.by.clone().unwrap_or_else(|| "detection".into())}</span>
                        " " <strong>{e.action.clone()}</strong> " " {e.note.clone()}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

/// The decisions this kind of conflict allows, then taking it, investigating, noting.
#[component]
fn Decide(row: ConflictRow, act: ServerAction<ActOnConflicts>) -> impl IntoView {
    let id = row.id;
    let choices: &[(&str, &str)] = match row.kind.as_str() {
        "overlapping_claims" | "foreign_claim" => &[
            ("ours", "Ours: release the held revenue to the track's payees"),
            ("theirs", "Theirs: not ours, the held revenue goes to the other party"),
            ("split", "Split: our share below, the rest to the other party"),
        ],
        "metadata_mismatch" => {
            &[("not_a_conflict", "Not a conflict: the names are the same recording")]
        }
        _ => &[
            ("match", "Match to the track with the ISRC below"),
            ("theirs", "Not ours: leave it unpaid in suspense"),
        ],
    };
    let needs_share = row.kind != "metadata_mismatch" && row.kind != "unmatched";
    let needs_isrc = row.kind == "unmatched";
    view! {
        <section class="card">
            <h2>"Decide"</h2>
            <ActionForm action=act attr:class="form" attr:aria-label="Decide">
                <input type="hidden" name="ids[0]" value=id.to_string() />
                <fieldset>
                    <legend>"Decision"</legend>
                    {choices.iter().enumerate().map(|(i, (value, label))| view! {
                        <label class="radio">
                            <input type="radio" name="action" value=*value checked=i == 0 />
                            {*label}
                        </label>
                    }).collect_view()}
                </fieldset>
                {needs_share.then(|| view! {
                    <label>"Our share (%) for a split" <input name="our_share" inputmode="decimal" placeholder="50" /></label>
                })}
                {needs_isrc.then(|| view! {
                    <label>"ISRC of the track" <input name="isrc" placeholder="USRC17607839" /></label>
                })}
                <label>"Why" <textarea name="note" rows="2" placeholder="What you checked, who you spoke to"></textarea></label>
                <button type="submit" class="button">"Decide"</button>
            </ActionForm>
            <div class="form-inline">
                <ActionForm action=act attr:aria-label="Assign to me">
                    <input type="hidden" name="ids[0]" value=id.to_string() />
                    <input type="hidden" name="action" value="assign" />
                    <button type="submit" class="button-quiet">"Assign to me"</button>
                </ActionForm>
                {(row.status == "open").then(|| view! {
                    <ActionForm action=act attr:aria-label="Set investigating">
                        <input type="hidden" name="ids[0]" value=id.to_string() />
                        <input type="hidden" name="action" value="investigate" />
                        <button type="submit" class="button-quiet">"Set investigating"</button>
                    </ActionForm>
                })}
                <ActionForm action=act attr:class="form-inline" attr:aria-label="Add a note">
                    <input type="hidden" name="ids[0]" value=id.to_string() />
                    <input type="hidden" name="action" value="note" />
                    <input name="note" placeholder="A note for the history" aria-label="Note" />
                    <button type="submit" class="button-quiet">"Add note"</button>
                </ActionForm>
            </div>
        </section>
    }
}

#[component]
fn Claims(claims: Vec<ClaimSide>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Claims on the track"</h2>
            <table class="table claims">
                <thead>
                    <tr>
                        <th>"Party"</th><th class="num">"Share"</th><th>"Territories"</th>
                        <th>"From"</th><th>"To"</th><th>"Source"</th><th>"Side"</th>
                    </tr>
                </thead>
                <tbody>
                    {claims.into_iter().map(|c| {
                        let gone = c.withdrawn.is_some();
                        view! {
                        <tr class:withdrawn=gone>
                            <td>{c.party}</td>
                            <td class="num">{format!("{}%", c.share_percent.trim_end_matches('0').trim_end_matches('.'))}</td>
                            <td>{c.territories.join(", ")}</td>
                            <td>{c.valid_from}</td>
                            <td>{c.valid_to.unwrap_or_else(|| "open".into())}</td>
                            <td>{c.source.replace('_', " ")}</td>
                            <td>
                                {if c.ours { "ours" } else { "theirs" }}
                                {c.withdrawn.map(|w| view! { <span class="muted small">" · withdrawn " {w}</span> })}
                            </td>
                        </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Lines(lines: Vec<LineGroup>, staff: bool) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Report lines behind it"</h2>
            {if lines.is_empty() {
                view! { <p class="empty">"No report lines (the cause is in the claims)."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead>
                            <tr>
                                <th>"File"</th><th>"Lines"</th><th>"Platform"</th><th>"Territory"</th>
                                <th>"Month"</th><th class="num">"Units"</th><th class="num">"Gross"</th>
                                <th>"Collected by"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {lines.into_iter().map(|l| {
                                let lineage = l.track_id.filter(|_| staff).map(|t| format!(
                                    "/lineage?track={t}&platform={}&territory={}&month={}",
                                    l.platform, l.territory, l.month
                                ));
                                view! {
                                    <tr>
                                        <td>
                                            {if staff {
                                                view! { <a href=format!("/ingestion/files/{}", l.file_id)>{l.file_name.clone()}</a> }.into_any()
                                            } else {
                                                view! { {l.file_name.clone()} }.into_any()
                                            }}
                                        </td>
                                        <td>
                                            {match lineage {
                                                Some(href) => view! { <a href=href>{format!("{} from line {}", l.lines, l.first_line)}</a> }.into_any(),
                                                None => view! { {format!("{} from line {}", l.lines, l.first_line)} }.into_any(),
                                            }}
                                        </td>
                                        <td>{platform_names(std::slice::from_ref(&l.platform))}</td>
                                        <td>{l.territory}</td>
                                        <td>{l.month}</td>
                                        <td class="num">{l.units}</td>
                                        <td class="num">{format!("{} {}", l.gross, l.currency)}</td>
                                        <td>{l.collector.unwrap_or_else(|| "—".into())}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
