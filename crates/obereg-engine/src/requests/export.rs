//! The answer to an access or portability request: everything 152-FZ art. 14 p.7 and GDPR
//! art. 15 list, generated from the catalog and the vault, as JSON (machine-readable,
//! `obereg-subject-export/1`, schema in docs/requests.md) and as a readable HTML page.
//!
//! Only the requester's own subject is read: its values, records and consent history.
//! Records hold references (a transcript's object key), never another person's data, so
//! nothing of anyone else enters the answer. Producing it is a provision of personal data
//! to the subject (предоставление), journaled with the categories released.

use std::collections::BTreeSet;

use obereg_core::catalog::{Catalog, GdprBasis, RecipientKind, RuBasis};
use obereg_core::consent::document::retention_text;
use obereg_core::operation::Operation;
use obereg_core::request::RequestState;
use obereg_core::request::deadline::RequestKind;
use obereg_core::text::html_escape as esc;
use obereg_store::RequestRecord;
use serde::Serialize;

use super::intake::request_record;
use super::{parse_kind, parse_state};
use crate::vault::{ATTRIBUTE_KIND, RecordBody, micros_to_time};
use crate::{Actor, Engine, EngineError};

/// A value a rectification may correct.
#[derive(Debug, Clone)]
pub struct RequestValue {
    /// The item id a correction names.
    pub id: String,
    pub category: String,
    pub value: obereg_core::value::PlainValue,
}

/// The format of the JSON answer.
pub const EXPORT_FORMAT: &str = "obereg-subject-export/1";

/// JSON or HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Html,
}

