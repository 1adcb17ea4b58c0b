//! The OpenAPI document's frame: title, bearer scheme, tags. Paths and schemas are collected
//! from the handlers' annotations when the router is built, so the document cannot drift from
//! the routes.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "obereg API", description = "Personal-data operator platform: catalog, tokens, tenants, the vault of subjects, the journal. Errors are application/problem+json with a stable `code`."),
    modifiers(&BearerScheme),
    tags(
        (name = "health", description = "liveness and readiness"),
        (name = "catalog", description = "the tenant's data map"),
        (name = "tokens", description = "API tokens of the tenant"),
        (name = "tenants", description = "tenants (platform tokens)"),
        (name = "subjects", description = "the vault: subjects, sealed values and records, lookup, restriction, erasure, import"),
        (name = "journal", description = "the tamper-evident journal: checkpoints, entries, proofs"),
        (name = "requests", description = "data-subject requests: the staff work queue, identity, extension, refusal, execution, the access answer"),
        (name = "retention", description = "retention: trigger events, sweeps and dry runs, destruction acts (RKN Order 179) and their verification"),
        (name = "incidents", description = "personal-data breaches on the 24/72-hour clocks: facts, affected set, notices to Roskomnadzor and the GDPR authority, notices to subjects"),
        (name = "statistics", description = "anonymised statistics for partners: k-anonymous or differentially private releases, per-recipient privacy budgets, the record of each release"),
        (name = "logs", description = "technical logs kept apart from identities: ingest (no address, cookie or personal data kept), traffic statistics, journaled re-identification"),
        (name = "detection", description = "personal data in free text: detection and redaction (label, mask, keyed pseudonym)"),
        (name = "subject requests", description = "the subject's side of a request: submit, confirm with a code, follow, withdraw, download the answer (follow key in X-Obereg-Request-Key)"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("obg_…").build()),
        );
    }
}
