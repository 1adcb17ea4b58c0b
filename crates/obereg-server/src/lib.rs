//! obereg's HTTP adapter: the JSON API under `/v1`, health, the OpenAPI document and its
//! browser at `/docs`, and Prometheus metrics on a separate listener.
//!
//! Handlers parse input, call one engine use case and map the result; no business rule lives
//! here. Every error is `application/problem+json` with a stable code and the request id.
//! Logs carry method, route template, status, latency and request id, never bodies, query
//! strings or headers, so personal data cannot reach them.

mod context;
mod extract;
pub mod metrics;
mod openapi;
mod problem;
mod routes;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use obereg_engine::Engine;
use obereg_engine::outbox::Transport;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::{SetSensitiveRequestHeadersLayer, SetSensitiveResponseHeadersLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

pub use metrics::Metrics;
use routes::{
    catalog, consents, cookies, detection, health, incidents, journal, publications, requests, retention, statistics, subjects, tenants,
    tokens, unsubscribe, weblogs,
};

/// Default request body limit: catalogs are the largest bodies, well under this.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The API routes with their OpenAPI description.
fn api() -> (Router<Engine>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(catalog::get_catalog, catalog::put_catalog))
        .routes(routes!(catalog::list_versions))
        .routes(routes!(catalog::get_version))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(tenants::list_tenants, tenants::create_tenant))
        .routes(routes!(subjects::create_subject))
        .routes(routes!(subjects::search_subjects))
        .routes(routes!(subjects::search_subjects_batch))
        .routes(routes!(subjects::import))
        .routes(routes!(subjects::read_subject, subjects::erase_subject))
        .routes(routes!(subjects::add_items))
        .routes(routes!(subjects::rectify_value, subjects::delete_value))
        .routes(routes!(subjects::restrict, subjects::lift_restriction))
        .routes(routes!(subjects::detokenize))
        .routes(routes!(consents::create_document))
        .routes(routes!(consents::get_document))
        .routes(routes!(consents::record, consents::history))
        .routes(routes!(consents::decide))
        .routes(routes!(consents::reconsent))
        .routes(routes!(consents::check_contacts))
        .routes(routes!(consents::receipt_key))
        .routes(routes!(consents::receipt))
        .routes(routes!(unsubscribe::issue))
        .routes(routes!(requests::open, requests::list))
        .routes(routes!(retention::record_event))
        .routes(routes!(retention::sweep, retention::sweeps))
        .routes(routes!(retention::acts))
        .routes(routes!(retention::act))
        .routes(routes!(retention::verify))
        .routes(routes!(retention::policy_changes))
        .routes(routes!(retention::document))
        .routes(routes!(retention::document_versions))
        .routes(routes!(publications::publish, publications::list))
        .routes(routes!(publications::show))
        .routes(routes!(incidents::record, incidents::list))
        .routes(routes!(incidents::show, incidents::update))
        .routes(routes!(incidents::confirm))
        .routes(routes!(incidents::dismiss))
        .routes(routes!(incidents::assess))
        .routes(routes!(incidents::notify_subjects))
        .routes(routes!(incidents::notice, incidents::notice_sent))
        .routes(routes!(weblogs::ingest))
        .routes(routes!(weblogs::stats))
        .routes(routes!(weblogs::reidentify))
        .routes(routes!(statistics::release, statistics::releases))
        .routes(routes!(statistics::budget, statistics::set_budget))
        .routes(routes!(detection::detect))
        .routes(routes!(detection::redact))
        .routes(routes!(requests::detail))
        .routes(routes!(requests::verify))
        .routes(routes!(requests::send_code))
        .routes(routes!(requests::extend))
        .routes(routes!(requests::refuse))
        .routes(routes!(requests::complete))
        .routes(routes!(requests::export))
        .routes(routes!(requests::submit))
        .routes(routes!(requests::status))
        .routes(routes!(requests::confirm))
        .routes(routes!(requests::resend))
        .routes(routes!(requests::withdraw))
        .routes(routes!(requests::download))
        .routes(routes!(requests::notify_secret))
        .routes(routes!(requests::confirm_notice))
        .routes(routes!(journal::key))
        .routes(routes!(journal::latest_checkpoint))
        .routes(routes!(journal::sign_checkpoint))
        .routes(routes!(journal::entries))
        .routes(routes!(journal::subject_entries))
        .routes(routes!(journal::inclusion))
        .routes(routes!(journal::consistency))
        .split_for_parts()
}