/// The answer to an access request.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectExport {
    pub format: &'static str,
    pub request: String,
    pub generated_at: jiff::Timestamp,
    pub operator: ExportOperator,
    /// `None` when obereg holds nothing about the requester.
    pub subject: Option<ExportSubject>,
    pub values: Vec<ExportValue>,
    pub records: Vec<ExportRecord>,
    pub purposes: Vec<ExportPurpose>,
    pub recipients: Vec<ExportRecipient>,
    pub storage: Vec<ExportStorage>,
    pub consents: Vec<ExportConsent>,
    pub objections: Vec<String>,
    pub rights: ExportText,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportText {
    pub ru: String,
    pub en: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportOperator {
    pub name: String,
    pub inn: Option<String>,
    pub ogrn: Option<String>,
    pub address: String,
    pub requests_email: Option<String>,
    pub requests_phone: Option<String>,
    pub dpo: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportSubject {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportValue {
    pub category: String,
    pub category_name: ExportText,
    pub value: String,
    pub source: String,
    pub purposes: Vec<String>,
    pub collected_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportRecord {
    pub kind: String,
    pub category: String,
    pub occurred_at: jiff::Timestamp,
    pub body: RecordBody,
    pub source: String,
    pub purposes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportPurpose {
    pub id: String,
    pub name: ExportText,
    pub basis_ru: Option<RuBasis>,
    pub basis_gdpr: Option<GdprBasis>,
    pub operations: Vec<Operation>,
    pub retention: Option<ExportText>,
    pub recipients: Vec<String>,
    pub storage: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportRecipient {
    pub id: String,
    pub name: String,
    pub kind: RecipientKind,
    pub country: String,
    /// Outside Russia: a cross-border transfer (152-FZ art. 12).
    pub cross_border: bool,
    pub safeguard: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportStorage {
    pub system: String,
    pub country: String,
    pub city: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportConsent {
    pub purpose: String,
    pub channel: Option<String>,
    pub cookie: Option<String>,
    pub action: String,
    pub at: jiff::Timestamp,
    pub method: String,
    pub document: Option<String>,
}

impl Engine {
    /// The answer of an access or portability request, for staff preparing it.
    pub async fn request_export(&self, actor: &Actor, id: &str) -> Result<SubjectExport, EngineError> {
        let (catalog, record) = self.request_for_staff(actor, id).await?;
        let state = parse_state(&record.state)?;
        if !matches!(state, RequestState::InProgress | RequestState::Extended | RequestState::Completed) {
            return Err(not_ready());
        }
        let exec = Actor { request_id: Some(record.id.clone()), ..actor.clone() };
        self.export(&catalog, &record, |r| self.entry(&exec, &actor.tenant, r)).await
    }

    /// The values a rectification request in progress may correct, with their item ids, for
    /// the staff member preparing the corrections. Reading them is an extraction under the
    /// request, journaled with the categories shown before anything is returned.
    pub async fn request_values(&self, actor: &Actor, id: &str) -> Result<Vec<RequestValue>, EngineError> {
        let (catalog, record) = self.request_for_staff(actor, id).await?;
        let state = parse_state(&record.state)?;
        if parse_kind(&record.kind)? != RequestKind::Rectification || !matches!(state, RequestState::InProgress | RequestState::Extended) {
            return Err(EngineError::invalid(
                "request.no_values",
                "values to correct are shown for a rectification request in progress",
                "значения для исправления показываются для запроса об уточнении в работе",
            ));
        }
        let Some(subject) = record.subject_id.as_deref() else { return Ok(Vec::new()) };
        let exec = Actor { request_id: Some(record.id.clone()), ..actor.clone() };
        let mut data = self.live_subject(&exec, subject).await?;
        crate::vault::support::in_catalog_order(&catalog, &mut data.items);
        let sealer = self.subject_sealer(&data)?;
        let mut values = Vec::new();
        for item in data.items.iter().filter(|i| i.kind == ATTRIBUTE_KIND) {
            values.push(RequestValue { id: item.id.clone(), category: item.category.clone(), value: self.open_item(&sealer, item, 1)? });
        }
        let categories: BTreeSet<String> = values.iter().map(|v| v.category.clone()).collect();
        let draft = self.entry(
            &exec,
            &actor.tenant,
            request_record(Operation::Extraction.code(), &record.id, Some(subject)).categories(categories),
        );
        self.journal_without_change(&actor.tenant, vec![draft]).await?;
        Ok(values)
    }

    /// The answer of a completed access or portability request, for the requester.
    pub async fn followed_export(&self, tenant: &str, id: &str, key: &str) -> Result<SubjectExport, EngineError> {
        let record = self.followed_request(tenant, id, key).await?;
        if record.state != RequestState::Completed.as_str() {
            return Err(not_ready());
        }
        let catalog = self.catalog_in_force(tenant).await?;
        self.export(&catalog, &record, |r| self.subject_entry(tenant, r)).await
    }

    pub(crate) async fn export<'a>(
        &self,
        catalog: &Catalog,
        record: &RequestRecord,
        entry: impl Fn(crate::journal::Record<'a>) -> obereg_journal::EntryDraft,
    ) -> Result<SubjectExport, EngineError> {
        let kind = parse_kind(&record.kind)?;
        if !matches!(kind, RequestKind::Access | RequestKind::Portability) {
            return Err(EngineError::invalid(
                "request.no_export",
                "only access and portability requests are answered with an export",
                "выгрузка данных — ответ только на запрос о доступе или переносе",
            ));
        }
        self.export_of(catalog, &record.tenant_id, &record.id, record.subject_id.as_deref(), entry).await
    }

    /// Everything obereg holds about `subject` (none: an empty export) as an answer labelled
    /// `label` (a request id), journaled through `entry` before it is returned.
    pub(crate) async fn export_of<'a>(
        &self,
        catalog: &Catalog,
        tenant: &str,
        label: &str,
        subject: Option<&str>,
        entry: impl Fn(crate::journal::Record<'a>) -> obereg_journal::EntryDraft,
    ) -> Result<SubjectExport, EngineError> {
        let mut export = SubjectExport {
            format: EXPORT_FORMAT,
            request: label.to_owned(),
            generated_at: self.clock.now(),
            operator: operator(catalog),
            subject: None,
            values: Vec::new(),
            records: Vec::new(),
            purposes: Vec::new(),
            recipients: Vec::new(),
            storage: Vec::new(),
            consents: Vec::new(),
            objections: Vec::new(),
            rights: rights(catalog),
        };
        let mut used_purposes = BTreeSet::new();
        if let Some(subject) = subject
            && let Some(mut data) = self.store.subject(tenant, subject).await?
        {
            crate::vault::support::in_catalog_order(catalog, &mut data.items);
            export.subject = Some(ExportSubject {
                id: data.subject.id.clone(),
                kind: data.subject.kind.clone(),
                status: data.subject.status.clone(),
                created_at: micros_to_time(data.subject.created_at),
            });
            if data.key.is_some() {
                let sealer = self.subject_sealer(&data)?;
                for item in &data.items {
                    let purposes: Vec<String> = item.purposes.split(',').map(str::to_owned).collect();
                    used_purposes.extend(purposes.iter().cloned());
                    let plain = self.open_item(&sealer, item, 1)?;
                    if item.kind == ATTRIBUTE_KIND {
                        let name = catalog.categories.iter().find(|c| c.id == item.category).map(|c| &c.name);
                        export.values.push(ExportValue {
                            category: item.category.clone(),
                            category_name: ExportText {
                                ru: name.map(|n| n.ru.clone()).unwrap_or_else(|| item.category.clone()),
                                en: name.and_then(|n| n.en.clone()).unwrap_or_else(|| item.category.clone()),
                            },
                            value: plain.expose().to_owned(),
                            source: item.source.clone(),
                            purposes,
                            collected_at: micros_to_time(item.collected_at),
                        });
                    } else {
                        let body: RecordBody =
                            serde_json::from_str(plain.expose()).map_err(|_| EngineError::Internal("a sealed record does not decode"))?;
                        export.records.push(ExportRecord {
                            kind: item.kind.clone(),
                            category: item.category.clone(),
                            occurred_at: micros_to_time(item.occurred_at.unwrap_or(item.collected_at)),
                            body,
                            source: item.source.clone(),
                            purposes,
                        });
                    }
                }
                for e in self.store.consent_events(tenant, subject).await? {
                    used_purposes.insert(e.purpose.clone());
                    export.consents.push(ExportConsent {
                        purpose: e.purpose,
                        channel: e.channel,
                        cookie: e.cookie,
                        action: e.action,
                        at: micros_to_time(e.at),
                        method: e.method,
                        document: e.document,
                    });
                }
                export.objections =
                    self.store.objections_many(tenant, &[subject.to_owned()]).await?.into_iter().map(|(_, p, _)| p).collect();
            }
        }
        describe_purposes(catalog, &used_purposes, &mut export);
        // Journaled before anything is returned, naming the categories released.
        let categories: BTreeSet<&str> =
            export.values.iter().map(|v| v.category.as_str()).chain(export.records.iter().map(|r| r.category.as_str())).collect();
        let draft = entry(request_record(Operation::Transfer.code(), label, subject).categories(categories.into_iter().map(str::to_owned)));
        self.journal_without_change(tenant, vec![draft]).await?;
        Ok(export)
    }
}

fn not_ready() -> EngineError {
    EngineError::invalid("request.export_not_ready", "the answer is not ready yet", "ответ ещё не подготовлен")
}

fn operator(catalog: &Catalog) -> ExportOperator {
    let o = &catalog.operator;
    ExportOperator {
        name: o.legal_name.ru.clone(),
        inn: o.inn.clone(),
        ogrn: o.ogrn.clone(),
        address: o.address.clone(),
        requests_email: o.requests_email.clone(),
        requests_phone: o.requests_phone.clone(),
        dpo: o.dpo.as_ref().map(|d| d.name.clone()),
    }
}

fn rights(catalog: &Catalog) -> ExportText {
    let contact = [catalog.operator.requests_email.as_deref(), catalog.operator.requests_phone.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    ExportText {
        ru: format!(
            "Вы вправе получать сведения об обработке своих данных, требовать их уточнения, блокирования или уничтожения, \
             отозвать согласие, возразить против обработки и обжаловать действия оператора в Роскомнадзор или в суд \
             (ст. 14, 17, 21 152-ФЗ). Запросы принимаются: {contact}."
        ),
        en: format!(
            "You may obtain information about the processing of your data, have it corrected, blocked or destroyed, \
             withdraw consent, object to processing, and complain to Roskomnadzor or a court (152-FZ arts. 14, 17, 21; \
             GDPR arts. 15–22, 77). Requests are accepted at: {contact}."
        ),
    }
}

/// The purposes that hold the subject's data, with their recipients and storage.
fn describe_purposes(catalog: &Catalog, used: &BTreeSet<String>, export: &mut SubjectExport) {
    let mut recipients = BTreeSet::new();
    let mut storage = BTreeSet::new();
    for p in catalog.purposes.iter().filter(|p| used.contains(&p.id)) {
        recipients.extend(p.recipients.iter().cloned());
        storage.extend(p.storage.iter().cloned());
        export.purposes.push(ExportPurpose {
            id: p.id.clone(),
            name: ExportText { ru: p.name.ru.clone(), en: p.name.en.clone().unwrap_or_else(|| p.name.ru.clone()) },
            basis_ru: p.basis.and_then(|b| b.ru),
            basis_gdpr: p.basis.and_then(|b| b.gdpr),
            operations: p.operations.clone(),
            retention: p.retention.as_ref().map(|r| {
                let t = retention_text(r);
                ExportText { ru: t.ru, en: t.en }
            }),
            recipients: p.recipients.clone(),
            storage: p.storage.clone(),
        });
    }
    export.recipients = catalog
        .recipients
        .iter()
        .filter(|r| recipients.contains(&r.id))
        .map(|r| ExportRecipient {
            id: r.id.clone(),
            name: r.name.ru.clone(),
            kind: r.kind,
            country: r.country.clone(),
            cross_border: r.country != "RU",
            safeguard: r.transfer_safeguard.clone(),
        })
        .collect();
    export.storage = catalog
        .storage
        .iter()
        .filter(|s| storage.contains(&s.id))
        .map(|s| ExportStorage { system: s.system.clone(), country: s.country.clone(), city: s.city.clone() })
        .collect();
}

impl SubjectExport {
    /// A readable page of the same answer, in Russian with English headings beside.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        h.push_str("<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        h.push_str(&format!("<title>Сведения о персональных данных / Personal data — {}</title>", esc(&self.request)));
        h.push_str("<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}</style></head><body>");
        h.push_str(&format!(
            "<h1>Сведения о персональных данных <small>/ Your personal data</small></h1><p>Запрос / Request {} · {}</p>",
            esc(&self.request),
            esc(&self.generated_at.to_string())
        ));
        let o = &self.operator;
        h.push_str(&format!(
            "<h2>Оператор / Operator</h2><p>{}<br>{}{}</p>",
            esc(&o.name),
            esc(&o.address),
            o.inn.as_deref().map(|i| format!("<br>ИНН {}", esc(i))).unwrap_or_default()
        ));
        match &self.subject {
            None => h.push_str("<p>Мы не обрабатываем ваших персональных данных. / We hold no personal data about you.</p>"),
            Some(s) => h.push_str(&format!("<p>Идентификатор / Id: <code>{}</code> · {}</p>", esc(&s.id), esc(&s.status))),
        }
        h.push_str("<h2>Данные / Data</h2><table><tr><th>Категория / Category</th><th>Значение / Value</th><th>Источник / Source</th><th>Цели / Purposes</th><th>Получено / Collected</th></tr>");
        for v in &self.values {
            h.push_str(&format!(
                "<tr><td>{} / {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&v.category_name.ru),
                esc(&v.category_name.en),
                esc(&v.value),
                esc(&v.source),
                esc(&v.purposes.join(", ")),
                esc(&v.collected_at.to_string())
            ));
        }
        h.push_str("</table>");
        if !self.records.is_empty() {
            h.push_str("<h2>Записи / Records</h2><table><tr><th>Вид / Kind</th><th>Когда / When</th><th>Содержание / Content</th></tr>");
            for r in &self.records {
                let body = serde_json::to_string(&r.body).unwrap_or_default();
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    esc(&r.kind),
                    esc(&r.occurred_at.to_string()),
                    esc(&body)
                ));
            }
            h.push_str("</table>");
        }
        h.push_str("<h2>Цели и основания / Purposes and bases</h2><ul>");
        for p in &self.purposes {
            let retention = p.retention.as_ref().map(|r| format!("; {} / {}", esc(&r.ru), esc(&r.en))).unwrap_or_default();
            h.push_str(&format!("<li>{} / {}{retention}</li>", esc(&p.name.ru), esc(&p.name.en)));
        }
        h.push_str("</ul><h2>Получатели / Recipients</h2><ul>");
        for r in &self.recipients {
            let abroad = if r.cross_border { " — трансграничная передача / cross-border" } else { "" };
            h.push_str(&format!("<li>{} ({}){abroad}</li>", esc(&r.name), esc(&r.country)));
        }
        h.push_str("</ul><h2>Хранение / Storage</h2><ul>");
        for s in &self.storage {
            h.push_str(&format!("<li>{} ({})</li>", esc(&s.system), esc(&s.country)));
        }
        h.push_str("</ul><h2>Согласия / Consents</h2><ul>");
        for c in &self.consents {
            let channel = c.channel.as_deref().map(|c| format!(", {}", esc(c))).unwrap_or_default();
            h.push_str(&format!(
                "<li>{}{channel}: {} {} ({})</li>",
                esc(&c.purpose),
                esc(&c.action),
                esc(&c.at.to_string()),
                esc(&c.method)
            ));
        }
        h.push_str(&format!(
            "</ul><h2>Ваши права / Your rights</h2><p>{}</p><p>{}</p></body></html>",
            esc(&self.rights.ru),
            esc(&self.rights.en)
        ));
        h
    }
}
