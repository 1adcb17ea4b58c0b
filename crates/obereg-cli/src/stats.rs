//! `obereg stats …`: anonymised statistics for partners (docs/statistics.md) — release a table
//! from a query file, list the record of releases, see or set a recipient's privacy budget.

use obereg_engine::Actor;
use obereg_engine::statistics::StatsQuery;

use crate::Failure;
use crate::config::Config;
use crate::setup;

#[derive(Debug, clap::Subcommand)]
pub enum StatsCommand {
    /// Release an aggregate described by a JSON query file (`-`: stdin); prints the table
    Release {
        #[arg(long)]
        query: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// The record of every release (the numbers are not kept, only their hash)
    Releases {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// A recipient's privacy budget; with --epsilon (and --delta) sets it
    Budget {
        #[arg(long)]
        recipient: String,
        #[arg(long)]
        epsilon: Option<f64>,
        #[arg(long, default_value_t = 0.0)]
        delta: f64,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
}

fn json(value: &impl serde::Serialize) -> Result<(), Failure> {
    println!("{}", serde_json::to_string_pretty(value).map_err(|_| Failure::usage("cannot encode the answer"))?);
    Ok(())
}

pub async fn run(config: Config, command: StatsCommand) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    let fail = setup::engine_failure;
    match command {
        StatsCommand::Release { query, tenant } => {
            let text = if query == "-" { std::io::read_to_string(std::io::stdin()) } else { std::fs::read_to_string(&query) }
                .map_err(|e| Failure::usage(format!("cannot read {query}: {e} / не удалось прочитать {query}")))?;
            let query: StatsQuery =
                serde_json::from_str(&text).map_err(|e| Failure::usage(format!("not a statistics query: {e} / не запрос статистики")))?;
            json(&engine.release_statistics(&Actor::local_operator(&tenant), query).await.map_err(fail)?)?;
        }
        StatsCommand::Releases { tenant } => json(&engine.stat_releases(&Actor::local_operator(&tenant)).await.map_err(fail)?)?,
        StatsCommand::Budget { recipient, epsilon, delta, tenant } => {
            let actor = Actor::local_operator(&tenant);
            let view = match epsilon {
                Some(epsilon) => engine.set_privacy_budget(&actor, &recipient, epsilon, delta).await,
                None => engine.privacy_budget(&actor, &recipient).await,
            }
            .map_err(fail)?;
            json(&view)?;
        }
    }
    Ok(0)
}
