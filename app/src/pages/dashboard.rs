//! The dashboards as pages. One [`Analysis`] serves every role's home and the per-song
//! page: its filters live in the URL (a filter form that navigates without reloading),
//! its charts come as SVG from the server, and each table sorts, pages and exports to
//! CSV on the server with the same filters.

use super::components::{Stat, cents, loaded, reloading, thousands};
use crate::dashboards::{
    Comparison, Dimension, Filters, Freshness, Overview, SortKey, StaffDashboard, TablePage,
    TableState, Totals, View, dashboard, dashboard_table, filters::FILTER_KEYS,
    get_staff_dashboard,
};
use crate::domain::Role;
use crate::error::AppError;
use crate::ingestion::Freshness as SourceState;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

type ParsedFilters = Memo<Result<Filters, crate::domain::ParseError>>;

/// An analysis's data: the overview and a page of each table, as resources made once,
/// up front, in a fixed order. (Made inside a loading view instead, they would not
/// find their server-rendered values when the page hydrates, and load again.)
#[derive(Clone, Copy)]
pub struct Analysis {
    filters: ParsedFilters,
    overview: Resource<Result<Overview, AppError>>,
    month: Table,
    platform: Table,
    others: [Option<Table>; 6],
    track: Option<i64>,
}

impl Analysis {
    /// For a reader of `role`; `track` fixes the slice to one track (the per-song
    /// page). Everything else comes from the URL.
    pub fn new(role: Role, track: Option<i64>) -> Analysis {
        let query = use_query_map();
        let filters = Memo::new(move |_| {
            query.with(|q| Filters::parse(|k| q.get(k))).map(|mut f| {
                f.track = track.or(f.track);
                f
            })
        });
        let overview = Resource::new(
            move || filters.get(),
            |filters| async move {
                match filters {
                    Ok(filters) => dashboard(filters).await,
                    Err(e) => {
                        Err(AppError::Invalid(format!("This page's address has a bad filter: {e}")))
                    }
                }
            },
        );
        let tables = tables(role, track.is_some());
        let mut others = [None; 6];
        for (slot, by) in others.iter_mut().zip(tables) {
            *slot = Some(Table::new(*by, filters));
        }
        Analysis {
            filters,
            overview,
            month: Table::new(Dimension::Month, filters),
            platform: Table::new(Dimension::Platform, filters),
            others,
            track,
        }
    }
}

/// The tables under the charts, for whose numbers and which page.
fn tables(role: Role, one_track: bool) -> &'static [Dimension] {
    use Dimension::*;
    match (role, one_track) {
        (_, true) => &[Territory, Usage],
        (Role::Artist, false) => &[Track, Territory, Release, Usage],
        (Role::LabelManager, false) => &[Artist, Release, Track, Territory, Usage],
        (Role::Staff, false) => &[Label, Artist, Release, Track, Territory, Usage],
    }
}

/// Whether `pending` says the numbers are reloading. Never on the server: a page drawn
/// there reloads nothing, and its `Transition` sets `pending` from another task while
/// the page is written. A read that meets that write finds the signal's lock taken,
/// which reactive_graph reports as "already disposed" and panics on, even through
/// `try_get` (1 page in 2,400 under load answered 500; reproduced and traced to here).
fn busy(pending: RwSignal<bool>) -> bool {
    if cfg!(feature = "ssr") {
        return false;
    }
    pending.try_get().unwrap_or(false)
}

