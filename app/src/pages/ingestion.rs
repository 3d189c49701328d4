//! Staff ingestion: jobs with their schedule, freshness and last run; the run
//! history; report files; and, per file, its totals or its quarantine errors.

use super::components::{Stat, WithUser, action_feedback, loaded, thousands};
use crate::domain::Role;
use crate::error::AppError;
use crate::ingestion::{
    BackfillJob, ConfirmSupersede, FileDetail, FileRow, Freshness, JobRow, Overview,
    RetryReportFile, RunJobNow, RunRow, SetJobPaused, WithdrawReportFile, ingestion_overview,
    report_file,
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn IngestionPage() -> impl IntoView {
    view! {
        <Title text="Ingestion" />
        <WithUser roles=&[Role::Staff] render=|_| view! { <Ingestion /> } />
    }
}

#[derive(Clone, Copy)]
struct JobActions {
    run_now: ServerAction<RunJobNow>,
    pause: ServerAction<SetJobPaused>,
    backfill: ServerAction<BackfillJob>,
}

#[component]
fn Ingestion() -> impl IntoView {
    let actions = JobActions {
        run_now: ServerAction::new(),
        pause: ServerAction::new(),
        backfill: ServerAction::new(),
    };
    let tick = RwSignal::new(0u32);
    let overview = Resource::new(
        move || {
            (
                actions.run_now.version().get(),
                actions.pause.version().get(),
                actions.backfill.version().get(),
                tick.get(),
            )
        },
        |_| ingestion_overview(),
    );
    refresh_while_busy(overview, tick);
    view! {
        <h1>"Ingestion"</h1>
        <p class="subtitle">
            "Report files arrive in each job's drop folder and load on its schedule, exactly once "
            "each, all or nothing. A file with any bad line is quarantined whole, with its errors."
        </p>
        <UploadCard />
        {action_feedback(actions.run_now, "Run queued; it starts within seconds.")}
        {action_feedback(actions.pause, "Saved.")}
        {action_feedback(actions.backfill, "Backfill queued.")}
        {loaded(overview, move |overview: Overview| {
            // Each section's view type erased: one nested type for the whole page is
            // more than the compiler's recursion limit allows in the wasm build.
            view! {
                {view! { <FileStats counts=overview.file_counts.clone() /> }.into_any()}
                {view! { <Jobs jobs=overview.jobs.clone() actions /> }.into_any()}
                {view! { <Runs runs=overview.runs.clone() /> }.into_any()}
                {view! { <Files files=overview.files.clone() /> }.into_any()}
            }
        })}
    }
}

/// A plain form (it works without JavaScript): the file streams to the server, which
/// answers with a redirect back here saying what happened.
#[component]
fn UploadCard() -> impl IntoView {
    let query = use_query_map();
    let feedback = move || {
        let query = query.read();
        if let Some(error) = query.get("upload_error") {
            Some(view! { <p class="form-error" role="alert">{error}</p> }.into_any())
        } else {
            query.get("uploaded").map(|name| {
                view! {
                    <p class="form-ok" role="status">
                        "Received " <span class="mono">{name}</span>
                        "; the Uploads job is loading it (see Runs below)."
                    </p>
                }
                .into_any()
            })
        }
    };
    view! {
        <section class="card">
            <h2>"Upload a report"</h2>
            <form
                method="post"
                action="/ingestion/upload"
                enctype="multipart/form-data"
                class="form form-inline"
                aria-label="Upload a report"
            >
                <label>
                    "Report file (DSR, Apple, YouTube; plain, gzip or zip)"
                    <input type="file" name="file" required />
                </label>
                <button type="submit" class="button">"Upload"</button>
            </form>
            {feedback}
        </section>
    }
}

/// While a run is queued or running, reloads the overview every two seconds, so staff
/// watch it progress. Browser only: the server renders one snapshot.
fn refresh_while_busy(overview: Resource<Result<Overview, AppError>>, tick: RwSignal<u32>) {
    Effect::new(move |_| {
        let busy = overview
            .get()
            .and_then(Result::ok)
            .is_some_and(|o| o.runs.iter().any(|r| r.status == "queued" || r.status == "running"));
        if busy {
            set_timeout(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(2));
        }
    });
}

#[component]
fn FileStats(counts: Vec<(String, i64)>) -> impl IntoView {
    let count = |status: &str| {
        counts.iter().find(|(s, _)| s == status).map(|(_, n)| *n).unwrap_or(0).to_string()
    };
    view! {
        <div class="stats">
            <Stat label="files loaded" value=count("loaded") />
            <Stat label="quarantined" value=count("quarantined") />
            <Stat label="awaiting confirmation" value=count("awaiting_confirmation") />
        </div>
    }
}

#[component]
fn Jobs(jobs: Vec<JobRow>, actions: JobActions) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Jobs"</h2>
            <table class="table jobs">
                <thead>
                    <tr>
                        <th>"Job"</th>
                        <th>"Schedule"</th>
                        <th>"Next run"</th>
                        <th>"Last run"</th>
                        <th>"Freshness"</th>
                        <th>"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {jobs.into_iter().map(|job| view! { <JobLine job actions /> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn JobLine(job: JobRow, actions: JobActions) -> impl IntoView {
    let schedule = match (&job.schedule, job.enabled) {
        (None, _) => view! { <span class="muted">"When files are uploaded"</span> }.into_any(),
        (Some((cron, words)), enabled) => view! {
            <span>{words.clone()}</span>
            " " <code class="small">{cron.clone()}</code>
            {(!enabled).then(|| view! { " " <span class="badge badge-warn">"paused"</span> })}
        }
        .into_any(),
    };
    let next = if job.enabled { when(job.next_run_at) } else { "—".to_string() };
    let last = job.last_run.clone().map(|run| view! { <RunSummary run /> });
    let id = job.id.to_string();
    let (pause_id, backfill_id) = (id.clone(), id.clone());
    let (pause_value, pause_label) =
        if job.enabled { ("true", "Pause") } else { ("false", "Resume") };
    view! {
        <tr data-job=job.name.clone()>
            <td>
                <strong>{job.name.clone()}</strong>
                <div class="muted small mono">{job.folder.clone()}</div>
            </td>
            <td>{schedule}</td>
            <td>{next}</td>
            <td>{last}</td>
            <td><FreshnessBadge freshness=job.freshness.clone() /></td>
            <td class="actions">
                <ActionForm action=actions.run_now attr:class="form-row">
                    <input type="hidden" name="job_id" value=id />
                    <button type="submit" class="button-quiet">"Run now"</button>
                </ActionForm>
                {job.schedule.is_some().then(|| view! {
                    <ActionForm action=actions.pause attr:class="form-row">
                        <input type="hidden" name="job_id" value=pause_id />
                        <input type="hidden" name="paused" value=pause_value />
                        <button type="submit" class="button-quiet">{pause_label}</button>
                    </ActionForm>
                })}
                <ActionForm action=actions.backfill attr:class="form-row">
                    <input type="hidden" name="job_id" value=backfill_id />
                    <input type="month" name="month" required aria-label="Month to backfill" />
                    <button type="submit" class="button-quiet">"Backfill"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

#[component]
fn FreshnessBadge(freshness: Freshness) -> impl IntoView {
    match freshness {
        Freshness::NotTracked => view! { <span class="muted">"—"</span> }.into_any(),
        Freshness::OnTime { latest } => view! {
            <span class="badge badge-ok">"On time"</span>
            <div class="muted small">
                {latest.map(|m| format!("latest {m}")).unwrap_or_default()}
            </div>
        }
        .into_any(),
        Freshness::Overdue { missing, due, latest } => view! {
            <span class="badge badge-error" data-testid="overdue">"Overdue"</span>
            <div class="small">
                {format!("No report for {missing} (due {due})")}
                {latest.map(|m| format!("; latest {m}"))}
            </div>
        }
        .into_any(),
    }
}

#[component]
fn RunSummary(run: RunRow) -> impl IntoView {
    let detail = match run.status.as_str() {
        "queued" => format!("waiting since {}", when(Some(run.not_before))),
        "running" => format!("{} files so far", run.files_seen),
        _ => format!(
            "{} loaded, {} quarantined{} · {}",
            run.files_loaded,
            run.files_quarantined,
            if run.files_awaiting > 0 {
                format!(", {} awaiting confirmation", run.files_awaiting)
            } else {
                String::new()
            },
            when(run.finished_at)
        ),
    };
    view! {
        <StatusBadge status=run.status.clone() />
        <div class="muted small">{detail}</div>
        {run.error.map(|e| view! { <div class="form-error small">{e}</div> })}
    }
}

#[component]
fn StatusBadge(status: String) -> impl IntoView {
    let class = match status.as_str() {
        "succeeded" | "loaded" => "badge badge-ok",
        "failed" | "quarantined" => "badge badge-error",
        "queued"
        | "running"
        | "awaiting_confirmation"
        | "awaiting_allocation"
        | "superseded"
        | "withdrawn" => "badge badge-warn",
        _ => "badge",
    };
    view! { <span class=class>{status.replace('_', " ")}</span> }
}

#[component]
fn Runs(runs: Vec<RunRow>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Runs"</h2>
            <table class="table runs">
                <thead>
                    <tr>
                        <th>"Run"</th>
                        <th>"Job"</th>
                        <th>"Why"</th>
                        <th>"Status"</th>
                        <th>"Started"</th>
                        <th class="num">"Files seen"</th>
                        <th class="num">"Loaded"</th>
                        <th class="num">"Skipped"</th>
                        <th class="num">"Quarantined"</th>
                        <th class="num">"Facts"</th>
                    </tr>
                </thead>
                <tbody>
                    {runs.into_iter().map(|run| {
                        let why = match (&run.backfill_month, run.attempt) {
                            (Some(month), _) => format!("backfill {month}"),
                            (None, 1) => run.trigger.clone(),
                            (None, attempt) => format!("{} (attempt {attempt})", run.trigger),
                        };
                        view! {
                            <tr>
                                <td class="mono">{run.id}</td>
                                <td>{run.job_name.clone()}</td>
                                <td>{why}</td>
                                <td>
                                    <StatusBadge status=run.status.clone() />
                                    {run.error.clone().map(|e| view! { <div class="small">{e}</div> })}
                                </td>
                                <td>{when(run.started_at)}</td>
                                <td class="num">{run.files_seen}</td>
                                <td class="num">{run.files_loaded}</td>
                                <td class="num">{run.files_skipped}</td>
                                <td class="num">{run.files_quarantined}</td>
                                <td class="num">{thousands(run.facts_loaded)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Files(files: Vec<FileRow>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Report files"</h2>
            <table class="table files">
                <thead>
                    <tr>
                        <th>"File"</th>
                        <th>"Status"</th>
                        <th>"Platform"</th>
                        <th>"Period"</th>
                        <th class="num">"Lines"</th>
                        <th class="num">"Units"</th>
                        <th class="num">"Errors"</th>
                        <th>"Received"</th>
                        <th>"SHA-256"</th>
                    </tr>
                </thead>
                <tbody>
                    {files.into_iter().map(|file| view! {
                        <tr>
                            <td><a href=format!("/ingestion/files/{}", file.id)>{file.file_name.clone()}</a></td>
                            <td><StatusBadge status=file.status.clone() /></td>
                            <td>{file.platform.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{period(&file)}</td>
                            <td class="num">{thousands(file.fact_count)}</td>
                            <td class="num">{thousands(file.units_total)}</td>
                            <td class="num">{thousands(file.error_count)}</td>
                            <td>{when(Some(file.received_at))}</td>
                            <td class="mono small" title=file.sha256.clone()>{file.sha256[..12].to_string()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
pub fn ReportFilePage() -> impl IntoView {
    view! {
        <Title text="Report file" />
        <WithUser roles=&[Role::Staff] render=|_| view! { <ReportFile /> } />
    }
}

/// What staff can do to a report file.
#[derive(Clone, Copy)]
struct FileActions {
    retry: ServerAction<RetryReportFile>,
    confirm: ServerAction<ConfirmSupersede>,
    withdraw: ServerAction<WithdrawReportFile>,
}

#[component]
fn ReportFile() -> impl IntoView {
    let params = use_params_map();
    let actions = FileActions {
        retry: ServerAction::new(),
        confirm: ServerAction::new(),
        withdraw: ServerAction::new(),
    };
    let detail = Resource::new(
        move || {
            let id = params.read().get("id").and_then(|id| id.parse::<i64>().ok());
            (id, actions.withdraw.version().get())
        },
        |(id, _)| async move {
            match id {
                Some(id) => report_file(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        {action_feedback(actions.retry, "Retry queued: the file's job loads it again within seconds.")}
        {action_feedback(
            actions.confirm,
            "Confirmed: a run now reverses the old file and loads this one (see Ingestion).",
        )}
        {action_feedback(actions.withdraw, "Withdrawn: its facts are reversed.")}
        {loaded(detail, move |detail: FileDetail| view! { <FileView detail actions /> })}
    }
}

#[component]
fn FileView(detail: FileDetail, actions: FileActions) -> impl IntoView {
    let FileDetail { file, path, totals, errors, can_retry, supersedes, decided } = detail;
    let awaiting = file.status == "awaiting_confirmation";
    let supersedes = supersedes.map(|(id, name)| {
        let verb = if awaiting { "Would replace" } else { "Replaced" };
        view! {
            <p class="notice notice-warning">
                {verb} " " <a href=format!("/ingestion/files/{id}")>{name}</a>
                ", a loaded file for the same platform, sender and month."
                {awaiting.then_some(" Confirm to reverse its facts and load this file instead, in one step.")}
            </p>
        }
    });
    let decided = decided.map(|(who, at)| {
        view! { <p class="muted">"Decided by " {who} ", " {when(Some(at))}</p> }
    });
    let confirm = awaiting.then(|| {
        let id = file.id.to_string();
        view! {
            <ActionForm action=actions.confirm attr:class="form-row">
                <input type="hidden" name="file_id" value=id />
                <button type="submit" class="button">"Confirm it replaces the old file"</button>
            </ActionForm>
        }
    });
    let withdraw = (file.status == "loaded").then(|| {
        let id = file.id.to_string();
        view! {
            <ActionForm action=actions.withdraw attr:class="form-row">
                <input type="hidden" name="file_id" value=id />
                <button type="submit" class="button-quiet">"Withdraw this file"</button>
            </ActionForm>
        }
    });
    let shown = errors.len() as i64;
    let id = file.id.to_string();
    view! {
        <p class="breadcrumb"><a href="/ingestion">"Ingestion"</a> " / file " {file.id}</p>
        <h1>{file.file_name.clone()}</h1>
        <p class="subtitle"><StatusBadge status=file.status.clone() /></p>
        <dl class="facts">
            <dt>"Platform"</dt><dd>{file.platform.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Format"</dt><dd>{file.format.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Period"</dt><dd>{period(&file)}</dd>
            <dt>"Lines loaded"</dt><dd>{thousands(file.fact_count)}</dd>
            <dt>"Units"</dt><dd>{thousands(file.units_total)}</dd>
            <dt>"Came in"</dt>
            <dd>{file.source.replace('_', " ")} {file.job_name.clone().map(|j| format!(" ({j})"))} ", " {when(Some(file.received_at))}</dd>
            <dt>"Found at"</dt><dd class="mono small">{path.unwrap_or_else(|| "—".into())}</dd>
            <dt>"Size"</dt><dd>{thousands(file.size_bytes)} " bytes"</dd>
            <dt>"SHA-256"</dt><dd class="mono small">{file.sha256.clone()}</dd>
            {(!totals.is_empty()).then(|| view! {
                <dt>"Gross"</dt>
                <dd class="mono">{totals.iter().map(|(c, g)| format!("{g} {c}")).collect::<Vec<_>>().join(" · ")}</dd>
            })}
        </dl>
        {file.warnings.into_iter().map(|w| view! {
            <p class="notice notice-warning">"Accepted with a warning: " {w}</p>
        }).collect_view()}
        {supersedes}
        {decided}
        {confirm}
        {withdraw}
        {can_retry.then(|| view! {
            <ActionForm action=actions.retry attr:class="form-row">
                <input type="hidden" name="file_id" value=id />
                <button type="submit" class="button">"Retry this file"</button>
            </ActionForm>
        })}
        {(file.error_count > 0).then(|| view! {
            <section class="card">
                <h2>"Errors"</h2>
                <p class="muted">
                    {if file.error_count > shown {
                        format!("The first {shown} of {} errors. Nothing of this file was loaded.", thousands(file.error_count))
                    } else {
                        format!("{shown} errors. Nothing of this file was loaded.")
                    }}
                </p>
                <table class="table errors">
                    <thead>
                        <tr><th class="num">"Line"</th><th>"Column"</th><th>"Value"</th><th>"Problem"</th></tr>
                    </thead>
                    <tbody>
                        {errors.into_iter().map(|e| view! {
                            <tr>
                                <td class="num">{e.line}</td>
                                <td>{e.column}</td>
                                <td class="mono small">{e.value}</td>
                                <td>{e.reason}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
    }
}

fn period(file: &FileRow) -> String {
    file.period.map(|(start, end)| format!("{start} to {end}")).unwrap_or_else(|| "—".into())
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "—".into())
}
