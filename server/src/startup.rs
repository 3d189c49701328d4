//! The HTTP application: Leptos pages and server functions on axum, with sessions in
//! Postgres. `Application::build` binds the port; tests build one per database.

use crate::config::Settings;
use crate::ingest::{
    scheduler::Scheduler,
    upload::{self, UploadSettings},
};
use crate::{exports, import, statements};
use anyhow::{Context, Result};
use app::{App, auth::ssr::SessionPolicy, error::AppError, shell};
use axum::{
    Router,
    body::Body,
    extract::{FromRef, Request, State},
    handler::Handler,
    http::StatusCode,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::ServeDir;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::PostgresStore;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub policy: SessionPolicy,
    pub uploads: UploadSettings,
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    scheduler: Option<Scheduler>,
}

impl Application {
    /// Binds `settings.addr` (port 0 picks a free one) and assembles the router.
    pub async fn build(settings: &Settings, pool: PgPool) -> Result<Self> {
        let listener = TcpListener::bind(settings.addr).await.with_context(|| {
            format!("cannot listen on {}: is another server using it?", settings.addr)
        })?;
        let addr = listener.local_addr()?;
        let scheduler = settings.scheduler.enabled.then(|| {
            Scheduler::new(pool.clone(), settings.scheduler.clone(), settings.data_dir.clone())
        });
        Ok(Application { listener, router: router(settings, pool, addr), scheduler })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves (and runs the ingestion scheduler) until Ctrl-C or SIGTERM, finishing
    /// requests in flight. A run cut off by the stop is rolled back with its
    /// transaction; another process, or this one restarted, retries it once its
    /// lease runs out.
    pub async fn run_until_stopped(self) -> Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let serving = axum::serve(self.listener, service).with_graceful_shutdown(shutdown_signal());
        let scheduling = async {
            match self.scheduler {
                Some(scheduler) => scheduler.run_forever().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            served = serving => served.context("serving HTTP"),
            () = scheduling => unreachable!("the scheduler runs until the server stops"),
        }
    }
}

pub fn router(settings: &Settings, pool: PgPool, addr: SocketAddr) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name("backbeat")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let policy = SessionPolicy { idle: settings.session_idle, absolute: settings.session_absolute };
    let context = {
        let pool = pool.clone();
        let catalog = app::db::CatalogCache::default();
        move || {
            provide_context(pool.clone());
            provide_context(policy);
            provide_context(app::db::RequestMemo::default());
            provide_context(catalog.clone());
        }
    };
    let uploads = UploadSettings {
        dir: settings.data_dir.join(upload::FOLDER),
        max_bytes: settings.upload_max_bytes,
    };
    let state =
        AppState { leptos_options: leptos_options.clone(), pool: pool.clone(), policy, uploads };
    Router::new()
        .route("/healthz", get(health))
        // Uploads stream to disk with their own limit, not axum's 2 MB body default.
        .route(
            "/ingestion/upload",
            post(upload::handler).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/import/{kind}",
            post(import::web::import).layer(axum::extract::DefaultBodyLimit::max(17 << 20)),
        )
        .route("/import/{kind}/template.csv", get(import::web::template_csv))
        .route("/statements/{run}/{payee}/statement.csv", get(statements::csv))
        .route("/exports/{file}", get(exports::csv))
        .leptos_routes_with_context(&state, generate_route_list(App), context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        // The site's files (wasm, JS, CSS, public/) by ServeDir itself, and only what is
        // no file to leptos_axum's handler, for its not-found page. That handler would
        // serve a file too, but under a fresh reactive owner, which can take another
        // request's response options (and their 404) from the thread it runs on: the
        // browser tests saw the wasm answer 404 once while a not-found page was drawn
        // beside it.
        .fallback_service(
            ServeDir::new(settings.site_root.as_str()).fallback(
                leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell)
                    .with_state(state.clone()),
            ),
        )
        .layer(middleware::from_fn(server_fn_status))
        .layer(session_layer(settings, pool))
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

/// The staff check of the plain axum handlers (uploads, imports), the same as the
/// server functions': the refusal is the response to send (401 or 403).
pub async fn require_staff(
    state: &AppState,
    session: &tower_sessions::Session,
) -> Result<app::auth::SessionUser, Response> {
    require_role(state, session, &[app::domain::Role::Staff]).await
}

/// [`require_staff`] for any of `roles`.
pub async fn require_role(
    state: &AppState,
    session: &tower_sessions::Session,
    roles: &[app::domain::Role],
) -> Result<app::auth::SessionUser, Response> {
    use app::auth::ssr::{check_role, user_of_session};
    let user = user_of_session(session, &state.pool, state.policy).await;
    user.and_then(|u| check_role(u, roles)).map_err(|e| error_response(&e))
}

/// An error of ours as a plain handler's response: its status and its message.
pub fn error_response(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::FORBIDDEN);
    (status, error.to_string()).into_response()
}

/// A bug must not take the connection down with it, nor show its internals.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = message, "request handler panicked");
    let page = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error · Backbeat</title>\
        <link rel=\"stylesheet\" href=\"/pkg/backbeat.css\"></head><body><main class=\"page\">\
        <section class=\"notice notice-error\"><h1>Something went wrong</h1>\
        <p>It has been logged. Please try again, or go <a href=\"/\">back home</a>.</p>\
        </section></main></body></html>";
    (StatusCode::INTERNAL_SERVER_ERROR, axum::response::Html(page)).into_response()
}

fn session_layer(settings: &Settings, pool: PgPool) -> SessionManagerLayer<PostgresStore> {
    let idle = time::Duration::seconds(settings.session_idle.num_seconds());
    SessionManagerLayer::new(PostgresStore::new(pool))
        .with_name("backbeat_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle))
}

/// Server functions answer errors with a 500 and the encoded `AppError`; give them the
/// status the error stands for (401, 403, 404, 422, 429) so that every client, not
/// only our own, can tell a refusal from a fault.
async fn server_fn_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_fn_error = response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && response.headers().contains_key("serverfnerror");
    if !is_fn_error {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// For load balancers and `make run`: up when the database answers.
async fn health(State(pool): State<PgPool>) -> (StatusCode, &'static str) {
    match sqlx::query("SELECT 1").execute(&pool).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
