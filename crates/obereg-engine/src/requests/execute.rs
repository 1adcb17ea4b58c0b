//! Carrying out a request: each right's effect on the vault, the consent ledger and the
//! decisions, then the `complete` transition with the answer to the subject.
//!
//! The effect is the subject's right exercised through staff who work requests (an
//! administrator or a `dpo` role), so it does not depend on that role's purposes: the
//! request is the authority, and every journal entry of the effect carries the request id.
//! Effects are idempotent (an erased subject is not erased twice, a withdrawn consent is
//! not withdrawn again), so a completion interrupted between effect and transition is
//! simply completed again.
//!
//! Erasure keeps what a law obliges the operator to keep (purposes whose basis is a federal
//! law or a GDPR legal obligation): those values stay, the subject is restricted, and the
//! answer lists them with the norm. Everything else goes; with nothing to keep, the subject
//! is crypto-shredded.

use std::collections::BTreeSet;

use obereg_core::Bilingual;
use obereg_core::catalog::{Catalog, GdprBasis, RuBasis};
use obereg_core::consent::{ConsentAction, ConsentMethod};
use obereg_core::operation::Operation;
use obereg_core::request::deadline::RequestKind;
use obereg_core::request::{RequestEvent, RequestState};
use obereg_core::value::PlainValue;
use obereg_store::{ItemChange, RequestRecord, SubjectData};

use super::intake::MAX_NOTE;
use super::notices::Notice;
use super::workflow::{Step, Who};
use super::{RequestView, check_text, moscow_date, parse_kind, parse_state, view};
use crate::consent::NewConsentEvent;
use crate::journal::Record;
use crate::vault::{NewValue, SubjectStatus};
use crate::{Actor, Engine, EngineError};

/// What staff supply to complete a request; which fields matter depends on its kind.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    /// Words for the subject, added to the answer (required for a complaint).
    pub answer: Option<PlainValue>,
    /// Rectification: the values to correct, by item id.
    pub corrections: Vec<(String, PlainValue)>,
    /// Objection, consent withdrawal, distribution stop: the purposes concerned (an empty
    /// list means every purpose the right reaches; a distribution stop must name them).
    pub purposes: Vec<String>,
    /// Portability: the other operator's URL the answer is posted to, as the subject asked.
    pub transfer_to: Option<String>,
}

impl Engine {
    /// Carries out a request in progress and completes it, telling the subject.
    pub async fn complete_request(&self, actor: &Actor, id: &str, completion: Completion) -> Result<RequestView, EngineError> {
        let (catalog, record) = self.request_for_staff(actor, id).await?;
        let state = parse_state(&record.state)?;
        if !matches!(state, RequestState::InProgress | RequestState::Extended) {
            return Err(EngineError::invalid(
                "request.not_in_progress",
                format!("a request that is {} cannot be completed", state.as_str()),
                format!("запрос в состоянии «{}» нельзя исполнить", state.as_str()),
            ));
        }
        if let Some(answer) = &completion.answer {
            check_text(answer, "answer", MAX_NOTE)?;
        }
        let kind = parse_kind(&record.kind)?;
        let mut private = self.open_private(&actor.tenant, id, &record.sealed)?;
        // The effect acts under the request: its entries carry the request id.
        let exec = Actor { request_id: Some(record.id.clone()), ..actor.clone() };
        let record = self.queue_recipient_notices(&catalog, actor, &exec, kind, record, &completion).await?;
        let summary = match &record.subject_id {
            None if !private.candidates.is_empty() => {
                return Err(EngineError::invalid(
                    "request.subject_ambiguous",
                    "the requester's contact matches several subjects: confirm identity and name the subject first",
                    "контакт заявителя совпадает с несколькими субъектами: сначала подтвердите личность и укажите субъекта",
                ));
            }
            None => no_data(kind, &completion)?,
            Some(subject) => self.carry_out(&catalog, &exec, kind, subject, &completion).await?,
        };
        let summary = match &completion.answer {
            Some(words) => Bilingual::new(format!("{}\n{}", summary.en, words.expose()), format!("{}\n{}", summary.ru, words.expose())),
            None => summary,
        };
        let mut next = record.clone();
        private.answer = Some(if private.language == super::Language::En { summary.en.clone() } else { summary.ru.clone() });
        next.sealed = self.seal_private(&actor.tenant, id, &private)?;
        let mut step = Step::transition(Who::Staff(actor), RequestEvent::Complete);
        if let Some(transfer) = self.portability_transfer(&catalog, &exec, kind, &record, &completion).await? {
            step = step.send(transfer);
        }
        let notice = Notice::Completed { summary: &summary };
        if let Some(m) = self.notice(&actor.tenant, id, kind, &catalog.operator.legal_name, &private, notice)? {
            step = step.send(m);
        }
        let saved = self.save(&actor.tenant, &record, next, step).await?;
        view(&saved, moscow_date(self.clock.now()))
    }

