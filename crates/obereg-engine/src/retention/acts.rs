//! Destruction acts (RKN Order 179): the evidence that data was destroyed, bound to the
//! journal, kept three years.
//!
//! An act is written in the same transaction as the destruction it records (a sweep batch
//! or an erasure request), so there is no destruction without its act and no act without
//! its destruction. It lists the Order 179 fields: operator and processors, the subjects
//! (by opaque id, and by name where the vault still held one), the categories, the
//! information system, the method, the reason with its norm, the date and who destroyed.
//! Its journal extract is the entries `first_idx..end_idx` of the tenant's journal: each
//! subject of the act has a `destruction` entry there naming the act (`act:<id>:<method>`).
//!
//! **Names.** The act must identify people whose data no longer exists. Names are read from
//! the vault before the key is destroyed and sealed under a tenant key for acts (HKDF of
//! the root key under `obereg destruction act v1\0<tenant>`, AES-256-GCM, associated data
//! naming tenant and act), not under the subject's key that the destruction destroys. They
//! live as long as the act — three years (Order 179 p.8) — and go with it; the journal
//! never holds them.
//!
//! **Verification** (`verify_act`) needs nobody's word: every entry of the range must hash
//! to its stored leaf and be included in a checkpoint signed with the tenant's journal
//! key, and the act's subjects must be exactly those the range's `destruction` entries
//! name for this act, with the same categories.

use std::collections::{BTreeMap, HashMap};

use obereg_core::catalog::{Catalog, RecipientKind};
use obereg_core::retention::DestructionReason;
use obereg_core::text::html_escape as esc;
use obereg_journal::Entry;
use obereg_store::ActRecord;

use super::NAME_CATEGORY;
use crate::requests::moscow_date;
use crate::vault::crypto::{DataKey, ItemBinding, Sealer};
use crate::{Actor, Engine, EngineError};

/// How long an act is kept (Order 179 p.8): three years.
const KEEP_YEARS: i16 = 3;
/// The act format, in its JSON.
pub const ACT_FORMAT: &str = "obereg-destruction-act/1";

/// One subject of an act, as the destruction saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActSubject {
    pub id: String,
    /// Crypto-shredded as a whole (else some values and records were deleted).
    pub erased: bool,
    pub categories: Vec<String>,
    pub reason: DestructionReason,
    /// When nothing held the data any more.
    pub since: jiff::Timestamp,
}

