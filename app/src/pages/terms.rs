//! Staff: the revenue terms (payees, contracts, advances, ownership claims), each a page
//! with a search, a CSV import, and a form to enter a new one or edit one (`?edit=ID`).

use super::components::{ImportCard, SearchBox, WithUser, action_feedback, loaded, successes};
use crate::domain::Role;
use crate::terms::{
    AdvanceRow, CLAIM_SOURCES, Choices, ClaimRow, ContractRow, PAYEE_KINDS, PayeeRow, Payees,
    RemoveAdvance, SaveAdvance, SaveClaim, SaveContract, SavePayee, list_advances, list_claims,
    list_contracts, list_payees,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const STAFF: &[Role] = &[Role::Staff];

/// The id of the row being edited (`?edit=ID`), if any.
fn edited() -> Memo<Option<i64>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("edit").and_then(|id| id.parse::<i64>().ok()))
}

/// The search words in the URL.
fn search() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("q").unwrap_or_default())
}

#[component]
pub fn PayeesPage() -> impl IntoView {
    view! {
        <Title text="Payees" />
        <WithUser roles=STAFF render=|_| view! { <PayeesView /> } />
    }
}

#[component]
fn PayeesView() -> impl IntoView {
    let save = ServerAction::<SavePayee>::new();
    let q = search();
    let edit = edited();
    // The edited payee is part of the key, so following an edit link redraws the form.
    let saved = successes(save);
    let payees =
        Resource::new(move || (q.get(), edit.get(), saved.get()), |(q, _, _)| list_payees(q));
    view! {
        <h1>"Payees"</h1>
        <p class="subtitle">
            "Everyone a label pays: artists, featured artists, producers and the label itself. "
            "A payee is paid in the label's currency, once their balance reaches their minimum."
        </p>
        <ImportCard
            kind="payees"
            title="Import payees"
            what="payees"
            columns="label, name, kind, artist, currency, minimum_payout"
            note="A payee given again (same label and name) is updated."
        />
        {action_feedback(save, "Saved.")}
        <SearchBox label="Find a payee" />
        {loaded(payees, move |payees: Payees| {
            let editing = edit
                .get_untracked()
                .and_then(|id| payees.payees.iter().find(|p| p.id == id).cloned());
            view! {
                <PayeeForm choices=payees.choices.clone() editing save />
                <PayeeTable payees=payees.payees.clone() />
            }
        })}
    }
}

