//! A test server: a fresh engine over SQLite, the `default` tenant bootstrapped with the
//! voice-robot example and a platform token, and helpers to send requests in process.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use obereg_core::clock::SystemClock;
use obereg_engine::{Bootstrap, Engine, Role, RootKey};
use obereg_server::Metrics;
use serde_json::Value;
use tower::ServiceExt;

pub const EXAMPLE: &str = include_str!("../../../../examples/voice-robot-calls.toml");

pub struct TestServer {
    pub app: Router,
    /// The engine behind the app, for what HTTP does not reach (delivering the outbox).
    pub engine: Engine,
    pub metrics: Arc<Metrics>,
    /// A platform token of the `default` tenant.
    pub token: String,
    _dir: tempfile::TempDir,
}

/// The answer to a request: status, headers and body text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts a problem+json answer with `status` and `code`, returning the body.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.content_type(), "application/problem+json");
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        assert!(!body["request_id"].as_str().unwrap().is_empty(), "problems carry the request id");
        body
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_body_limit(obereg_server::DEFAULT_MAX_BODY_BYTES).await
    }

    pub async fn with_body_limit(limit: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("obereg.db").display());
        Self::on(&url, dir, limit).await
    }

    /// A server over a fresh PostgreSQL database, when `OBEREG_TEST_POSTGRES_URL` is set.
    pub async fn on_postgres() -> Option<Self> {
        use sqlx::Connection;
        let admin_url = std::env::var("OBEREG_TEST_POSTGRES_URL").ok()?;
        let name = format!("obereg_srv_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("OBEREG_TEST_POSTGRES_URL must be reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut admin).await.unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        Some(Self::on(&url, tempfile::tempdir().unwrap(), obereg_server::DEFAULT_MAX_BODY_BYTES).await)
    }

    async fn on(url: &str, dir: tempfile::TempDir, limit: usize) -> Self {
        capture_logs();
        let store = obereg_store::open(url).await.unwrap();
        let engine = Engine::new(store, Arc::new(SystemClock), RootKey::generate().unwrap()).with_weblog_root(dir.path().join("weblogs"));
        let Bootstrap::Created(issued) = engine.bootstrap("default", "Default", EXAMPLE, Role::Platform).await.unwrap() else {
            panic!("fresh database")
        };
        let metrics = Arc::new(Metrics::default());
        let app = obereg_server::app(engine.clone(), metrics.clone(), limit);
        Self { app, engine, metrics, token: issued.secret.reveal_once().to_owned(), _dir: dir }
    }

    /// Sends a request with optional bearer token, content type and body.
    pub async fn send(&self, method: &str, path: &str, token: Option<&str>, content_type: Option<&str>, body: impl Into<Body>) -> Answer {
        self.send_with(method, path, token, content_type, &[], body).await
    }

    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        extra: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let response = self.app.clone().oneshot(req.body(body.into()).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024).await.unwrap();
        Answer { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// Where this server keeps web-log lines.
    pub fn weblogs(&self) -> &std::path::Path {
        self.engine.weblog_root().expect("the test server keeps web logs")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("GET", path, token, None, Body::empty()).await
    }

    pub async fn put_toml(&self, token: &str, source: impl Into<String>) -> Answer {
        self.send("PUT", "/v1/catalog", Some(token), Some("application/toml"), source.into()).await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send("POST", path, Some(token), Some("application/json"), body.to_string()).await
    }
}

/// Everything any test in this binary has logged.
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs one global subscriber at TRACE level that records every log line of the test
/// binary. Global, because per-thread subscribers miss events when tests run in parallel.
fn capture_logs() {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink(buffer.clone());
        let subscriber =
            tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || sink.clone()).with_ansi(false).finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        buffer
    });
}

/// The log text captured so far.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.get().expect("a server was started").lock().unwrap()).into_owned()
}
