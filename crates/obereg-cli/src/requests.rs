//! `obereg requests …`: the staff work queue at the command line — list by due date, show
//! one, confirm identity, extend, refuse, complete, write the access answer to a file. It
//! acts as the local operator (full rights within the tenant), like `obereg token`.

use std::path::PathBuf;

use obereg_core::request::RequestState;
use obereg_core::value::PlainValue;
use obereg_engine::Actor;
use obereg_engine::requests::{Completion, ManualIdentity, RefusalGround, RequestQuery, RequestView};

use crate::Failure;
use crate::config::Config;
use crate::setup;

#[derive(Debug, clap::Subcommand)]
pub enum RequestsCommand {
    /// Open requests, most urgent first (overdue ones marked)
    List {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
        /// Closed requests too
        #[arg(long)]
        all: bool,
        /// Only overdue requests
        #[arg(long)]
        overdue: bool,
        /// Only requests in this state (received, identity_check, in_progress, extended, …)
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One request with its history and messages (the read is journaled)
    Show {
        id: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Record that identity was checked by staff (an ID document seen)
    Verify {
        id: String,
        /// How identity was checked
        #[arg(long)]
        note: String,
        /// The subject the requester is (omit when obereg holds nothing about them)
        #[arg(long)]
        subject: Option<String>,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Extend the term once; the reason is sent to the subject
    Extend {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Refuse with a reason citing the norm (`--repeated` finds and cites the earlier answer)
    Refuse {
        id: String,
        #[arg(long, conflicts_with_all = ["reason", "identity"])]
        repeated: bool,
        #[arg(long, conflicts_with = "reason")]
        identity: bool,
        #[arg(long, requires = "norm")]
        reason: Option<String>,
        #[arg(long)]
        norm: Option<String>,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Carry the request out and answer the subject
    Complete {
        id: String,
        /// Words for the subject (required for a complaint)
        #[arg(long)]
        answer: Option<String>,
        /// A corrected value, `ITEM_ID=VALUE` (rectification; repeatable)
        #[arg(long = "correct")]
        corrections: Vec<String>,
        /// A purpose concerned (objection, withdrawal, distribution stop; repeatable)
        #[arg(long = "purpose")]
        purposes: Vec<String>,
        /// Portability: post the signed answer to the other operator at this https:// URL
        #[arg(long)]
        transfer_to: Option<String>,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Write the answer of an access or portability request (JSON, or HTML with `--html`)
    Export {
        id: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        html: bool,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
}

fn line(r: &RequestView) -> String {
    format!(
        "{}\t{}\t{}\tdue {}{}{}\t{}",
        r.id,
        obereg_engine::requests::kind_code(r.kind),
        r.state.as_str(),
        r.due_on,
        if r.due_provisional { " (provisional)" } else { "" },
        if r.overdue { " OVERDUE / ПРОСРОЧЕН" } else { "" },
        r.subject_id.as_deref().unwrap_or("-")
    )
}

pub async fn run(config: Config, command: RequestsCommand) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    let fail = setup::engine_failure;
    match command {
        RequestsCommand::List { tenant, all, overdue, state, limit } => {
            let state = match state {
                Some(s) => Some(
                    RequestState::ALL
                        .into_iter()
                        .find(|x| x.as_str() == s)
                        .ok_or_else(|| Failure::usage(format!("unknown state / неизвестное состояние `{s}`")))?,
                ),
                None => None,
            };
            let query = RequestQuery { all, overdue, state, limit: Some(limit), ..Default::default() };
            for r in engine.list_requests(&Actor::local_operator(&tenant), query).await.map_err(fail)? {
                println!("{}", line(&r));
            }
        }
        RequestsCommand::Show { id, tenant } => {
            let d = engine.request_detail(&Actor::local_operator(&tenant), &id).await.map_err(fail)?;
            println!("{}", line(&d.request));
            for (label, value) in [("email", &d.email), ("phone", &d.phone), ("details", &d.details), ("answer", &d.answer)] {
                if let Some(v) = value {
                    println!("{label}: {}", v.expose());
                }
            }
            if !d.candidates.is_empty() {
                println!("matches several subjects / совпадает с несколькими субъектами: {}", d.candidates.join(", "));
            }
            for e in &d.events {
                println!(
                    "  {} {} {} → {} by {}{}",
                    e.at,
                    e.event,
                    e.from.as_str(),
                    e.to.as_str(),
                    e.actor,
                    e.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
                );
            }
            for m in &d.messages {
                println!("  message {} {} {} {} (attempts {})", m.id, m.channel, m.template, m.state, m.attempts);
            }
        }
        RequestsCommand::Verify { id, note, subject, tenant } => {
            let identity = ManualIdentity { subject_id: subject, note: PlainValue::new(note) };
            println!("{}", line(&engine.verify_identity(&Actor::local_operator(&tenant), &id, identity).await.map_err(fail)?));
        }
        RequestsCommand::Extend { id, reason, tenant } => {
            println!(
                "{}",
                line(&engine.extend_request(&Actor::local_operator(&tenant), &id, &PlainValue::new(reason)).await.map_err(fail)?)
            );
        }
        RequestsCommand::Refuse { id, repeated, identity, reason, norm, tenant } => {
            let ground = match (repeated, identity, reason) {
                (true, _, _) => RefusalGround::Repeated,
                (_, true, _) => RefusalGround::IdentityNotConfirmed,
                (_, _, Some(reason)) => RefusalGround::Other { reason: PlainValue::new(reason), norm: norm.unwrap_or_default() },
                _ => return Err(Failure::usage("give --repeated, --identity, or --reason with --norm / укажите основание отказа")),
            };
            println!("{}", line(&engine.refuse_request(&Actor::local_operator(&tenant), &id, ground).await.map_err(fail)?));
        }
        RequestsCommand::Complete { id, answer, corrections, purposes, transfer_to, tenant } => {
            let corrections = corrections
                .iter()
                .map(|c| {
                    c.split_once('=').map(|(item, value)| (item.to_owned(), PlainValue::new(value))).ok_or_else(|| {
                        Failure::usage(format!("--correct takes ITEM_ID=VALUE, not `{}`", c.split('=').next().unwrap_or_default()))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let completion = Completion { answer: answer.map(PlainValue::new), corrections, purposes, transfer_to };
            println!("{}", line(&engine.complete_request(&Actor::local_operator(&tenant), &id, completion).await.map_err(fail)?));
        }
        RequestsCommand::Export { id, out, html, tenant } => {
            let export = engine.request_export(&Actor::local_operator(&tenant), &id).await.map_err(fail)?;
            let text = if html {
                export.to_html()
            } else {
                serde_json::to_string_pretty(&export).map_err(|e| Failure::failed(format!("export: {e}")))?
            };
            write_private(&out, &text)?;
            eprintln!("written / записано: {}", out.display());
        }
    }
    Ok(0)
}

/// Writes personal data to a file only its owner can read.
fn write_private(path: &std::path::Path, text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    file.write_all(text.as_bytes()).map_err(|e| Failure::failed(format!("{}: {e}", path.display())))
}
