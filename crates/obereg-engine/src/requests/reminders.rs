//! Reminders to staff before a request falls due: once per request, when its due date is
//! within two working days, an email to the person the catalog names for requests (the DPO,
//! else the responsible person, else the requests address). It names the request, its kind
//! and due date, never the requester. `obereg serve` runs this every minute; overdue ones
//! are on the list and in metrics besides.

use std::collections::BTreeMap;

use obereg_core::catalog::Catalog;
use obereg_core::text::Bilingual;
use obereg_store::{OutboxRecord, RequestRecord};

use super::notices::{Outgoing, new_delivery_id};
use super::workflow::{Step, Who};
use super::{kind_code, moscow_date, parse_kind};
use crate::outbox::{Channel, Message};
use crate::{Engine, EngineError};

/// Working days before the due date a reminder goes.
pub const REMIND_WORKING_DAYS: u32 = 2;
/// Requests reminded of per round.
const ROUND: u32 = 200;

/// Whom staff mail about the operator's duties goes to: the DPO, else the responsible
/// person, else the requests address (request reminders, incident reminders).
pub(crate) fn duty_address(catalog: &Catalog) -> Option<String> {
    let o = &catalog.operator;
    o.dpo
        .as_ref()
        .and_then(|d| d.email.clone())
        .or_else(|| o.responsible_person.as_ref().and_then(|p| p.email.clone()))
        .or_else(|| o.requests_email.clone())
}

impl Engine {
    /// Sends the reminders that fell due; returns how many were queued.
    pub async fn remind_due_requests(&self) -> Result<usize, EngineError> {
        let today = moscow_date(self.clock.now());
        let horizon = self
            .calendar
            .add_working_days(today, REMIND_WORKING_DAYS)
            .map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
        let due = self.store.requests_to_remind(&horizon.date.to_string(), ROUND).await?;
        let mut by_tenant: BTreeMap<String, Vec<RequestRecord>> = BTreeMap::new();
        for r in due {
            by_tenant.entry(r.tenant_id.clone()).or_default().push(r);
        }
        let mut queued = 0;
        for (tenant, requests) in by_tenant {
            let catalog = self.catalog_in_force(&tenant).await?;
            for record in requests {
                let mut next = record.clone();
                next.reminded_at = Some(self.now_micros());
                let mut step = Step::quiet(Who::System);
                if let Some(message) = self.reminder(&catalog, &record)? {
                    step = step.send(message);
                    queued += 1;
                }
                match self.save(&tenant, &record, next, step).await {
                    // Someone acted on it meanwhile: the next round sees it as it is now.
                    Ok(_) | Err(EngineError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(queued)
    }

    /// The reminder for `record`, or none when the catalog names nobody to write to.
    fn reminder(&self, catalog: &Catalog, record: &RequestRecord) -> Result<Option<OutboxRecord>, EngineError> {
        let Some(to) = duty_address(catalog) else { return Ok(None) };
        let kind = kind_code(parse_kind(&record.kind)?);
        let text = Bilingual::new(
            format!("Request {} ({kind}) is due on {}. Answer it or extend it with a reasoned notice.", record.id, record.due_on),
            format!(
                "Срок ответа на запрос {} ({kind}) — {}. Ответьте или продлите срок с мотивированным уведомлением.",
                record.id, record.due_on
            ),
        );
        let subject = format!("obereg: {} — {}", record.id, record.due_on);
        self.staff_mail(&record.tenant_id, &record.id, to, subject, &text, "staff_reminder").map(Some)
    }

    /// An email to staff at `to` about `about` (a request or incident id), Russian then
    /// English, sealed like a request's message under that id.
    pub(crate) fn staff_mail(
        &self,
        tenant: &str,
        about: &str,
        to: String,
        subject: String,
        text: &Bilingual,
        template: &'static str,
    ) -> Result<OutboxRecord, EngineError> {
        let message =
            Message { to, subject, body: format!("{}\n\n{}", text.ru, text.en), recipient: None, signature: None, unsubscribe: None };
        let outgoing = Outgoing { tenant, request: about, id: new_delivery_id(), channel: Channel::Email, template };
        self.outbox_record(outgoing, &message)
    }
}
