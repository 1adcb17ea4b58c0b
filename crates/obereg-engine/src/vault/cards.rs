//! Card tokens: the number behind a `crd_…` token, only for a role and purpose the catalog
//! lets see the card category (masked where the role's entry says so), journaled as an
//! extraction of that one category.

use obereg_core::access;
use obereg_core::operation::Operation;
use obereg_core::value::{PlainValue, mask};

use super::SubjectStatus;
use super::support::{category_rules, principal};
use crate::journal::Record;
use crate::{Actor, Engine, EngineError};

/// A card number read through its token.
#[derive(Debug, Clone)]
pub struct CardView {
    pub subject: String,
    pub item: String,
    pub token: String,
    pub value: PlainValue,
    pub masked: bool,
}

/// Whether `token` could be a card token; anything else cannot exist and reaches no query.
fn is_card_token(token: &str) -> bool {
    token.strip_prefix("crd_").is_some_and(super::support::is_id)
}

impl Engine {
    /// The card number behind `token`, for `purpose`.
    pub async fn detokenize(&self, actor: &Actor, token: &str, purpose: &str) -> Result<CardView, EngineError> {
        if !is_card_token(token) {
            return Err(EngineError::NotFound("card token"));
        }
        let catalog = self.catalog_for(actor).await?;
        let principal = principal(&catalog, actor)?;
        let subject = self.store.subject_by_token(&actor.tenant, token).await?.ok_or(EngineError::NotFound("card token"))?;
        let data = self.live_subject(actor, &subject).await?;
        let item = data.items.iter().find(|i| i.token.as_deref() == Some(token)).ok_or(EngineError::NotFound("card token"))?;
        let record = || {
            Record::op(Operation::Extraction.code())
                .purpose(purpose)
                .subject(&subject)
                .categories([item.category.as_str()])
                .object("card_token")
        };
        let restricted = data.subject.status == SubjectStatus::Restricted.as_str();
        let scope = match access::read_scope(&catalog, principal, purpose, restricted) {
            Ok(scope) => scope,
            Err(denial) => return Err(self.refuse(actor, denial, record()).await),
        };
        let collected_for = item.purposes.split(',').any(|p| p == purpose);
        let Some(visibility) = scope.categories.get(&item.category).filter(|_| collected_for) else {
            self.journal_refusal(actor, record()).await;
            return Err(EngineError::Refused {
                code: "access.category_not_granted",
                reason: obereg_core::Bilingual::new(
                    format!("this role may not see `{}` for purpose `{purpose}`", item.category),
                    format!("этой роли не разрешено видеть `{}` для цели `{purpose}`", item.category),
                ),
            });
        };
        let masked = *visibility == access::Visibility::Masked;
        let plain = self.open_item(&self.subject_sealer(&data)?, item, 1)?;
        let value = if masked { PlainValue::new(mask(category_rules(&catalog, &item.category).0, &plain)) } else { plain };
        // Journaled before the number is handed out.
        let entry = self.entry(actor, &actor.tenant, record());
        self.journal_without_change(&actor.tenant, vec![entry]).await?;
        Ok(CardView { subject, item: item.id.clone(), token: token.to_owned(), value, masked })
    }
}