    /// Queues the notices to recipients a correction, erasure or restriction calls for, in
    /// a write of their own before the effect: once the data is erased they could not be
    /// worded any more. A completion run again after an interruption finds them queued and
    /// queues nothing twice.
    async fn queue_recipient_notices(
        &self,
        catalog: &Catalog,
        actor: &Actor,
        exec: &Actor,
        kind: RequestKind,
        record: RequestRecord,
        completion: &Completion,
    ) -> Result<RequestRecord, EngineError> {
        let Some(subject) = record.subject_id.as_deref() else { return Ok(record) };
        if !matches!(kind, RequestKind::Rectification | RequestKind::Erasure | RequestKind::Restriction) {
            return Ok(record);
        }
        let data = match self.live_subject(exec, subject).await {
            Ok(data) => data,
            Err(EngineError::NotFound(_)) => return Ok(record),
            Err(e) => return Err(e),
        };
        let corrections: &[(String, PlainValue)] = if kind == RequestKind::Rectification { &completion.corrections } else { &[] };
        let notices = self.recipient_notices(catalog, &record.id, kind, &data, corrections)?;
        let queued = self.store.outbox_of_request(&exec.tenant, &record.id).await?.iter().any(|m| m.channel == "webhook");
        if notices.is_empty() || queued {
            return Ok(record);
        }
        let step = notices.into_iter().fold(Step::quiet(Who::Staff(actor)), Step::send);
        self.save(&exec.tenant, &record, record.clone(), step).await
    }

    /// For a portability request naming another operator: the answer, signed with the
    /// tenant's receipt key (`Obereg-Signature: ed25519=<base64>` over
    /// `"obereg transfer v1\n" + body`, verifiable with `/v1/consent-receipts/key`), queued
    /// with the completion. Producing it is journaled as a transfer like any answer.
    async fn portability_transfer(
        &self,
        catalog: &Catalog,
        exec: &Actor,
        kind: RequestKind,
        record: &RequestRecord,
        completion: &Completion,
    ) -> Result<Option<obereg_store::OutboxRecord>, EngineError> {
        let Some(url) = &completion.transfer_to else { return Ok(None) };
        if kind != RequestKind::Portability || !obereg_core::catalog::is_notify_url(url) {
            return Err(EngineError::invalid(
                "request.bad_transfer",
                "only a portability request is transferred, to an https:// address of the other operator",
                "передаются только данные запроса о переносе, по адресу https:// другого оператора",
            ));
        }
        let tenant = exec.tenant.as_str();
        let export = self.export(catalog, record, |r| self.entry(exec, tenant, r)).await?;
        let body = serde_json::to_string(&export).map_err(|_| EngineError::Internal("export encoding"))?;
        let signature = format!("ed25519={}", self.sign_transfer(tenant, body.as_bytes())?);
        let message = crate::outbox::Message {
            to: url.clone(),
            subject: String::new(),
            body,
            recipient: None,
            signature: Some(signature),
            unsubscribe: None,
        };
        let outgoing = super::notices::Outgoing {
            tenant,
            request: &record.id,
            id: super::notices::new_delivery_id(),
            channel: crate::outbox::Channel::Webhook,
            template: "portability_transfer",
        };
        self.outbox_record(outgoing, &message).map(Some)
    }

