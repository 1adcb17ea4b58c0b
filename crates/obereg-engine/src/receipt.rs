//! Signed consent receipts: a consent event in the ISO/IEC TS 27560 record structure
//! (header, processing, parties, events), signed with the tenant's Ed25519 receipt key so
//! that the subject, an auditor or a court can check it offline, without obereg.
//!
//! The file is JSON:
//!
//! ```json
//! {"format": "obereg-consent-receipt-v1", "key_id": "…", "public_key": "<base64>",
//!  "payload": "<base64 of the receipt JSON bytes>", "signature": "<base64>"}
//! ```
//!
//! `signature` is Ed25519 over the exact bytes `payload` decodes to, so any Ed25519 library
//! verifies it: decode `payload` and `signature` from standard base64, verify against the
//! operator's published key (`GET /v1/consent-receipts/key`). The key embedded in the file
//! shows which key signed; trust comes from comparing it with the published one. The
//! receipt key is derived from the root key per tenant, apart from the journal's key, so
//! one can be rotated or published without the other.

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use obereg_core::Bilingual;
use serde_json::{Value, json};

use crate::consent::{channel_code, code};
use crate::{Actor, Engine, EngineError};

/// The file format tag.
pub const FORMAT: &str = "obereg-consent-receipt-v1";

/// A tenant's receipt key, as published.
#[derive(Debug, Clone)]
pub struct ReceiptKey {
    pub key_id: String,
    /// Standard base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// Why a receipt does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}")]
pub struct ReceiptError {
    pub code: &'static str,
    pub message: Bilingual,
}

fn bad(code: &'static str, en: &str, ru: &str) -> ReceiptError {
    ReceiptError { code, message: Bilingual::new(en, ru) }
}

impl Engine {
    /// Signs a portability transfer's body with the tenant's receipt key, under its own
    /// domain prefix so a transfer can never pass for a receipt: base64 of the Ed25519
    /// signature of `"obereg transfer v1\n" + body`.
    pub(crate) fn sign_transfer(&self, tenant: &str, body: &[u8]) -> Result<String, EngineError> {
        let mut signed = b"obereg transfer v1\n".to_vec();
        signed.extend_from_slice(body);
        Ok(STANDARD.encode(self.receipt_pair(tenant)?.sign(&signed).as_ref()))
    }

    fn receipt_pair(&self, tenant: &str) -> Result<Ed25519KeyPair, EngineError> {
        let mut info = b"obereg consent receipt signing v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        let seed = self.root_key.derive(&info);
        Ed25519KeyPair::from_seed_unchecked(seed.as_ref()).map_err(|_| EngineError::Internal("receipt signing key"))
    }

    /// The tenant's receipt key, for verifiers to pin.
    pub fn receipt_key(&self, actor: &Actor) -> Result<ReceiptKey, EngineError> {
        let pair = self.receipt_pair(&actor.tenant)?;
        let public = pair.public_key().as_ref().to_vec();
        Ok(ReceiptKey { key_id: format!("{}/receipts", self.journal_origin(&actor.tenant)), public_key: STANDARD.encode(public) })
    }

