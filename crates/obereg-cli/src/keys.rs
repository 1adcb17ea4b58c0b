//! `obereg keys …`: the keystore's state and key rotation. Acts directly on the database as
//! the platform operator; rotation runs online, next to a serving `obereg serve`.

use obereg_engine::{Actor, DEFAULT_TENANT};

use crate::Failure;
use crate::config::Config;
use crate::progress::Progress;
use crate::setup;

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Show key-encryption key versions and how many data keys each wraps
    Status,
    /// Add a key-encryption key version and re-wrap every data key under it (or finish an
    /// interrupted rotation); the server keeps serving meanwhile
    Rotate,
}

pub async fn run(config: Config, command: KeysCommand) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    let actor = Actor::local_operator(DEFAULT_TENANT);
    match command {
        KeysCommand::Status => {
            let status = engine.keystore_status(&actor).await.map_err(setup::engine_failure)?;
            println!("current key-encryption key version / текущая версия ключа шифрования ключей: {}", status.current_version);
            for (version, keys) in status.keys_by_version {
                println!("  v{version}: {keys} data keys / ключей данных");
            }
            Ok(0)
        }
        KeysCommand::Rotate => {
            let bar = Progress::new("re-wrapping data keys / перешифрование ключей данных");
            let report = engine
                .rotate_keys(&actor, |p| {
                    bar.set_length(p.total);
                    bar.set_position(p.done);
                })
                .await
                .map_err(setup::engine_failure)?;
            bar.finish();
            let how = if report.new_version { "rotated to" } else { "finished the interrupted rotation to" };
            let how_ru = if report.new_version {
                "ключ заменён на версию"
            } else {
                "прерванная замена завершена, версия"
            };
            println!(
                "{how} v{}: {} data keys re-wrapped / {how_ru} v{}: перешифровано ключей: {}",
                report.version, report.rewrapped, report.version, report.rewrapped
            );
            Ok(0)
        }
    }
}