/// The act, as stored (without names) and served.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DestructionAct {
    pub format: String,
    pub id: String,
    pub tenant: String,
    pub created_at: jiff::Timestamp,
    /// The date of destruction, Moscow time.
    pub date: jiff::civil::Date,
    pub operator: ActParty,
    /// Processors the operator entrusts processing to (Order 179 item б).
    pub processors: Vec<ActParty>,
    /// The information system the data was destroyed from (item ж).
    pub system: String,
    pub subjects: Vec<ActSubject>,
    /// Every category destroyed, with its name.
    pub categories: Vec<ActCategory>,
    /// The reasons, with their norms (item и).
    pub reasons: Vec<ActReason>,
    /// How the data was destroyed (item з).
    pub method: ActText,
    /// Who destroyed it (item г): the person or process, and the responsible person.
    pub performed_by: String,
    pub responsible: Option<String>,
    /// `sweep`, `request` or `staff`, and its id (the token id for staff).
    pub origin: String,
    pub origin_id: String,
    pub keep_until: jiff::Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActParty {
    pub name: String,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActCategory {
    pub id: String,
    pub ru: String,
    pub en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActReason {
    pub code: String,
    pub norm: String,
    pub ru: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActText {
    pub ru: String,
    pub en: String,
}

/// An act with its journal range and, for the roles that may see them, the names.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActView {
    #[serde(flatten)]
    pub act: DestructionAct,
    /// Journal entries `first..end` hold the extract.
    pub journal_first: u64,
    pub journal_end: u64,
    /// Subject id → name, where the vault held a name when the data was destroyed.
    pub names: BTreeMap<String, String>,
}

/// The outcome of checking an act against the journal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActVerification {
    pub act: String,
    pub valid: bool,
    /// The signed checkpoint the entries were proven against.
    pub checkpoint_size: u64,
    pub entries_checked: u64,
    pub problems: Vec<String>,
}

impl Engine {
    fn act_sealer(&self, tenant: &str) -> Sealer {
        let mut info = b"obereg destruction act v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        DataKey::from_bytes(self.root_key.derive(&info)).sealer()
    }

    fn act_binding<'a>(tenant: &'a str, act: &'a str) -> ItemBinding<'a> {
        ItemBinding { tenant, subject: act, item: "names", kind: "act", category: "", dek_version: 1 }
    }

    /// The names of `subjects` (by seq) the vault still holds, read before they go.
    async fn names_of(&self, tenant: &str, subjects: &[(i64, String)]) -> Result<BTreeMap<String, String>, EngineError> {
        let seqs: Vec<i64> = subjects.iter().map(|(seq, _)| *seq).collect();
        let mut names = BTreeMap::new();
        for (item, key) in self.store.sealed_items_of(tenant, &seqs, NAME_CATEGORY).await? {
            let sealer = self.keyring.unwrap(&key.wrapped, &key.tenant_id, &key.subject_id, key.dek_version, key.kek_version)?.sealer();
            let name = self.open_item(&sealer, &item, key.dek_version)?;
            names.entry(item.subject_id.clone()).or_insert_with(|| name.expose().to_owned());
        }
        Ok(names)
    }

    /// Builds the act of a destruction about to be committed: body, sealed names, term.
    pub(crate) async fn draft_act(
        &self,
        tenant: &str,
        catalog: &Catalog,
        id: &str,
        (origin, origin_id): (&str, &str),
        subjects: Vec<(i64, ActSubject)>,
        performed_by: &str,
    ) -> Result<ActRecord, EngineError> {
        let by_seq: Vec<(i64, String)> = subjects.iter().map(|(seq, s)| (*seq, s.id.clone())).collect();
        let names = self.names_of(tenant, &by_seq).await?;
        let subjects: Vec<ActSubject> = subjects.into_iter().map(|(_, s)| s).collect();
        let now = self.clock.now();
        let keep_until = now
            .to_zoned(jiff::tz::TimeZone::UTC)
            .checked_add(jiff::Span::new().years(KEEP_YEARS))
            .map_err(|_| EngineError::Internal("act term"))?
            .timestamp();
        let act = act_body(catalog, tenant, id, (origin, origin_id), subjects, performed_by, now, keep_until);
        let body = serde_json::to_string(&act).map_err(|_| EngineError::Internal("act encoding"))?;
        let sealed = if names.is_empty() {
            None
        } else {
            let plain = zeroize::Zeroizing::new(serde_json::to_vec(&names).map_err(|_| EngineError::Internal("act names"))?);
            Some(self.act_sealer(tenant).seal(&Self::act_binding(tenant, id), &plain)?.0)
        };
        Ok(ActRecord {
            tenant_id: tenant.to_owned(),
            id: id.to_owned(),
            created_at: now.as_microsecond(),
            origin: origin.to_owned(),
            origin_id: origin_id.to_owned(),
            subjects: act.subjects.len() as i64,
            first_idx: 0,
            end_idx: 0,
            body,
            sealed,
            keep_until: keep_until.as_microsecond(),
        })
    }

    /// The tenant's destruction acts, newest first, without names.
    pub async fn list_acts(&self, actor: &Actor, before: Option<jiff::Timestamp>, limit: u32) -> Result<Vec<ActView>, EngineError> {
        self.require_oversight(actor).await?;
        let records = self.store.acts(&actor.tenant, before.map(|t| t.as_microsecond()), limit.clamp(1, 500)).await?;
        records.iter().map(|r| self.act_view(r, false)).collect()
    }

    /// One act with the names it holds (administrators only: the names are personal data).
    pub async fn act(&self, actor: &Actor, id: &str) -> Result<ActView, EngineError> {
        actor.require_admin()?;
        let record = self.act_record(&actor.tenant, id).await?;
        let view = self.act_view(&record, true)?;
        let entry = self.entry(actor, &actor.tenant, crate::journal::Record::op("act.read").object(format!("act:{id}")));
        self.journal_without_change(&actor.tenant, vec![entry]).await?;
        Ok(view)
    }

    async fn act_record(&self, tenant: &str, id: &str) -> Result<ActRecord, EngineError> {
        if !crate::requests::is_short_id(id, "A") {
            return Err(EngineError::NotFound("act"));
        }
        self.store.act(tenant, id).await?.ok_or(EngineError::NotFound("act"))
    }

    fn act_view(&self, record: &ActRecord, with_names: bool) -> Result<ActView, EngineError> {
        let act: DestructionAct = serde_json::from_str(&record.body).map_err(|_| EngineError::Internal("a stored act does not decode"))?;
        let names = match (&record.sealed, with_names) {
            (Some(sealed), true) => {
                let plain = self.act_sealer(&record.tenant_id).open(&Self::act_binding(&record.tenant_id, &record.id), sealed)?;
                serde_json::from_slice(&plain).map_err(|_| EngineError::Internal("act names do not decode"))?
            }
            _ => BTreeMap::new(),
        };
        Ok(ActView { act, journal_first: record.first_idx as u64, journal_end: record.end_idx as u64, names })
    }

    /// Checks an act against the journal: see the module documentation.
    pub async fn verify_act(&self, actor: &Actor, id: &str) -> Result<ActVerification, EngineError> {
        actor.require_admin()?;
        let tenant = &actor.tenant;
        let record = self.act_record(tenant, id).await?;
        let act: DestructionAct = serde_json::from_str(&record.body).map_err(|_| EngineError::Internal("a stored act does not decode"))?;
        let (first, end) = (record.first_idx as u64, record.end_idx as u64);
        // The extract must be under a signed checkpoint; sign one if none covers it yet.
        let checkpoint = match self.store.latest_checkpoint(tenant).await? {
            Some(c) if c.size as u64 >= end => c,
            _ => self.sign_checkpoint(tenant).await?,
        };
        let mut problems = Vec::new();
        let verifier = obereg_journal::NoteVerifier::parse(&self.journal_key_of(tenant)?.verifier_key)
            .map_err(|_| EngineError::Internal("journal key"))?;
        let signed = verifier
            .open(&checkpoint.note)
            .ok()
            .and_then(|body| obereg_journal::Checkpoint::parse_body(body).ok())
            .filter(|c| c.size == checkpoint.size as u64);
        let Some(signed) = signed else {
            problems.push("the checkpoint's signature does not verify with the tenant's journal key".into());
            return Ok(ActVerification {
                act: id.to_owned(),
                valid: false,
                checkpoint_size: checkpoint.size as u64,
                entries_checked: 0,
                problems,
            });
        };
        let mut named: HashMap<String, Vec<String>> = HashMap::new();
        let mut checked = 0;
        for stored in self.store.journal_entries(tenant, first, end).await? {
            checked += 1;
            let index = stored.idx as u64;
            let leaf = obereg_journal::leaf_hash(&stored.body);
            if leaf.0.as_slice() != stored.leaf_hash.as_slice() {
                problems.push(format!("entry {index} does not hash to its stored leaf"));
                continue;
            }
            let proof = self.inclusion_proof(actor, index, Some(signed.size)).await?;
            if proof.root != signed.root
                || obereg_journal::tree::verify_inclusion(&leaf, index, signed.size, &proof.proof, &signed.root).is_err()
            {
                problems.push(format!("entry {index} is not included in the signed checkpoint of size {}", signed.size));
                continue;
            }
            let Ok(entry) = serde_json::from_slice::<Entry>(&stored.body) else {
                problems.push(format!("entry {index} does not decode"));
                continue;
            };
            let names_this_act = entry.object.as_deref().is_some_and(|o| o.starts_with(&format!("act:{id}:")));
            if entry.operation == "destruction"
                && names_this_act
                && let Some(subject) = entry.subject
            {
                named.insert(subject, entry.categories);
            }
        }
        if checked != end.saturating_sub(first) {
            problems.push(format!("the journal holds {checked} of the act's {} entries", end.saturating_sub(first)));
        }
        for s in &act.subjects {
            match named.remove(&s.id) {
                Some(categories) if categories == s.categories => {}
                Some(_) => problems.push(format!("subject {} has other categories in the journal than in the act", s.id)),
                None => problems.push(format!("subject {} has no destruction entry for this act", s.id)),
            }
        }
        for extra in named.keys() {
            problems.push(format!("the journal records a destruction of subject {extra} for this act that the act does not list"));
        }
        Ok(ActVerification {
            act: id.to_owned(),
            valid: problems.is_empty(),
            checkpoint_size: signed.size,
            entries_checked: checked,
            problems,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn act_body(
    catalog: &Catalog,
    tenant: &str,
    id: &str,
    (origin, origin_id): (&str, &str),
    subjects: Vec<ActSubject>,
    performed_by: &str,
    now: jiff::Timestamp,
    keep_until: jiff::Timestamp,
) -> DestructionAct {
    let o = &catalog.operator;
    let mut category_ids: Vec<&str> = subjects.iter().flat_map(|s| s.categories.iter().map(String::as_str)).collect();
    category_ids.sort();
    category_ids.dedup();
    let categories = category_ids
        .iter()
        .map(|c| match catalog.categories.iter().find(|k| k.id == *c) {
            Some(k) => ActCategory { id: k.id.clone(), ru: k.name.ru.clone(), en: k.name.en.clone() },
            None => ActCategory { id: (*c).to_owned(), ru: (*c).to_owned(), en: None },
        })
        .collect();
    let mut reasons: Vec<DestructionReason> = subjects.iter().map(|s| s.reason).collect();
    reasons.sort();
    reasons.dedup();
    let any_erased = subjects.iter().any(|s| s.erased);
    let any_deleted = subjects.iter().any(|s| !s.erased);
    let mut method_ru = Vec::new();
    let mut method_en = Vec::new();
    if any_erased {
        method_ru.push("криптографическое уничтожение: ключ шифрования данных субъекта уничтожен, зашифрованные записи удалены с перезаписью освобождённых страниц");
        method_en.push("crypto-shredding: the subject's data key destroyed, the ciphertext rows deleted with freed pages overwritten");
    }
    if any_deleted {
        method_ru.push("удаление записей из базы данных с перезаписью освобождённых страниц");
        method_en.push("deletion of the records from the database with freed pages overwritten");
    }
    let storage: Vec<String> = catalog.storage.iter().map(|s| format!("{} ({})", s.system, s.country)).collect();
    DestructionAct {
        format: ACT_FORMAT.into(),
        id: id.to_owned(),
        tenant: tenant.to_owned(),
        created_at: now,
        date: moscow_date(now),
        operator: ActParty { name: o.legal_name.ru.clone(), address: Some(o.address.clone()) },
        processors: catalog
            .recipients
            .iter()
            .filter(|r| r.kind == RecipientKind::Processor)
            .map(|r| ActParty { name: r.name.ru.clone(), address: r.address.clone() })
            .collect(),
        system: if storage.is_empty() {
            format!("ИСПДн obereg, арендатор «{tenant}»")
        } else {
            format!("ИСПДн obereg, арендатор «{tenant}»: {}", storage.join("; "))
        },
        subjects,
        categories,
        reasons: reasons
            .into_iter()
            .map(|r| {
                let text = r.describe();
                ActReason { code: r.code().into(), norm: r.norm().into(), ru: text.ru, en: text.en }
            })
            .collect(),
        method: ActText { ru: method_ru.join("; "), en: method_en.join("; ") },
        performed_by: performed_by.to_owned(),
        responsible: o.responsible_person.as_ref().map(|p| p.name.clone()),
        origin: origin.to_owned(),
        origin_id: origin_id.to_owned(),
        keep_until,
    }
}

impl ActView {
    /// The act as a printable page, in Russian (the language of the act) with English
    /// headings beside.
    pub fn to_html(&self) -> String {
        let a = &self.act;
        let mut h = String::new();
        h.push_str("<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        h.push_str(&format!("<title>Акт об уничтожении персональных данных {}</title>", esc(&a.id)));
        h.push_str("<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}</style></head><body>");
        h.push_str(&format!(
            "<h1>Акт об уничтожении персональных данных № {} <small>/ Destruction act</small></h1><p>Дата уничтожения / Date: {}</p>",
            esc(&a.id),
            a.date
        ));
        let party = |p: &ActParty| format!("{}{}", esc(&p.name), p.address.as_deref().map(|x| format!(", {}", esc(x))).unwrap_or_default());
        h.push_str(&format!("<p><b>Оператор / Operator:</b> {}</p>", party(&a.operator)));
        let processors: Vec<String> = a.processors.iter().map(party).collect();
        h.push_str(&format!(
            "<p><b>Лица, осуществляющие обработку по поручению / Processors:</b> {}</p>",
            if processors.is_empty() { "нет / none".to_owned() } else { processors.join("; ") }
        ));
        h.push_str(&format!("<p><b>Информационная система / System:</b> {}</p>", esc(&a.system)));
        h.push_str(&format!("<p><b>Способ уничтожения / Method:</b> {}</p>", esc(&a.method.ru)));
        let reasons: Vec<String> = a.reasons.iter().map(|r| format!("{} ({})", esc(&r.ru), esc(&r.norm))).collect();
        h.push_str(&format!("<p><b>Причина / Reason:</b> {}</p>", reasons.join("; ")));
        let categories: Vec<String> = a.categories.iter().map(|c| esc(&c.ru)).collect();
        h.push_str(&format!("<p><b>Категории персональных данных / Categories:</b> {}</p>", categories.join(", ")));
        h.push_str("<h2>Субъекты персональных данных / Subjects</h2><table><tr><th>Идентификатор / Id</th><th>ФИО / Name</th><th>Категории / Categories</th><th>Объём / Scope</th><th>Основание / Reason</th></tr>");
        for s in &a.subjects {
            h.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.id),
                self.names.get(&s.id).map(|n| esc(n)).unwrap_or_else(|| "—".into()),
                esc(&s.categories.join(", ")),
                if s.erased { "все данные / all data" } else { "часть данных / some data" },
                esc(s.reason.code())
            ));
        }
        h.push_str("</table>");
        h.push_str(&format!(
            "<p><b>Уничтожение произвёл / Performed by:</b> {}</p><p><b>Ответственный за организацию обработки / Responsible person:</b> {}</p>",
            esc(&a.performed_by),
            a.responsible.as_deref().map(esc).unwrap_or_else(|| "не назначен / not appointed".into())
        ));
        h.push_str(&format!(
            "<p><b>Выгрузка из журнала / Journal extract:</b> записи {}–{} журнала арендатора (проверка: <code>obereg acts verify {}</code>). Акт хранится до {} / kept until then.</p>",
            self.journal_first,
            self.journal_end.saturating_sub(1),
            esc(&a.id),
            moscow_date(a.keep_until)
        ));
        h.push_str("</body></html>");
        h
    }
}
