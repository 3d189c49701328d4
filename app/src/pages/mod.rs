//! Pages, one module each, and the shell that holds them.

mod account;
mod catalog;
mod components;
mod conflicts;
mod dashboard;
mod home;
mod ingestion;
mod lineage;
mod login;
mod not_found;
mod payouts;
mod rates;
mod terms;
mod track;
mod users;

use crate::auth::{Logout, SessionUser, current_user};
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{A, Route, Router, Routes},
    path,
};

pub use components::{ErrorNotice, WithUser, thousands};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" id="leptos" href="/pkg/backbeat.css" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Login state shared by every page: who is logged in, and how to say it changed.
#[derive(Clone, Copy)]
pub struct Auth {
    pub logout: ServerAction<Logout>,
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
    changed: RwSignal<u64>,
}

impl Auth {
    /// Reloads `user` whenever `action` succeeds (a login, a password change).
    pub fn reload_after<S>(self, action: ServerAction<S>)
    where
        S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: Clone + Send + Sync + 'static,
    {
        Effect::new(move |_| {
            if matches!(action.value().get(), Some(Ok(_))) {
                self.changed.update(|n| *n += 1);
            }
        });
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|title: String| {
            if title.is_empty() { "Backbeat".to_string() } else { format!("{title} · Backbeat") }
        } />
        <Router>
            <Shell />
        </Router>
    }
}

/// Everything inside the router.
///
/// Forms' actions are made in the pages that show them, inside `<Routes>`: that is
/// where a failed form post's error is read back from the URL when JavaScript is off.
#[component]
fn Shell() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let changed = RwSignal::new(0);
    let user = Resource::new(move || (logout.version().get(), changed.get()), |_| current_user());
    provide_context(Auth { logout, user, changed });

    // Pages wait for their data before the first byte (SsrMode::Async) so that a
    // redirect to login or a 404 can still set the response status.
    view! {
        <Header />
        <main class="page">
            <Routes fallback=not_found::NotFoundPage>
                <Route path=path!("/login") view=login::LoginPage ssr=SsrMode::Async />
                <Route path=path!("/") view=home::HomePage ssr=SsrMode::Async />
                <Route path=path!("/tracks/:id") view=track::TrackPage ssr=SsrMode::Async />
                <Route path=path!("/account") view=account::AccountPage ssr=SsrMode::Async />
                <Route path=path!("/users") view=users::UsersPage ssr=SsrMode::Async />
                <Route path=path!("/ingestion") view=ingestion::IngestionPage ssr=SsrMode::Async />
                <Route path=path!("/rates") view=rates::RatesPage ssr=SsrMode::Async />
                <Route path=path!("/lineage") view=lineage::LineagePage ssr=SsrMode::Async />
                <Route path=path!("/payees") view=terms::PayeesPage ssr=SsrMode::Async />
                <Route path=path!("/catalog") view=catalog::CatalogPage ssr=SsrMode::Async />
                <Route path=path!("/conflicts") view=conflicts::ConflictsPage ssr=SsrMode::Async />
                <Route
                    path=path!("/conflicts/:id")
                    view=conflicts::ConflictPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/contracts") view=terms::ContractsPage ssr=SsrMode::Async />
                <Route path=path!("/advances") view=terms::AdvancesPage ssr=SsrMode::Async />
                <Route path=path!("/claims") view=terms::ClaimsPage ssr=SsrMode::Async />
                <Route path=path!("/payouts") view=payouts::PayoutsPage ssr=SsrMode::Async />
                <Route
                    path=path!("/payouts/:id")
                    view=payouts::PayoutRunPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/statements") view=payouts::StatementsPage ssr=SsrMode::Async />
                <Route
                    path=path!("/statements/:run/:payee")
                    view=payouts::StatementPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/ingestion/files/:id")
                    view=ingestion::ReportFilePage
                    ssr=SsrMode::Async
                />
            </Routes>
        </main>
        <footer class="site-footer">"Backbeat · royalty analytics"</footer>
    }
}

/// The top bar: brand, navigation for the user's role, and who is logged in.
#[component]
fn Header() -> impl IntoView {
    let auth = use_auth();
    let nav = move || {
        auth.user.get().and_then(Result::ok).flatten().map(|user| {
            let staff_links = (user.role == Role::Staff).then(|| {
                view! {
                    <A href="/ingestion">"Ingestion"</A>
                    <A href="/catalog">"Catalog"</A>
                    <A href="/payees">"Payees"</A>
                    <A href="/contracts">"Contracts"</A>
                    <A href="/advances">"Advances"</A>
                    <A href="/claims">"Claims"</A>
                    <A href="/rates">"Rates"</A>
                    <A href="/users">"Users"</A>
                }
            });
            let payout_link = (user.role != Role::Artist).then(|| {
                view! {
                    <A href="/payouts">"Payouts"</A>
                    <A href="/conflicts">"Conflicts"</A>
                }
            });
            let home_label = match user.role {
                Role::Artist => "My music",
                Role::LabelManager => "Catalog",
                Role::Staff => "Overview",
            };
            view! {
                <nav class="nav" aria-label="Main">
                    <A href="/" exact=true>{home_label}</A>
                    {payout_link}
                    <A href="/statements">"Statements"</A>
                    {staff_links}
                    <A href="/account">"Account"</A>
                </nav>
                <div class="whoami">
                    <span class="whoami-name" data-testid="whoami">{user.email.clone()}</span>
                    <span class="role-badge">{user.role.label()} " · " {user.scope_name.clone()}</span>
                    <ActionForm action=auth.logout attr:class="logout-form">
                        <button type="submit" class="button-quiet">"Log out"</button>
                    </ActionForm>
                </div>
            }
        })
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Backbeat"
            </a>
            <Transition fallback=|| ()>{nav}</Transition>
        </header>
    }
}
