//! Payout runs in SQL: working out statements from the ledger, and each step of a run's
//! life with the role that may take it.
//!
//! A statement states, per payee, what changed in their part of the ledger since their
//! last approved statement (line by line: track, platform, territory, month), so a late
//! file or a released hold for an old month is stated on the next run, once. Then:
//! closing = opening + earnings - held - recouped, where recouped takes what it can of
//! the payee's outstanding advances; payable = closing rounded down to the minor unit
//! when at least the payee's minimum, else nothing; the rest is carried, exactly.

use super::{Amount, RunActions, RunDetail, RunLabel, RunSummary, Runs, Statement};
use super::{LINES_PER_PAGE, StatementLine, StatementSummary, pages_of};
use crate::auth::{Scope, SessionUser};
use crate::domain::{Currency, Month, Role};
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

/// A step in a run's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Recalculate,
    Submit,
    Delete,
    Approve,
    SendBack(String),
    MarkPaid,
}

impl Action {
    pub fn parse(action: &str, note: &str) -> Result<Self, AppError> {
        Ok(match action {
            "recalculate" => Action::Recalculate,
            "submit" => Action::Submit,
            "delete" => Action::Delete,
            "approve" => Action::Approve,
            "send_back" if note.trim().is_empty() => {
                return Err(AppError::invalid("Say why the run goes back to draft."));
            }
            "send_back" => Action::SendBack(note.trim().to_string()),
            "mark_paid" => Action::MarkPaid,
            other => return Err(AppError::invalid(format!("'{other}' is not a run action."))),
        })
    }

    /// The run status the action starts from, and whether only staff may take it.
    fn needs(&self) -> (&'static str, bool) {
        match self {
            Action::Recalculate | Action::Submit | Action::Delete => ("draft", false),
            Action::Approve | Action::SendBack(_) => ("submitted", true),
            Action::MarkPaid => ("approved", true),
        }
    }
}

/// A run as the access checks and calculations need it.
struct Run {
    id: i64,
    label_id: i64,
    status: String,
    period_end: NaiveDate,
    digits: i32,
}

/// Run `run_id` if `scope` may see it (staff: any; a label manager: their label's),
/// locked for the rest of the transaction. Otherwise not found, as if it did not exist.
async fn run_for(conn: &mut PgConnection, scope: Scope, run_id: i64) -> Result<Run, AppError> {
    let row = sqlx::query!(
        r#"
        SELECT id, label_id, status, period_end AS "period_end: NaiveDate", minor_digits
        FROM payout_runs
        WHERE id = $1 AND ($2 = 'all' OR ($2 = 'label' AND label_id = $3))
        FOR UPDATE
        "#,
        run_id,
        scope.kind(),
        scope.id()
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Run {
        id: row.id,
        label_id: row.label_id,
        status: row.status,
        period_end: row.period_end,
        digits: i32::from(row.minor_digits),
    })
}

fn minor_digits(code: &str) -> Result<i16, AppError> {
    let currency = Currency::parse(code.trim()).map_err(|e| {
        tracing::error!("a label's currency does not parse: {}", e.0);
        AppError::Internal
    })?;
    Ok(currency.minor_digits() as i16)
}

