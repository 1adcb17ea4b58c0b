//! The walk a publication makes over every subject of its tenant: it counts the consents in
//! force given under a consent document the catalog no longer renders (they are flagged for
//! re-consent, `GET /v1/consents/reconsent`), and, when the publication tells subjects of
//! material changes, queues one email to each active subject with an address.
//!
//! The email is written in Russian and English (obereg does not know a subject's language
//! here), names the effective date and every material change, links to the published text,
//! tells the subject which of their consents will be asked for again, and carries a
//! one-click link (RFC 8058, `List-Unsubscribe`) that stops these notices for that subject.
//!
//! Privacy rules of the walk:
//! - a restricted (blocked) subject's data is used for nothing but storage: no email;
//! - a subject who followed the one-click link before gets no email;
//! - each message is sealed under the subject's own data key (`Engine::seal_subject_message`),
//!   so erasing the subject before delivery makes it unreadable; the address appears nowhere
//!   else (not in the journal, which records the use of `contact.email` by opaque id).
//!
//! Each batch commits its messages, journal entries and the publication's cursor together
//! (`obereg_store::NoticeBatch`): resumable after a crash, never queuing a notice twice.

use std::collections::{HashMap, HashSet};

use obereg_core::Operation;
use obereg_core::catalog::Catalog;
use obereg_store::{NoticeBatch, PublicationRecord, StoreError};

use super::publication::{NoticeProgress, PublishedChange};
use crate::consent::reconsent::RenderCache;
use crate::journal::Record;
use crate::outbox::{Channel, Message};
use crate::requests::notices::new_delivery_id;
use crate::unsubscribe::POLICY_NOTICES;
use crate::{Engine, EngineError};

/// Subjects per batch: one transaction.
const BATCH: u32 = 500;
/// The category notices are sent to.
pub(crate) const EMAIL_CATEGORY: &str = "contact.email";
/// The outbox template of a policy notice.
const TEMPLATE: &str = "policy_changed";

/// Where a walk is: subjects done out of those there were when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkProgress {
    pub done: u64,
    pub total: u64,
}

/// What one email says, before it is sealed.
struct PolicyNotice<'a> {
    operator: (&'a str, &'a str),
    effective_on: &'a str,
    changes: &'a [PublishedChange],
    /// The subject's consents (purpose names, ru and en) that will be asked for again.
    reconsent: &'a [(String, String)],
    text_url: &'a str,
    unsubscribe_url: &'a str,
}

impl PolicyNotice<'_> {
    fn subject_line(&self) -> String {
        format!("Изменение политики обработки персональных данных с {date} / Privacy policy changes from {date}", date = self.effective_on)
    }

    fn body(&self) -> String {
        let (op_ru, op_en) = self.operator;
        let mut ru = format!(
            "Здравствуйте!\n\n{op_ru} публикует новую редакцию политики в отношении обработки персональных данных. \
             Она вступает в силу {date}.\n\nСущественные изменения:\n",
            date = self.effective_on
        );
        let mut en = format!(
            "Hello,\n\n{op_en} publishes a new version of its privacy policy. It takes effect on {date}.\n\nMaterial changes:\n",
            date = self.effective_on
        );
        for change in self.changes {
            ru.push_str(&format!("- {}\n", change.message.ru));
            en.push_str(&format!("- {}\n", change.message.en));
        }
        ru.push_str(&format!("\nТекст новой редакции: {}\n", self.text_url));
        en.push_str(&format!("\nThe new text: {}?lang=en\n", self.text_url));
        if !self.reconsent.is_empty() {
            let names_ru: Vec<&str> = self.reconsent.iter().map(|(ru, _)| ru.as_str()).collect();
            let names_en: Vec<&str> = self.reconsent.iter().map(|(_, en)| en.as_str()).collect();
            ru.push_str(&format!(
                "\nВаше согласие на обработку для целей «{}» дано на прежних условиях. Мы попросим вас подтвердить его \
                 заново; до этого ваши данные не будут обрабатываться на новых условиях.\n",
                names_ru.join("», «")
            ));
            en.push_str(&format!(
                "\nYour consent for \"{}\" was given on the previous terms. We will ask you to confirm it again; until \
                 then your data will not be processed on the new terms.\n",
                names_en.join("\", \"")
            ));
        }
        ru.push_str("\nВы вправе в любой момент отозвать согласие или возразить против обработки, направив запрос оператору.\n");
        en.push_str("\nYou may withdraw your consent or object to the processing at any time by writing to the operator.\n");
        ru.push_str(&format!("\nЧтобы больше не получать уведомления об изменении политики: {}\n", self.unsubscribe_url));
        en.push_str(&format!("\nTo stop notices of policy changes: {}\n", self.unsubscribe_url));
        format!("{ru}\n---\n\n{en}")
    }
}

/// A purpose's name in both languages (its id when the catalog no longer has it).
fn purpose_names(catalog: &Catalog, id: &str) -> (String, String) {
    match catalog.purposes.iter().find(|p| p.id == id) {
        Some(p) => (p.name.ru.clone(), p.name.en.clone().unwrap_or_else(|| p.name.ru.clone())),
        None => (id.to_owned(), id.to_owned()),
    }
}

impl Engine {
    /// Walks every tenant's publications whose walk is unfinished (the server runs this
    /// after a publication and on a schedule, so an interrupted walk resumes). Returns how
    /// many publications it finished.
    pub async fn walk_unfinished_publications(&self) -> Result<u64, EngineError> {
        let mut finished = 0;
        for p in self.store.publications_to_notify().await? {
            self.walk_publication(&p.tenant_id, &p.id, |_| {}).await?;
            finished += 1;
        }
        Ok(finished)
    }

