//! `obereg incident …`: personal-data breaches at the command line, straight in the database
//! (the operator on the server acts with full rights). Facts are given as a JSON file (or
//! `-` for stdin) in the API's shape (docs/incidents.md); every change names the version it
//! was read at, as in the API.

use std::io::Read;

use obereg_core::incident::{ClockState, IncidentFacts, NoticeKind};
use obereg_engine::Actor;
use obereg_engine::incidents::{AffectedScope, IncidentView};

use crate::Failure;
use crate::config::Config;
use crate::setup;

#[derive(Debug, clap::Subcommand)]
pub enum IncidentCommand {
    /// Record an incident from a JSON file of facts (`-`: stdin); the clocks start at detected_at
    Record {
        /// The facts: {"detected_at": "…", "description": "…", …}
        #[arg(long)]
        facts: String,
        /// Whether the GDPR notice is owed (default: when the catalog lists eu-gdpr)
        #[arg(long)]
        gdpr: Option<bool>,
        /// Record it as confirmed (default: suspected; the clocks run either way)
        #[arg(long)]
        confirmed: bool,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// List incidents with each notice's deadline and state
    List {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// One incident as JSON
    Show {
        #[arg(long)]
        id: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Replace the facts of an open incident
    Update {
        #[arg(long)]
        id: String,
        #[arg(long)]
        version: i64,
        #[arg(long)]
        facts: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Print a notice rendered from the facts: rkn_initial, rkn_follow_up, gdpr_authority
    Notice {
        #[arg(long)]
        id: String,
        #[arg(long)]
        kind: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Record that a notice was sent (now, or --at RFC 3339)
    Sent {
        #[arg(long)]
        id: String,
        #[arg(long)]
        version: i64,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        at: Option<String>,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Find the affected subjects: --scope actor|role|system|everything [--who ID] [--from] [--to]
    Assess {
        #[arg(long)]
        id: String,
        #[arg(long)]
        version: i64,
        #[arg(long)]
        scope: String,
        #[arg(long)]
        who: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Dismiss an incident found not to be a breach
    Dismiss {
        #[arg(long)]
        id: String,
        #[arg(long)]
        version: i64,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
}

fn read_facts(path: &str) -> Result<IncidentFacts, Failure> {
    let mut text = String::new();
    let read =
        if path == "-" { std::io::stdin().read_to_string(&mut text).map(|_| ()) } else { std::fs::read_to_string(path).map(|t| text = t) };
    read.map_err(|e| Failure::usage(format!("cannot read {path}: {e} / не удалось прочитать {path}")))?;
    serde_json::from_str(&text).map_err(|e| Failure::usage(format!("{path}: not incident facts: {e} / не сведения об инциденте")))
}

fn time(field: &str, text: &str) -> Result<jiff::Timestamp, Failure> {
    text.parse().map_err(|_| Failure::usage(format!("--{field}: not an RFC 3339 time / не время RFC 3339")))
}

fn kind(text: &str) -> Result<NoticeKind, Failure> {
    NoticeKind::parse(text).ok_or_else(|| {
        Failure::usage("--kind: rkn_initial, rkn_follow_up or gdpr_authority / одно из rkn_initial, rkn_follow_up, gdpr_authority")
    })
}

fn print_json(view: &IncidentView) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(view).map_err(|_| Failure::usage("cannot encode the incident"))?;
    println!("{text}");
    Ok(())
}

/// One line per notice clock: `I-… rkn_initial due 2026-… running|overdue|sent_on_time|…`.
fn print_line(view: &IncidentView) {
    for c in &view.clocks {
        let state = match c.state {
            ClockState::Running { remind: true, .. } => "due_soon",
            ClockState::Running { .. } => "running",
            ClockState::Overdue { .. } => "overdue",
            ClockState::SentOnTime => "sent_on_time",
            ClockState::SentLate { .. } => "sent_late",
            ClockState::NotOwed => "not_owed",
        };
        println!("{}\t{}\tv{}\t{}\tdue {}\t{state}", view.id, view.status.as_str(), view.version, c.kind.as_str(), c.due);
    }
}

pub async fn run(config: Config, command: IncidentCommand) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    let fail = setup::engine_failure;
    match command {
        IncidentCommand::Record { facts, gdpr, confirmed, tenant } => {
            let facts = read_facts(&facts)?;
            print_json(&engine.record_incident(&Actor::local_operator(&tenant), facts, gdpr, confirmed).await.map_err(fail)?)?;
        }
        IncidentCommand::List { tenant } => {
            for view in engine.incidents(&Actor::local_operator(&tenant)).await.map_err(fail)? {
                print_line(&view);
            }
        }
        IncidentCommand::Show { id, tenant } => print_json(&engine.incident(&Actor::local_operator(&tenant), &id).await.map_err(fail)?)?,
        IncidentCommand::Update { id, version, facts, tenant } => {
            let facts = read_facts(&facts)?;
            print_json(&engine.update_incident(&Actor::local_operator(&tenant), &id, version, facts).await.map_err(fail)?)?;
        }
        IncidentCommand::Notice { id, kind: k, tenant } => {
            let notice = engine.incident_notice(&Actor::local_operator(&tenant), &id, kind(&k)?).await.map_err(fail)?;
            println!("{}\n\n{}", notice.title, notice.text);
        }
        IncidentCommand::Sent { id, version, kind: k, at, tenant } => {
            let at = at.as_deref().map(|t| time("at", t)).transpose()?;
            let view = engine.record_incident_notice(&Actor::local_operator(&tenant), &id, version, kind(&k)?, at).await.map_err(fail)?;
            print_line(&view);
        }
        IncidentCommand::Assess { id, version, scope, who, from, to, tenant } => {
            let who =
                || who.clone().ok_or_else(|| Failure::usage("--who: the token, account or role / укажите токен, учётную запись или роль"));
            let scope = match scope.as_str() {
                "actor" => AffectedScope::Actor(who()?),
                "role" => AffectedScope::Role(who()?),
                "system" => AffectedScope::System(who()?),
                "everything" => AffectedScope::Everything,
                _ => return Err(Failure::usage("--scope: actor, role, system or everything / actor, role, system или everything")),
            };
            let from = from.as_deref().map(|t| time("from", t)).transpose()?.unwrap_or(jiff::Timestamp::MIN);
            let to = to.as_deref().map(|t| time("to", t)).transpose()?.unwrap_or(jiff::Timestamp::MAX);
            let (view, found) =
                engine.assess_incident(&Actor::local_operator(&tenant), &id, version, scope, from, to).await.map_err(fail)?;
            println!("subjects\t{}\ncategories\t{}\nkinds\t{}", found.subjects, found.categories.join(","), found.subject_kinds.join(","));
            print_line(&view);
        }
        IncidentCommand::Dismiss { id, version, reason, tenant } => {
            print_line(&engine.dismiss_incident(&Actor::local_operator(&tenant), &id, version, &reason).await.map_err(fail)?);
        }
    }
    Ok(0)
}
