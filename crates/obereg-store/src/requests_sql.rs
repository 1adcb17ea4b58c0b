//! Data-subject requests and the outbox, shared by both backends like `vault_sql.rs`.
//!
//! A request changes only through [`Store::update_request`](crate::Store::update_request),
//! which writes the new row where the version read is still stored, together with the
//! transition event, the messages the change sends (the outbox) and its journal entries: a
//! state change and its notice commit or roll back together, so a crash can neither lose a
//! notice nor send one for a change that did not happen.
//!
//! The outbox worker claims due messages by moving their next attempt past a lease; a
//! claim re-checks the due time in the `UPDATE` itself, so two servers over one PostgreSQL
//! never claim one message twice (PostgreSQL re-evaluates the condition on the row it
//! waited for).

/// Columns of `requests`, in [`RequestRecord`](crate::RequestRecord) order.
pub(crate) const REQUEST_COLUMNS: &str = "tenant_id, id, kind, jurisdiction, channel, state, version, subject_id, contact_blind, \
     received_at, due_on, due_provisional, extended, verified_by, code_hash, code_expires_at, code_attempts, codes_sent, key_hash, \
     sealed, updated_at, reminded_at, closed_at";
/// Columns of `request_events`.
pub(crate) const EVENT_COLUMNS: &str = "tenant_id, request_id, idx, at, event, from_state, to_state, actor, sealed_note";
/// Columns of `outbox`.
pub(crate) const OUTBOX_COLUMNS: &str = "tenant_id, id, request_id, subject_id, recipient, channel, template, state, attempts, next_attempt_at, sealed, created_at, sent_at, last_error, \
     confirmed_at";

