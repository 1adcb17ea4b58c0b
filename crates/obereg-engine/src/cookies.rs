//! Cookie consent: what the banner on the operator's sites shows, and each visitor's
//! choices per cookie category, kept in the consent ledger like any consent.
//!
//! A visitor is a subject of the catalog's `[site] visitor_kind`, created on its first
//! choice. Its browser holds a random secret (`vis_…`); obereg keeps only the secret's
//! SHA-256, so the secret is the visitor's only key to its own choices and cannot be
//! recovered from the database. Every site of the tenant that embeds the banner from the
//! same obereg origin shares the visitor (see docs/consent.md, "Cookie consent").
//!
//! Only origins listed in the catalog's `[site] origins` may call the banner's endpoints.
//! The `Sec-GPC: 1` header (Global Privacy Control) is an opt-out of advertising: with it,
//! advertising categories are recorded as refused whatever the visitor clicked.

use std::collections::BTreeMap;

use obereg_core::catalog::{Catalog, CookieCategory, CookieKind};
use obereg_core::consent::{ConsentAction, ConsentMethod, ConsentScope};

use crate::consent::{DocumentView, NewConsentEvent, code};
use crate::vault::NewSubjectInput;
use crate::{Actor, Engine, EngineError};

/// A visitor secret: this prefix and 43 base64url characters (32 random bytes).
const SECRET_PREFIX: &str = "vis_";

/// What the banner shows.
#[derive(Debug, Clone)]
pub struct Banner {
    pub categories: Vec<CookieCategory>,
    /// The consent document for the optional categories' purposes; `None` when every
    /// category is strictly necessary.
    pub document: Option<DocumentView>,
}

/// One category's state for a visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieChoice {
    pub category: String,
    /// `necessary`, `functional`, `analytics`, `advertising`.
    pub kind: String,
    pub allowed: bool,
    /// Why: `necessary`, `given`, `withdrawn`, `refused`, `not_asked`, `gpc`.
    pub reason: &'static str,
}

/// A visitor's choices, with the secret when the visitor was created just now.
#[derive(Debug, Clone)]
pub struct VisitorChoices {
    /// Returned once, on creation: the browser keeps it.
    pub new_secret: Option<String>,
    pub choices: Vec<CookieChoice>,
}

impl Engine {
    /// The banner for a page on `origin`: the cookie categories and the consent document
    /// the visitor is asked to agree to (rendered and kept once per catalog version).
    pub async fn cookie_banner(&self, tenant: &str, origin: &str) -> Result<Banner, EngineError> {
        let catalog = self.catalog_in_force(tenant).await?;
        allowed_origin(&catalog, origin)?;
        let purposes = optional_purposes(&catalog);
        let document = if purposes.is_empty() {
            None
        } else {
            // The operator publishes the document; the visitor only reads it.
            Some(self.consent_document(&Actor::local_operator(tenant), &purposes).await?)
        };
        Ok(Banner { categories: catalog.cookies.clone(), document })
    }

    /// Whether `origin` is one of the tenant's sites (for a CORS preflight).
    pub async fn check_site_origin(&self, tenant: &str, origin: &str) -> Result<(), EngineError> {
        let catalog = self.catalog_in_force(tenant).await?;
        allowed_origin(&catalog, origin).map(|_| ())
    }

