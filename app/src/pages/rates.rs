//! Staff: monthly exchange rates, the ones revenue will need, and a CSV import.

use super::components::{ImportCard, WithUser, loaded};
use crate::domain::Role;
use crate::revenue::{MissingRate, RateRow, Rates, exchange_rates};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RatesPage() -> impl IntoView {
    view! {
        <Title text="Exchange rates" />
        <WithUser roles=&[Role::Staff] render=|_| view! { <RatesView /> } />
    }
}

#[component]
fn RatesView() -> impl IntoView {
    let rates = Resource::new(|| (), |_| exchange_rates());
    view! {
        <h1>"Exchange rates"</h1>
        <p class="subtitle">
            "One unit of the first currency in the second, per accounting month: revenue is "
            "converted with them into each label's currency. Revenue whose rate is missing is "
            "held until the rate is given, then allocated at once."
        </p>
        <ImportCard
            kind="exchange-rates"
            title="Import rates"
            what="rates"
            columns="month, from_currency, to_currency, rate"
            note="A rate given again replaces the old one."
        />
        {loaded(rates, |rates: Rates| {
            view! {
                {view! { <Missing missing=rates.missing.clone() /> }.into_any()}
                {view! { <RateTable rates=rates.rates.clone() /> }.into_any()}
            }
        })}
    }
}

#[component]
fn Missing(missing: Vec<MissingRate>) -> impl IntoView {
    if missing.is_empty() {
        return view! {
            <p class="notice">"Every rate the loaded reports need is here."</p>
        }
        .into_any();
    }
    view! {
        <section class="card">
            <h2>"Missing rates " <span class="badge badge-error">{missing.len()}</span></h2>
            <p class="muted">
                "Loaded reports hold these currencies in these months; revenue in a label's "
                "currency or in USD waits for them."
            </p>
            <table class="table missing-rates">
                <thead><tr><th>"Month"</th><th>"From"</th><th>"To"</th></tr></thead>
                <tbody>
                    {missing.into_iter().map(|m| view! {
                        <tr><td>{m.month}</td><td>{m.from}</td><td>{m.to}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn RateTable(rates: Vec<RateRow>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Rates"</h2>
            <table class="table rates">
                <thead>
                    <tr>
                        <th>"Month"</th>
                        <th>"From"</th>
                        <th>"To"</th>
                        <th class="num">"Rate"</th>
                        <th>"Source"</th>
                    </tr>
                </thead>
                <tbody>
                    {rates.into_iter().map(|r| view! {
                        <tr>
                            <td>{r.month}</td>
                            <td>{r.from}</td>
                            <td>{r.to}</td>
                            <td class="num mono">{r.rate}</td>
                            <td class="small">{r.source}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