    /// Walks publication `id` of `tenant` to its end from where it stands, reporting
    /// progress after each batch.
    pub async fn walk_publication(
        &self,
        tenant: &str,
        id: &str,
        mut progress: impl FnMut(WalkProgress),
    ) -> Result<NoticeProgress, EngineError> {
        let version = self.store.current_catalog(tenant).await?.ok_or(EngineError::NotFound("catalog"))?;
        let catalog = self.parsed(&version)?;
        let total = self.store.count_live_subjects(tenant).await?.max(0) as u64;
        let mut cache = RenderCache::new();
        let mut done = 0u64;
        loop {
            let all = self.store.publications(tenant).await?;
            let p = all.iter().find(|p| p.id == id).ok_or(EngineError::NotFound("publication"))?;
            if p.notified_at.is_some() {
                return Ok(NoticeProgress { queued: p.notices_queued, skipped: p.notices_skipped, done: true });
            }
            let (batch, journal) = self.notice_batch(&catalog, p, &mut cache).await?;
            let walked = batch.queued + batch.skipped;
            match self.store.queue_notices(&batch, &journal).await {
                Ok(_) => {
                    done += walked as u64;
                    progress(WalkProgress { done: done.min(total), total });
                }
                // Another worker moved the cursor first: read where it stands and go on.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The next batch of `p`'s walk, read after its cursor.
    async fn notice_batch(
        &self,
        catalog: &Catalog,
        p: &PublicationRecord,
        cache: &mut RenderCache,
    ) -> Result<(NoticeBatch, Vec<obereg_journal::EntryDraft>), EngineError> {
        let tenant = p.tenant_id.as_str();
        let page = self.store.retention_page(tenant, p.cursor_seq, BATCH).await?;
        let finished = page.len() < BATCH as usize;
        let active: Vec<(i64, String)> = page.iter().filter(|s| s.status == "active").map(|s| (s.seq, s.id.clone())).collect();
        let ids: Vec<String> = active.iter().map(|(_, id)| id.clone()).collect();
        let flagged = self.reconsent_of(tenant, catalog, &ids, cache).await?;
        let mut reconsent: HashMap<&str, Vec<(String, String)>> = HashMap::new();
        for r in &flagged {
            let names = purpose_names(catalog, &r.purpose);
            let list = reconsent.entry(r.subject.as_str()).or_default();
            if !list.contains(&names) {
                list.push(names);
            }
        }
        let mut outbox = Vec::new();
        let mut journal = Vec::new();
        if p.notify {
            let changes: Vec<PublishedChange> =
                serde_json::from_str(&p.changes).map_err(|_| EngineError::Internal("stored changes do not decode"))?;
            let opted: HashSet<i64> = self
                .store
                .notice_optouts_many(tenant, &active.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), POLICY_NOTICES)
                .await?
                .into_iter()
                .collect();
            let seqs: Vec<i64> = active.iter().map(|(seq, _)| *seq).filter(|seq| !opted.contains(seq)).collect();
            let operator = &catalog.operator.legal_name;
            let operator = (operator.ru.as_str(), operator.en.as_deref().unwrap_or(&operator.ru));
            let text_url = self.publication_url(tenant, &p.id);
            let mut seen = HashSet::new();
            for (item, key) in self.store.sealed_items_of(tenant, &seqs, EMAIL_CATEGORY).await? {
                // One email per subject, to its first address.
                if !seen.insert(item.subject_id.clone()) {
                    continue;
                }
                let subject = item.subject_id.as_str();
                let sealer = self.keyring.unwrap(&key.wrapped, tenant, subject, key.dek_version, key.kek_version)?.sealer();
                let address = self.open_item(&sealer, &item, key.dek_version)?;
                let link = self.notices_link(tenant, subject, POLICY_NOTICES)?;
                let unsubscribe_url = format!("{}{}", self.public_url(), link.path);
                let notice = PolicyNotice {
                    operator,
                    effective_on: &p.effective_on,
                    changes: &changes,
                    reconsent: reconsent.get(subject).map_or(&[][..], |v| v.as_slice()),
                    text_url: &text_url,
                    unsubscribe_url: &unsubscribe_url,
                };
                let message = Message {
                    to: address.expose().to_owned(),
                    subject: notice.subject_line(),
                    body: notice.body(),
                    recipient: None,
                    signature: None,
                    unsubscribe: Some(unsubscribe_url.clone()),
                };
                let delivery = new_delivery_id();
                let sealed = self.seal_subject_message(&sealer, (tenant, subject, key.dek_version), &delivery, &message)?;
                let mut record = self.pending_message(tenant, delivery, Channel::Email, TEMPLATE, sealed);
                record.subject_id = Some(subject.to_owned());
                outbox.push(record);
                journal.push(self.system_entry(
                    tenant,
                    Record::op(Operation::Use.code()).subject(subject).categories([EMAIL_CATEGORY]).object(p.id.as_str()),
                ));
            }
        }
        let queued = outbox.len() as i64;
        let batch = NoticeBatch {
            tenant_id: tenant.to_owned(),
            publication_id: p.id.clone(),
            from_cursor: p.cursor_seq,
            to_cursor: page.last().map_or(p.cursor_seq, |s| s.seq),
            queued,
            skipped: page.len() as i64 - queued,
            reconsent: flagged.len() as i64,
            outbox,
            finished_at: finished.then(|| self.now_micros()),
        };
        Ok((batch, journal))
    }
}
