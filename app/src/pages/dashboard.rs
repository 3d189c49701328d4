//! Dashboards as pages: so far the artist's and the label's overviews on their home
//! pages. Charts come
//! as SVG from the server; each has a table of the same numbers beside it.

use super::components::{Stat, cents, loaded, thousands};
use crate::dashboards::{
    ArtistDashboard, Freshness, LabelDashboard, LabelTotal, Line, StaffDashboard,
    get_artist_dashboard, get_label_dashboard, get_staff_dashboard,
};
use leptos::prelude::*;

#[component]
pub fn ArtistOverview() -> impl IntoView {
    let dashboard = Resource::new(|| (), |_| get_artist_dashboard());
    view! { {loaded(dashboard, |d: ArtistDashboard| view! { <Overview d /> })} }
}

#[component]
fn Overview(d: ArtistDashboard) -> impl IntoView {
    if d.all_time.units == 0 && d.all_time.amount.parse::<f64>().unwrap_or(0.0) == 0.0 {
        return view! {
            <FreshnessLine freshness=d.freshness.clone() />
            <p class="notice">"No earnings yet: they appear here as the platforms' reports for your tracks are loaded."</p>
        }
        .into_any();
    }
    let currency = d.currency.clone();
    view! {
        <FreshnessLine freshness=d.freshness.clone() />
        <div class="stats">
            <Stat label="earned, all time" value=format!("{} {currency}", cents(&d.all_time.amount)) />
            <Stat label="streams, all time" value=thousands(d.all_time.units) />
            <Stat label="held back" value=format!("{} {currency}", cents(&d.held)) />
        </div>
        <section class="card chart-card">
            <figure class="chart" inner_html=d.months_chart.clone()></figure>
            <Table caption="Earnings by month" first="Month" lines=d.months.clone() currency=currency.clone() />
        </section>
        <section class="card chart-card">
            <figure class="chart" inner_html=d.platforms_chart.clone()></figure>
            <Table caption="By platform, all time" first="Platform" lines=d.by_platform.clone() currency=currency.clone() />
        </section>
        <div class="columns-even">
            <section class="card">
                <Table caption="Top territories" first="Territory" lines=d.by_territory.clone() currency=currency.clone() />
            </section>
            <section class="card">
                <Table caption="Top tracks" first="Track" lines=d.top_tracks.clone() currency=currency.clone() />
            </section>
        </div>
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

#[component]
fn Table(
    caption: &'static str,
    first: &'static str,
    lines: Vec<Line>,
    currency: String,
    /// What the money column is: "Earnings" (an artist's share) or "Revenue".
    #[prop(default = "Earnings")]
    money: &'static str,
) -> impl IntoView {
    view! {
        <table class="table">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th>{first}</th>
                    <th class="num">"Streams"</th>
                    <th class="num">{format!("{money} ({currency})")}</th>
                    <th class="num">"Per stream"</th>
                </tr>
            </thead>
            <tbody>
                {lines.into_iter().map(|l| view! {
                    <tr>
                        <td>{l.label}</td>
                        <td class="num">{thousands(l.units)}</td>
                        <td class="num" title=format!("exactly {}", l.amount)>{cents(&l.amount)}</td>
                        <td class="num">{l.per_stream.unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A label manager's overview of their label (staff would pass the label).
#[component]
pub fn LabelOverview() -> impl IntoView {
    let dashboard = Resource::new(|| (), |_| get_label_dashboard(None));
    view! { {loaded(dashboard, |d: LabelDashboard| view! { <LabelView d /> })} }
}

#[component]
fn LabelView(d: LabelDashboard) -> impl IntoView {
    let currency = d.currency.clone();
    if d.all_time.units == 0 {
        return view! {
            <FreshnessLine freshness=d.freshness.clone() />
            <p class="notice">"No revenue yet: it appears here as the platforms' reports for your catalog are loaded."</p>
        }
        .into_any();
    }
    let waiting = (d.awaiting_rate > 0).then(|| view! {
        <p class="notice notice-warning">
            {format!("{} lines wait for an exchange rate into {currency} and are not in these sums yet.", thousands(d.awaiting_rate))}
        </p>
    });
    view! {
        <FreshnessLine freshness=d.freshness.clone() />
        {waiting}
        <div class="stats">
            <Stat label="revenue, all time" value=format!("{} {currency}", cents(&d.all_time.amount)) />
            <Stat label="to payees" value=format!("{} {currency}", cents(&d.net)) />
            <Stat label="held back" value=format!("{} {currency}", cents(&d.held)) />
            <Stat label="streams" value=thousands(d.all_time.units) />
        </div>
        <section class="card chart-card">
            <figure class="chart" inner_html=d.months_chart.clone()></figure>
            <Table caption="Revenue by month" first="Month" lines=d.months.clone() currency=currency.clone() money="Revenue" />
        </section>
        <section class="card chart-card">
            <figure class="chart" inner_html=d.platforms_chart.clone()></figure>
            <Table caption="By platform, all time" first="Platform" lines=d.by_platform.clone() currency=currency.clone() money="Revenue" />
        </section>
        <div class="columns-even">
            <section class="card">
                <Table caption="By artist" first="Artist" lines=d.by_artist.clone() currency=currency.clone() money="Revenue" />
            </section>
            <section class="card">
                <Table caption="Top releases" first="Release" lines=d.by_release.clone() currency=currency.clone() money="Revenue" />
            </section>
        </div>
        <section class="card">
            <Table caption="Top territories" first="Territory" lines=d.by_territory.clone() currency=currency.clone() money="Revenue" />
        </section>
    }
    .into_any()
}

/// Staff's overview: revenue per label in the reporting currency, suspense, open
/// conflicts and their money, the latest report files, and each platform's freshness.
#[component]
pub fn StaffOverview() -> impl IntoView {
    let dashboard = Resource::new(|| (), |_| get_staff_dashboard());
    view! { {loaded(dashboard, |d: StaffDashboard| view! { <StaffView d /> })} }
}

#[component]
fn StaffView(d: StaffDashboard) -> impl IntoView {
    let currency = d.currency.clone();
    let total = |t: &LabelTotal| t.gross.parse::<rust_decimal::Decimal>().unwrap_or_default();
    let all: rust_decimal::Decimal =
        d.labels.iter().map(total).sum::<rust_decimal::Decimal>() + total(&d.suspense);
    let rows: Vec<LabelTotal> = d.labels.iter().cloned().chain([d.suspense.clone()]).collect();
    view! {
        <FreshnessLine freshness=d.freshness.clone() />
        <div class="stats">
            <Stat label="reported revenue, all time" value=format!("{} {currency}", cents(&all.to_string())) />
            <Stat label="in suspense" value=format!("{} {currency}", cents(&d.suspense.gross)) />
            <Stat label="open conflicts" value=thousands(d.open_conflicts) />
            <Stat label="held by conflicts" value=format!("{} {currency}", cents(&d.held)) />
        </div>
        <div class="columns-even">
            <section class="card">
                <table class="table">
                    <caption>{format!("Revenue by label ({currency}, as reported)")}</caption>
                    <thead>
                        <tr><th>"Label"</th><th class="num">"Streams"</th><th class="num">"Revenue"</th><th class="num" title="Lines whose amount waits for an exchange rate">"No rate yet"</th></tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|t| view! {
                            <tr>
                                <td>{t.label}</td>
                                <td class="num">{thousands(t.units)}</td>
                                <td class="num" title=format!("exactly {}", t.gross)>{cents(&t.gross)}</td>
                                <td class="num">{if t.awaiting_rate > 0 { thousands(t.awaiting_rate) } else { "—".into() }}</td>
                            </tr>
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