/// A new payee, or `editing` one (which stays with its label).
#[component]
fn PayeeForm(
    choices: Choices,
    editing: Option<PayeeRow>,
    save: ServerAction<SavePayee>,
) -> impl IntoView {
    let title = if editing.is_some() { "Edit payee" } else { "New payee" };
    let id = editing.as_ref().map_or(0, |p| p.id).to_string();
    let name = editing.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let kind = editing.as_ref().map(|p| p.kind.clone()).unwrap_or_else(|| "artist".into());
    let artist = editing.as_ref().and_then(|p| p.artist_id);
    let minimum = editing.as_ref().map(|p| p.minimum_payout.clone()).unwrap_or_default();
    let label = match &editing {
        Some(p) => view! {
            <input type="hidden" name="label_id" value=p.label_id.to_string() />
            <span class="muted">{p.label.clone()}</span>
        }
        .into_any(),
        None => view! {
            <label>
                "Label"
                <select name="label_id" required>
                    {choices.labels.iter().map(|(id, name)| view! {
                        <option value=id.to_string()>{name.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
        }
        .into_any(),
    };
    view! {
        <section class="card">
            <h2>{title}</h2>
            <ActionForm action=save attr:class="form form-inline" attr:aria-label=title>
                <input type="hidden" name="payee_id" value=id />
                {label}
                <label>"Name" <input type="text" name="name" required value=name /></label>
                <label>
                    "Kind"
                    <select name="kind">
                        {PAYEE_KINDS.iter().map(|k| view! {
                            <option value=*k selected=kind == *k>{k.replace('_', " ")}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Artist login"
                    <select name="artist_id">
                        <option value="">"none"</option>
                        {choices.artists.iter().map(|(id, name)| view! {
                            <option value=id.to_string() selected=artist == Some(*id)>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Minimum payout" <input type="text" name="minimum_payout" inputmode="decimal" placeholder="0.00" value=minimum /></label>
                <button type="submit" class="button">{if editing.is_some() { "Save payee" } else { "Add payee" }}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn PayeeTable(payees: Vec<PayeeRow>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Payees " <span class="badge">{payees.len()}</span></h2>
            <table class="table payees">
                <thead>
                    <tr>
                        <th>"Label"</th>
                        <th>"Name"</th>
                        <th>"Kind"</th>
                        <th>"Artist login"</th>
                        <th class="num">"Minimum payout"</th>
                        <th class="num">"Contracts"</th>
                    </tr>
                </thead>
                <tbody>
                    {payees.into_iter().map(|p| view! {
                        <tr>
                            <td>{p.label}</td>
                            <td><a href=format!("/payees?edit={}", p.id)>{p.name}</a></td>
                            <td>{p.kind.replace('_', " ")}</td>
                            <td>{p.artist.unwrap_or_else(|| "—".into())}</td>
                            <td class="num mono">{p.minimum_payout} " " {p.currency}</td>
                            <td class="num">{p.contracts}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
pub fn ContractsPage() -> impl IntoView {
    view! {
        <Title text="Contracts" />
        <WithUser roles=STAFF render=|_| view! { <ContractsView /> } />
    }
}

#[component]
fn ContractsView() -> impl IntoView {
    let save = ServerAction::<SaveContract>::new();
    let q = search();
    let edit = edited();
    let saved = successes(save);
    let contracts =
        Resource::new(move || (q.get(), edit.get(), saved.get()), |(q, _, _)| list_contracts(q));
    view! {
        <h1>"Contracts"</h1>
        <p class="subtitle">
            "Per release, or per track (overriding its release): the distributor's fee, and "
            "the split of the rest among payees, from one month to another. A change "
            "re-allocates the revenue of the tracks it covers at once."
        </p>
        <ImportCard
            kind="contracts"
            title="Import contracts"
            what="splits"
            columns="release_upc, track_isrc, valid_from, valid_to, distribution_fee, payee, share (one line per split; shares sum to 1)"
            note="A contract given again for the same release or track and first month replaces the old one."
        />
        {action_feedback(save, "Contract saved; its tracks' revenue was allocated again.")}
        <SearchBox label="Find a contract" />
        {loaded(contracts, move |rows: Vec<ContractRow>| {
            let editing = edit.get_untracked().and_then(|id| rows.iter().find(|c| c.id == id).cloned());
            view! {
            <ContractForm editing save />
            <section class="card">
                <h2>"Contracts " <span class="badge">{rows.len()}</span></h2>
                <table class="table contracts">
                    <thead>
                        <tr>
                            <th>"Label"</th>
                            <th>"For"</th>
                            <th>"From"</th>
                            <th>"To"</th>
                            <th class="num">"Fee"</th>
                            <th>"Splits"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|c| view! {
                            <tr>
                                <td>{c.label}</td>
                                <td><a href=format!("/contracts?edit={}", c.id)>{c.subject}</a></td>
                                <td>{c.valid_from}</td>
                                <td>{c.valid_to.unwrap_or_else(|| "open".into())}</td>
                                <td class="num mono">{c.fee}</td>
                                <td class="small">{c.splits}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            }
        })}
    }
}

/// A new contract, or `editing` one: saving replaces the subject's contract that starts
/// in the same month.
#[component]
fn ContractForm(editing: Option<ContractRow>, save: ServerAction<SaveContract>) -> impl IntoView {
    let title = if editing.is_some() { "Edit contract" } else { "New contract" };
    let field = |get: fn(&ContractRow) -> String| editing.as_ref().map(get).unwrap_or_default();
    let code = field(|c| c.code.clone());
    let from = field(|c| c.valid_from.clone());
    let to = field(|c| c.valid_to.clone().unwrap_or_default());
    let fee = field(|c| c.fee.clone());
    let splits = field(|c| c.split_lines.clone());
    view! {
        <section class="card">
            <h2>{title}</h2>
            <ActionForm action=save attr:class="form" attr:aria-label=title>
                <div class="form-inline">
                    <label>"Release UPC or track ISRC" <input type="text" name="subject" required value=code /></label>
                    <label>"From (month)" <input type="month" name="valid_from" required placeholder="YYYY-MM" value=from /></label>
                    <label>"To (month, empty: open)" <input type="month" name="valid_to" placeholder="YYYY-MM" value=to /></label>
                    <label>"Distribution fee" <input type="text" name="distribution_fee" inputmode="decimal" required placeholder="0.15" value=fee /></label>
                </div>
                <label>
                    "Splits: one \"payee: share\" per line, summing to 1"
                    <textarea name="splits" rows="4" required placeholder="Nova Reyes: 0.70\nSam Okoro: 0.05\nNorthern Lights Records: 0.25">{splits}</textarea>
                </label>
                <p class="small muted">
                    "Saving replaces the release's or track's contract that starts in the same "
                    "month. To change terms from a later month, end this one and add another."
                </p>
                <button type="submit" class="button">"Save contract"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn AdvancesPage() -> impl IntoView {
    view! {
        <Title text="Advances" />
        <WithUser roles=STAFF render=|_| view! { <AdvancesView /> } />
    }
}

#[component]
fn AdvancesView() -> impl IntoView {
    let save = ServerAction::<SaveAdvance>::new();
    let remove = ServerAction::<RemoveAdvance>::new();
    let q = search();
    let edit = edited();
    let (saved, removed) = (successes(save), successes(remove));
    let advances = Resource::new(
        move || (q.get(), edit.get(), saved.get(), removed.get()),
        |(q, ..)| list_advances(q),
    );
    let payees = Resource::new(|| (), |_| list_payees(String::new()));
    view! {
        <h1>"Advances"</h1>
        <p class="subtitle">
            "Money paid to a payee ahead of earnings, recouped from their share on payout "
            "runs before anything is payable. An advance entered by mistake can be corrected "
            "or removed, but never below what approved statements have already recouped."
        </p>
        <ImportCard
            kind="advances"
            title="Import advances"
            what="advances"
            columns="label, payee, amount, paid_on, note"
            note="The same payee, day and amount is one advance."
        />
        {action_feedback(remove, "Advance removed.")}
        <SearchBox label="Find an advance" />
        {loaded(advances, move |rows: Vec<AdvanceRow>| {
            let editing = edit.get_untracked().and_then(|id| rows.iter().find(|a| a.id == id).cloned());
            view! {
                {loaded(payees, move |payees: Payees| view! {
                    <AdvanceForm payees=payees.payees editing=editing.clone() save />
                })}
                <AdvanceTable rows remove />
            }
        })}
    }
}

/// A new advance, or `editing` one (which stays with its payee).
#[component]
fn AdvanceForm(
    payees: Vec<PayeeRow>,
    editing: Option<AdvanceRow>,
    save: ServerAction<SaveAdvance>,
) -> impl IntoView {
    let title = if editing.is_some() { "Edit advance" } else { "New advance" };
    let id = editing.as_ref().map_or(0, |a| a.id).to_string();
    let field = |get: fn(&AdvanceRow) -> String| editing.as_ref().map(get).unwrap_or_default();
    let (amount, paid_on, note) =
        (field(|a| a.amount.clone()), field(|a| a.paid_on.clone()), field(|a| a.note.clone()));
    let payee = match &editing {
        Some(a) => view! {
            <input type="hidden" name="payee_id" value=a.payee_id.to_string() />
            <span class="muted">{format!("{} ({})", a.payee, a.label)}</span>
        }
        .into_any(),
        None => view! {
            <label>
                "Payee"
                <select name="payee_id" required>
                    {payees.iter().map(|p| view! {
                        <option value=p.id.to_string()>{format!("{} ({})", p.name, p.label)}</option>
                    }).collect_view()}
                </select>
            </label>
        }
        .into_any(),
    };
    view! {
        <section class="card">
            <h2>{title}</h2>
            <ActionForm action=save attr:class="form form-inline" attr:aria-label=title>
                <input type="hidden" name="advance_id" value=id />
                {payee}
                <label>"Amount" <input type="text" name="amount" inputmode="decimal" required value=amount /></label>
                <label>"Paid on" <input type="date" name="paid_on" required value=paid_on /></label>
                <label>"Note" <input type="text" name="note" value=note /></label>
                <button type="submit" class="button">{if editing.is_some() { "Save advance" } else { "Record advance" }}</button>
            </ActionForm>
            {action_feedback(save, "Advance saved.")}
        </section>
    }
}

#[component]
fn AdvanceTable(rows: Vec<AdvanceRow>, remove: ServerAction<RemoveAdvance>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Advances " <span class="badge">{rows.len()}</span></h2>
            <table class="table advances">
                <thead>
                    <tr>
                        <th>"Paid on"</th>
                        <th>"Label"</th>
                        <th>"Payee"</th>
                        <th class="num">"Amount"</th>
                        <th class="num">"Payee's recouped so far"</th>
                        <th>"Note"</th>
                        <th><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|a| view! {
                        <tr>
                            <td><a href=format!("/advances?edit={}", a.id)>{a.paid_on}</a></td>
                            <td>{a.label}</td>
                            <td>{a.payee.clone()}</td>
                            <td class="num mono">{a.amount.clone()} " " {a.currency.clone()}</td>
                            <td class="num mono">{a.payee_recouped} " " {a.currency.clone()}</td>
                            <td class="small">{a.note}</td>
                            <td>
                                <ActionForm action=remove attr:class="form-row" attr:aria-label=format!("Remove advance of {} {} to {}", a.amount, a.currency, a.payee)>
                                    <input type="hidden" name="advance_id" value=a.id.to_string() />
                                    <button type="submit" class="button-quiet">"Remove"</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
pub fn ClaimsPage() -> impl IntoView {
    view! {
        <Title text="Ownership claims" />
        <WithUser roles=STAFF render=|_| view! { <ClaimsView /> } />
    }
}

#[component]
fn ClaimsView() -> impl IntoView {
    let save = ServerAction::<SaveClaim>::new();
    let q = search();
    let edit = edited();
    let saved = successes(save);
    let claims =
        Resource::new(move || (q.get(), edit.get(), saved.get()), |(q, ..)| list_claims(q));
    view! {
        <h1>"Ownership claims"</h1>
        <p class="subtitle">
            "Who holds which share of a track, where and when, and on whose word. Conflict "
            "detection (shares over 100% for one place and time) is not built yet."
        </p>
        <ImportCard
            kind="ownership-claims"
            title="Import claims"
            what="claims"
            columns="isrc, party, share, territories, valid_from, valid_to, source"
            note="A claim given again (same track, party, start and source) is updated."
        />
        <SearchBox label="Find a claim" />
        {loaded(claims, move |rows: Vec<ClaimRow>| {
            let editing = edit.get_untracked().and_then(|id| rows.iter().find(|c| c.id == id).cloned());
            view! {
                <ClaimForm editing save />
                <ClaimTable rows />
            }
        })}
    }
}

/// A new claim, or `editing` one. A claim is ended by giving it a last day, not removed:
/// conflicts are decided on what was claimed when.
#[component]
fn ClaimForm(editing: Option<ClaimRow>, save: ServerAction<SaveClaim>) -> impl IntoView {
    let title = if editing.is_some() { "Edit claim" } else { "New claim" };
    let id = editing.as_ref().map_or(0, |c| c.id).to_string();
    let field = |get: fn(&ClaimRow) -> String| editing.as_ref().map(get).unwrap_or_default();
    let (isrc, party, share) =
        (field(|c| c.isrc.clone()), field(|c| c.party.clone()), field(|c| c.share.clone()));
    let territories = field(|c| c.territories.clone());
    let (from, to) =
        (field(|c| c.valid_from.clone()), field(|c| c.valid_to.clone().unwrap_or_default()));
    let source = editing.as_ref().map_or_else(|| "manual".to_string(), |c| c.source.clone());
    view! {
        <section class="card">
            <h2>{title}</h2>
            <ActionForm action=save attr:class="form form-inline" attr:aria-label=title>
                <input type="hidden" name="claim_id" value=id />
                <label>"Track ISRC" <input type="text" name="isrc" required value=isrc /></label>
                <label>"Party" <input type="text" name="party" required value=party /></label>
                <label>"Share (0.5 is 50%)" <input type="text" name="share" inputmode="decimal" required value=share /></label>
                <label>"Territories (US GB …, or WW)" <input type="text" name="territories" required value=territories /></label>
                <label>"From" <input type="date" name="valid_from" required value=from /></label>
                <label>"To (empty: open)" <input type="date" name="valid_to" value=to /></label>
                <label>
                    "Source"
                    <select name="source">
                        {CLAIM_SOURCES.iter().map(|s| view! {
                            <option value=*s selected=source == *s>{s.replace('_', " ")}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="button">{if editing.is_some() { "Save claim" } else { "Add claim" }}</button>
            </ActionForm>
            {action_feedback(save, "Claim saved.")}
        </section>
    }
}

#[component]
fn ClaimTable(rows: Vec<ClaimRow>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Claims " <span class="badge">{rows.len()}</span></h2>
            <table class="table claims">
                <thead>
                    <tr>
                        <th>"Track"</th>
                        <th>"Party"</th>
                        <th class="num">"Share"</th>
                        <th>"Territories"</th>
                        <th>"From"</th>
                        <th>"To"</th>
                        <th>"Source"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|c| view! {
                        <tr>
                            <td>{c.track} <span class="small muted mono">" " {c.isrc}</span></td>
                            <td><a href=format!("/claims?edit={}", c.id)>{c.party}</a></td>
                            <td class="num mono">{c.share}</td>
                            <td>{c.territories}</td>
                            <td>{c.valid_from}</td>
                            <td>{c.valid_to.unwrap_or_else(|| "open".into())}</td>
                            <td>{c.source.replace('_', " ")}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