/// The OpenAPI document served at `/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api().1
}

/// The complete public application.
pub fn app(engine: Engine, metrics: Arc<Metrics>, max_body_bytes: usize) -> Router {
    let (api, openapi) = api();
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api.with_state(engine.clone()))
        // The public one-click unsubscribe pages (no API token: the link is the credential).
        .merge(
            Router::new()
                .route("/u/{token}", axum::routing::get(unsubscribe::confirm_page).post(unsubscribe::one_click))
                // The tenant's privacy policy, published with unrestricted access (152-FZ art. 18.1 p.2).
                .route("/p/{tenant}/policy", axum::routing::get(retention::public_policy))
                .route("/p/{tenant}/policy/{id}", axum::routing::get(publications::public_text))
                // The cookie banner of the tenant's sites (no API token: the Origin is checked).
                .route("/c/{tenant}/banner.js", axum::routing::get(cookies::script))
                .route("/c/{tenant}/banner", axum::routing::get(cookies::banner))
                .route("/c/{tenant}/document/{sha}", axum::routing::get(cookies::document))
                .route("/c/{tenant}/choices", axum::routing::get(cookies::current).post(cookies::record).options(cookies::preflight))
                .with_state(engine.clone()),
        )
        .merge(web::router(engine))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .fallback(problem::fallback)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn_with_state(metrics, metrics::observe))
        .layer(CatchPanicLayer::custom(|_panic: Box<dyn std::any::Any + Send>| -> Response {
            // The panic message is not logged or returned: it could quote data.
            tracing::error!("handler panicked");
            problem::ApiError::from(obereg_engine::EngineError::Internal("panic")).into_response()
        }))
        .layer(middleware::from_fn(context::scope))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
            HeaderName::from_static("x-obereg-visitor"),
            HeaderName::from_static(requests::FOLLOW_KEY_HEADER),
        ]))
        .layer(SetSensitiveResponseHeadersLayer::new([header::SET_COOKIE]))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // The pages set their own (`same-origin`, see `web`); everything else sends none.
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