/// Filters, charts and tables of an [`Analysis`].
#[component]
pub fn AnalysisView(data: Analysis) -> impl IntoView {
    let Analysis { filters, overview, month, platform, others, track } = data;
    let pending = RwSignal::new(false);
    view! {
        <div class="analysis" class:reloading=move || busy(pending) aria-busy=move || busy(pending).to_string()>
        <p class="reloading-note" role="status">{move || busy(pending).then_some("Updating…")}</p>
        {reloading(overview, pending, move |o: Overview| {
            let empty = o.totals.units == 0 && dec(&o.totals.amount).is_zero();
            let whole = filters.get_untracked().map(|f| f.is_whole_catalog() && f.from.is_none() && f.to.is_none()).unwrap_or(true);
            view! {
                <FreshnessLine freshness=o.freshness.clone() />
                <FilterBar o=o.clone() track />
                {if empty {
                    let text = if whole {
                        "No reports yet: numbers appear here as the platforms' reports are loaded."
                    } else {
                        "Nothing here for these filters: no reports match this period and selection. Widen the period or clear the filters."
                    };
                    view! { <p class="notice" data-testid="empty">{text}</p> }.into_any()
                } else {
                    view! {
                        <Headline o=o.clone() />
                        {o.comparison.clone().map(|c| view! { <CompareCard c currency=o.currency.clone() money=o.money.clone() one_track=track.is_some() /> })}
                        <section class="card chart-card">
                            <div>
                                <figure class="chart" inner_html=o.months_chart.clone()></figure>
                                <figure class="chart" inner_html=o.streams_chart.clone()></figure>
                            </div>
                            <Breakdown table=month />
                        </section>
                        <section class="card chart-card">
                            <figure class="chart" inner_html=o.platforms_chart.clone()></figure>
                            <Breakdown table=platform />
                        </section>
                        <div class="columns-even">
                            {others.iter().flatten().map(|table| view! { <section class="card"><Breakdown table=*table /></section> }).collect_view()}
                        </div>
                    }
                    .into_any()
                }}
            }
        })}
        </div>
    }
}

/// The headline numbers of the slice.
#[component]
fn Headline(o: Overview) -> impl IntoView {
    let currency = o.currency.clone();
    let money = |amount: &str| format!("{} {currency}", cents(amount));
    let t = &o.totals;
    let amount_label = if o.view == View::Artist { "earned" } else { "revenue" };
    let span = o.span.clone();
    let waiting = (t.awaiting > 0).then(|| {
        view! {
            <p class="notice notice-warning">
                {format!(
                    "{} summary lines wait for an exchange rate into {} and are not in these sums yet.",
                    thousands(t.awaiting),
                    o.currency,
                )}
            </p>
        }
    });
    let period = span.map(|(lo, hi)| if lo == hi { lo } else { format!("{lo} – {hi}") });
    view! {
        {waiting}
        <div class="stats" data-testid="headline">
            <Stat label=amount_label value=money(&t.amount) />
            <Stat label="streams" value=thousands(t.units) />
            <Stat label="per stream" value=t.per_stream.clone().map(|p| format!("{p} {}", o.currency)).unwrap_or_else(|| "—".into()) />
            {t.net.clone().filter(|_| o.view == View::Label).map(|net| view! { <Stat label="to payees" value=money(&net) /> })}
            {t.held.clone().map(|held| view! { <Stat label="held back" value=money(&held) /> })}
            {o.next_statement.clone().map(|next| view! { <Stat label="next statement, estimated" value=money(&next) /> })}
        </div>
        <p class="muted small">
            {period.map(|p| format!("Accounting months {p}. "))}
            {match o.view {
                View::Artist => "Your share after the distributor's fee and splits; held back is revenue waiting on an ownership decision or a contract. The estimate is before any advance is recouped.",
                View::Label => "Revenue is before the distributor's fee; to payees is what contracts give your payees.",
                View::Everything => "Revenue as reported, in the reporting currency; held amounts are per label, on the conflicts page.",
            }}
        </p>
    }
    .into_any()
}