    /// The effect of `kind` on `subject`, and its summary for the answer.
    async fn carry_out(
        &self,
        catalog: &Catalog,
        exec: &Actor,
        kind: RequestKind,
        subject: &str,
        completion: &Completion,
    ) -> Result<Bilingual, EngineError> {
        let tenant = exec.tenant.as_str();
        match kind {
            RequestKind::Access | RequestKind::Portability => Ok(Bilingual::new(
                "The information about your personal data is ready: download it with your request key (JSON and HTML).",
                "Сведения о ваших персональных данных подготовлены: скачайте их по ключу запроса (JSON и HTML).",
            )),
            RequestKind::Complaint => {
                if completion.answer.as_ref().is_none_or(|a| a.expose().trim().is_empty()) {
                    return Err(EngineError::invalid(
                        "request.answer_required",
                        "a complaint is answered in words: give the answer",
                        "на жалобу отвечают по существу: укажите ответ",
                    ));
                }
                Ok(Bilingual::new("Your complaint has been reviewed.", "Ваша жалоба рассмотрена."))
            }
            RequestKind::Restriction => {
                self.restrict_for_request(exec, subject).await?;
                Ok(Bilingual::new(
                    "Processing of your personal data is blocked: they are kept but not used.",
                    "Обработка ваших персональных данных заблокирована: данные хранятся, но не используются.",
                ))
            }
            RequestKind::Erasure => self.erase_for_request(catalog, exec, subject).await,
            RequestKind::Rectification => self.rectify_for_request(catalog, exec, subject, &completion.corrections).await,
            RequestKind::Objection => {
                let purposes = objection_purposes(catalog, &completion.purposes)?;
                if purposes.is_empty() {
                    return Ok(Bilingual::new(
                        "None of our purposes rests on legitimate interests or is marketing: there is no processing to object to.",
                        "Ни одна из наших целей не основана на законном интересе и не является рекламой: обработки, против которой можно возразить, нет.",
                    ));
                }
                let entries = purposes
                    .iter()
                    .map(|p| {
                        self.entry(exec, tenant, Record::op(Operation::Blocking.code()).purpose(p).subject(subject).object("objection"))
                    })
                    .collect::<Vec<_>>();
                let at = self.now_micros();
                let appended = self
                    .store
                    .add_objections(tenant, subject, &purposes, at, exec.request_id.as_deref(), &entries)
                    .await?
                    .ok_or(EngineError::NotFound("subject"))?;
                self.after_append(tenant, appended).await;
                let list = purposes.join(", ");
                Ok(Bilingual::new(
                    format!("Your objection is recorded: processing for these purposes has stopped: {list}."),
                    format!("Ваше возражение учтено: обработка в этих целях прекращена: {list}."),
                ))
            }
            RequestKind::ConsentWithdrawal | RequestKind::DistributionStop => {
                if kind == RequestKind::DistributionStop && completion.purposes.is_empty() {
                    return Err(EngineError::invalid(
                        "request.purposes_required",
                        "name the purposes whose distribution stops",
                        "укажите цели, для которых прекращается распространение",
                    ));
                }
                let withdrawn = self.withdraw_for_request(catalog, exec, subject, &completion.purposes).await?;
                let list = if withdrawn.is_empty() { "—".to_owned() } else { withdrawn.join(", ") };
                Ok(Bilingual::new(
                    format!("Your consent is withdrawn; processing on it has stopped: {list}."),
                    format!("Ваше согласие отозвано, обработка на его основании прекращена: {list}."),
                ))
            }
        }
    }

    async fn restrict_for_request(&self, exec: &Actor, subject: &str) -> Result<(), EngineError> {
        let data = self.live_subject(exec, subject).await?;
        if data.subject.status == SubjectStatus::Restricted.as_str() {
            return Ok(());
        }
        let entry = self.entry(exec, &exec.tenant, Record::op(Operation::Blocking.code()).subject(subject).object("restrict"));
        let (from, to) = (SubjectStatus::Active.as_str(), SubjectStatus::Restricted.as_str());
        let now = self.now_micros();
        let appended = self
            .store
            .set_subject_status(&exec.tenant, subject, from, to, now, &[entry])
            .await?
            .ok_or(EngineError::Conflict("subject status"))?;
        self.after_append(&exec.tenant, appended).await;
        Ok(())
    }

    async fn erase_for_request(&self, catalog: &Catalog, exec: &Actor, subject: &str) -> Result<Bilingual, EngineError> {
        let data = match self.live_subject(exec, subject).await {
            Ok(data) => data,
            // Erased already (an interrupted completion, or another request): nothing left.
            Err(EngineError::NotFound(_)) => return Ok(erased_summary()),
            Err(e) => return Err(e),
        };
        let duty = legal_duty_purposes(catalog);
        let (kept, gone): (Vec<_>, Vec<_>) = data.items.iter().partition(|i| i.purposes.split(',').any(|p| duty.contains(p)));
        let Some(meta) = self.subject_for_retention(&exec.tenant, subject).await? else { return Ok(erased_summary()) };
        let request = exec.request_id.clone().unwrap_or_default();
        let reason = obereg_core::retention::DestructionReason::SubjectRequest;
        if kept.is_empty() {
            self.destroy_with_act(exec, catalog, &meta, None, reason, ("request", &request)).await?;
            return Ok(erased_summary());
        }
        if !gone.is_empty() {
            let ids: Vec<String> = gone.iter().map(|i| i.id.clone()).collect();
            self.destroy_with_act(exec, catalog, &meta, Some(&ids), reason, ("request", &request)).await?;
        }
        self.restrict_for_request(exec, subject).await?;
        Ok(kept_summary(catalog, &data, &kept.iter().map(|i| i.purposes.as_str()).collect::<Vec<_>>(), &duty))
    }