    /// A stored consent document by hash, for anyone: a consent text is published to the
    /// people asked to agree to it.
    pub async fn public_consent_document(&self, tenant: &str, sha256: &str) -> Result<DocumentView, EngineError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EngineError::NotFound("consent document"));
        }
        self.consent_document_by_hash(&Actor::local_operator(tenant), sha256).await
    }

    /// The choices of the visitor holding `secret`.
    pub async fn cookie_choices(&self, tenant: &str, origin: &str, secret: &str) -> Result<VisitorChoices, EngineError> {
        let catalog = self.catalog_in_force(tenant).await?;
        allowed_origin(&catalog, origin)?;
        let subject = self.visitor_subject(tenant, secret).await?.ok_or(EngineError::NotFound("visitor"))?;
        let choices = self.choices_of(&catalog, tenant, &subject, false).await?;
        Ok(VisitorChoices { new_secret: None, choices })
    }

    /// Records a visitor's choices (`category → allowed`) made on `origin` after seeing
    /// document `document`. Without a known `secret` a new visitor is created and its
    /// secret returned. With `gpc`, advertising categories are refused. Only changes are
    /// recorded: choosing what is already in force adds nothing to the ledger.
    pub async fn record_cookie_choices(
        &self,
        tenant: &str,
        origin: &str,
        secret: Option<&str>,
        choices: &BTreeMap<String, bool>,
        document: &str,
        gpc: bool,
    ) -> Result<VisitorChoices, EngineError> {
        let catalog = self.catalog_in_force(tenant).await?;
        let site = allowed_origin(&catalog, origin)?;
        // Every named category is checked before anything is recorded.
        let mut wanted = Vec::with_capacity(choices.len());
        for (id, &allow) in choices {
            let Some(category) = catalog.cookies.iter().find(|c| &c.id == id) else {
                return Err(EngineError::invalid(
                    "consent.unknown_cookie",
                    format!("no cookie category `{id}` in the catalog"),
                    format!("категории cookie `{id}` нет в каталоге"),
                ));
            };
            let Some(purpose) = category.purpose.clone().filter(|_| category.kind != CookieKind::Necessary) else {
                return Err(EngineError::invalid(
                    "cookies.necessary_not_optional",
                    format!("cookie category `{id}` is strictly necessary: it is not a choice"),
                    format!("категория cookie `{id}` строго необходима: выбор по ней не делается"),
                ));
            };
            let allow = allow && !(gpc && category.kind == CookieKind::Advertising);
            wanted.push((category.id.clone(), purpose, allow));
        }
        if !wanted.is_empty() {
            let purposes: Vec<String> = wanted.iter().map(|(_, purpose, _)| purpose.clone()).collect();
            self.check_document(tenant, document, &purposes).await?;
        }
        let actor = Actor::local_operator(tenant);
        let (subject, new_secret) = match secret {
            Some(s) => match self.visitor_subject(tenant, s).await? {
                Some(subject) => (subject, None),
                None => self.new_visitor(&actor, &site.visitor_kind).await?,
            },
            None => self.new_visitor(&actor, &site.visitor_kind).await?,
        };
        // Only to skip choices already in force: record_consent validates against the ledger again.
        let state = self.ledger_state(tenant, &subject).await?;
        for (cookie, purpose, allow) in wanted {
            let scope = ConsentScope { purpose: purpose.clone(), channel: None, cookie: Some(cookie.clone()) };
            let last = state.last(&scope).map(|e| e.action);
            let action = match (allow, last) {
                (true, Some(ConsentAction::Given)) | (false, Some(ConsentAction::Refused | ConsentAction::Withdrawn)) => continue,
                (true, _) => ConsentAction::Given,
                (false, Some(ConsentAction::Given)) => ConsentAction::Withdrawn,
                (false, _) => ConsentAction::Refused,
            };
            let event = NewConsentEvent {
                purpose,
                channel: None,
                cookie: Some(cookie),
                action,
                method: ConsentMethod::CookieBanner,
                document: (action != ConsentAction::Withdrawn).then(|| document.to_owned()),
                valid_until: None,
                by_representative: false,
                evidence: None,
            };
            self.record_consent(&actor, &subject, event).await?;
        }
        let choices = self.choices_of(&catalog, tenant, &subject, gpc).await?;
        Ok(VisitorChoices { new_secret, choices })
    }

    async fn visitor_subject(&self, tenant: &str, secret: &str) -> Result<Option<String>, EngineError> {
        if !is_secret(secret) {
            return Err(EngineError::invalid(
                "cookies.bad_visitor",
                "the visitor id is malformed",
                "идентификатор посетителя имеет неверный вид",
            ));
        }
        Ok(self.store.visitor(tenant, &crate::token::hash_token(secret)).await?)
    }

    async fn new_visitor(&self, actor: &Actor, kind: &str) -> Result<(String, Option<String>), EngineError> {
        let secret = format!("{SECRET_PREFIX}{}", crate::token::random_text(32)?.as_str());
        let input = NewSubjectInput { kind: kind.to_owned(), values: vec![], records: vec![] };
        let id = self.create_visitor_subject(actor, input, &crate::token::hash_token(&secret)).await?;
        Ok((id, Some(secret)))
    }

    /// The state of every category for a subject, as the ledger has it now.
    async fn choices_of(&self, catalog: &Catalog, tenant: &str, subject: &str, gpc: bool) -> Result<Vec<CookieChoice>, EngineError> {
        let history = self.consents(&Actor::local_operator(tenant), subject).await?;
        Ok(catalog
            .cookies
            .iter()
            .map(|c| {
                let last = history.current.iter().find(|v| v.event.scope.cookie.as_deref() == Some(c.id.as_str())).map(|v| v.event.action);
                let (allowed, reason) = match (c.kind, last) {
                    (CookieKind::Necessary, _) => (true, "necessary"),
                    (CookieKind::Advertising, _) if gpc => (false, "gpc"),
                    (_, Some(ConsentAction::Given)) => (true, "given"),
                    (_, Some(ConsentAction::Withdrawn | ConsentAction::Expired)) => (false, "withdrawn"),
                    (_, Some(ConsentAction::Refused)) => (false, "refused"),
                    (_, None) => (false, "not_asked"),
                };
                CookieChoice { category: c.id.clone(), kind: code(c.kind), allowed, reason }
            })
            .collect())
    }
}

/// The catalog's site section, if `origin` is one of its origins.
fn allowed_origin<'c>(catalog: &'c Catalog, origin: &str) -> Result<&'c obereg_core::catalog::Site, EngineError> {
    match &catalog.site {
        Some(site) if site.origins.iter().any(|o| o == origin) => Ok(site),
        _ => Err(EngineError::Refused {
            code: "cookies.origin_not_allowed",
            reason: obereg_core::Bilingual::new(
                "this site is not listed in the catalog's [site] origins",
                "этот сайт не указан в [site] origins каталога",
            ),
        }),
    }
}

/// The purposes of the categories a visitor chooses, in catalog order, once each.
fn optional_purposes(catalog: &Catalog) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in catalog.cookies.iter().filter(|c| c.kind != CookieKind::Necessary) {
        if let Some(p) = &c.purpose
            && !out.contains(p)
        {
            out.push(p.clone());
        }
    }
    out
}

fn is_secret(text: &str) -> bool {
    text.strip_prefix(SECRET_PREFIX)
        .is_some_and(|rest| rest.len() == 43 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}