macro_rules! request_helpers {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn insert_request_event(
                tx: &mut sqlx::Transaction<'static, $db>,
                event: &$crate::RequestEventRecord,
            ) -> Result<(), $crate::StoreError> {
                let inserted = sqlx::query(
                    "INSERT INTO request_events (tenant_id, request_id, idx, at, event, from_state, to_state, actor, sealed_note) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                )
                .bind(&event.tenant_id)
                .bind(&event.request_id)
                .bind(event.idx)
                .bind(event.at)
                .bind(&event.event)
                .bind(&event.from_state)
                .bind(&event.to_state)
                .bind(&event.actor)
                .bind(&event.sealed_note)
                .execute(&mut **tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Err($crate::StoreError::Conflict("request event"));
                }
                Ok(())
            }

            async fn insert_outbox(
                tx: &mut sqlx::Transaction<'static, $db>,
                messages: &[$crate::OutboxRecord],
            ) -> Result<(), $crate::StoreError> {
                for m in messages {
                    sqlx::query(
                        "INSERT INTO outbox (tenant_id, id, request_id, subject_id, recipient, channel, template, state, attempts, \
                         next_attempt_at, sealed, created_at, sent_at, last_error, confirmed_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                    )
                    .bind(&m.tenant_id)
                    .bind(&m.id)
                    .bind(&m.request_id)
                    .bind(&m.subject_id)
                    .bind(&m.recipient)
                    .bind(&m.channel)
                    .bind(&m.template)
                    .bind(&m.state)
                    .bind(m.attempts)
                    .bind(m.next_attempt_at)
                    .bind(&m.sealed)
                    .bind(m.created_at)
                    .bind(m.sent_at)
                    .bind(&m.last_error)
                    .bind(m.confirmed_at)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }
        }
    };
}

macro_rules! request_methods {
    ($db:ty) => {
        fn insert_request<'a>(
            &'a self,
            request: &'a $crate::RequestRecord,
            event: Option<&'a $crate::RequestEventRecord>,
            outbox: &'a [$crate::OutboxRecord],
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let r = request;
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &r.tenant_id).await?;
                let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO requests ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                     $18, $19, $20, $21, $22, $23) ON CONFLICT DO NOTHING",
                    $crate::requests_sql::REQUEST_COLUMNS
                )))
                .bind(&r.tenant_id)
                .bind(&r.id)
                .bind(&r.kind)
                .bind(&r.jurisdiction)
                .bind(&r.channel)
                .bind(&r.state)
                .bind(r.version)
                .bind(&r.subject_id)
                .bind(&r.contact_blind)
                .bind(r.received_at)
                .bind(&r.due_on)
                .bind(r.due_provisional)
                .bind(r.extended)
                .bind(&r.verified_by)
                .bind(&r.code_hash)
                .bind(r.code_expires_at)
                .bind(r.code_attempts)
                .bind(r.codes_sent)
                .bind(&r.key_hash)
                .bind(&r.sealed)
                .bind(r.updated_at)
                .bind(r.reminded_at)
                .bind(r.closed_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Err($crate::StoreError::Conflict("request"));
                }
                if let Some(event) = event {
                    Self::insert_request_event(&mut tx, event).await?;
                }
                Self::insert_outbox(&mut tx, outbox).await?;
                let appended = Self::write_entries(&mut tx, &r.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn update_request<'a>(
            &'a self,
            request: &'a $crate::RequestRecord,
            event: Option<&'a $crate::RequestEventRecord>,
            outbox: &'a [$crate::OutboxRecord],
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, Option<$crate::Appended>> {
            Box::pin(async move {
                let r = request;
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &r.tenant_id).await?;
                let updated = sqlx::query(
                    "UPDATE requests SET state = $3, version = $4, subject_id = $5, contact_blind = $6, due_on = $7, \
                     due_provisional = $8, extended = $9, verified_by = $10, code_hash = $11, code_expires_at = $12, \
                     code_attempts = $13, codes_sent = $14, key_hash = $15, sealed = $16, updated_at = $17, closed_at = $18, \
                     reminded_at = $19 WHERE tenant_id = $1 AND id = $2 AND version = $4 - 1",
                )
                .bind(&r.tenant_id)
                .bind(&r.id)
                .bind(&r.state)
                .bind(r.version)
                .bind(&r.subject_id)
                .bind(&r.contact_blind)
                .bind(&r.due_on)
                .bind(r.due_provisional)
                .bind(r.extended)
                .bind(&r.verified_by)
                .bind(&r.code_hash)
                .bind(r.code_expires_at)
                .bind(r.code_attempts)
                .bind(r.codes_sent)
                .bind(&r.key_hash)
                .bind(&r.sealed)
                .bind(r.updated_at)
                .bind(r.closed_at)
                .bind(r.reminded_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(None);
                }
                if let Some(event) = event {
                    Self::insert_request_event(&mut tx, event).await?;
                }
                Self::insert_outbox(&mut tx, outbox).await?;
                let appended = Self::write_entries(&mut tx, &r.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn request<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Option<$crate::RequestRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM requests WHERE tenant_id = $1 AND id = $2",
                    $crate::requests_sql::REQUEST_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn request_events<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::RequestEventRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM request_events WHERE tenant_id = $1 AND request_id = $2 ORDER BY idx",
                    $crate::requests_sql::EVENT_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn requests<'a>(
            &'a self,
            tenant: &'a str,
            filter: &'a $crate::RequestFilter,
        ) -> $crate::StoreFuture<'a, Vec<$crate::RequestRecord>> {
            Box::pin(async move {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM requests WHERE tenant_id = ",
                    $crate::requests_sql::REQUEST_COLUMNS
                ));
                q.push_bind(tenant.to_owned());
                if filter.open_only {
                    // The partial index `requests_open_by_due` serves exactly this condition.
                    q.push(" AND closed_at IS NULL");
                }
                if let Some(state) = &filter.state {
                    q.push(" AND state = ").push_bind(state.clone());
                }
                if let Some(subject) = &filter.subject_id {
                    q.push(" AND subject_id = ").push_bind(subject.clone());
                }
                if let Some(due) = &filter.due_by {
                    q.push(" AND due_on <= ").push_bind(due.clone());
                }
                if let Some((due, id)) = &filter.after {
                    q.push(" AND (due_on > ").push_bind(due.clone());
                    q.push(" OR (due_on = ").push_bind(due.clone()).push(" AND id > ").push_bind(id.clone()).push("))");
                }
                q.push(" ORDER BY due_on, id LIMIT ").push_bind(i64::from(filter.limit));
                Ok(q.build_query_as().fetch_all(&self.read).await?)
            })
        }

        fn requests_by_contact<'a>(
            &'a self,
            tenant: &'a str,
            contact_blind: &'a [u8],
            since: i64,
        ) -> $crate::StoreFuture<'a, Vec<$crate::RequestRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM requests WHERE tenant_id = $1 AND contact_blind = $2 AND received_at >= $3 ORDER BY received_at",
                    $crate::requests_sql::REQUEST_COLUMNS
                )))
                .bind(tenant)
                .bind(contact_blind)
                .bind(since)
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn claim_outbox<'a>(
            &'a self,
            now: i64,
            lease_until: i64,
            limit: u32,
            channels: &'a [&'a str],
        ) -> $crate::StoreFuture<'a, Vec<$crate::OutboxRecord>> {
            Box::pin(async move {
                if channels.is_empty() {
                    return Ok(Vec::new());
                }
                // The channels are fixed codes (`email`, `sms`, `webhook`), never input.
                let list = channels.iter().map(|c| format!("'{}'", c.replace('\'', ""))).collect::<Vec<_>>().join(", ");
                let mut tx = self.write.begin().await?;
                let mut claimed: Vec<$crate::OutboxRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE outbox SET next_attempt_at = $2 WHERE state = 'pending' AND next_attempt_at <= $1 AND (tenant_id, id) IN \
                     (SELECT tenant_id, id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1 AND channel IN ({list}) \
                      ORDER BY next_attempt_at LIMIT $3) RETURNING {}",
                    $crate::requests_sql::OUTBOX_COLUMNS
                )))
                .bind(now)
                .bind(lease_until)
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                claimed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
                Ok(claimed)
            })
        }

        fn outbox_delivered<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64) -> $crate::StoreFuture<'a, bool> {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE outbox SET state = 'sent', sent_at = $3, sealed = NULL, attempts = attempts + 1, last_error = NULL \
                     WHERE tenant_id = $1 AND id = $2 AND state = 'pending'",
                )
                .bind(tenant)
                .bind(id)
                .bind(at)
                .execute(&self.write)
                .await?
                .rows_affected();
                Ok(done == 1)
            })
        }

        fn outbox_failed<'a>(
            &'a self,
            tenant: &'a str,
            id: &'a str,
            next_attempt_at: Option<i64>,
            error: &'a str,
        ) -> $crate::StoreFuture<'a, bool> {
            Box::pin(async move {
                // No next attempt: the message is dead, and its payload goes like a sent one's.
                let done = sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $4, \
                     state = CASE WHEN $3 IS NULL THEN 'dead' ELSE 'pending' END, \
                     next_attempt_at = COALESCE($3, next_attempt_at), \
                     sealed = CASE WHEN $3 IS NULL THEN NULL ELSE sealed END \
                     WHERE tenant_id = $1 AND id = $2 AND state = 'pending'",
                )
                .bind(tenant)
                .bind(id)
                .bind(next_attempt_at)
                .bind(error)
                .execute(&self.write)
                .await?
                .rows_affected();
                Ok(done == 1)
            })
        }

        fn outbox_message<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Option<$crate::OutboxRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM outbox WHERE tenant_id = $1 AND id = $2",
                    $crate::requests_sql::OUTBOX_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn confirm_outbox<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64) -> $crate::StoreFuture<'a, bool> {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE outbox SET confirmed_at = $3 WHERE tenant_id = $1 AND id = $2 AND channel = 'webhook' AND confirmed_at IS NULL",
                )
                .bind(tenant)
                .bind(id)
                .bind(at)
                .execute(&self.write)
                .await?
                .rows_affected();
                Ok(done == 1)
            })
        }

        fn outbox_of_request<'a>(&'a self, tenant: &'a str, request: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::OutboxRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM outbox WHERE tenant_id = $1 AND request_id = $2 ORDER BY created_at, id",
                    $crate::requests_sql::OUTBOX_COLUMNS
                )))
                .bind(tenant)
                .bind(request)
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn add_objections<'a>(
            &'a self,
            tenant: &'a str,
            subject: &'a str,
            purposes: &'a [String],
            at: i64,
            request: Option<&'a str>,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, Option<$crate::Appended>> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                let seq: Option<i64> =
                    sqlx::query_scalar("SELECT seq FROM subjects WHERE tenant_id = $1 AND id = $2 AND status <> 'erased'")
                        .bind(tenant)
                        .bind(subject)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(seq) = seq else { return Ok(None) };
                for purpose in purposes {
                    // An objection stands from the first time it was made.
                    sqlx::query(
                        "INSERT INTO objections (subject_seq, purpose, tenant_id, at, request_id) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(seq)
                    .bind(purpose)
                    .bind(tenant)
                    .bind(at)
                    .bind(request)
                    .execute(&mut *tx)
                    .await?;
                }
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                Self::note_change(&mut tx, tenant, "subject", subject, appended).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn objections_many<'a>(&'a self, tenant: &'a str, subjects: &'a [String]) -> $crate::StoreFuture<'a, Vec<(String, String, i64)>> {
            Box::pin(async move {
                let mut out = Vec::new();
                for chunk in subjects.chunks($crate::vault_sql::BLIND_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT s.id, o.purpose, o.at FROM subjects s CROSS JOIN objections o \
                         WHERE o.subject_seq = s.seq AND s.status <> 'erased' AND s.tenant_id = ",
                    );
                    q.push_bind(tenant.to_owned()).push(" AND s.id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(id.clone());
                    }
                    q.push(") ORDER BY s.id, o.purpose");
                    let rows: Vec<(String, String, i64)> = q.build_query_as().fetch_all(&self.read).await?;
                    out.extend(rows);
                }
                Ok(out)
            })
        }

        fn count_requests_since<'a>(&'a self, tenant: &'a str, channel: &'a str, since: i64) -> $crate::StoreFuture<'a, i64> {
            Box::pin(async move {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM requests WHERE tenant_id = $1 AND channel = $2 AND received_at >= $3")
                    .bind(tenant)
                    .bind(channel)
                    .bind(since)
                    .fetch_one(&self.read)
                    .await?)
            })
        }

        fn requests_to_remind<'a>(&'a self, due_by: &'a str, limit: u32) -> $crate::StoreFuture<'a, Vec<$crate::RequestRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM requests WHERE closed_at IS NULL AND reminded_at IS NULL AND due_on <= $1 \
                     ORDER BY due_on, tenant_id, id LIMIT $2",
                    $crate::requests_sql::REQUEST_COLUMNS
                )))
                .bind(due_by)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn overdue_requests<'a>(&'a self, today: &'a str) -> $crate::StoreFuture<'a, i64> {
            Box::pin(async move {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM requests WHERE closed_at IS NULL AND due_on < $1")
                    .bind(today)
                    .fetch_one(&self.read)
                    .await?)
            })
        }

        fn outbox_pending(&self) -> $crate::StoreFuture<'_, i64> {
            Box::pin(
                async move { Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetch_one(&self.read).await?) },
            )
        }
    };
}

pub(crate) use {request_helpers, request_methods};
