//! Pieces every page uses: the login gate, data loading, error notices.

use super::use_auth;
use crate::{auth::SessionUser, domain::Role, error::AppError};
use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_location};

/// Renders `render(user)` for a logged-in user with one of `roles` (any role when
/// empty). Anonymous visitors go to the login page; users who must change their
/// password go to the account page first. The server functions the page calls make
/// the same checks: this gate only decides what to draw.
#[component]
pub fn WithUser<F, V>(
    render: F,
    #[prop(optional)] roles: &'static [Role],
    /// The account page lets a user with a one-time password in to change it.
    #[prop(optional)]
    allow_pending_password: bool,
) -> impl IntoView
where
    F: Fn(SessionUser) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let auth = use_auth();
    let location = use_location();
    view! {
        <Suspense fallback=Loading>
            {move || {
                let render = render.clone();
                let next = location.pathname.get_untracked() + &location.search.get_untracked();
                Suspend::new(async move {
                    match settled(auth.user).await {
                        Ok(Some(user)) if user.must_change_password && !allow_pending_password => {
                            view! { <Redirect path="/account" /> }.into_any()
                        }
                        Ok(Some(user)) if roles.is_empty() || roles.contains(&user.role) => {
                            untrack(|| render(user).into_any())
                        }
                        Ok(Some(_)) => view! { <ErrorNotice error=AppError::Forbidden /> }.into_any(),
                        Ok(None) => view! { <Redirect path=login_path(&next) /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// `/login`, remembering where the visitor was going unless that was home.
fn login_path(next: &str) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    if next.is_empty() || next == "/" || next.starts_with("/login") {
        "/login".to_string()
    } else {
        format!("/login?next={}", utf8_percent_encode(next, NON_ALPHANUMERIC))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn login_path_keeps_the_whole_destination() {
        assert_eq!(super::login_path("/"), "/login");
        assert_eq!(
            super::login_path("/tracks/7?a=1&b=2"),
            "/login?next=%2Ftracks%2F7%3Fa%3D1%26b%3D2"
        );
    }
}

/// Shows `render(value)` once `resource` has loaded, or what went wrong. Keeps the
/// previous content on screen while it reloads (after a form is submitted, say).
pub fn loaded<T, F, V>(resource: Resource<Result<T, AppError>>, render: F) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    reloading(resource, RwSignal::new(false), render)
}

/// [`loaded`], with `pending` true while the resource reloads, so the page can show
/// that the numbers on screen are about to change.
pub fn reloading<T, F, V>(
    resource: Resource<Result<T, AppError>>,
    pending: RwSignal<bool>,
    render: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=Loading set_pending=pending.write_only()>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match settled(resource).await {
                        Ok(value) => untrack(|| render(value).into_any()),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// `resource`'s value once it has loaded, for a `Suspend` to render with.
///
/// On the server a `Suspense` runs its closure again each time it checks its children
/// for pending loads (leptos's `dry_resolve`), and each run makes a new `Suspend`,
/// which is polled once and dropped. Were the value ready at that first poll, every
/// dropped run would render its view too: every resource beneath would be made again,
/// the extra ones dropped mid-query (their server functions then find no database
/// pool) yet still sent to the browser, which hydrates against the wrong values and
/// fails. So on the server the wait is untracked and yields once before answering:
/// only the run the `Suspense` really awaits renders. In the browser the wait is
/// tracked, so the view follows the resource when it reloads.
pub async fn settled<T>(resource: Resource<T>) -> T
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    #[cfg(feature = "ssr")]
    {
        use std::future::IntoFuture;
        let value =
            leptos::reactive::computed::ScopedFuture::new_untracked(resource.into_future()).await;
        tokio::task::yield_now().await;
        value
    }
    #[cfg(not(feature = "ssr"))]
    {
        resource.await
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
}

/// An error as the reader should see it; also sets the HTTP status when rendered on
/// the server, so a missing track is a real 404.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = http::StatusCode::from_u16(error.status())
    {
        response.set_status(status);
    }
    match error {
        AppError::Unauthorized => view! { <Redirect path="/login" /> }.into_any(),
        AppError::PasswordChangeRequired => view! { <Redirect path="/account" /> }.into_any(),
        AppError::NotFound => view! {
            <section class="notice">
                <h1>"Not found"</h1>
                <p>"There is nothing here, or it is not yours to see."</p>
                <a href="/">"Back to your home page"</a>
            </section>
        }
        .into_any(),
        other => view! {
            <section class="notice notice-error" role="alert">
                <p>{other.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}

/// The outcome of a form's action: its error, or `success` once it succeeded, and
/// while it runs, that it does (a payout run's calculation takes seconds).
pub fn action_feedback<I, O>(action: ServerAction<I>, success: &'static str) -> impl IntoView
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
    ServerAction<I>: Copy,
{
    move || {
        if action.pending().get() {
            return Some(view! { <p class="form-pending" role="status">"Working…"</p> }.into_any());
        }
        action.value().get().map(|result| match result {
            Ok(_) => view! { <p class="form-ok" role="status">{success}</p> }.into_any(),
            Err(error) => {
                view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any()
            }
        })
    }
}

/// How many times `action` has succeeded. Lists that hold a form reload on this rather
/// than on the action's version, which also counts failures: reloading after a refused
/// save would redraw the form and lose what the person typed.
pub fn successes<I, O>(action: ServerAction<I>) -> Signal<usize>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
    ServerAction<I>: Copy,
{
    let count = RwSignal::new(0);
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            count.update(|n| *n += 1);
        }
    });
    count.into()
}

/// Previous and next links around "Page n of m", when there is more than one page;
/// `href` gives a page's address.
pub fn pager(
    label: &'static str,
    page: i64,
    pages: i64,
    href: impl Fn(i64) -> String,
) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="pager no-print" aria-label=label>
                {(page > 1).then(|| view! { <a href=href(page - 1)>"Previous"</a> })}
                <span>{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! { <a href=href(page + 1)>"Next"</a> })}
            </nav>
        }
    })
}

/// A headline number on a summary card.
#[component]
pub fn Stat(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="stat">
            <span class="stat-value">{value}</span>
            <span class="stat-label">{label}</span>
        </div>
    }
}

/// A CSV import form for one kind (`POST /import/{kind}`, see `server::import::web`).
/// A plain form: the server answers with a redirect back to the page saying what
/// happened (`imported` or `import_error` in the query), so it works without JavaScript.
#[component]
pub fn ImportCard(
    kind: &'static str,
    title: &'static str,
    /// What a row is, plural: "rates", "payees".
    what: &'static str,
    columns: &'static str,
    note: &'static str,
) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let feedback = move || {
        let query = query.read();
        if let Some(error) = query.get("import_error") {
            let lines: Vec<String> = error.lines().map(str::to_string).collect();
            Some(
                view! {
                    <div class="form-error" role="alert">
                        {lines.into_iter().map(|l| view! { <div>{l}</div> }).collect_view()}
                    </div>
                }
                .into_any(),
            )
        } else {
            query.get("imported").map(|n| {
                view! { <p class="form-ok" role="status">{format!("Imported {n} {what}.")}</p> }
                    .into_any()
            })
        }
    };
    view! {
        <section class="card">
            <h2>{title}</h2>
            <p class="muted">
                "A CSV with the columns " {columns} " ("
                <a href=format!("/import/{kind}/template.csv") rel="external">"template"</a>
                "). All or nothing: a bad line refuses the file and is named. " {note}
            </p>
            <form
                method="post"
                action=format!("/import/{kind}")
                enctype="multipart/form-data"
                class="form form-inline"
                aria-label=title
            >
                <label>"CSV file" <input type="file" name="file" accept=".csv,text/csv" required /></label>
                <button type="submit" class="button">"Import"</button>
            </form>
            {feedback}
        </section>
    }
}

/// A search box that puts its words in the URL (`?q=`), so a search can be shared.
#[component]
pub fn SearchBox(label: &'static str) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let current = move || query.read().get("q").unwrap_or_default();
    view! {
        <form method="get" class="form form-inline search" role="search">
            <label>{label} <input type="search" name="q" value=current /></label>
            <button type="submit" class="button-quiet">"Search"</button>
        </form>
    }
}

/// 1234567 as "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// An exact amount as people read it: rounded to cents, with thousands separators.
pub fn cents(amount: &str) -> String {
    let Ok(value) = amount.parse::<rust_decimal::Decimal>() else {
        return amount.to_string();
    };
    let rounded = value.round_dp(2);
    let whole = rounded.trunc().abs().to_string().parse::<i64>().unwrap_or(0);
    let fraction = (rounded.fract().abs() * rust_decimal::Decimal::ONE_HUNDRED).round();
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
    format!("{sign}{}.{:02}", thousands(whole), fraction.to_string().parse::<u32>().unwrap_or(0))
}
