//! Staff accounts of the admin console: created by an administrator, bound to a catalog
//! role (or `admin`), signed in with an Argon2id password and, optionally, a TOTP code.
//!
//! Guessing is slowed three ways: Argon2id makes each try cost ~20 ms of a core, five wrong
//! tries lock the account for 15 minutes (counted in the database, so every server behind a
//! load balancer sees the same count), and an unknown login costs the same time and gives
//! the same answer as a wrong password. A staff member's actions are journaled under the
//! account id (`U-…`) and its role, like a token's.

use obereg_core::access::Principal;
use obereg_store::{StaffAccountRecord, StoreError};
use zeroize::Zeroizing;

use super::{OpenedSession, SessionKind, password, totp};
use crate::journal::Record;
use crate::token::Role;
use crate::{Actor, Engine, EngineError};

/// Wrong sign-ins in a row before an account is locked.
const MAX_FAILED_SIGN_INS: i64 = 5;
/// How long a lock lasts.
const LOCK: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);
/// The role name that makes an account a tenant administrator.
pub const ADMIN_ROLE: &str = "admin";

/// A staff account as the console and the CLI show it (never the password or secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaffAccountView {
    pub id: String,
    pub login: String,
    pub role: String,
    pub second_factor: bool,
    pub created_at: jiff::Timestamp,
    pub disabled: bool,
    pub locked: bool,
}

/// A second factor just set up: shown to the staff member once.
pub struct TotpEnrollment {
    pub secret_base32: Zeroizing<String>,
    pub uri: Zeroizing<String>,
}

impl std::fmt::Debug for TotpEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrollment(…)")
    }
}

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct StaffSession {
    /// Acts with the account's role; journaled under the account id.
    pub actor: Actor,
    pub login: String,
    /// Whether the role works data-subject requests and the journal (a `dpo` role or admin).
    pub dpo: bool,
    /// Whether the account is a tenant administrator.
    pub admin: bool,
    /// The role's name in the catalog, in Russian and English.
    pub role_name: obereg_core::Bilingual,
}

fn check_login(login: &str) -> Result<(), EngineError> {
    let ok = (3..=64).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._@-".contains(&b))
        && login.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(EngineError::invalid(
            "staff.invalid_login",
            "a login is 3 to 64 characters: small Latin letters, digits and . _ @ -, starting with a letter or digit",
            "логин — от 3 до 64 символов: строчные латинские буквы, цифры и . _ @ -, первым — буква или цифра",
        ))
    }
}

pub(super) fn view(a: &StaffAccountRecord, now: i64) -> StaffAccountView {
    StaffAccountView {
        id: a.id.clone(),
        login: a.login.clone(),
        role: a.role.clone(),
        second_factor: a.totp.is_some(),
        created_at: crate::vault::micros_to_time(a.created_at),
        disabled: a.disabled_at.is_some(),
        locked: a.locked_until.is_some_and(|until| until > now),
    }
}

fn staff_record<'a>(operation: &'a str, id: &str) -> Record<'a> {
    Record::op(operation).object(id.to_owned())
}

/// The same answer for every failed sign-in, whatever the reason.
fn bad_sign_in() -> EngineError {
    EngineError::invalid(
        "staff.sign_in_failed",
        "the login, password or code is wrong, or the account is locked for a while",
        "неверный логин, пароль или код, либо учётная запись временно заблокирована",
    )
}

/// Runs password hashing on the blocking pool: it is slow by design.
pub(super) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, EngineError> {
    tokio::task::spawn_blocking(work).await.map_err(|_| EngineError::Internal("password hashing task"))
}

impl Engine {
    /// Creates a staff account (tenant administrators only). `role` is a catalog role id or
    /// `admin`.
    pub async fn create_staff_account(
        &self,
        actor: &Actor,
        login: &str,
        role: &str,
        password: &str,
    ) -> Result<StaffAccountView, EngineError> {
        actor.require_admin()?;
        check_login(login)?;
        self.check_staff_role(actor, role).await?;
        password::check_password(password)?;
        let pass = Zeroizing::new(password.to_owned());
        let hash = blocking(move || password::hash_password(&pass)).await??;
        let now = self.now_micros();
        let record = StaffAccountRecord {
            tenant_id: actor.tenant.clone(),
            id: format!("U-{}", crate::vault::random_hex_id()?),
            login: login.to_owned(),
            role: role.to_owned(),
            password: hash,
            totp: None,
            created_at: now,
            disabled_at: None,
            failed_sign_ins: 0,
            locked_until: None,
        };
        let entry = self.entry(actor, &actor.tenant, staff_record("staff.created", &record.id));
        match self.store.insert_staff_account(&record, &[entry]).await {
            Ok(appended) => self.after_append(&actor.tenant, appended).await,
            Err(StoreError::Conflict(_)) => return Err(EngineError::Conflict("staff login")),
            Err(e) => return Err(e.into()),
        }
        Ok(view(&record, now))
    }

