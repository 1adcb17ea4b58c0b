//! `obereg token …`: issue and list tokens straight in the database. Whoever runs this can
//! read the data directory anyway, so it acts with full rights; it is how an operator gets a
//! platform token or recovers after losing the first admin token.

use obereg_engine::Actor;

use crate::Failure;
use crate::config::Config;
use crate::setup;

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Issue a token and print it once
    Create {
        /// admin, platform, or a [[roles]] id of the tenant's catalog
        #[arg(long, default_value = "admin")]
        role: String,
        /// What the token is for (no personal data)
        #[arg(long, default_value = "issued from the command line")]
        label: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// List the tenant's tokens (never their secrets)
    List {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
}

pub async fn run(config: Config, command: TokenCommand) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    match command {
        TokenCommand::Create { role, label, tenant } => {
            let issued = engine.create_token(&Actor::local_operator(&tenant), &role, &label).await.map_err(setup::engine_failure)?;
            println!("{}", issued.secret.reveal_once());
            eprintln!(
                "token {} ({}) for tenant {}: shown once, store it now / показан один раз, сохраните его",
                issued.id,
                issued.role.as_str(),
                issued.tenant
            );
        }
        TokenCommand::List { tenant } => {
            for t in engine.list_tokens(&Actor::local_operator(&tenant)).await.map_err(setup::engine_failure)? {
                let state = if t.revoked_at.is_some() { "revoked" } else { "active" };
                println!("{}\t{}\t{}\t{}", t.id, t.role, state, t.label);
            }
        }
    }
    Ok(0)
}