/// This period against the one before it, and the tracks that moved most.
#[component]
fn CompareCard(c: Comparison, currency: String, money: String, one_track: bool) -> impl IntoView {
    let change = |now: &str, before: &str| {
        let (n, b) = (dec(now), dec(before));
        if b.is_zero() {
            "—".to_string()
        } else {
            // Against the earlier period's size, so a loss turning into a gain reads as a rise.
            let pct = ((n - b) / b.abs() * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1);
            format!("{}{pct}%", if pct.is_sign_positive() && !pct.is_zero() { "+" } else { "" })
        }
    };
    let row = |what: &'static str, now: String, before: String, delta: String| {
        view! { <tr><th scope="row">{what}</th><td class="num">{now}</td><td class="num">{before}</td><td class="num">{delta}</td></tr> }
    };
    let (now, before) = (&c.now, &c.before);
    let units_change = change(&now.units.to_string(), &before.units.to_string());
    view! {
        <section class="card" data-testid="comparison">
            <h2>{format!("{} against {}", c.now_label, c.before_label)}</h2>
            <div class="columns-even">
                <table class="table">
                    <caption class="visually-hidden">"Two periods compared"</caption>
                    <thead><tr><th></th><th class="num">{c.now_label.clone()}</th><th class="num">{c.before_label.clone()}</th><th class="num">"Change"</th></tr></thead>
                    <tbody>
                        {row("Streams", thousands(now.units), thousands(before.units), units_change)}
                        {row(
                            if money == "Earnings" { "Earnings" } else { "Revenue" },
                            format!("{} {currency}", cents(&now.amount)),
                            format!("{} {currency}", cents(&before.amount)),
                            change(&now.amount, &before.amount),
                        )}
                        {row("Per stream", per(now), per(before), String::new())}
                    </tbody>
                </table>
{(!one_track).then(|| view! {
                <table class="table" data-testid="movers">
                    <caption>"Top movers"</caption>
                    <thead><tr><th>"Track"</th><th class="num">{c.now_label.clone()}</th><th class="num">"Change"</th></tr></thead>
                    <tbody>
                        {c.movers.is_empty().then(|| view! { <tr><td colspan="3" class="muted">"No track changed between the two periods."</td></tr> })}
                        {c.movers.iter().map(|m| {
                            let delta = dec(&m.now) - dec(&m.before);
                            let class = if delta.is_sign_negative() { "num down" } else { "num up" };
                            view! {
                                <tr>
                                    <td><a href=format!("/tracks/{}", m.track_id)>{m.title.clone()}</a></td>
                                    <td class="num">{cents(&m.now)}</td>
                                    <td class=class>{format!("{}{}", if delta.is_sign_negative() { "" } else { "+" }, cents(&delta.to_string()))}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                })}
            </div>
        </section>
    }
    .into_any()
}

fn per(t: &Totals) -> String {
    t.per_stream.clone().unwrap_or_else(|| "—".into())
}

fn dec(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap_or_default()
}

/// The filter form: a plain GET form (it works before the page hydrates), which once
/// hydrated navigates in place and leaves out the filters set to "all".
#[component]
fn FilterBar(o: Overview, track: Option<i64>) -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    let form = NodeRef::<leptos::html::Form>::new();
    let current = move |key: &str| query.with_untracked(|q| q.get(key)).unwrap_or_default();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(form) = form.get() else { return };
        let Ok(data) = leptos::web_sys::FormData::new_with_form(&form) else { return };
        let pairs: Vec<(&str, String)> = FILTER_KEYS
            .iter()
            .filter_map(|key| {
                data.get(key).as_string().filter(|v| !v.is_empty()).map(|v| (*key, v))
            })
            .collect();
        let query = crate::dashboards::filters::encode(&pairs);
        let path = location.pathname.get_untracked();
        navigate(
            &if query.is_empty() { path } else { format!("{path}?{query}") },
            Default::default(),
        );
    };
    let changed = move |_| {
        if let Some(form) = form.get() {
            let _ = form.request_submit();
        }
    };
    let options = o.options.clone();
    let month_choice = |name: &'static str, label: &'static str, months: Vec<String>| {
        let chosen = current(name);
        view! {
            <label>{label}
                <select name=name>
                    <option value="">{if name == "from" { "first month" } else { "latest month" }}</option>
                    {months.into_iter().map(|m| view! { <option value=m.clone() selected=chosen == m>{m.clone()}</option> }).collect_view()}
                </select>
            </label>
        }
    };
    let pick = move |name: &'static str,
                     label: &'static str,
                     all: &'static str,
                     choices: Vec<(String, String)>| {
        (!choices.is_empty()).then(|| {
            let chosen = current(name);
            view! {
                <label>{label}
                    <select name=name>
                        <option value="">{all}</option>
                        {choices.into_iter().map(|(shown, value)| {
                            let selected = chosen == value;
                            view! { <option value=value selected=selected>{shown}</option> }
                        }).collect_view()}
                    </select>
                </label>
            }
        })
    };
    let territories: Vec<(String, String)> =
        options.territories.iter().map(|t| (t.clone(), t.clone())).collect();
    let currencies: Vec<(String, String)> =
        options.currencies.iter().map(|c| (c.clone(), c.clone())).collect();
    let path = location.pathname.get_untracked();
    let clear = path.clone();
    view! {
        <form
            method="get"
            action=path
            class="filter-bar"
            aria-label="Filters"
            node_ref=form
            on:submit=submit
            on:change=changed
            data-testid="filters"
        >
            {month_choice("from", "From", options.months.clone())}
            {month_choice("to", "To", options.months.clone())}
            {pick("platform", "Platform", "all platforms", options.platforms.clone())}
            {pick("territory", "Territory", "all territories", territories)}
            {pick("usage", "Usage", "all usage types", options.usages.clone())}
            {pick("label", "Label", "all labels", options.labels.clone())}
            {(track.is_none() && o.view != View::Artist).then(|| pick("artist", "Artist", "all artists", options.artists.clone()))}
            {track.is_none().then(|| pick("release", "Release", "all releases", options.releases.clone()))}
            {(currencies.len() > 1).then(|| pick("currency", "Currency", "main currency", currencies.clone()))}
            {options.shortened.then(|| view! {
                <p class="muted filter-note" data-testid="menus-shortened">
                    "Too many artists or releases to list: pick one from the tables below."
                </p>
            })}
            <button type="submit" class="button">"Apply"</button>
            <a href=clear class="button-quiet">"Clear filters"</a>
        </form>
    }
    .into_any()
}

/// One table's page, loaded again when the filters or its own sort and page change.
#[derive(Clone, Copy)]
struct Table {
    by: Dimension,
    filters: ParsedFilters,
    state: Memo<Result<TableState, crate::domain::ParseError>>,
    page: Resource<Result<TablePage, AppError>>,
    /// Whether the page is reloading (read through [`busy`]).
    pending: RwSignal<bool>,
}

impl Table {
    fn new(by: Dimension, filters: ParsedFilters) -> Table {
        let query = use_query_map();
        let state = Memo::new(move |_| query.with(|q| TableState::parse(by, |k| q.get(k))));
        let page = Resource::new(
            move || (filters.get(), state.get()),
            |(filters, state)| async move {
                match (filters, state) {
                    (Ok(filters), Ok(state)) => dashboard_table(filters, state).await,
                    (Err(e), _) | (_, Err(e)) => {
                        Err(AppError::Invalid(format!("This page's address has a bad value: {e}")))
                    }
                }
            },
        );
        Table { by, filters, state, page, pending: RwSignal::new(false) }
    }

    /// The CSV of every row, with the same filters and order.
    fn export(self) -> String {
        let filters = self.filters.get_untracked().unwrap_or_default();
        let sort = self.state.get_untracked().map(|s| s.sort).unwrap_or(self.by.default_sort());
        let mut pairs = filters.pairs();
        pairs.push(("sort", sort.code()));
        format!("/exports/{}.csv?{}", self.by.code(), crate::dashboards::filters::encode(&pairs))
    }
}

/// `?key=value&...` of the router's query map, encoded as every other link of the
/// dashboards is (the router's own encoding differs between server and browser).
fn query_string(q: &ParamsMap) -> String {
    let pairs: Vec<(&str, String)> =
        q.latest_values().map(|(k, v)| (k.as_ref(), v.to_string())).collect();
    let query = crate::dashboards::filters::encode(&pairs);
    if query.is_empty() { query } else { format!("?{query}") }
}

/// One table: a page of rows sorted on the server, with links that sort, page, drill
/// down (a row becomes a filter) and download it all as CSV.
#[component]
fn Breakdown(table: Table) -> impl IntoView {
    let pending = table.pending;
    view! {
        <div
            class="breakdown"
            class:reloading=move || busy(pending)
            aria-busy=move || busy(pending).to_string()
            data-testid=format!("table-{}", table.by.code())
        >
            {reloading(table.page, pending, move |p: TablePage| view! { <PageOfRows p export=table.export() /> })}
        </div>
    }
    .into_any()
}

#[component]
fn PageOfRows(p: TablePage, export: String) -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let by = p.state.by;
    // A link to this page with `changes` made to the query (None removes a key).
    let link = move |changes: Vec<(String, Option<String>)>| {
        let mut q: ParamsMap = query.get_untracked();
        for (key, value) in changes {
            q.remove(&key);
            if let Some(value) = value {
                q.insert(key, value);
            }
        }
        format!("{}{}", location.pathname.get_untracked(), query_string(&q))
    };
    let sort_link = move |key: SortKey| {
        link(vec![(by.sort_key(), Some(p.state.sort.toggled(key).code())), (by.page_key(), None)])
    };
    let heading = move |key: SortKey, text: String, numeric: bool| {
        let sort = p.state.sort;
        let aria = if sort.key == key {
            if sort.descending { "descending" } else { "ascending" }
        } else {
            "none"
        };
        let arrow =
            if sort.key == key { if sort.descending { " ▼" } else { " ▲" } } else { "" };
        view! {
            <th class=if numeric { "num" } else { "" } aria-sort=aria scope="col">
                <a href=sort_link(key)>{text}{arrow}</a>
            </th>
        }
    };
    // Following a row narrows the whole page to it; tracks open their own page.
    let drill = move |key: &str| -> Option<String> {
        if key.is_empty() {
            return None;
        }
        let pages: Vec<(String, Option<String>)> =
            Dimension::ALL.iter().map(|d| (d.page_key(), None)).collect();
        Some(match by {
            Dimension::Track => format!("/tracks/{key}{}", {
                let mut q = query.get_untracked();
                for d in Dimension::ALL {
                    q.remove(&d.page_key());
                    q.remove(&d.sort_key());
                }
                query_string(&q)
            }),
            Dimension::Month => link(
                [pages, vec![("from".into(), Some(key.into())), ("to".into(), Some(key.into()))]]
                    .concat(),
            ),
            other => link(
                [
                    pages,
                    vec![(
                        other.filter_key().unwrap_or_default().to_string(),
                        Some(key.to_string()),
                    )],
                ]
                .concat(),
            ),
        })
    };
    let first = (i64::from(p.state.page) - 1) * i64::from(p.per_page);
    let last = first + p.rows.len() as i64;
    let pages = (p.total_rows + i64::from(p.per_page) - 1) / i64::from(p.per_page).max(1);
    // Past the last page (an old link, a hand-edited URL): offer the last one.
    let past_end = p.rows.is_empty() && i64::from(p.state.page) > pages;
    let page_link =
        move |page: u32| link(vec![(by.page_key(), (page > 1).then(|| page.to_string()))]);
    let caption = format!("{} by {}", p.money, by.heading().to_lowercase());
    view! {
        <table class="table">
            <caption>
                {caption}
                <a class="export" href=export rel="external" download="">"CSV"</a>
            </caption>
            <thead>
                <tr>
                    {heading(SortKey::Name, by.heading().to_string(), false)}
                    {heading(SortKey::Streams, "Streams".into(), true)}
                    {heading(SortKey::Amount, format!("{} ({})", p.money, p.currency), true)}
                    {heading(SortKey::PerStream, "Per stream".into(), true)}
                </tr>
            </thead>
            <tbody>
                {p.rows.is_empty().then(|| view! { <tr><td colspan="4" class="muted">"No rows on this page."</td></tr> })}
                {p.rows.iter().map(|r| {
                    let waiting = (r.awaiting > 0).then(|| view! { <span class="muted small" title="Lines whose amount waits for an exchange rate">{format!(" +{} no rate", r.awaiting)}</span> });
                    view! {
                        <tr>
                            <td>{match drill(&r.key) {
                                Some(href) => view! { <a href=href>{r.label.clone()}</a> }.into_any(),
                                None => view! { <span>{r.label.clone()}</span> }.into_any(),
                            }}</td>
                            <td class="num">{thousands(r.units)}</td>
                            <td class="num" title=format!("exactly {}", r.amount)>{cents(&r.amount)}{waiting}</td>
                            <td class="num">{r.per_stream.clone().unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {(pages > 1 || past_end).then(|| view! {
            <nav class="pager" aria-label=format!("Pages of {}", by.heading().to_lowercase())>
                {if past_end {
                    view! { <span class="muted">{format!("Past the last page: {} rows in all", thousands(p.total_rows))}</span> }.into_any()
                } else {
                    view! { <span class="muted">{format!("{}–{} of {}", first + 1, last, thousands(p.total_rows))}</span> }.into_any()
                }}
                {past_end.then(|| view! { <a href=page_link(pages.max(1) as u32)>"Last page"</a> })}
                {(p.state.page > 1 && !past_end).then(|| view! { <a href=page_link(p.state.page - 1) rel="prev">"← Previous"</a> })}
                {(i64::from(p.state.page) < pages).then(|| view! { <a href=page_link(p.state.page + 1) rel="next">"Next →"</a> })}
            </nav>
        })}
    }
    .into_any()
}

#[component]
fn FreshnessLine(freshness: Vec<Freshness>) -> impl IntoView {
    let text = if freshness.is_empty() {
        "No reports loaded yet.".to_string()
    } else {
        let each: Vec<String> =
            freshness.iter().map(|f| format!("{}: through {}", f.platform, f.through)).collect();
        format!("Data {}.", each.join("; "))
    };
    view! { <p class="muted freshness" data-testid="freshness">{text}</p> }
}

/// What staff watch beside the numbers: each source's reports against their due
/// dates, open conflicts and what they hold, and the latest report files.
#[component]
pub fn StaffWatch() -> impl IntoView {
    let watch = Resource::new(|| (), |_| get_staff_dashboard());
    view! { {loaded(watch, |d: StaffDashboard| view! { <StaffWatchView d /> })} }
}

#[component]
fn StaffWatchView(d: StaffDashboard) -> impl IntoView {
    let currency = d.currency.clone();
    view! {
        <div class="stats">
            <Stat label="open conflicts" value=thousands(d.open_conflicts) />
            <Stat label="at stake in them" value=format!("{} {currency}", cents(&d.at_stake)) />
            <Stat label="held by them" value=format!("{} {currency}", cents(&d.held)) />
        </div>
        <div class="columns-even">
            <section class="card">
                <table class="table" data-testid="sources">
                    <caption>"Reports per source"</caption>
                    <thead><tr><th>"Source"</th><th>"Latest month"</th><th>"State"</th></tr></thead>
                    <tbody>
                        {d.sources.into_iter().map(|s| {
                            let (latest, state, class) = match &s.freshness {
                                SourceState::OnTime { latest } => (latest.map(|m| m.to_string()), "on time".to_string(), "badge badge-ok"),
                                SourceState::Overdue { missing, due, latest } => (latest.map(|m| m.to_string()), format!("{missing} overdue since {due}"), "badge badge-warn"),
                                SourceState::NotTracked => (None, "not tracked".to_string(), "badge"),
                            };
                            view! {
                                <tr>
                                    <td>{s.job}<span class="muted small">{format!(" · {}", s.platform)}</span></td>
                                    <td class="nowrap">{latest.unwrap_or_else(|| "—".into())}</td>
                                    <td><span class=class>{state}</span></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <section class="card">
                <table class="table">
                    <caption>"Latest report files"</caption>
                    <thead><tr><th>"File"</th><th>"Platform"</th><th>"Month"</th><th>"Status"</th></tr></thead>
                    <tbody>
                        {d.recent_files.into_iter().map(|f| view! {
                            <tr>
                                <td><a href=format!("/ingestion/files/{}", f.id)>{f.name}</a></td>
                                <td>{f.platform.unwrap_or_else(|| "—".into())}</td>
                                <td class="nowrap">{f.month.unwrap_or_else(|| "—".into())}</td>
                                <td>{f.status}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </div>
    }
}

/// A label's payout runs, newest first, and what its latest run owes each payee.
#[component]
pub fn LabelPayouts() -> impl IntoView {
    use crate::payouts::{RunDetail, Runs, payout_run, payout_runs};
    // One resource for both calls: the second needs the first's answer.
    let payouts = Resource::new(
        || (),
        |_| async move {
            let runs = payout_runs().await?;
            let latest = match runs.runs.first() {
                Some(run) => Some(payout_run(run.id).await?),
                None => None,
            };
            Ok::<(Runs, Option<RunDetail>), AppError>((runs, latest))
        },
    );
    view! {
        <h2 class="section">"Payouts"</h2>
        {loaded(payouts, |(runs, latest): (Runs, Option<RunDetail>)| match latest {
            None => view! {
                <p class="notice">"No payout runs yet: create one on the " <a href="/payouts">"Payouts"</a> " page when a period's reports are in."</p>
            }
            .into_any(),
            Some(latest) => view! { <PayoutTables runs latest /> }.into_any(),
        })}
    }
}

#[component]
fn PayoutTables(runs: crate::payouts::Runs, latest: crate::payouts::RunDetail) -> impl IntoView {
    use crate::payouts::status_label;
    let run = latest.run.clone();
    view! {
        <div class="columns-even" data-testid="payouts">
            <section class="card">
                <table class="table">
                    <caption>"Payout runs"</caption>
                    <thead><tr><th>"Period"</th><th>"Status"</th><th class="num">"Statements"</th><th class="num">"Payable"</th></tr></thead>
                    <tbody>
                        {runs.runs.into_iter().take(6).map(|r| view! {
                            <tr>
                                <td class="nowrap"><a href=format!("/payouts/{}", r.id)>{format!("{} – {}", r.period_start, r.period_end)}</a></td>
                                <td>{status_label(&r.status)}</td>
                                <td class="num">{r.statements}</td>
                                <td class="num" title=format!("exactly {}", r.payable.exact)>{format!("{} {}", r.payable.shown, r.currency)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <p class="small"><a href="/payouts">"All payout runs"</a></p>
            </section>
            <section class="card">
                <table class="table">
                    <caption>{format!("Per payee, latest run (up to {}, {})", run.period_end, status_label(&run.status).to_lowercase())}</caption>
                    <thead><tr><th>"Payee"</th><th class="num">"Payable"</th><th class="num">"Carried forward"</th></tr></thead>
                    <tbody>
                        {latest.statements.into_iter().map(|s| view! {
                            <tr>
                                <td><a href=format!("/statements/{}/{}", s.run_id, s.payee_id)>{s.payee_name}</a></td>
                                <td class="num" title=format!("exactly {}", s.payable.exact)>{s.payable.shown}</td>
                                <td class="num" title=format!("exactly {}", s.carried.exact)>{s.carried.shown}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <p class="muted small">{format!("In {}. Carried forward is what this run does not pay (under the payee's minimum, or fractions of a cent): it opens their next statement.", run.currency)}</p>
            </section>
        </div>
    }
    .into_any()
}