    async fn check_staff_role(&self, actor: &Actor, role: &str) -> Result<(), EngineError> {
        if role == ADMIN_ROLE {
            return Ok(());
        }
        let catalog = self.catalog_for(actor).await?;
        // `platform` reads as the platform role whatever the catalog says: never a staff role.
        if role != "platform" && catalog.roles.iter().any(|r| r.id == role) {
            Ok(())
        } else {
            Err(EngineError::invalid(
                "staff.unknown_role",
                format!("the catalog has no role `{role}`; use one of its roles or `admin`"),
                format!("в каталоге нет роли `{role}`; укажите роль из каталога или `admin`"),
            ))
        }
    }

    /// The tenant's staff accounts (administrators only).
    pub async fn staff_accounts(&self, actor: &Actor) -> Result<Vec<StaffAccountView>, EngineError> {
        actor.require_admin()?;
        let now = self.now_micros();
        Ok(self.store.staff_accounts(&actor.tenant).await?.iter().map(|a| view(a, now)).collect())
    }

    async fn account_by_login(&self, actor: &Actor, login: &str) -> Result<StaffAccountRecord, EngineError> {
        actor.require_admin()?;
        self.store.staff_account_by_login(&actor.tenant, login).await?.ok_or(EngineError::NotFound("staff account"))
    }

    pub(super) async fn save_account(
        &self,
        actor: &Actor,
        next: &StaffAccountRecord,
        end_sessions: bool,
        operation: &str,
    ) -> Result<(), EngineError> {
        let entry = self.entry(actor, &actor.tenant, staff_record(operation, &next.id));
        let appended = self.store.update_staff_account(next, end_sessions, &[entry]).await?;
        self.after_append(&actor.tenant, appended).await;
        Ok(())
    }

    /// Sets a new password, lifts any lock and ends the account's sessions.
    pub async fn set_staff_password(&self, actor: &Actor, login: &str, password: &str) -> Result<StaffAccountView, EngineError> {
        password::check_password(password)?;
        let account = self.account_by_login(actor, login).await?;
        self.replace_password(actor, account, password).await
    }

    /// Hashes and stores `password` (already checked), lifting any lock and ending sessions.
    pub(super) async fn replace_password(
        &self,
        actor: &Actor,
        mut account: StaffAccountRecord,
        password: &str,
    ) -> Result<StaffAccountView, EngineError> {
        let pass = Zeroizing::new(password.to_owned());
        account.password = blocking(move || password::hash_password(&pass)).await??;
        account.failed_sign_ins = 0;
        account.locked_until = None;
        self.save_account(actor, &account, true, "staff.password_set").await?;
        Ok(view(&account, self.now_micros()))
    }

    /// Disables (or enables again) an account; disabling ends its sessions.
    pub async fn set_staff_disabled(&self, actor: &Actor, login: &str, disabled: bool) -> Result<StaffAccountView, EngineError> {
        let mut account = self.account_by_login(actor, login).await?;
        account.disabled_at = if disabled { Some(account.disabled_at.unwrap_or(self.now_micros())) } else { None };
        let operation = if disabled { "staff.disabled" } else { "staff.enabled" };
        self.save_account(actor, &account, disabled, operation).await?;
        Ok(view(&account, self.now_micros()))
    }

    /// Sets up (or replaces) the account's second factor; from now on signing in needs a
    /// code. The secret is shown once; obereg keeps it sealed.
    pub async fn enroll_staff_totp(&self, actor: &Actor, login: &str) -> Result<TotpEnrollment, EngineError> {
        let account = self.account_by_login(actor, login).await?;
        let secret = totp::new_secret()?;
        let enrollment = self.totp_enrollment(actor, login, &secret).await?;
        self.store_totp(actor, account, &secret, true).await?;
        Ok(enrollment)
    }

