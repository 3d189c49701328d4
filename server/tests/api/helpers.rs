//! Spawns the app on its own database and talks to its server functions over HTTP.

use app::{
    domain::{Email, Isrc, Password, Role, Upc},
    users::{
        Link,
        ssr::{NewUser, insert},
    },
};
use reqwest::{Response, StatusCode, header};
use serde_json::Value;
use server::{
    config::{SchedulerSettings, Settings},
    database,
    startup::Application,
};
use sqlx::PgPool;
use std::sync::Mutex;

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    pub database_url: String,
    /// The server's data folder (drop folders, uploads), new for each app.
    pub data_dir: std::path::PathBuf,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The Postgres server tests create their databases on (never the one `make run` uses).
fn server_url() -> String {
    std::env::var("BACKBEAT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// The URL of a database no test has used yet (created on first connect).
pub fn new_database_url() -> String {
    format!("{}/backbeat_test_{:016x}", server_url(), rand::random::<u64>())
}

/// A brand-new database with the schema, for tests that run servers as processes.
pub async fn fresh_database() -> (String, PgPool) {
    server::telemetry::init();
    let url = new_database_url();
    let pool = database::connect(&url).await.expect("test database");
    database::migrate(&pool).await.expect("migrations");
    (url, pool)
}

impl TestApp {
    /// A server on a brand-new database with the schema and nothing else.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_configured(|_| {}).await
    }

    /// A server on an existing database: how a restart looks.
    pub async fn spawn_on(database_url: String) -> TestApp {
        TestApp::spawn_with(database_url, |_| {}).await
    }

    /// A server on a new database with settings changed by `configure`.
    pub async fn spawn_configured(configure: impl FnOnce(&mut Settings)) -> TestApp {
        TestApp::spawn_with(new_database_url(), configure).await
    }

    async fn spawn_with(database_url: String, configure: impl FnOnce(&mut Settings)) -> TestApp {
        server::telemetry::init();
        let pool = database::connect(&database_url).await.expect("test database");
        database::migrate(&pool).await.expect("migrations");
        let mut settings = Settings {
            database_url: database_url.clone(),
            addr: "127.0.0.1:0".parse().unwrap(),
            site_root: "target/site".into(),
            secure_cookies: false,
            session_idle: chrono::Duration::minutes(120),
            session_absolute: chrono::Duration::hours(12),
            data_dir: std::env::temp_dir()
                .join(format!("backbeat_test_{:x}", rand::random::<u64>())),
            upload_max_bytes: 1024 * 1024,
            // Tests that want the scheduler turn it on (see ingest_jobs.rs).
            scheduler: SchedulerSettings {
                enabled: false,
                tick: std::time::Duration::from_millis(200),
                lease: std::time::Duration::from_secs(3),
                retry_base: std::time::Duration::from_secs(1),
                max_attempts: 3,
            },
        };
        configure(&mut settings);
        let data_dir = settings.data_dir.clone();
        let app = Application::build(&settings, pool.clone()).await.expect("app builds");
        let address = format!("http://{}", app.addr());
        let server = tokio::spawn(async move {
            app.run_until_stopped().await.expect("server runs");
        });
        TestApp { address, pool, database_url, data_dir, server }
    }

    pub fn browser(&self) -> Browser {
        Browser::at(&self.address)
    }

    /// A client presenting `cookie`: a copy of another's, or one from before a restart.
    pub fn browser_with(&self, cookie: Option<String>) -> Browser {
        self.browser().with_cookie(cookie)
    }

    /// Stops serving, as a crash or restart would (the database stays).
    pub async fn stop(mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
    }
}

/// A client that keeps the session cookie the way a browser does.
pub struct Browser {
    address: String,
    client: reqwest::Client,
    cookie: Mutex<Option<String>>,
}

impl Browser {
    /// A client of the server at `address` (`http://host:port`) with no cookie yet: for
    /// servers a test runs as processes (`backbeat serve`) rather than as a [`TestApp`].
    pub fn at(address: &str) -> Browser {
        // Redirects are part of what the tests check: never follow them.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds");
        Browser { address: address.to_string(), client, cookie: Mutex::new(None) }
    }

    /// This client presenting `cookie`: a copy of another browser's, say, taken to
    /// another server.
    pub fn with_cookie(self, cookie: Option<String>) -> Browser {
        *self.cookie.lock().unwrap() = cookie;
        self
    }

    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    /// Calls the server function at `/api/{name}` with form fields, as an HTML form would.
    pub async fn call(&self, name: &str, form: &[(&str, &str)]) -> Response {
        let mut request = self.client.post(format!("{}/api/{name}", self.address)).form(form);
        if let Some(cookie) = self.cookie() {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.expect("request is sent");
        self.remember_cookie(&response);
        response
    }

    /// Loads a page as a browser navigation does (which is what makes redirects 302s).
    pub async fn get(&self, path: &str) -> Response {
        let mut request =
            self.client.get(format!("{}{path}", self.address)).header(header::ACCEPT, "text/html");
        if let Some(cookie) = self.cookie() {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.expect("request is sent");
        self.remember_cookie(&response);
        response
    }

    fn remember_cookie(&self, response: &Response) {
        for value in response.headers().get_all(header::SET_COOKIE) {
            let value = value.to_str().expect("ascii cookie");
            let pair = value.split(';').next().unwrap_or_default().to_string();
            let mut cookie = self.cookie.lock().unwrap();
            // tower-sessions expires the cookie (Max-Age=0) when a session is deleted.
            *cookie = if value.contains("Max-Age=0") { None } else { Some(pair) };
        }
    }

    /// Posts a file to the report upload form, as a browser does.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>) -> Response {
        self.post_file("/ingestion/upload", name, bytes).await
    }

    /// Posts a file as the `file` field of a multipart form to `path`.
    pub async fn post_file(&self, path: &str, name: &str, bytes: Vec<u8>) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        let form = reqwest::multipart::Form::new().part("file", part);
        let mut request = self.client.post(format!("{}{path}", self.address)).multipart(form);
        if let Some(cookie) = self.cookie() {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.expect("request is sent")
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.call("login", &[("email", email), ("password", password)]).await
    }

    /// Logs in and panics unless it worked.
    pub async fn login_ok(&self, email: &str, password: &str) {
        let response = self.login(email, password).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "login of {email}: {}",
            response.text().await.unwrap()
        );
    }

    /// The logged-in user's email, or None.
    pub async fn whoami(&self) -> Option<String> {
        let response = self.call("current_user", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body.get("email").and_then(Value::as_str).map(str::to_string)
    }
}

/// Status and decoded `AppError` of a failed call.
pub async fn error_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.expect("errors are JSON");
    (status, body)
}

pub const PASSWORD: &str = "correct horse battery";

/// Held by tests that log in with unknown emails, so that the one test that counts
/// dummy-hash verifications sees only its own.
pub static UNKNOWN_EMAILS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A small catalog: two labels, three artists, a release and tracks for each.
pub struct Catalog {
    pub label_a: i64,
    pub label_b: i64,
    pub artist_a: i64,
    /// By artist_a on label A.
    pub track_a: i64,
    /// By artist_a2 on label A.
    pub track_a2: i64,
    /// By artist_b on label B.
    pub track_b: i64,
}

impl Catalog {
    pub async fn create(pool: &PgPool) -> Catalog {
        let label_a = label(pool, "Label A").await;
        let label_b = label(pool, "Label B").await;
        let artist_a = artist(pool, "Artist A").await;
        let artist_a2 = artist(pool, "Artist A2").await;
        let artist_b = artist(pool, "Artist B").await;
        let track_a = track(pool, label_a, artist_a, "USAAA2600001", "03600029145").await;
        let track_a2 = track(pool, label_a, artist_a2, "USAAA2600002", "03600029146").await;
        let track_b = track(pool, label_b, artist_b, "GBBBB2600001", "03600029147").await;
        Catalog { label_a, label_b, artist_a, track_a, track_a2, track_b }
    }
}

async fn label(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("INSERT INTO labels (name) VALUES ($1) RETURNING id")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn artist(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("INSERT INTO artists (name) VALUES ($1) RETURNING id")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn track(pool: &PgPool, label_id: i64, artist_id: i64, isrc: &str, upc_body: &str) -> i64 {
    let upc = Upc::with_check_digit(upc_body).unwrap();
    let release: i64 = sqlx::query_scalar(
        "INSERT INTO releases (label_id, artist_id, upc, title) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(label_id)
    .bind(artist_id)
    .bind(upc.gtin13())
    .bind(format!("Release {isrc}"))
    .fetch_one(pool)
    .await
    .unwrap();
    let track: i64 = sqlx::query_scalar(
        "INSERT INTO tracks (release_id, isrc, title, track_number) VALUES ($1, $2, $3, 1) RETURNING id",
    )
    .bind(release)
    .bind(Isrc::parse(isrc).unwrap().as_str())
    .bind(format!("Track {isrc}"))
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO track_artists (track_id, artist_id, role) VALUES ($1, $2, 'main')")
        .bind(track)
        .bind(artist_id)
        .execute(pool)
        .await
        .unwrap();
    track
}

/// Adds a login with [`PASSWORD`] through the same code as the staff page.
pub async fn user(pool: &PgPool, email: &str, role: Role, link: Link) -> i64 {
    let new = NewUser {
        email: Email::parse(email).unwrap(),
        role,
        link,
        password: Password::parse(PASSWORD).unwrap(),
        must_change_password: false,
    };
    insert(pool, &new).await.unwrap()
}