    /// The signed receipt of a subject's consent event number `index` (see the module
    /// documentation); the whole file as JSON text.
    pub async fn consent_receipt(&self, actor: &Actor, subject: &str, index: i64) -> Result<String, EngineError> {
        let history = self.consents(actor, subject).await?;
        let view = history.events.iter().find(|e| e.index == index).ok_or(EngineError::NotFound("consent event"))?;
        let e = &view.event;
        let catalog = self.catalog_for(actor).await?;
        let op = &catalog.operator;
        let purpose = catalog.purposes.iter().find(|p| p.id == e.scope.purpose);
        let document = match &e.document {
            Some(sha) => self.store.consent_document(&actor.tenant, sha).await?,
            None => None,
        };
        let categories: Vec<Value> = purpose
            .map(|p| p.required_categories.iter().chain(&p.optional_categories).map(|c| json!({"pii_type": c})).collect())
            .unwrap_or_default();
        let storage: Vec<Value> = purpose
            .map(|p| {
                catalog
                    .storage
                    .iter()
                    .filter(|l| p.storage.contains(&l.id))
                    .map(|l| json!({"location": l.system, "country": l.country}))
                    .collect()
            })
            .unwrap_or_default();
        let recipients: Vec<Value> = purpose
            .map(|p| {
                catalog
                    .recipients
                    .iter()
                    .filter(|r| p.recipients.contains(&r.id))
                    .map(|r| json!({"name": r.name.ru, "country": r.country}))
                    .collect()
            })
            .unwrap_or_default();
        let withdrawal: Vec<&str> = [op.requests_email.as_deref(), op.requests_phone.as_deref()].into_iter().flatten().collect();
        let receipt = json!({
            "schema_version": "ISO/IEC TS 27560:2023 consent record; obereg-consent-receipt-v1",
            "record_id": format!("{}/{}/{}", actor.tenant, subject, index),
            "receipt_id": crate::vault::random_hex_id()?,
            "issued_at": self.clock.now().to_string(),
            "pii_principal_id": subject,
            "processing": {
                "privacy_notice": catalog.documents.policy_url,
                "consent_document": e.document,
                "consent_document_purposes": document.as_ref().map(|d| d.purposes.clone()),
                "language": ["ru", "en"],
                "purposes": [{
                    "purpose": e.scope.purpose,
                    "name": purpose.map(|p| p.name.ru.clone()),
                    "purpose_type": purpose.map(|p| if p.marketing { "marketing" } else { "service" }),
                    "lawful_basis": "consent (152-FZ art. 6 p.1 item 1; art. 9)",
                    "operations": purpose.map(|p| p.operations.iter().map(|o| o.code()).collect::<Vec<_>>()),
                }],
                "pii_information": categories,
                "pii_controllers": [op.ogrn.clone().or(op.inn.clone())],
                "collection_method": code(e.method),
                "storage_locations": storage,
                "retention_period": purpose.and_then(|p| p.retention.as_ref()).map(|r| json!({"period": r.period.to_string(), "from": code(r.trigger)})),
                "jurisdiction": ["RU: 152-FZ"],
                "recipient_third_parties": recipients,
                "withdrawal_method": format!("the same way it was given, the personal account, or {}", withdrawal.join(", ")),
            },
            "parties": [{
                "party_id": op.ogrn.clone().or(op.inn.clone()),
                "party_name": op.legal_name.ru,
                "party_address": op.address,
                "party_contact": op.requests_email,
                "party_type": "legal entity",
                "party_role": "controller (оператор)",
            }],
            "events": [{
                "event_time": e.at.to_string(),
                "validity_duration": e.valid_until.map_or_else(|| "until withdrawn".to_owned(), |t| format!("until {t}")),
                "entity_id": if e.by_representative { "legal representative of the pii principal" } else { "pii principal" },
                "event_type": "expressed",
                "event_state": e.action.as_str(),
                "channel": e.scope.channel.map(channel_code),
                "cookie_category": e.scope.cookie,
                "evidence_kept": view.has_evidence,
            }],
        });
        let payload = serde_json::to_vec(&receipt).map_err(|_| EngineError::Internal("receipt encoding"))?;
        let pair = self.receipt_pair(&actor.tenant)?;
        let signature = pair.sign(&payload);
        let key = self.receipt_key(actor)?;
        let file = json!({
            "format": FORMAT,
            "key_id": key.key_id,
            "public_key": key.public_key,
            "payload": STANDARD.encode(&payload),
            "signature": STANDARD.encode(signature.as_ref()),
        });
        serde_json::to_string_pretty(&file).map_err(|_| EngineError::Internal("receipt encoding"))
    }
}

/// Verifies a receipt file and returns the receipt it carries. With `pinned` (the
/// operator's published key, standard base64), the file must be signed by that key;
/// without it, by the key the file names, which proves integrity but not origin.
pub fn verify_receipt(file: &str, pinned: Option<&str>) -> Result<Value, ReceiptError> {
    let file: Value =
        serde_json::from_str(file).map_err(|_| bad("receipt.malformed", "not a receipt file (JSON)", "это не файл квитанции (JSON)"))?;
    if file["format"] != FORMAT {
        return Err(bad("receipt.unknown_format", "not an obereg-consent-receipt-v1 file", "это не файл obereg-consent-receipt-v1"));
    }
    let field = |name: &str| -> Result<Vec<u8>, ReceiptError> {
        file[name]
            .as_str()
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or_else(|| bad("receipt.malformed", "a field is missing or not base64", "поле отсутствует или не в base64"))
    };
    let (payload, signature, embedded) = (field("payload")?, field("signature")?, field("public_key")?);
    let key = match pinned {
        Some(p) => {
            let pinned = STANDARD
                .decode(p.trim())
                .map_err(|_| bad("receipt.bad_key", "the pinned key is not base64", "закреплённый ключ не в base64"))?;
            if pinned != embedded {
                return Err(bad("receipt.other_key", "signed by another key than the pinned one", "подписано не закреплённым ключом"));
            }
            pinned
        }
        None => embedded,
    };
    UnparsedPublicKey::new(&ED25519, &key).verify(&payload, &signature).map_err(|_| {
        bad(
            "receipt.bad_signature",
            "the signature does not match: the receipt was changed or not signed by this key",
            "подпись не сходится: квитанция изменена или подписана другим ключом",
        )
    })?;
    serde_json::from_slice(&payload)
        .map_err(|_| bad("receipt.malformed", "the signed payload is not JSON", "подписанное содержимое не JSON"))
}
