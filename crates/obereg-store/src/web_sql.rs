//! Console and portal records and SQL (migration 000011), shared by both backends like
//! `queries.rs`: staff accounts, browser sessions, the portal's one-time codes, and the
//! counts the console's dashboard shows.
//!
//! Creating or changing an account and opening a session are journaled in the same
//! transaction. Counting a failed sign-in, touching a session and counting a wrong code
//! touch no personal data and are not.

/// A staff member who signs in to the console.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffAccountRecord {
    pub tenant_id: String,
    /// `U-…`.
    pub id: String,
    pub login: String,
    /// A catalog role id, or `admin`.
    pub role: String,
    /// Argon2id PHC string.
    pub password: String,
    /// The second-factor secret, sealed; `None` without a second factor.
    pub totp: Option<Vec<u8>>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub failed_sign_ins: i64,
    pub locked_until: Option<i64>,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebSessionRecord {
    /// SHA-256 of the cookie's value.
    pub id_hash: Vec<u8>,
    pub tenant_id: String,
    /// `staff` or `subject`.
    pub kind: String,
    /// The staff account id; for a subject, the subject id (`*`: several, empty: none).
    pub principal: String,
    /// A subject session's verified address, sealed.
    pub sealed: Option<Vec<u8>>,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The absolute end.
    pub expires_at: i64,
}

/// A one-time code sent for a portal sign-in.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PortalCodeRecord {
    pub tenant_id: String,
    /// `L-…`.
    pub id: String,
    /// Hex blind index of the address the code went to.
    pub contact: String,
    /// Keyed hash of the code.
    pub code_hash: Vec<u8>,
    /// The normalised address, sealed.
    pub sealed: Vec<u8>,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i64,
    pub used_at: Option<i64>,
}

/// What the console's dashboard counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardCounts {
    /// Subjects by status (`active`, `restricted`, `erased`).
    pub subjects: Vec<(String, i64)>,
    /// Consent events since the time asked, by day (days since 1970-01-01 UTC) and action.
    pub consent_days: Vec<(i64, String, i64)>,
    /// Outbox messages waiting to be sent.
    pub outbox_pending: i64,
}

pub(crate) const STAFF_COLUMNS: &str = "tenant_id, id, login, role, password, totp, created_at, disabled_at, failed_sign_ins, locked_until";
pub(crate) const SESSION_COLUMNS: &str = "id_hash, tenant_id, kind, principal, sealed, created_at, last_seen_at, expires_at";
pub(crate) const CODE_COLUMNS: &str = "tenant_id, id, contact, code_hash, sealed, created_at, expires_at, attempts, used_at";

/// Microseconds in a day, for the dashboard's daily buckets.
pub const DAY_MICROS: i64 = 86_400_000_000;

