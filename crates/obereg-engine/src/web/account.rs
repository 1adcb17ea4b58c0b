//! A staff member's own account, from the console: change the password (the current one is
//! asked for again, so a session left open is not enough to take the account over) and set
//! up a second factor.
//!
//! Setting up a second factor takes two steps so nobody locks themselves out: the console
//! shows a new secret, and only a code from the authenticator app that now holds it turns
//! the factor on. Between the two steps the secret travels in the page itself, sealed under
//! the tenant's web key and bound to the account (it opens for no one else) and stamped with
//! the time it was made (it opens for ten minutes): no pending state in the database.

use obereg_store::StaffAccountRecord;
use zeroize::Zeroizing;

use super::staff::{StaffAccountView, TotpEnrollment, blocking, view};
use super::{password, totp};
use crate::{Actor, Engine, EngineError};

/// How long a shown secret can still be confirmed.
const PENDING_SECONDS: i64 = 600;
/// What the pending secret is sealed as (distinct from the stored factor's `totp`).
const PENDING_ITEM: &str = "totp-pending";

/// A second factor shown but not yet confirmed.
#[derive(Debug)]
pub struct PendingTotp {
    pub enrollment: TotpEnrollment,
    /// The sealed secret, hex, for the confirming form.
    pub sealed: String,
}

fn wrong_password() -> EngineError {
    EngineError::invalid("staff.wrong_password", "the current password is wrong", "текущий пароль указан неверно")
}

fn wrong_code() -> EngineError {
    EngineError::invalid(
        "staff.wrong_code",
        "the code does not match, or the setup is older than 10 minutes: start again",
        "код не подходит или настройка начата больше 10 минут назад: начните заново",
    )
}

impl Engine {
    /// The signed-in staff member's own account.
    async fn own_account(&self, actor: &Actor) -> Result<StaffAccountRecord, EngineError> {
        let id = actor.token_id.as_deref().filter(|id| id.starts_with("U-")).ok_or(EngineError::Forbidden)?;
        self.store.staff_account(&actor.tenant, id).await?.ok_or(EngineError::Unauthenticated)
    }

    /// The signed-in staff member's account as the console shows it.
    pub async fn own_staff_account(&self, actor: &Actor) -> Result<StaffAccountView, EngineError> {
        Ok(view(&self.own_account(actor).await?, self.now_micros()))
    }

    /// Changes the staff member's own password after checking the current one. Every session
    /// of the account ends, this one too: the member signs in again with the new password.
    pub async fn change_own_password(&self, actor: &Actor, current: &str, new: &str) -> Result<StaffAccountView, EngineError> {
        password::check_password(new)?;
        let account = self.own_account(actor).await?;
        let (pass, stored) = (Zeroizing::new(current.to_owned()), account.password.clone());
        if current.len() > 4 * password::MAX_PASSWORD_CHARS || !blocking(move || password::verify_password(&pass, &stored)).await? {
            return Err(wrong_password());
        }
        self.replace_password(actor, account, new).await
    }

    /// Makes a new second-factor secret for the staff member's own account and returns it
    /// with its sealed form; nothing changes until [`Engine::confirm_own_totp`].
    pub async fn start_own_totp(&self, actor: &Actor) -> Result<PendingTotp, EngineError> {
        let account = self.own_account(actor).await?;
        let secret = totp::new_secret()?;
        let mut plain = Zeroizing::new(self.clock.now().as_second().to_be_bytes().to_vec());
        plain.extend_from_slice(&secret);
        let sealed = hex::encode(self.seal_web(&actor.tenant, &account.id, PENDING_ITEM, &plain)?);
        Ok(PendingTotp { enrollment: self.totp_enrollment(actor, &account.login, &secret).await?, sealed })
    }

    /// Turns the shown secret on when `code` is what an app holding it shows now. Every
    /// session of the account ends: the member signs in again, now with a code.
    pub async fn confirm_own_totp(&self, actor: &Actor, sealed: &str, code: &str) -> Result<StaffAccountView, EngineError> {
        let account = self.own_account(actor).await?;
        let bytes = hex::decode(sealed).map_err(|_| wrong_code())?;
        let plain = self.open_web(&actor.tenant, &account.id, PENDING_ITEM, &bytes).map_err(|_| wrong_code())?;
        let (stamp, secret) = plain.split_at_checked(8).ok_or_else(wrong_code)?;
        let made = i64::from_be_bytes(stamp.try_into().map_err(|_| wrong_code())?);
        let now = self.clock.now().as_second();
        if !(made..=made + PENDING_SECONDS).contains(&now) || !totp::verify(secret, code.trim(), now) {
            return Err(wrong_code());
        }
        self.store_totp(actor, account.clone(), secret, true).await?;
        Ok(view(&StaffAccountRecord { totp: Some(Vec::new()), ..account }, self.now_micros()))
    }
}
