//! Key rotation: a new key-encryption key version, and every data key re-wrapped under it
//! while the server keeps serving.
//!
//! Rotation is resumable by construction: the keystore records which KEK version wraps
//! each data key, so "what is left" is simply "keys below the current version". Running
//! rotation again after a crash finishes the interrupted one instead of starting another.
//! Each re-wrap is a compare-and-set on the old version, so a key erased (or re-wrapped by
//! another process) meanwhile is left alone, and subjects created during the rotation with
//! the old version are picked up by a final pass.
//!
//! Data is never re-encrypted: values are sealed under the subject's data key, which does
//! not change; only its wrapping does.

use crate::journal::Record;
use crate::{Actor, Engine, EngineError};

/// Keys re-wrapped per transaction.
const REWRAP_BATCH: u32 = 1000;

/// How far a rotation has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationProgress {
    pub version: i64,
    pub done: u64,
    pub total: u64,
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationReport {
    pub version: i64,
    /// `false` when an interrupted rotation to `version` was finished instead.
    pub new_version: bool,
    pub rewrapped: u64,
}

impl Engine {
    /// Rotates the key-encryption key (or finishes an interrupted rotation), calling
    /// `progress` after every batch. Platform operators only: it spans every tenant.
    pub async fn rotate_keys(&self, actor: &Actor, mut progress: impl FnMut(RotationProgress)) -> Result<RotationReport, EngineError> {
        actor.require_platform()?;
        let status = self.store.keystore_status().await?;
        let behind: u64 = status.keys_by_version.iter().filter(|(v, _)| *v < status.current_version).map(|(_, n)| n).sum();
        let (version, new_version) =
            if behind > 0 { (status.current_version, false) } else { (self.store.add_kek_version(self.now_micros()).await?, true) };
        let total: u64 = if new_version { status.keys_by_version.iter().map(|(_, n)| n).sum() } else { behind };
        let object = format!("kek:{version}");
        self.journal_all_tenants(actor, if new_version { "keys.rotation_started" } else { "keys.rotation_resumed" }, &object).await?;
        let mut done = 0;
        progress(RotationProgress { version, done, total });
        loop {
            let mut after: Option<i64> = None;
            let mut pass = 0;
            loop {
                let keys = self.store.keys_to_rewrap(version, after, REWRAP_BATCH).await?;
                let Some(last) = keys.last() else { break };
                after = Some(last.slot);
                let mut rewrapped = Vec::with_capacity(keys.len());
                let mut old = Vec::with_capacity(keys.len());
                for obereg_store::KeySlot { slot, key: k } in keys {
                    let key = self.keyring.unwrap(&k.wrapped, &k.tenant_id, &k.subject_id, k.dek_version, k.kek_version)?;
                    let wrapped = self.keyring.wrap(&key, &k.tenant_id, &k.subject_id, k.dek_version, version)?;
                    old.push(k.kek_version);
                    rewrapped
                        .push(obereg_store::KeySlot { slot, key: obereg_store::SubjectKeyRecord { kek_version: version, wrapped, ..k } });
                }
                let n = self.store.rewrap_keys(&rewrapped, &old).await?;
                done += n;
                pass += n;
                progress(RotationProgress { version, done, total: total.max(done) });
            }
            // Keys created with the old version while this pass ran: go again until none.
            if pass == 0 {
                break;
            }
        }
        self.journal_all_tenants(actor, "keys.rotation_finished", &object).await?;
        tracing::info!(version, rewrapped = done, "key-encryption key rotation finished");
        Ok(RotationReport { version, new_version, rewrapped: done })
    }

    /// The keystore's KEK versions and key counts. Platform operators only.
    pub async fn keystore_status(&self, actor: &Actor) -> Result<obereg_store::KeystoreStatus, EngineError> {
        actor.require_platform()?;
        Ok(self.store.keystore_status().await?)
    }

    async fn journal_all_tenants(&self, actor: &Actor, operation: &str, object: &str) -> Result<(), EngineError> {
        for tenant in self.store.tenants().await? {
            let entry = self.entry(actor, &tenant.id, Record::op(operation).object(object));
            let appended = self.store.append_journal(&tenant.id, &[entry]).await?;
            self.after_append(&tenant.id, appended).await;
        }
        Ok(())
    }
}