macro_rules! web_methods {
    ($db:ty) => {
        fn insert_staff_account<'a>(
            &'a self,
            a: &'a $crate::StaffAccountRecord,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &a.tenant_id).await?;
                let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO staff_accounts ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (tenant_id, login) DO NOTHING",
                    $crate::web_sql::STAFF_COLUMNS
                )))
                .bind(&a.tenant_id)
                .bind(&a.id)
                .bind(&a.login)
                .bind(&a.role)
                .bind(&a.password)
                .bind(&a.totp)
                .bind(a.created_at)
                .bind(a.disabled_at)
                .bind(a.failed_sign_ins)
                .bind(a.locked_until)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Err($crate::StoreError::Conflict("staff login"));
                }
                let appended = Self::write_entries(&mut tx, &a.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn update_staff_account<'a>(
            &'a self,
            a: &'a $crate::StaffAccountRecord,
            end_sessions: bool,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &a.tenant_id).await?;
                let updated = sqlx::query(
                    "UPDATE staff_accounts SET role = $3, password = $4, totp = $5, disabled_at = $6, failed_sign_ins = $7, \
                     locked_until = $8 WHERE tenant_id = $1 AND id = $2",
                )
                .bind(&a.tenant_id)
                .bind(&a.id)
                .bind(&a.role)
                .bind(&a.password)
                .bind(&a.totp)
                .bind(a.disabled_at)
                .bind(a.failed_sign_ins)
                .bind(a.locked_until)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err($crate::StoreError::Conflict("staff account"));
                }
                if end_sessions {
                    sqlx::query("DELETE FROM web_sessions WHERE tenant_id = $1 AND kind = 'staff' AND principal = $2")
                        .bind(&a.tenant_id)
                        .bind(&a.id)
                        .execute(&mut *tx)
                        .await?;
                }
                let appended = Self::write_entries(&mut tx, &a.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn staff_account_by_login<'a>(
            &'a self,
            tenant: &'a str,
            login: &'a str,
        ) -> $crate::StoreFuture<'a, Option<$crate::StaffAccountRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM staff_accounts WHERE tenant_id = $1 AND login = $2",
                    $crate::web_sql::STAFF_COLUMNS
                )))
                .bind(tenant)
                .bind(login)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn staff_account<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Option<$crate::StaffAccountRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM staff_accounts WHERE tenant_id = $1 AND id = $2",
                    $crate::web_sql::STAFF_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn staff_accounts<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::StaffAccountRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM staff_accounts WHERE tenant_id = $1 ORDER BY login",
                    $crate::web_sql::STAFF_COLUMNS
                )))
                .bind(tenant)
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn note_sign_in<'a>(
            &'a self,
            tenant: &'a str,
            id: &'a str,
            failed_sign_ins: i64,
            locked_until: Option<i64>,
        ) -> $crate::StoreFuture<'a, ()> {
            Box::pin(async move {
                sqlx::query("UPDATE staff_accounts SET failed_sign_ins = $3, locked_until = $4 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .bind(failed_sign_ins)
                    .bind(locked_until)
                    .execute(&self.write)
                    .await?;
                Ok(())
            })
        }

        fn insert_web_session<'a>(
            &'a self,
            s: &'a $crate::WebSessionRecord,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &s.tenant_id).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO web_sessions ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    $crate::web_sql::SESSION_COLUMNS
                )))
                .bind(&s.id_hash)
                .bind(&s.tenant_id)
                .bind(&s.kind)
                .bind(&s.principal)
                .bind(&s.sealed)
                .bind(s.created_at)
                .bind(s.last_seen_at)
                .bind(s.expires_at)
                .execute(&mut *tx)
                .await?;
                let appended = Self::write_entries(&mut tx, &s.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn web_session<'a>(&'a self, id_hash: &'a [u8]) -> $crate::StoreFuture<'a, Option<$crate::WebSessionRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM web_sessions WHERE id_hash = $1",
                    $crate::web_sql::SESSION_COLUMNS
                )))
                .bind(id_hash)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn touch_web_session<'a>(&'a self, id_hash: &'a [u8], at: i64) -> $crate::StoreFuture<'a, ()> {
            Box::pin(async move {
                sqlx::query("UPDATE web_sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2")
                    .bind(id_hash)
                    .bind(at)
                    .execute(&self.write)
                    .await?;
                Ok(())
            })
        }

        fn delete_web_session<'a>(&'a self, id_hash: &'a [u8]) -> $crate::StoreFuture<'a, bool> {
            Box::pin(async move {
                let done = sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1").bind(id_hash).execute(&self.write).await?;
                Ok(done.rows_affected() > 0)
            })
        }

        fn purge_web_sessions(&self, idle_before: i64, now: i64) -> $crate::StoreFuture<'_, u64> {
            Box::pin(async move {
                let done = sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $2 OR last_seen_at < $1")
                    .bind(idle_before)
                    .bind(now)
                    .execute(&self.write)
                    .await?;
                let codes = sqlx::query("DELETE FROM portal_codes WHERE expires_at < $1").bind(idle_before).execute(&self.write).await?;
                Ok(done.rows_affected() + codes.rows_affected())
            })
        }

        fn insert_portal_code<'a>(
            &'a self,
            code: &'a $crate::PortalCodeRecord,
            message: &'a $crate::OutboxRecord,
            limit: i64,
            since: i64,
        ) -> $crate::StoreFuture<'a, bool> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                // Under the writer (SQLite) or the tenant's journal head lock (PostgreSQL), so
                // concurrent asks for one address cannot pass the limit together.
                Self::lock_head(&mut tx, &code.tenant_id).await?;
                let recent: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM portal_codes WHERE tenant_id = $1 AND contact = $2 AND created_at >= $3")
                        .bind(&code.tenant_id)
                        .bind(&code.contact)
                        .bind(since)
                        .fetch_one(&mut *tx)
                        .await?;
                if recent >= limit {
                    return Ok(false);
                }
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO portal_codes ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    $crate::web_sql::CODE_COLUMNS
                )))
                .bind(&code.tenant_id)
                .bind(&code.id)
                .bind(&code.contact)
                .bind(&code.code_hash)
                .bind(&code.sealed)
                .bind(code.created_at)
                .bind(code.expires_at)
                .bind(code.attempts)
                .bind(code.used_at)
                .execute(&mut *tx)
                .await?;
                Self::insert_outbox(&mut tx, std::slice::from_ref(message)).await?;
                tx.commit().await?;
                Ok(true)
            })
        }

        fn portal_code<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Option<$crate::PortalCodeRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM portal_codes WHERE tenant_id = $1 AND id = $2",
                    $crate::web_sql::CODE_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn portal_code_tried<'a>(
            &'a self,
            tenant: &'a str,
            id: &'a str,
            attempts_read: i64,
            used_at: Option<i64>,
        ) -> $crate::StoreFuture<'a, bool> {
            Box::pin(async move {
                // Counted only where the count read is still there and the code is unused:
                // two guesses at once cannot both be the fifth, nor one code open two sessions.
                let done = sqlx::query(
                    "UPDATE portal_codes SET attempts = attempts + 1, used_at = $4 \
                     WHERE tenant_id = $1 AND id = $2 AND attempts = $3 AND used_at IS NULL",
                )
                .bind(tenant)
                .bind(id)
                .bind(attempts_read)
                .bind(used_at)
                .execute(&self.write)
                .await?;
                Ok(done.rows_affected() == 1)
            })
        }

        fn dashboard_counts<'a>(&'a self, tenant: &'a str, since: i64) -> $crate::StoreFuture<'a, $crate::DashboardCounts> {
            Box::pin(async move {
                let subjects: Vec<(String, i64)> =
                    sqlx::query_as("SELECT status, COUNT(*) FROM subjects WHERE tenant_id = $1 GROUP BY status ORDER BY status")
                        .bind(tenant)
                        .fetch_all(&self.read)
                        .await?;
                let consent_days: Vec<(i64, String, i64)> = sqlx::query_as(
                    "SELECT at / $3 AS day, action, COUNT(*) FROM consent_events WHERE tenant_id = $1 AND at >= $2 \
                     GROUP BY 1, 2 ORDER BY 1, 2",
                )
                .bind(tenant)
                .bind(since)
                .bind($crate::web_sql::DAY_MICROS)
                .fetch_all(&self.read)
                .await?;
                let outbox_pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE tenant_id = $1 AND state = 'pending'")
                    .bind(tenant)
                    .fetch_one(&self.read)
                    .await?;
                Ok($crate::DashboardCounts { subjects, consent_days, outbox_pending })
            })
        }
    };
}

pub(crate) use web_methods;