    async fn rectify_for_request(
        &self,
        catalog: &Catalog,
        exec: &Actor,
        subject: &str,
        corrections: &[(String, PlainValue)],
    ) -> Result<Bilingual, EngineError> {
        if corrections.is_empty() || corrections.len() > crate::vault::MAX_ITEMS_PER_CALL {
            return Err(EngineError::invalid(
                "request.corrections_required",
                "give between 1 and 1000 corrected values, by item id",
                "укажите от 1 до 1000 исправленных значений с идентификаторами",
            ));
        }
        let data = self.live_subject(exec, subject).await?;
        let sealer = self.subject_sealer(&data)?;
        let mut update = Vec::with_capacity(corrections.len());
        for (item_id, value) in corrections {
            let item = data
                .items
                .iter()
                .find(|i| &i.id == item_id && i.kind == crate::vault::ATTRIBUTE_KIND)
                .ok_or(EngineError::NotFound("value"))?;
            let new = NewValue {
                category: item.category.clone(),
                value: value.clone(),
                purposes: item.purposes.split(',').map(str::to_owned).collect(),
                source: item.source.clone(),
            };
            update.push(self.seal_value(catalog, &exec.tenant, subject, &sealer, 1, &new, item.collected_at, Some(&item.id))?);
        }
        let categories: Vec<&str> = update.iter().map(|i| i.category.as_str()).collect();
        let entry =
            self.entry(exec, &exec.tenant, Record::op(Operation::Clarification.code()).subject(subject).categories(categories.clone()));
        let change = ItemChange {
            tenant_id: exec.tenant.clone(),
            subject_id: subject.to_owned(),
            expected_status: SubjectStatus::parse(&data.subject.status).as_str(),
            at: self.now_micros(),
            insert: vec![],
            update: update.clone(),
            delete: vec![],
        };
        let appended = self.store.change_items(&change, &[entry]).await?.ok_or(EngineError::Conflict("subject status"))?;
        self.after_append(&exec.tenant, appended).await;
        let list = categories.into_iter().collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", ");
        Ok(Bilingual::new(format!("Your data has been corrected: {list}."), format!("Ваши данные уточнены: {list}.")))
    }

    /// Withdraws every consent in force for `purposes` (all when empty); returns the
    /// purposes withdrawn.
    async fn withdraw_for_request(
        &self,
        catalog: &Catalog,
        exec: &Actor,
        subject: &str,
        purposes: &[String],
    ) -> Result<Vec<String>, EngineError> {
        for p in purposes {
            obereg_core::access::purpose(catalog, p)
                .map_err(|d| EngineError::Invalid { code: "request.unknown_purpose", message: d.reason })?;
        }
        let state = self.ledger_state(&exec.tenant, subject).await?;
        let mut done = BTreeSet::new();
        for (scope, last) in state.scopes() {
            if last.action != ConsentAction::Given || (!purposes.is_empty() && !purposes.contains(&scope.purpose)) {
                continue;
            }
            let event = NewConsentEvent {
                purpose: scope.purpose.clone(),
                channel: scope.channel,
                cookie: scope.cookie.clone(),
                action: ConsentAction::Withdrawn,
                method: ConsentMethod::SubjectRequest,
                document: None,
                valid_until: None,
                by_representative: false,
                evidence: None,
            };
            match self.append_consent(exec, subject, event).await {
                Ok(_) | Err(EngineError::Invalid { code: "consent.not_given", .. }) => {
                    done.insert(scope.purpose.clone());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(done.into_iter().collect())
    }
}

/// The answer when obereg holds nothing about the requester.
fn no_data(kind: RequestKind, completion: &Completion) -> Result<Bilingual, EngineError> {
    if kind == RequestKind::Complaint && completion.answer.as_ref().is_none_or(|a| a.expose().trim().is_empty()) {
        return Err(EngineError::invalid(
            "request.answer_required",
            "a complaint is answered in words: give the answer",
            "на жалобу отвечают по существу: укажите ответ",
        ));
    }
    Ok(Bilingual::new(
        "We do not process any personal data about you (none was found for the contact details you confirmed).",
        "Мы не обрабатываем ваших персональных данных (по подтверждённым вами контактам ничего не найдено).",
    ))
}

fn erased_summary() -> Bilingual {
    Bilingual::new(
        "Your personal data has been destroyed; no copy of it can be read any more.",
        "Ваши персональные данные уничтожены; ни одну их копию больше нельзя прочитать.",
    )
}

/// Purposes whose basis obliges the operator to keep data: a federal law (152-FZ art. 6
/// p.1 item 2) or a GDPR legal obligation (art. 6(1)(c)).
fn legal_duty_purposes(catalog: &Catalog) -> BTreeSet<String> {
    catalog
        .purposes
        .iter()
        .filter(|p| p.basis.is_some_and(|b| b.ru == Some(RuBasis::Law) || b.gdpr == Some(GdprBasis::LegalObligation)))
        .map(|p| p.id.clone())
        .collect()
}

fn kept_summary(catalog: &Catalog, data: &SubjectData, kept: &[&str], duty: &BTreeSet<String>) -> Bilingual {
    let mut lines_en =
        vec!["Your personal data has been destroyed, except what the law obliges us to keep; that is blocked (kept, not used):".to_owned()];
    let mut lines_ru =
        vec!["Ваши персональные данные уничтожены, кроме тех, которые мы обязаны хранить по закону; они заблокированы (хранятся, не используются):".to_owned()];
    let purposes: BTreeSet<&str> = kept.iter().flat_map(|p| p.split(',')).filter(|p| duty.contains(*p)).collect();
    for id in purposes {
        let Some(p) = catalog.purposes.iter().find(|p| p.id == id) else { continue };
        let norm = p.retention.as_ref().and_then(|r| r.legal_reference.clone()).unwrap_or_default();
        let cats: BTreeSet<&str> =
            data.items.iter().filter(|i| i.purposes.split(',').any(|x| x == id)).map(|i| i.category.as_str()).collect();
        let cats = cats.into_iter().collect::<Vec<_>>().join(", ");
        let en = p.name.en.clone().unwrap_or_else(|| p.name.ru.clone());
        lines_en.push(format!("- {en}: {cats} {norm}"));
        lines_ru.push(format!("- {}: {cats} {norm}", p.name.ru));
    }
    Bilingual::new(lines_en.join("\n"), lines_ru.join("\n"))
}

/// The purposes an objection reaches: those named (each must be marketing or rest on
/// legitimate interests), or all such purposes.
fn objection_purposes(catalog: &Catalog, named: &[String]) -> Result<Vec<String>, EngineError> {
    let objectable = |p: &obereg_core::catalog::Purpose| {
        p.marketing || p.basis.is_some_and(|b| b.ru == Some(RuBasis::LegitimateInterests) || b.gdpr == Some(GdprBasis::LegitimateInterests))
    };
    if named.is_empty() {
        return Ok(catalog.purposes.iter().filter(|p| objectable(p)).map(|p| p.id.clone()).collect());
    }
    named
        .iter()
        .map(|id| {
            let p = obereg_core::access::purpose(catalog, id)
                .map_err(|d| EngineError::Invalid { code: "request.unknown_purpose", message: d.reason })?;
            if objectable(p) {
                Ok(p.id.clone())
            } else {
                Err(EngineError::invalid(
                    "request.not_objectable",
                    format!("purpose `{id}` is neither marketing nor based on legitimate interests: an objection does not reach it"),
                    format!("цель `{id}` не рекламная и не основана на законном интересе: возражение на неё не распространяется"),
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../../examples/voice-robot-calls.toml");

    #[test]
    fn an_objection_reaches_marketing_and_legitimate_interests_only() {
        let mut catalog = obereg_core::catalog::parse(EXAMPLE).unwrap();
        assert_eq!(objection_purposes(&catalog, &[]).unwrap(), ["product_news"]);
        assert_eq!(objection_purposes(&catalog, &["account".into()]).unwrap_err().code(), "request.not_objectable");
        assert_eq!(objection_purposes(&catalog, &["ghost".into()]).unwrap_err().code(), "request.unknown_purpose");
        for p in &mut catalog.purposes {
            p.marketing = false;
        }
        assert!(objection_purposes(&catalog, &[]).unwrap().is_empty(), "nothing to object to: answered in words, nothing stored");
    }
}