    /// What an authenticator app needs to hold `secret` for `login`.
    pub(super) async fn totp_enrollment(&self, actor: &Actor, login: &str, secret: &[u8]) -> Result<TotpEnrollment, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        let issuer = format!("obereg {}", catalog.operator.legal_name.ru);
        Ok(TotpEnrollment {
            secret_base32: Zeroizing::new(totp::base32(secret)),
            uri: Zeroizing::new(totp::provisioning_uri(&issuer, login, secret)),
        })
    }

    /// Seals and stores the account's second-factor secret; `end_sessions` signs it out
    /// everywhere.
    pub(super) async fn store_totp(
        &self,
        actor: &Actor,
        mut account: StaffAccountRecord,
        secret: &[u8],
        end_sessions: bool,
    ) -> Result<(), EngineError> {
        account.totp = Some(self.seal_web(&actor.tenant, &account.id, "totp", secret)?);
        self.save_account(actor, &account, end_sessions, "staff.second_factor_set").await
    }

    /// Signs a staff member in. Every failure gives the same error, slowly.
    pub async fn staff_sign_in(
        &self,
        tenant: &str,
        login: &str,
        password: &str,
        second_factor: Option<&str>,
    ) -> Result<OpenedSession, EngineError> {
        if login.len() > 64 || password.len() > 4 * password::MAX_PASSWORD_CHARS {
            return Err(bad_sign_in());
        }
        let pass = Zeroizing::new(password.to_owned());
        let Some(account) = self.store.staff_account_by_login(tenant, login).await? else {
            blocking(move || password::verify_nothing(&pass)).await?;
            return Err(bad_sign_in());
        };
        let now = self.clock.now();
        if account.locked_until.is_some_and(|until| until > now.as_microsecond()) || account.disabled_at.is_some() {
            blocking(move || password::verify_nothing(&pass)).await?;
            return Err(bad_sign_in());
        }
        let stored = account.password.clone();
        let mut good = blocking(move || password::verify_password(&pass, &stored)).await?;
        if good && let Some(sealed) = &account.totp {
            let secret = self.open_web(tenant, &account.id, "totp", sealed)?;
            good = second_factor.is_some_and(|code| totp::verify(&secret, code, now.as_second()));
        }
        if !good {
            let failed = account.failed_sign_ins + 1;
            let (failed, locked_until) = if failed >= MAX_FAILED_SIGN_INS {
                tracing::warn!(tenant = %tenant, account = %account.id, "staff account locked after failed sign-ins");
                (0, Some(now.checked_add(LOCK).map_err(|_| EngineError::Internal("clock"))?.as_microsecond()))
            } else {
                (failed, None)
            };
            self.store.note_sign_in(tenant, &account.id, failed, locked_until).await?;
            return Err(bad_sign_in());
        }
        if account.failed_sign_ins != 0 || account.locked_until.is_some() {
            self.store.note_sign_in(tenant, &account.id, 0, None).await?;
        }
        let actor = staff_actor(&account);
        let entry = self.entry(&actor, tenant, staff_record("staff.signed_in", &account.id));
        self.open_session(SessionKind::Staff, tenant, &account.id, None, vec![entry]).await
    }

    /// The staff member behind a console cookie; `Unauthenticated` when the session ended or
    /// the account was disabled or removed from a role the catalog still has.
    pub async fn staff_session(&self, cookie: &str) -> Result<StaffSession, EngineError> {
        let session = self.live_session(cookie, SessionKind::Staff).await?;
        let account = self.store.staff_account(&session.tenant_id, &session.principal).await?.ok_or(EngineError::Unauthenticated)?;
        if account.disabled_at.is_some() {
            return Err(EngineError::Unauthenticated);
        }
        let actor = staff_actor(&account);
        let catalog = self.catalog_in_force(&account.tenant_id).await?;
        let (dpo, role_name) = match crate::vault::principal_of(&catalog, &actor) {
            Ok(Principal::Administrator) => (true, obereg_core::Bilingual::new("Administrator", "Администратор")),
            Ok(Principal::Staff(role)) => {
                (role.dpo, obereg_core::Bilingual::new(role.name.en.clone().unwrap_or_else(|| role.name.ru.clone()), role.name.ru.clone()))
            }
            // The catalog no longer has the account's role: it may do nothing.
            Err(_) => return Err(EngineError::Unauthenticated),
        };
        Ok(StaffSession { admin: actor.role.is_admin(), actor, login: account.login, dpo, role_name })
    }
}

/// The actor a staff account acts as.
fn staff_actor(account: &StaffAccountRecord) -> Actor {
    Actor {
        tenant: account.tenant_id.clone(),
        role: Role::parse(&account.role),
        token_id: Some(account.id.clone()),
        request_id: None,
        arrived: None,
        portal: false,
    }
}

/// What the console's dashboard shows: counts only, no personal data.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Subjects by status.
    pub subjects: Vec<(String, i64)>,
    /// Consent events by day (days since 1970-01-01 UTC) and action, from `first_day` on.
    pub consent_days: Vec<(i64, String, i64)>,
    pub first_day: i64,
    /// Messages waiting in the outbox.
    pub outbox_pending: i64,
    /// The latest signed checkpoint: its size and when it was signed.
    pub checkpoint: Option<(u64, jiff::Timestamp)>,
}

impl Engine {
    /// The dashboard's counts over the last `days` days, for any staff member of the tenant.
    pub async fn dashboard(&self, actor: &Actor, days: i64) -> Result<Dashboard, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        crate::vault::principal_of(&catalog, actor)?;
        use obereg_store::DAY_MICROS;
        let first_day = self.now_micros().div_euclid(DAY_MICROS) - (days.clamp(1, 366) - 1);
        let counts = self.store.dashboard_counts(&actor.tenant, first_day * DAY_MICROS).await?;
        let checkpoint =
            self.store.latest_checkpoint(&actor.tenant).await?.map(|c| (c.size as u64, crate::vault::micros_to_time(c.signed_at)));
        Ok(Dashboard {
            subjects: counts.subjects,
            consent_days: counts.consent_days,
            first_day,
            outbox_pending: counts.outbox_pending,
            checkpoint,
        })
    }
}
