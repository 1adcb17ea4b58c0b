//! Publishing a policy version (152-FZ art. 18.1 p.2; law.md MKT-7; GDPR art. 13(3)).
//!
//! Generating the policy (`super`) shows what the catalog says now; publishing fixes one
//! text, in both languages, with the date it takes effect. A publication records the
//! material changes since the publication before it (`obereg_core::documents::changes`), and
//! then walks every subject once (`super::notices`): it counts the consents given under a
//! consent document the catalog no longer renders, and — when something material changed
//! and the operator asked — queues an email to each subject with an address, before the
//! effective date.
//!
//! Rules, so that the public URL always answers one text for one day:
//! - the effective date is today or later (Moscow time), at most a year ahead; when
//!   subjects are to be told of material changes, strictly after today;
//! - a publication never takes effect before an earlier one still waiting to: effective
//!   dates rise with publication order;
//! - publishing the same texts as the last publication is refused: there is nothing new.
//!
//! The policy in force on a day is the last publication effective by then; before the
//! first publication, the policy generated from the catalog in force.

use obereg_core::documents::{DocumentKind, material_changes};
use obereg_core::text::{Bilingual, Lang};
use obereg_store::PublicationRecord;

use super::GeneratedDocument;
use crate::journal::Record;
use crate::requests::{moscow_date, short_id};
use crate::vault::micros_to_time;
use crate::{Actor, Engine, EngineError};

/// Longest a publication may wait before it takes effect.
const MAX_DAYS_AHEAD: i32 = 366;

/// What to publish.
#[derive(Debug, Clone, Copy)]
pub struct PublishPolicy {
    /// The first day (Moscow time) the new version is in force.
    pub effective_on: jiff::civil::Date,
    /// Email subjects about material changes before that day.
    pub notify: bool,
}

/// A material change, as a publication keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublishedChange {
    pub code: String,
    pub purpose: String,
    pub message: Bilingual,
}

/// Where a publication stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationStatus {
    /// Takes effect later.
    Upcoming,
    /// The policy in force.
    InForce,
    /// A later publication took effect.
    Superseded,
}

/// How far the walk over subjects has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct NoticeProgress {
    /// Emails queued in the outbox.
    pub queued: i64,
    /// Subjects not emailed: no address, restricted, or stopped these notices.
    pub skipped: i64,
    /// Every subject has been walked.
    pub done: bool,
}

/// A published policy version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Publication {
    /// `P-…`.
    pub id: String,
    /// 1, 2, … in publication order.
    pub number: i64,
    pub catalog_version: i64,
    pub sha256_ru: String,
    pub sha256_en: String,
    pub published_at: jiff::Timestamp,
    pub published_by: String,
    pub effective_on: jiff::civil::Date,
    pub status: PublicationStatus,
    /// Material changes since the publication before (empty for the first).
    pub changes: Vec<PublishedChange>,
    /// Whether subjects are emailed about the changes.
    pub notify: bool,
    pub notices: NoticeProgress,
    /// Consents in force given under a consent document the catalog no longer renders
    /// (`GET /v1/consents/reconsent` lists them), counted by the walk.
    pub reconsent: i64,
    /// The public address of this version's text.
    pub url: String,
}

fn bad_date(en: String, ru: String) -> EngineError {
    EngineError::Invalid { code: "policy.bad_effective_date", message: Bilingual::new(en, ru) }
}

/// The publication in force on `day` among `all` (newest first): the last effective by then.
fn in_force_on(all: &[PublicationRecord], day: jiff::civil::Date) -> Option<&PublicationRecord> {
    all.iter().find(|p| p.effective_on.parse::<jiff::civil::Date>().is_ok_and(|d| d <= day))
}