/// Creates a draft run for `label_id` up to `period_end` and works it out.
pub async fn create(
    pool: &PgPool,
    user: &SessionUser,
    label_id: i64,
    period_end: Month,
) -> Result<i64, AppError> {
    if matches!(user.scope(), Scope::Label(own) if own != label_id) {
        return Err(AppError::NotFound);
    }
    let this_month = Month::of_period_end(Utc::now().date_naive());
    if period_end >= this_month {
        return Err(AppError::invalid(format!(
            "A run can cover complete months only: {} at the latest.",
            this_month.previous()
        )));
    }
    let mut tx = pool.begin().await?;
    // Locking the label makes runs for one label one at a time.
    let currency = sqlx::query_scalar!(
        "SELECT accounting_currency FROM labels WHERE id = $1 FOR UPDATE",
        label_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let open = sqlx::query_scalar!(
        "SELECT id FROM payout_runs WHERE label_id = $1 AND status IN ('draft', 'submitted')",
        label_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(open) = open {
        return Err(AppError::invalid(format!(
            "Payout run {open} of this label is still in the making: finish or delete it first."
        )));
    }
    // A loaded file's money is not in the ledger until the allocation stage has run.
    let waiting = sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "n!" FROM report_files
        WHERE status = 'loaded' AND allocated_at IS NULL AND accounting_month <= $1
        "#,
        period_end.first_day() as _
    )
    .fetch_one(&mut *tx)
    .await?;
    if waiting > 0 {
        return Err(AppError::invalid(format!(
            "{waiting} report file(s) of this period are loaded but not yet allocated; \
             the run can start when allocation has finished (see Ingestion)."
        )));
    }
    let period_start = period_start(&mut tx, label_id, period_end).await?;
    let digits = minor_digits(&currency)?;
    let run_id = sqlx::query_scalar!(
        r#"
        INSERT INTO payout_runs
            (label_id, period_start, period_end, currency, minor_digits, created_by)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id
        "#,
        label_id,
        period_start.first_day() as _,
        period_end.first_day() as _,
        currency,
        digits,
        user.id
    )
    .fetch_one(&mut *tx)
    .await?;
    let run = Run {
        id: run_id,
        label_id,
        status: "draft".into(),
        period_end: period_end.first_day(),
        digits: i32::from(digits),
    };
    calculate(&mut tx, &run).await?;
    tx.commit().await?;
    Ok(run_id)
}

/// The month after the label's last approved run (which `period_end` must be after),
/// or the label's first month of revenue.
async fn period_start(
    tx: &mut PgConnection,
    label_id: i64,
    period_end: Month,
) -> Result<Month, AppError> {
    let last = sqlx::query_scalar!(
        r#"
        SELECT max(period_end) AS "last: NaiveDate" FROM payout_runs
        WHERE label_id = $1 AND status IN ('approved', 'paid')
        "#,
        label_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(last) = last.map(Month::of_period_end) {
        if period_end <= last {
            return Err(AppError::invalid(format!(
                "The label's approved runs already cover up to {last}: choose a later month."
            )));
        }
        return Ok(last.next());
    }
    let first = sqlx::query_scalar!(
        r#"SELECT min(accounting_month) AS "first: NaiveDate" FROM ledger WHERE label_id = $1"#,
        label_id
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(first.map(Month::of_period_end).filter(|&m| m <= period_end).unwrap_or(period_end))
}

/// Works out the run's statements afresh: its lines from the ledger, then each payee's
/// summary from the lines.
async fn calculate(tx: &mut PgConnection, run: &Run) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM payout_statements WHERE run_id = $1", run.id)
        .execute(&mut *tx)
        .await?;
    write_lines(tx, run).await?;
    write_statements(tx, run).await?;
    sqlx::query!("UPDATE payout_runs SET calculated_at = now() WHERE id = $1", run.id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Each payee's ledger now, less what approved runs stated, per line. Rounded amounts
/// use the largest remainder: every line is rounded down to the minor unit, and the
/// units still missing from the rounded total go to the lines that lost most.
async fn write_lines(tx: &mut PgConnection, run: &Run) -> Result<(), AppError> {
    sqlx::query!(
        r#"
        INSERT INTO statement_lines
            (run_id, payee_id, track_id, platform, territory, accounting_month, units,
             earnings, held, earnings_rounded)
        WITH now_owed AS (
            SELECT a.payee_id, a.track_id, a.platform, a.territory, a.accounting_month,
                   sum(a.units) AS units, sum(a.amount) AS earnings,
                   coalesce(sum(a.amount) FILTER (WHERE a.state = 'held'), 0) AS held
            FROM allocations a
            JOIN payees p ON p.id = a.payee_id
            -- A contract splits only to its label's payees (contract_splits_label): the
            -- ledger's label says the same as the payee's, and lets the index be used.
            WHERE p.label_id = $2 AND a.label_id = $2 AND a.accounting_month <= $3
              AND a.state IN ('allocated', 'held')
            GROUP BY 1, 2, 3, 4, 5
        ),
        stated AS (
            SELECT l.payee_id, l.track_id, l.platform, l.territory, l.accounting_month,
                   sum(l.units) AS units, sum(l.earnings) AS earnings, sum(l.held) AS held
            FROM statement_lines l
            JOIN payout_runs r ON r.id = l.run_id
            WHERE r.label_id = $2 AND r.status IN ('approved', 'paid')
            GROUP BY 1, 2, 3, 4, 5
        ),
        change AS (
            SELECT payee_id, track_id, platform, territory, accounting_month,
                   coalesce(n.units, 0) - coalesce(s.units, 0) AS units,
                   coalesce(n.earnings, 0) - coalesce(s.earnings, 0) AS earnings,
                   coalesce(n.held, 0) - coalesce(s.held, 0) AS held
            FROM now_owed n
            FULL JOIN stated s USING (payee_id, track_id, platform, territory, accounting_month)
        ),
        floored AS (
            SELECT c.*, floor(c.earnings * 10::numeric ^ $4::int) AS minor,
                   c.earnings * 10::numeric ^ $4::int - floor(c.earnings * 10::numeric ^ $4::int) AS lost,
                   round(sum(c.earnings) OVER (PARTITION BY c.payee_id) * 10::numeric ^ $4::int)
                       AS target
            FROM change c
            WHERE c.units <> 0 OR c.earnings <> 0 OR c.held <> 0
        ),
        ranked AS (
            SELECT f.*, f.target - sum(f.minor) OVER (PARTITION BY f.payee_id) AS missing,
                   row_number() OVER (PARTITION BY f.payee_id
                       ORDER BY f.lost DESC, f.track_id, f.platform, f.territory,
                                f.accounting_month) AS rank
            FROM floored f
        )
        SELECT $1, payee_id, track_id, platform, territory, accounting_month, units, earnings,
               held,
               round((minor + CASE WHEN rank <= missing THEN 1 ELSE 0 END)
                     / 10::numeric ^ $4::int, $4::int)
        FROM ranked
        "#,
        run.id,
        run.label_id,
        run.period_end as _,
        run.digits
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One statement per payee with lines or a balance carried from before.
async fn write_statements(tx: &mut PgConnection, run: &Run) -> Result<(), AppError> {
    sqlx::query!(
        r#"
        INSERT INTO payout_statements
            (run_id, payee_id, opening, earnings, held, recouped, closing, payable, carried,
             advance_balance)
        WITH lines AS (
            SELECT payee_id, sum(earnings) AS earnings, sum(held) AS held
            FROM statement_lines WHERE run_id = $1 GROUP BY payee_id
        ),
        approved AS (
            SELECT s.* FROM payout_statements s JOIN payout_runs r ON r.id = s.run_id
            WHERE r.label_id = $2 AND r.status IN ('approved', 'paid')
        ),
        previous AS (
            SELECT DISTINCT ON (a.payee_id) a.payee_id, a.carried
            FROM approved a JOIN payout_runs r ON r.id = a.run_id
            ORDER BY a.payee_id, r.period_end DESC, r.id DESC
        ),
        recouped AS (
            SELECT payee_id, sum(recouped) AS amount FROM approved GROUP BY payee_id
        ),
        advanced AS (
            SELECT payee_id, sum(amount) AS amount FROM advances
            WHERE paid_on < ($3::date + interval '1 month') GROUP BY payee_id
        ),
        base AS (
            SELECT p.id AS payee_id, p.minimum_payout,
                   coalesce(pr.carried, 0) AS opening,
                   coalesce(l.earnings, 0) AS earnings,
                   coalesce(l.held, 0) AS held,
                   greatest(coalesce(ad.amount, 0) - coalesce(rc.amount, 0), 0) AS outstanding
            FROM payees p
            LEFT JOIN lines l ON l.payee_id = p.id
            LEFT JOIN previous pr ON pr.payee_id = p.id
            LEFT JOIN advanced ad ON ad.payee_id = p.id
            LEFT JOIN recouped rc ON rc.payee_id = p.id
            WHERE p.label_id = $2 AND (l.payee_id IS NOT NULL OR coalesce(pr.carried, 0) <> 0)
        ),
        recouping AS (
            SELECT b.*, least(b.outstanding, greatest(b.opening + b.earnings - b.held, 0))
                       AS recouped
            FROM base b
        ),
        closing AS (
            SELECT r.*, r.opening + r.earnings - r.held - r.recouped AS closing,
                   CASE WHEN r.opening + r.earnings - r.held - r.recouped >= r.minimum_payout
                        THEN trunc(r.opening + r.earnings - r.held - r.recouped, $4)
                        ELSE 0 END AS payable
            FROM recouping r
        )
        SELECT $1, payee_id, opening, earnings, held, recouped, closing,
               greatest(payable, 0), closing - greatest(payable, 0), outstanding - recouped
        FROM closing
        "#,
        run.id,
        run.label_id,
        run.period_end as _,
        run.digits
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Takes `action` on run `run_id` for `user`, or says why not.
pub async fn act(
    pool: &PgPool,
    user: &SessionUser,
    run_id: i64,
    action: Action,
) -> Result<(), AppError> {
    let (from, staff_only) = action.needs();
    if staff_only && user.role != Role::Staff {
        return Err(AppError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    let run = run_for(&mut tx, user.scope(), run_id).await?;
    if run.status != from {
        return Err(AppError::invalid(format!(
            "This run is {}, so it cannot be {}.",
            super::status_label(&run.status).to_lowercase(),
            past_tense(&action)
        )));
    }
    match action {
        Action::Recalculate => calculate(&mut tx, &run).await?,
        Action::Delete => {
            sqlx::query!("DELETE FROM payout_runs WHERE id = $1", run.id).execute(&mut *tx).await?;
        }
        Action::Submit => {
            sqlx::query!(
                "UPDATE payout_runs SET status = 'submitted', submitted_by = $2,
                        submitted_at = now() WHERE id = $1",
                run.id,
                user.id
            )
            .execute(&mut *tx)
            .await?;
        }
        Action::Approve => {
            sqlx::query!(
                "UPDATE payout_runs SET status = 'approved', approved_by = $2, approved_at = now()
                 WHERE id = $1",
                run.id,
                user.id
            )
            .execute(&mut *tx)
            .await?;
        }
        Action::SendBack(note) => {
            sqlx::query!(
                "UPDATE payout_runs SET status = 'draft', returned_note = $2 WHERE id = $1",
                run.id,
                note
            )
            .execute(&mut *tx)
            .await?;
        }
        Action::MarkPaid => {
            sqlx::query!(
                "UPDATE payout_runs SET status = 'paid', paid_by = $2, paid_at = now() WHERE id = $1",
                run.id,
                user.id
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

fn past_tense(action: &Action) -> &'static str {
    match action {
        Action::Recalculate => "recalculated",
        Action::Submit => "submitted",
        Action::Delete => "deleted",
        Action::Approve => "approved",
        Action::SendBack(_) => "sent back",
        Action::MarkPaid => "marked paid",
    }
}

fn amount(shown: String, exact: String) -> Amount {
    Amount { shown, exact }
}

fn month_text(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// Runs visible in `scope` (all of them, or just `run_id`), newest first.
async fn summaries(
    pool: &PgPool,
    scope: Scope,
    run_id: Option<i64>,
) -> Result<Vec<RunSummary>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT r.id, r.label_id, l.name AS label_name,
               r.period_start AS "period_start: NaiveDate", r.period_end AS "period_end: NaiveDate",
               r.currency, r.status, r.created_at AS "created_at: DateTime<Utc>",
               r.approved_at AS "approved_at: DateTime<Utc>",
               (SELECT count(*) FROM payout_statements s WHERE s.run_id = r.id) AS "statements!",
               (SELECT coalesce(sum(payable), 0) FROM payout_statements s WHERE s.run_id = r.id)::text
                   AS "payable!",
               (SELECT round(coalesce(sum(payable), 0), r.minor_digits)
                FROM payout_statements s WHERE s.run_id = r.id)::text AS "payable_shown!"
        FROM payout_runs r
        JOIN labels l ON l.id = r.label_id
        WHERE ($3::bigint IS NULL OR r.id = $3)
          AND ($1 = 'all' OR ($1 = 'label' AND r.label_id = $2))
        ORDER BY r.period_end DESC, r.id DESC
        LIMIT 500
        "#,
        scope.kind(),
        scope.id(),
        run_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RunSummary {
            id: r.id,
            label_id: r.label_id,
            label_name: r.label_name,
            period_start: month_text(r.period_start),
            period_end: month_text(r.period_end),
            currency: r.currency.trim().to_string(),
            status: r.status,
            statements: r.statements,
            payable: amount(r.payable_shown, r.payable),
            created_at: r.created_at,
            approved_at: r.approved_at,
        })
        .collect())
}

pub async fn runs(pool: &PgPool, scope: Scope) -> Result<Runs, AppError> {
    let labels = sqlx::query!(
        r#"
        SELECT l.id, l.name, l.accounting_currency,
               (SELECT max(period_end) FROM payout_runs r
                WHERE r.label_id = l.id AND r.status IN ('approved', 'paid'))
                   AS "last_end: NaiveDate",
               (SELECT id FROM payout_runs r
                WHERE r.label_id = l.id AND r.status IN ('draft', 'submitted')) AS open_run
        FROM labels l
        WHERE $1 = 'all' OR ($1 = 'label' AND l.id = $2)
        ORDER BY l.name
        "#,
        scope.kind(),
        scope.id()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|l| RunLabel {
        id: l.id,
        name: l.name,
        currency: l.accounting_currency.trim().to_string(),
        next_start: l.last_end.map(|d| Month::of_period_end(d).next().to_string()),
        open_run: l.open_run,
    })
    .collect();
    Ok(Runs { runs: summaries(pool, scope, None).await?, labels })
}

pub async fn detail(pool: &PgPool, user: &SessionUser, run_id: i64) -> Result<RunDetail, AppError> {
    let scope = user.scope();
    let run = summaries(pool, scope, Some(run_id)).await?.pop().ok_or(AppError::NotFound)?;
    let returned_note =
        sqlx::query_scalar!("SELECT returned_note FROM payout_runs WHERE id = $1", run_id)
            .fetch_one(pool)
            .await?;
    let statements = statement_summaries(pool, Scope::Everything, run_id, None).await?;
    let staff = user.role == Role::Staff;
    let draft = run.status == "draft";
    let actions = RunActions {
        recalculate: draft,
        submit: draft,
        delete: draft,
        approve: staff && run.status == "submitted",
        send_back: staff && run.status == "submitted",
        mark_paid: staff && run.status == "approved",
    };
    Ok(RunDetail { run, statements, returned_note, actions })
}

/// Statements of run `run_id` (or, with `run_id` 0, of every run) visible in `scope`;
/// an artist's only in approved or paid runs. Just `payee_id`'s when given.
async fn statement_summaries(
    pool: &PgPool,
    scope: Scope,
    run_id: i64,
    payee_id: Option<i64>,
) -> Result<Vec<StatementSummary>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT s.run_id, s.payee_id, p.name, p.kind,
               s.opening::text AS "opening!", round(s.opening, r.minor_digits)::text AS "opening_shown!",
               s.earnings::text AS "earnings!", round(s.earnings, r.minor_digits)::text AS "earnings_shown!",
               s.held::text AS "held!", round(s.held, r.minor_digits)::text AS "held_shown!",
               s.recouped::text AS "recouped!", round(s.recouped, r.minor_digits)::text AS "recouped_shown!",
               s.closing::text AS "closing!", round(s.closing, r.minor_digits)::text AS "closing_shown!",
               s.payable::text AS "payable!", round(s.payable, r.minor_digits)::text AS "payable_shown!",
               s.carried::text AS "carried!", round(s.carried, r.minor_digits)::text AS "carried_shown!",
               s.advance_balance::text AS "advance!",
               round(s.advance_balance, r.minor_digits)::text AS "advance_shown!"
        FROM payout_statements s
        JOIN payout_runs r ON r.id = s.run_id
        JOIN payees p ON p.id = s.payee_id
        WHERE ($3::bigint = 0 OR s.run_id = $3) AND ($4::bigint IS NULL OR s.payee_id = $4)
          AND ($1 = 'all'
            OR ($1 = 'label' AND r.label_id = $2)
            OR ($1 = 'artist' AND p.artist_id = $2 AND r.status IN ('approved', 'paid')))
        ORDER BY r.period_end DESC, s.run_id DESC, p.kind = 'label', p.name
        LIMIT 1000
        "#,
        scope.kind(),
        scope.id(),
        run_id,
        payee_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StatementSummary {
            run_id: r.run_id,
            payee_id: r.payee_id,
            payee_name: r.name,
            payee_kind: r.kind,
            opening: amount(r.opening_shown, r.opening),
            earnings: amount(r.earnings_shown, r.earnings),
            held: amount(r.held_shown, r.held),
            recouped: amount(r.recouped_shown, r.recouped),
            closing: amount(r.closing_shown, r.closing),
            payable: amount(r.payable_shown, r.payable),
            carried: amount(r.carried_shown, r.carried),
            advance_balance: amount(r.advance_shown, r.advance),
        })
        .collect())
}

pub async fn statements(
    pool: &PgPool,
    scope: Scope,
) -> Result<Vec<(RunSummary, StatementSummary)>, AppError> {
    let statements = statement_summaries(pool, scope, 0, None).await?;
    let runs = summaries(pool, Scope::Everything, None).await?;
    Ok(statements
        .into_iter()
        .filter_map(|s| runs.iter().find(|r| r.id == s.run_id).cloned().map(|r| (r, s)))
        .collect())
}

pub async fn statement(
    pool: &PgPool,
    scope: Scope,
    run_id: i64,
    payee_id: i64,
    page: Option<i64>,
) -> Result<Statement, AppError> {
    let summary = statement_summaries(pool, scope, run_id, Some(payee_id))
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    let run =
        summaries(pool, Scope::Everything, Some(run_id)).await?.pop().ok_or(AppError::NotFound)?;
    // Earnings per platform, and from their lines' counts the statement's.
    let platforms = sqlx::query!(
        r#"
        SELECT pl.name AS "platform!", sum(l.earnings_rounded)::text AS "shown!",
               sum(l.earnings)::text AS "exact!", count(*) AS "lines!"
        FROM statement_lines l JOIN platforms pl ON pl.code = l.platform
        WHERE l.run_id = $1 AND l.payee_id = $2
        GROUP BY pl.name ORDER BY sum(l.earnings) DESC
        "#,
        run_id,
        payee_id
    )
    .fetch_all(pool)
    .await?;
    let line_count = platforms.iter().map(|p| p.lines).sum();
    // A page of lines for the statement's page (past the last, the last); all of them
    // (None) for its CSV.
    let (limit, offset, page) = match page {
        Some(page) => {
            let page = page.clamp(1, pages_of(line_count));
            (Some(LINES_PER_PAGE), (page - 1) * LINES_PER_PAGE, page)
        }
        None => (None, 0, 1),
    };
    let lines = sqlx::query!(
        r#"
        SELECT l.track_id, t.isrc, t.title, pl.name AS platform, l.platform AS platform_code,
               l.territory,
               l.accounting_month AS "month: NaiveDate", l.units,
               l.earnings_rounded::text AS "earnings!", l.earnings::text AS "exact!",
               l.held::text AS "held!", round(l.held, r.minor_digits)::text AS "held_shown!"
        FROM statement_lines l
        JOIN payout_runs r ON r.id = l.run_id
        JOIN tracks t ON t.id = l.track_id
        JOIN platforms pl ON pl.code = l.platform
        WHERE l.run_id = $1 AND l.payee_id = $2
        ORDER BY l.accounting_month, t.title, pl.name, l.territory, l.track_id
        LIMIT $3 OFFSET $4
        "#,
        run_id,
        payee_id,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let lines = lines
        .into_iter()
        .map(|l| StatementLine {
            track_id: l.track_id,
            isrc: l.isrc,
            title: l.title,
            platform: l.platform,
            platform_code: l.platform_code,
            territory: l.territory,
            month: month_text(l.month),
            units: l.units,
            earnings: l.earnings,
            earnings_exact: l.exact,
            held: amount(l.held_shown, l.held),
        })
        .collect();
    let by_platform =
        platforms.into_iter().map(|p| (p.platform, amount(p.shown, p.exact))).collect();
    Ok(Statement { run, summary, by_platform, lines, line_count, page })
}
