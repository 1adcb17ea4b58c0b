//! Start-up shared by `serve`, `init` and `token`: data directory, root key, store, engine,
//! the `default` tenant, logging, and serving until a signal.

use std::path::Path;
use std::sync::Arc;

use obereg_core::clock::SystemClock;
use obereg_engine::{Bootstrap, DEFAULT_TENANT, Engine, EngineError, Role, RootKey};
use secrecy::ExposeSecret;

use crate::Failure;
use crate::config::{Config, LogFormat};

/// The catalog a fresh installation starts with: the voice-robot example, to be replaced by
/// the operator's own through `PUT /v1/catalog`.
const STARTER_CATALOG: &str = include_str!("../../../examples/voice-robot-calls.toml");

pub fn engine_failure(e: EngineError) -> Failure {
    match e {
        EngineError::InvalidCatalog(report) => {
            let codes: Vec<_> = report.errors().map(|d| d.code).collect();
            Failure::failed(format!("the catalog is invalid: {}", codes.join(", ")))
        }
        EngineError::Invalid { message, .. } => Failure::failed(format!("{} / {}", message.en, message.ru)),
        other => Failure::failed(other.to_string()),
    }
}

/// Creates the data directory (mode 0700) if needed.
fn ensure_data_dir(dir: &Path) -> Result<(), Failure> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| Failure::failed(format!("cannot create {}: {e}", dir.display())))
}

/// The root key from the environment, the key file, or (first start) a new key file.
fn root_key(config: &Config) -> Result<RootKey, Failure> {
    if let Some(hex) = &config.root_key {
        return RootKey::from_hex(hex.expose_secret()).map_err(|e| Failure::failed(format!("OBEREG_ROOT_KEY: {e}")));
    }
    let path = config.root_key_path();
    let result = if path.exists() { RootKey::load(&path) } else { RootKey::create(&path) };
    result.map_err(|e| Failure::failed(e.to_string()))
}

/// Opens the engine over the configured database, creating what a first start needs.
pub async fn open_engine(config: &Config) -> Result<Engine, Failure> {
    ensure_data_dir(&config.data_dir)?;
    let key = root_key(config)?;
    let store = obereg_store::open(&config.database_url()).await.map_err(|e| Failure::failed(format!("database: {e}")))?;
    let settings = config.journal_settings(&key.fingerprint());
    let mut calendar = obereg_core::calendar::ProductionCalendar::russian();
    if let Some(path) = &config.calendar_file {
        let text = std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("calendar / календарь {}: {e}", path.display())))?;
        calendar
            .load(&text)
            .map_err(|e| Failure::usage(format!("calendar / календарь {}: {} / {}", path.display(), e.message.en, e.message.ru)))?;
    }
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.listen));
    Engine::new(store, Arc::new(SystemClock), key)
        .with_weblog_root(config.data_dir.join("weblogs"))
        .with_calendar(calendar)
        .with_journal_settings(settings)
        .and_then(|engine| engine.with_public_url(&public_url))
        .map_err(|e| Failure::usage(format!("configuration / конфигурация: {e}")))
}

/// Creates the `default` tenant on first start; returns the one-time admin token if it did.
async fn bootstrap(engine: &Engine) -> Result<Option<String>, Failure> {
    match engine.bootstrap(DEFAULT_TENANT, "Default", STARTER_CATALOG, Role::Admin).await.map_err(engine_failure)? {
        Bootstrap::Created(issued) => Ok(Some(issued.secret.reveal_once().to_owned())),
        Bootstrap::AlreadyInitialised => Ok(None),
    }
}

fn print_token(token: Option<&str>) {
    match token {
        Some(t) => {
            println!("One-time admin token for tenant \"{DEFAULT_TENANT}\" (store it now, it is not shown again):");
            println!("Одноразовый токен администратора арендатора \"{DEFAULT_TENANT}\" (сохраните его, он больше не будет показан):");
            println!("  {t}");
        }
        None => {
            println!("Already initialised; lost the token? `obereg token create --role admin` issues a new one.");
            println!("Уже настроено; потеряли токен? `obereg token create --role admin` выпустит новый.");
        }
    }
}

/// `obereg init`.
pub async fn init(config: Config) -> Result<u8, Failure> {
    let engine = open_engine(&config).await?;
    let token = bootstrap(&engine).await?;
    println!("Data directory / каталог данных: {}", config.data_dir.display());
    print_token(token.as_deref());
    Ok(0)
}

fn init_logging(config: &Config) -> Result<(), Failure> {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level).map_err(|e| Failure::usage(format!("log_level: {e}")))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    result.map_err(|e| Failure::failed(format!("logging: {e}")))
}

/// `obereg serve`.
pub async fn serve(config: Config) -> Result<u8, Failure> {
    init_logging(&config)?;
    let engine = open_engine(&config).await?;
    let token = bootstrap(&engine).await?;
    let bind = |addr| async move {
        tokio::net::TcpListener::bind(addr).await.map_err(|e| Failure::failed(format!("cannot listen on {addr}: {e}")))
    };
    let api = bind(config.listen).await?;
    let metrics = if config.metrics_enabled { Some(bind(config.metrics_listen).await?) } else { None };
    let api_addr = api.local_addr().map_err(|e| Failure::failed(e.to_string()))?;
    println!("obereg serves on http://{api_addr} (API docs / документация API: http://{api_addr}/docs)");
    if let Some(m) = &metrics {
        let addr = m.local_addr().map_err(|e| Failure::failed(e.to_string()))?;
        println!("metrics / метрики: http://{addr}/metrics");
    }
    print_token(token.as_deref());
    tracing::info!(root_key = %engine.root_key_fingerprint(), "serving");
    let smtp = match &config.smtp {
        Some(smtp) => Some(obereg_engine::outbox::SmtpTransport::new(smtp).map_err(|e| Failure::usage(format!("smtp: {e}")))?),
        None => {
            tracing::warn!("no [smtp] configured: email to subjects waits in the outbox");
            None
        }
    };
    let sms = match &config.sms {
        Some(sms) => Some(obereg_engine::outbox::SmsGateway::new(sms).map_err(|e| Failure::usage(format!("sms: {e}")))?),
        None => None,
    };
    let outbox: Option<Arc<dyn obereg_engine::outbox::Transport>> = Some(Arc::new(obereg_engine::outbox::Transports::new(smtp, sms)));
    obereg_server::serve(engine, api, metrics, config.max_body_bytes, outbox, shutdown_signal())
        .await
        .map_err(|e| Failure::failed(format!("server: {e}")))?;
    tracing::info!("stopped");
    Ok(0)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}