impl Engine {
    /// Publishes the policy generated from the catalog in force, effective on
    /// `request.effective_on`. Administrators. The walk over subjects (notices, re-consent
    /// count) is [`Engine::walk_publication`]; the server starts it at once.
    pub async fn publish_policy(&self, actor: &Actor, request: PublishPolicy) -> Result<Publication, EngineError> {
        actor.require_admin()?;
        let today = moscow_date(self.clock.now());
        let latest = today.checked_add(jiff::Span::new().days(MAX_DAYS_AHEAD)).map_err(|_| EngineError::Internal("date range"))?;
        if request.effective_on < today || request.effective_on > latest {
            return Err(bad_date(
                format!("the effective date must be from {today} to {latest}"),
                format!("дата вступления в силу — с {today} по {latest}"),
            ));
        }
        let tenant = actor.tenant.as_str();
        let ru = self.generate(tenant, DocumentKind::Policy, Lang::Ru).await?;
        let en = self.generate(tenant, DocumentKind::Policy, Lang::En).await?;
        let all = self.store.publications(tenant).await?;
        let last = all.first();
        if let Some(last) = last {
            if last.sha_ru == ru.sha256 && last.sha_en == en.sha256 {
                return Err(EngineError::invalid(
                    "policy.unchanged",
                    format!("the policy is the same as publication {}: there is nothing new to publish", last.id),
                    format!("политика совпадает с публикацией {}: публиковать нечего", last.id),
                ));
            }
            if last.effective_on.as_str() > request.effective_on.to_string().as_str() {
                return Err(bad_date(
                    format!("publication {} takes effect on {}; a later one cannot take effect before it", last.id, last.effective_on),
                    format!("публикация {} вступает в силу {}; более поздняя не может вступить в силу раньше", last.id, last.effective_on),
                ));
            }
        }
        let changes: Vec<PublishedChange> = match last {
            Some(last) => {
                let old =
                    self.store.catalog_version(tenant, last.catalog_version).await?.ok_or(EngineError::NotFound("catalog version"))?;
                let old =
                    obereg_core::catalog::parse(&old.source).map_err(|_| EngineError::Internal("a stored catalog no longer parses"))?;
                let current = self.store.current_catalog(tenant).await?.ok_or(EngineError::NotFound("catalog"))?;
                material_changes(&old, &*self.parsed(&current)?)
                    .into_iter()
                    .map(|c| PublishedChange { code: c.code.to_owned(), purpose: c.purpose, message: c.message })
                    .collect()
            }
            None => Vec::new(),
        };
        let notify = request.notify && !changes.is_empty();
        if notify && request.effective_on <= today {
            return Err(bad_date(
                "subjects must be told of material changes before they take effect: choose a date after today".into(),
                "о существенных изменениях субъектов уведомляют до вступления их в силу: выберите дату позже сегодняшней".into(),
            ));
        }
        let record = PublicationRecord {
            tenant_id: tenant.to_owned(),
            id: short_id("P")?,
            seq: last.map_or(1, |l| l.seq + 1),
            catalog_version: ru.catalog_version.max(en.catalog_version),
            sha_ru: ru.sha256,
            sha_en: en.sha256,
            published_at: self.now_micros(),
            published_by: actor.token_id.clone().unwrap_or_else(|| "operator".into()),
            effective_on: request.effective_on.to_string(),
            changes: serde_json::to_string(&changes).map_err(|_| EngineError::Internal("changes encoding"))?,
            reconsent: 0,
            notify,
            cursor_seq: 0,
            notices_queued: 0,
            notices_skipped: 0,
            notified_at: None,
        };
        let entry = self.entry(actor, tenant, Record::op("policy.publish").object(record.id.as_str()));
        self.store.insert_publication(&record, &[entry]).await.map_err(|e| match e {
            obereg_store::StoreError::Conflict(_) => EngineError::Conflict("publication (another was published at the same time)"),
            e => e.into(),
        })?;
        let mut all = all;
        all.insert(0, record);
        self.publication_view(&all[0], &all, today)
    }

    /// The tenant's publications, newest first. Administrators.
    pub async fn publications(&self, actor: &Actor) -> Result<Vec<Publication>, EngineError> {
        actor.require_admin()?;
        let all = self.store.publications(&actor.tenant).await?;
        let today = moscow_date(self.clock.now());
        all.iter().map(|p| self.publication_view(p, &all, today)).collect()
    }

