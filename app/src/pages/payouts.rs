//! Payout runs (label managers and staff) and statements (everyone, their own).

use super::components::{WithUser, action_feedback, loaded, pager, thousands};
use crate::domain::Role;
use crate::error::AppError;
use crate::payouts::{
    Amount, CreatePayoutRun, LINES_PER_PAGE, PayoutRunAction, RunDetail, RunLabel, RunSummary,
    Runs, Statement, StatementSummary, payout_run, payout_runs, payout_statement,
    payout_statements, status_label,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

const MANAGERS: &[Role] = &[Role::LabelManager, Role::Staff];
const EVERYONE: &[Role] = &[Role::Artist, Role::LabelManager, Role::Staff];

#[component]
pub fn PayoutsPage() -> impl IntoView {
    view! {
        <Title text="Payout runs" />
        <WithUser roles=MANAGERS render=|_| view! { <PayoutRuns /> } />
    }
}

#[component]
fn PayoutRuns() -> impl IntoView {
    let create = ServerAction::<CreatePayoutRun>::new();
    let runs = Resource::new(move || create.version().get(), |_| payout_runs());
    let created = move || {
        create.value().get().and_then(Result::ok).map(|id| {
            view! {
                <p class="form-ok" role="status">
                    "Draft run created: " <a href=format!("/payouts/{id}")>"open run " {id}</a>
                </p>
            }
        })
    };
    view! {
        <h1>"Payout runs"</h1>
        <p class="subtitle">
            "A run states what each payee of a label earned since their last approved "
            "statement, recoups advances, and pays what is above each payee's minimum. "
            "Label managers prepare and submit runs; staff approve them."
        </p>
        {move || create.value().get().and_then(Result::err).map(|e| view! {
            <p class="form-error" role="alert">{e.to_string()}</p>
        })}
        {created}
        {loaded(runs, move |runs: Runs| view! {
            <NewRun labels=runs.labels.clone() create />
            <RunTable runs=runs.runs.clone() />
        })}
    }
}

#[component]
fn NewRun(labels: Vec<RunLabel>, create: ServerAction<CreatePayoutRun>) -> impl IntoView {
    let single = (labels.len() == 1).then(|| labels[0].clone());
    let label_field = match &single {
        Some(label) => view! {
            <input type="hidden" name="label_id" value=label.id.to_string() />
            <p class="muted">{describe(label)}</p>
        }
        .into_any(),
        None => view! {
            <label>
                "Label"
                <select name="label_id" required>
                    {labels.iter().map(|l| view! {
                        <option value=l.id.to_string()>{describe(l)}</option>
                    }).collect_view()}
                </select>
            </label>
        }
        .into_any(),
    };
    view! {
        <section class="card">
            <h2>"New payout run"</h2>
            <ActionForm action=create attr:class="form form-inline" attr:aria-label="New payout run">
                {label_field}
                <label>
                    "Up to and including"
                    <input type="month" name="period_end" required placeholder="YYYY-MM" />
                </label>
                <button type="submit" class="button">"Create draft"</button>
            </ActionForm>
        </section>
    }
}

fn describe(label: &RunLabel) -> String {
    let start = match &label.next_start {
        Some(month) => format!("next run starts at {month}"),
        None => "no approved run yet".to_string(),
    };
    let open = label.open_run.map(|id| format!("; run {id} is in the making")).unwrap_or_default();
    format!("{} ({}): {start}{open}", label.name, label.currency)
}

#[component]
fn RunTable(runs: Vec<RunSummary>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="notice">"No payout runs yet."</p> }.into_any();
    }
    view! {
        <section class="card">
            <h2>"Runs"</h2>
            <table class="table payout-runs">
                <thead>
                    <tr>
                        <th>"Run"</th>
                        <th>"Label"</th>
                        <th>"Period"</th>
                        <th>"Status"</th>
                        <th class="num">"Statements"</th>
                        <th class="num">"Payable"</th>
                    </tr>
                </thead>
                <tbody>
                    {runs.into_iter().map(|r| view! {
                        <tr>
                            <td><a href=format!("/payouts/{}", r.id)>{format!("Run {}", r.id)}</a></td>
                            <td>{r.label_name.clone()}</td>
                            <td>{period(&r)}</td>
                            <td><RunStatus status=r.status.clone() /></td>
                            <td class="num">{r.statements}</td>
                            <td class="num mono"><Money amount=r.payable.clone() currency=r.currency.clone() /></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

fn period(run: &RunSummary) -> String {
    if run.period_start == run.period_end {
        run.period_end.clone()
    } else {
        format!("{} to {}", run.period_start, run.period_end)
    }
}

#[component]
fn RunStatus(status: String) -> impl IntoView {
    let class = match status.as_str() {
        "approved" | "paid" => "badge badge-ok",
        "submitted" => "badge badge-warn",
        _ => "badge",
    };
    view! { <span class=class>{status_label(&status)}</span> }
}

/// An amount rounded to its currency's minor unit, with the exact figure on hover.
#[component]
fn Money(amount: Amount, currency: String) -> impl IntoView {
    view! { <span title=format!("exactly {} {currency}", amount.exact)>{amount.shown}</span> }
}

#[component]
pub fn PayoutRunPage() -> impl IntoView {
    view! {
        <Title text="Payout run" />
        <WithUser roles=MANAGERS render=|_| view! { <PayoutRun /> } />
    }
}

#[component]
fn PayoutRun() -> impl IntoView {
    let params = use_params_map();
    let act = ServerAction::<PayoutRunAction>::new();
    let detail = Resource::new(
        move || {
            let id = params.read().get("id").and_then(|id| id.parse::<i64>().ok());
            (id, act.version().get())
        },
        |(id, _)| async move {
            match id {
                Some(id) => payout_run(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        {action_feedback(act, "Done.")}
        {loaded(detail, move |detail: RunDetail| view! { <RunView detail act /> })}
    }
}

#[component]
fn RunView(detail: RunDetail, act: ServerAction<PayoutRunAction>) -> impl IntoView {
    let RunDetail { run, statements, returned_note, actions } = detail;
    let button = move |action: &'static str, label: &'static str, quiet: bool| {
        let id = run.id.to_string();
        view! {
            <ActionForm action=act attr:class="form-row">
                <input type="hidden" name="run_id" value=id />
                <input type="hidden" name="action" value=action />
                <button type="submit" class=if quiet { "button-quiet" } else { "button" }>{label}</button>
            </ActionForm>
        }
    };
    let send_back = actions.send_back.then(|| {
        let id = run.id.to_string();
        view! {
            <ActionForm action=act attr:class="form form-inline" attr:aria-label="Send back">
                <input type="hidden" name="run_id" value=id />
                <input type="hidden" name="action" value="send_back" />
                <label>"Why" <input type="text" name="note" required /></label>
                <button type="submit" class="button-quiet">"Send back to draft"</button>
            </ActionForm>
        }
    });
    let currency = run.currency.clone();
    view! {
        <p class="breadcrumb"><a href="/payouts">"Payout runs"</a> " / run " {run.id}</p>
        <h1>{format!("{}: {}", run.label_name, period(&run))}</h1>
        <p class="subtitle">
            <RunStatus status=run.status.clone() />
            " · amounts in " {run.currency.clone()} " · "
            {run.statements} " statements · payable "
            <Money amount=run.payable.clone() currency=run.currency.clone() />
        </p>
        {returned_note.filter(|_| run.status == "draft").map(|note| view! {
            <p class="notice notice-warning">"Sent back by staff: " {note}</p>
        })}
        <div class="actions">
            {actions.recalculate.then(|| button("recalculate", "Recalculate", true))}
            {actions.submit.then(|| button("submit", "Submit for approval", false))}
            {actions.approve.then(|| button("approve", "Approve", false))}
            {actions.mark_paid.then(|| button("mark_paid", "Mark paid", false))}
            {actions.delete.then(|| button("delete", "Delete draft", true))}
            {send_back}
        </div>
        <StatementTable statements currency />
    }
}

#[component]
fn StatementTable(statements: Vec<StatementSummary>, currency: String) -> impl IntoView {
    if statements.is_empty() {
        return view! { <p class="notice">"Nothing to state: no payee earned anything new."</p> }
            .into_any();
    }
    let money = move |amount: Amount| view! { <Money amount currency=currency.clone() /> };
    view! {
        <section class="card">
            <h2>"Statements"</h2>
            <p class="muted">
                "Closing = opening + earnings - held - recouped. Payable is the closing balance "
                "rounded down to the cent, when at least the payee's minimum; the rest is "
                "carried to the next run. Hover an amount for its exact value."
            </p>
            <table class="table statements">
                <thead>
                    <tr>
                        <th>"Payee"</th>
                        <th class="num">"Opening"</th>
                        <th class="num">"Earnings"</th>
                        <th class="num">"Held"</th>
                        <th class="num">"Recouped"</th>
                        <th class="num">"Closing"</th>
                        <th class="num">"Payable"</th>
                        <th class="num">"Carried"</th>
                    </tr>
                </thead>
                <tbody>
                    {statements.into_iter().map(|s| view! {
                        <tr>
                            <td>
                                <a href=format!("/statements/{}/{}", s.run_id, s.payee_id)>{s.payee_name.clone()}</a>
                                <span class="small muted">" " {s.payee_kind.replace('_', " ")}</span>
                            </td>
                            <td class="num mono">{money(s.opening.clone())}</td>
                            <td class="num mono">{money(s.earnings.clone())}</td>
                            <td class="num mono">{money(s.held.clone())}</td>
                            <td class="num mono">{money(s.recouped.clone())}</td>
                            <td class="num mono">{money(s.closing.clone())}</td>
                            <td class="num mono strong">{money(s.payable.clone())}</td>
                            <td class="num mono">{money(s.carried.clone())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
pub fn StatementsPage() -> impl IntoView {
    view! {
        <Title text="Statements" />
        <WithUser roles=EVERYONE render=|_| view! { <Statements /> } />
    }
}

#[component]
fn Statements() -> impl IntoView {
    let statements = Resource::new(|| (), |_| payout_statements());
    view! {
        <h1>"Statements"</h1>
        <p class="subtitle">"Each approved payout run's statement: what was earned, recouped and paid."</p>
        {loaded(statements, |rows: Vec<(RunSummary, StatementSummary)>| {
            if rows.is_empty() {
                return view! { <p class="notice">"No statements yet: they appear once a payout run is approved."</p> }.into_any();
            }
            view! {
                <section class="card">
                    <table class="table statements">
                        <thead>
                            <tr>
                                <th>"Period"</th>
                                <th>"Label"</th>
                                <th>"Payee"</th>
                                <th>"Status"</th>
                                <th class="num">"Earnings"</th>
                                <th class="num">"Payable"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|(run, s)| view! {
                                <tr>
                                    <td><a href=format!("/statements/{}/{}", s.run_id, s.payee_id)>{period(&run)}</a></td>
                                    <td>{run.label_name.clone()}</td>
                                    <td>{s.payee_name.clone()}</td>
                                    <td><RunStatus status=run.status.clone() /></td>
                                    <td class="num mono"><Money amount=s.earnings.clone() currency=run.currency.clone() /></td>
                                    <td class="num mono"><Money amount=s.payable.clone() currency=run.currency.clone() /></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
            }
            .into_any()
        })}
    }
}

#[component]
pub fn StatementPage() -> impl IntoView {
    view! {
        <Title text="Statement" />
        <WithUser
            roles=EVERYONE
            render=|user| view! { <StatementLoader staff=user.role == Role::Staff /> }
        />
    }
}

#[component]
fn StatementLoader(staff: bool) -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let statement = Resource::new(
        move || {
            let params = params.read();
            let id = |key: &str| params.get(key).and_then(|v| v.parse::<i64>().ok());
            let page = query.read().get("page").and_then(|p| p.parse::<i64>().ok());
            (id("run"), id("payee"), page)
        },
        |ids| async move {
            match ids {
                (Some(run), Some(payee), page) => payout_statement(run, payee, page).await,
                _ => Err(AppError::NotFound),
            }
        },
    );
    view! { {loaded(statement, move |statement: Statement| view! { <StatementView statement staff /> })} }
}

/// `staff` see where each line came from (its report files and line numbers).
#[component]
fn StatementView(statement: Statement, staff: bool) -> impl IntoView {
    let pages = statement.pages();
    let Statement { run, summary: s, by_platform, lines, line_count, page } = statement;
    let here = format!("/statements/{}/{}", run.id, s.payee_id);
    let first = (page - 1) * LINES_PER_PAGE + 1;
    let shown = if lines.is_empty() {
        "No lines.".to_string()
    } else {
        format!(
            "Lines {} to {} of {}; the CSV has every line.",
            thousands(first),
            thousands(first + lines.len() as i64 - 1),
            thousands(line_count)
        )
    };
    let currency = run.currency.clone();
    let money = {
        let currency = currency.clone();
        move |amount: Amount| view! { <Money amount currency=currency.clone() /> }
    };
    let csv = format!("/statements/{}/{}/statement.csv", run.id, s.payee_id);
    view! {
        <article class="statement">
            <p class="breadcrumb"><a href="/statements">"Statements"</a></p>
            <h1>{format!("Statement: {}", s.payee_name)}</h1>
            <p class="subtitle">
                {run.label_name.clone()} " · " {period(&run)} " · run " {run.id} " · "
                <RunStatus status=run.status.clone() /> " · amounts in " {currency.clone()}
            </p>
            <p class="no-print">
                <a class="button-quiet" href=csv rel="external" download>"Download CSV"</a>
            </p>
            <section class="card">
                <h2>"Summary"</h2>
                <dl class="facts statement-summary">
                    <dt>"Opening balance"</dt><dd class="mono">{money(s.opening.clone())}</dd>
                    <dt>"+ Earnings"</dt><dd class="mono">{money(s.earnings.clone())}</dd>
                    <dt>"- Held back"</dt><dd class="mono">{money(s.held.clone())}</dd>
                    <dt>"- Recouped from advances"</dt><dd class="mono">{money(s.recouped.clone())}</dd>
                    <dt>"= Closing balance"</dt><dd class="mono strong">{money(s.closing.clone())}</dd>
                    <dt>"Payable"</dt><dd class="mono strong" data-testid="payable">{money(s.payable.clone())}</dd>
                    <dt>"Carried to the next statement"</dt><dd class="mono">{money(s.carried.clone())}</dd>
                    <dt>"Advances still to recoup"</dt><dd class="mono">{money(s.advance_balance.clone())}</dd>
                </dl>
                <p class="small muted">
                    "Amounts are shown rounded; the CSV has them exactly. Payable is rounded "
                    "down to the minor unit and what remains is carried, never lost."
                </p>
            </section>
            <section class="card">
                <h2>"Earnings by platform"</h2>
                <table class="table">
                    <tbody>
                        {by_platform.into_iter().map(|(platform, amount)| view! {
                            <tr><td>{platform}</td><td class="num mono">{money(amount)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <section class="card">
                <h2>"Lines"</h2>
                <p class="small muted">
                    "What changed since the last statement, per track, platform, territory and "
                    "month. Lines are rounded so they add up to the rounded earnings. " {shown}
                </p>
                <table class="table statement-lines">
                    <thead>
                        <tr>
                            <th>"Month"</th>
                            <th>"Track"</th>
                            <th>"Platform"</th>
                            <th>"Territory"</th>
                            <th class="num">"Streams"</th>
                            <th class="num">"Earnings"</th>
                            {staff.then(|| view! { <th class="no-print">"From"</th> })}
                        </tr>
                    </thead>
                    <tbody>
                        {lines.into_iter().map(|l| {
                            let from = format!(
                                "/lineage?track={}&platform={}&territory={}&month={}",
                                l.track_id, l.platform_code, l.territory, l.month
                            );
                            view! {
                            <tr>
                                <td>{l.month}</td>
                                <td>{l.title} <span class="small muted mono">" " {l.isrc}</span></td>
                                <td>{l.platform}</td>
                                <td>{l.territory}</td>
                                <td class="num">{l.units}</td>
                                <td class="num mono" title=format!("exactly {}", l.earnings_exact)>{l.earnings}</td>
                                {staff.then(|| view! {
                                    <td class="no-print"><a href=from>"lines"</a></td>
                                })}
                            </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {pager("Pages of lines", page, pages, move |page| format!("{here}?page={page}"))}
            </section>
        </article>
    }
}