/// Serves the API on `api` and, if given, metrics on `metrics_listener` until `shutdown`
/// resolves; then stops accepting and lets requests in flight finish.
pub async fn serve(
    engine: Engine,
    api: TcpListener,
    metrics_listener: Option<TcpListener>,
    max_body_bytes: usize,
    outbox: Option<Arc<dyn Transport>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = Arc::new(Metrics::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let metrics_task = metrics_listener.map(|listener| {
        let router = metrics::router(metrics.clone());
        let rx = stop_rx.clone();
        tokio::spawn(async move { axum::serve(listener, router).with_graceful_shutdown(stopped(rx)).await })
    });
    let checkpoints = tokio::spawn(sign_checkpoints_periodically(engine.clone(), stop_rx.clone()));
    let deliveries = tokio::spawn(deliver_periodically(engine.clone(), outbox, metrics.clone(), stop_rx.clone()));
    let sweeps = tokio::spawn(sweep_periodically(engine.clone(), stop_rx.clone()));
    let result = axum::serve(api, app(engine, metrics, max_body_bytes)).with_graceful_shutdown(stopped(stop_rx)).await;
    if let Some(task) = metrics_task {
        task.await.map_err(std::io::Error::other)??;
    }
    checkpoints.await.map_err(std::io::Error::other)?;
    deliveries.await.map_err(std::io::Error::other)?;
    sweeps.await.map_err(std::io::Error::other)?;
    result
}

/// How often every tenant's retention sweep runs. The legal windows are 30 days (152-FZ
/// art. 21 pp.4–5); four sweeps a day keep the lag far inside them.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(6 * 3600);
/// The first sweep waits this long after start, so a restart loop cannot hammer the store.
const FIRST_SWEEP_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs every tenant's retention sweep on a schedule (docs/retention.md). A sweep that an
/// earlier stop interrupted resumes where it stopped.
async fn sweep_periodically(engine: Engine, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + FIRST_SWEEP_AFTER, SWEEP_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        // Ended browser sessions and expired sign-in codes go (each is refused on use anyway).
        if let Err(e) = engine.purge_web_sessions().await {
            tracing::warn!(code = e.code(), "purging ended web sessions failed");
        }
        // A publication walk an interruption stopped resumes first: notices are due before
        // the effective date.
        tokio::select! {
            outcome = engine.walk_unfinished_publications() => match outcome {
                Ok(0) => {}
                Ok(n) => tracing::info!(publications = n, "publication walks resumed and finished"),
                Err(e) => tracing::warn!(code = e.code(), "a publication walk failed; the next round resumes it"),
            },
            // A walk stopped between batches loses nothing: its progress is committed per batch.
            _ = stop.wait_for(|s| *s) => return,
        }
        // Web-log day files past their term go whole (docs/weblogs.md).
        if let Ok(root) = engine.weblog_root() {
            match engine.sweep_weblogs(root, obereg_engine::weblogs::DEFAULT_CATEGORY).await {
                Ok(days) if !days.is_empty() => tracing::info!(days = days.len(), "web-log days past their term deleted"),
                Ok(_) => {}
                Err(e) => tracing::warn!(code = e.code(), "web-log sweep failed"),
            }
        }
        let run = engine.sweep_all_tenants();
        tokio::select! {
            outcome = run => match outcome {
                Ok(reports) => {
                    for (tenant, r) in reports {
                        tracing::info!(tenant = %tenant, destroyed = r.values_destroyed, erased = r.subjects_erased, acts = r.acts.len(), "retention sweep");
                    }
                }
                Err(e) => tracing::warn!(code = e.code(), "retention sweep failed; the next one resumes it"),
            },
            // A sweep stopped between batches loses nothing: its progress is committed per batch.
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// How often the outbox is looked at.
const DELIVERY_TICK: std::time::Duration = std::time::Duration::from_secs(2);

/// Delivers the outbox every few seconds (draining it while rounds come back full); once a
/// minute queues staff reminders of requests falling due and refreshes the outbox and
/// overdue-request gauges. Without a transport (no `[smtp]`
/// configured) messages wait in the outbox and the gauge shows them.
async fn deliver_periodically(
    engine: Engine,
    transport: Option<Arc<dyn Transport>>,
    metrics: Arc<Metrics>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(DELIVERY_TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        // Reminders and the gauges once a minute; reminders are queued before the round
        // that sends them.
        let minute = ticks.is_multiple_of(30);
        ticks += 1;
        if minute && let Err(e) = engine.remind_due_requests().await {
            tracing::warn!(code = e.code(), "request reminders failed");
        }
        // Incident notices run on hours, not days: their reminders are checked every minute too.
        if minute && let Err(e) = engine.remind_incidents().await {
            tracing::warn!(code = e.code(), "incident reminders failed");
        }
        if let Some(transport) = &transport {
            loop {
                match engine.deliver_outbox(transport.as_ref()).await {
                    Ok(r) if r.sent + r.retried + r.dead >= obereg_engine::outbox::BATCH as u64 => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(code = e.code(), "outbox delivery failed");
                        break;
                    }
                }
            }
        }
        if minute {
            if let Ok(n) = engine.outbox_pending().await {
                metrics.outbox_pending.set(n);
            }
            if let Ok(n) = engine.overdue_requests().await {
                metrics.requests_overdue.set(n);
            }
        }
    }
}

/// Signs due journal checkpoints every `checkpoint_interval`, and once more on shutdown so
/// that the last entries written are covered by a signature. The same tick purges the
/// ciphertext rows of erased subjects that an erasure's own background purge missed.
async fn sign_checkpoints_periodically(engine: Engine, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(engine.journal_settings().checkpoint_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = ticker.tick() => false,
            _ = stop.wait_for(|s| *s) => true,
        };
        match engine.sign_due_checkpoints().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(tenants = n, "journal checkpoints signed"),
            Err(e) => tracing::warn!(code = e.code(), "journal checkpoint signing failed"),
        }
        if let Err(e) = engine.purge_erased(1000).await {
            tracing::warn!(code = e.code(), "purging erased subjects failed");
        }
        if stopping {
            return;
        }
    }
}