    /// One publication. Administrators.
    pub async fn publication(&self, actor: &Actor, id: &str) -> Result<Publication, EngineError> {
        actor.require_admin()?;
        let all = self.store.publications(&actor.tenant).await?;
        let today = moscow_date(self.clock.now());
        let found = all.iter().find(|p| p.id == id).ok_or(EngineError::NotFound("publication"))?;
        self.publication_view(found, &all, today)
    }

    /// The policy text in force today for anyone: the last publication effective by now,
    /// or, before the first publication, the policy generated from the catalog in force.
    /// An unknown tenant is not found.
    pub async fn public_policy(&self, tenant: &str, lang: Lang) -> Result<GeneratedDocument, EngineError> {
        if !obereg_core::ids::is_valid_tenant_id(tenant) {
            return Err(EngineError::NotFound("tenant"));
        }
        let all = self.store.publications(tenant).await?;
        match in_force_on(&all, moscow_date(self.clock.now())) {
            Some(p) => self.published_text(p, lang).await,
            None => {
                let mut doc = self.generate(tenant, DocumentKind::Policy, lang).await?;
                doc.warnings.clear();
                Ok(doc)
            }
        }
    }

    /// The text of one publication (upcoming, in force or superseded), for anyone: the
    /// stable address notices link to.
    pub async fn published_policy(&self, tenant: &str, id: &str, lang: Lang) -> Result<GeneratedDocument, EngineError> {
        if !obereg_core::ids::is_valid_tenant_id(tenant) || !crate::requests::is_short_id(id, "P") {
            return Err(EngineError::NotFound("publication"));
        }
        let all = self.store.publications(tenant).await?;
        let found = all.iter().find(|p| p.id == id).ok_or(EngineError::NotFound("publication"))?;
        self.published_text(found, lang).await
    }

    async fn published_text(&self, p: &PublicationRecord, lang: Lang) -> Result<GeneratedDocument, EngineError> {
        let (code, sha) = if lang == Lang::Ru { ("ru", &p.sha_ru) } else { ("en", &p.sha_en) };
        let kept = self
            .store
            .document_text(&p.tenant_id, DocumentKind::Policy.as_str(), code, sha)
            .await?
            .ok_or(EngineError::Internal("a published text is missing"))?;
        Ok(GeneratedDocument {
            kind: DocumentKind::Policy,
            lang: kept.lang,
            sha256: kept.sha256,
            catalog_version: kept.catalog_version,
            generated_at: micros_to_time(kept.created_at),
            markdown: kept.markdown,
            html: kept.html,
            warnings: Vec::new(),
            publication: Some(p.id.clone()),
            effective_on: p.effective_on.parse().ok(),
        })
    }

    /// A publication as the API shows it, its status judged among `all` (newest first).
    fn publication_view(
        &self,
        p: &PublicationRecord,
        all: &[PublicationRecord],
        today: jiff::civil::Date,
    ) -> Result<Publication, EngineError> {
        let effective_on: jiff::civil::Date = p.effective_on.parse().map_err(|_| EngineError::Internal("a stored date does not parse"))?;
        let status = if effective_on > today {
            PublicationStatus::Upcoming
        } else if in_force_on(all, today).is_some_and(|f| f.id == p.id) {
            PublicationStatus::InForce
        } else {
            PublicationStatus::Superseded
        };
        Ok(Publication {
            id: p.id.clone(),
            number: p.seq,
            catalog_version: p.catalog_version,
            sha256_ru: p.sha_ru.clone(),
            sha256_en: p.sha_en.clone(),
            published_at: micros_to_time(p.published_at),
            published_by: p.published_by.clone(),
            effective_on,
            status,
            changes: serde_json::from_str(&p.changes).map_err(|_| EngineError::Internal("stored changes do not decode"))?,
            notify: p.notify,
            notices: NoticeProgress { queued: p.notices_queued, skipped: p.notices_skipped, done: p.notified_at.is_some() },
            reconsent: p.reconsent,
            url: self.publication_url(&p.tenant_id, &p.id),
        })
    }

    pub(crate) fn publication_url(&self, tenant: &str, id: &str) -> String {
        format!("{}/p/{tenant}/policy/{id}", self.public_url())
    }
}
