//! `obereg sweep` and `obereg acts …`: the retention sweep at the command line (with a
//! progress bar; `--dry-run` shows what would go and why), and the destruction acts —
//! list, show (JSON or printable HTML), verify against the journal; and `obereg docs …`:
//! render a document, publish the policy with an effective date (notices to subjects with
//! a progress bar), list publications. As the local operator.

use std::path::PathBuf;

use obereg_engine::Actor;
use obereg_engine::retention::SweepReport;

use crate::Failure;
use crate::config::Config;
use crate::progress::Progress;
use crate::setup;

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Show what would be destroyed or restricted, and why; change nothing
    #[arg(long)]
    dry_run: bool,
    #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
    tenant: String,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum ActsCommand {
    /// Destruction acts, newest first
    List {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One act with the subjects' names (the read is journaled)
    Show {
        id: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
        /// Write the printable HTML act to this file instead of JSON to stdout
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// Check an act against the journal: exit 0 when it verifies, 1 when not
    Verify {
        id: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
}

pub async fn sweep(config: Config, args: SweepArgs) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    let actor = Actor::local_operator(&args.tenant);
    let bar = Progress::new(if args.dry_run {
        "retention sweep, dry run / проверка сроков хранения без изменений"
    } else {
        "retention sweep / проверка сроков хранения"
    });
    let report = engine
        .sweep_retention(&actor, args.dry_run, &|p| {
            bar.set_length(p.total);
            bar.set_position(p.done);
        })
        .await
        .map_err(setup::engine_failure)?;
    bar.finish();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| Failure::failed(e.to_string()))?);
    } else {
        print_report(&report);
    }
    Ok(0)
}

fn print_report(r: &SweepReport) {
    for f in &r.findings {
        let reason = f.reason.unwrap_or("-");
        let deadline = f.deadline.map(|d| d.to_string()).unwrap_or_default();
        let overdue = if f.overdue { " OVERDUE / ПРОСРОЧЕНО" } else { "" };
        let what = serde_json::to_value(f.action).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let detail =
            if f.purposes.is_empty() { f.categories.join(",") } else { format!("{} ({})", f.categories.join(","), f.purposes.join(",")) };
        println!("{}  {what:<14} {detail}  {reason} {deadline}{overdue}", f.subject);
    }
    if r.findings_truncated {
        println!("… (first {} findings shown / показаны первые)", r.findings.len());
    }
    let mode = if r.dry_run { "would / было бы" } else { "done / сделано" };
    println!(
        "{mode}: subjects seen {} / просмотрено субъектов; values destroyed {} / уничтожено значений; purposes ended on {} values / снято целей; subjects erased {} / уничтожено субъектов; restricted {} / заблокировано",
        r.subjects_seen, r.values_destroyed, r.values_narrowed, r.subjects_erased, r.subjects_restricted
    );
    if !r.acts.is_empty() {
        println!("acts / акты: {}", r.acts.join(" "));
    }
    if r.resumed {
        println!("resumed an interrupted sweep / продолжена прерванная проверка");
    }
}

pub async fn acts(config: Config, command: ActsCommand) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    match command {
        ActsCommand::List { tenant, limit } => {
            let actor = Actor::local_operator(&tenant);
            for a in engine.list_acts(&actor, None, limit).await.map_err(setup::engine_failure)? {
                let reasons: Vec<&str> = a.act.reasons.iter().map(|r| r.code.as_str()).collect();
                println!(
                    "{}  {}  {} subjects / субъектов  {}  journal {}..{}",
                    a.act.id,
                    a.act.date,
                    a.act.subjects.len(),
                    reasons.join(","),
                    a.journal_first,
                    a.journal_end
                );
            }
            Ok(0)
        }
        ActsCommand::Show { id, tenant, html } => {
            let actor = Actor::local_operator(&tenant);
            let view = engine.act(&actor, &id).await.map_err(setup::engine_failure)?;
            match html {
                Some(path) => {
                    std::fs::write(&path, view.to_html())
                        .map_err(|e| Failure::usage(format!("{}: {e} / не удалось записать файл", path.display())))?;
                    println!("{}", path.display());
                }
                None => println!("{}", serde_json::to_string_pretty(&view).map_err(|e| Failure::failed(e.to_string()))?),
            }
            Ok(0)
        }
        ActsCommand::Verify { id, tenant } => {
            let actor = Actor::local_operator(&tenant);
            let v = engine.verify_act(&actor, &id).await.map_err(setup::engine_failure)?;
            if v.valid {
                println!(
                    "act {id} verifies: {} journal entries included in the signed checkpoint of size {} / акт подтверждён журналом",
                    v.entries_checked, v.checkpoint_size
                );
                Ok(0)
            } else {
                for p in &v.problems {
                    println!("problem / нарушение: {p}");
                }
                println!("act {id} does NOT verify / акт НЕ подтверждён журналом");
                Ok(1)
            }
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum DocsCommand {
    /// Generate a document from the catalog in force (kept as a new version when its text
    /// changed); warnings about promises the catalog cannot keep go to stderr
    Render {
        /// policy, rkn_notice, cross_border_notice or processing_record
        #[arg(long)]
        kind: String,
        /// ru or en
        #[arg(long, default_value = "ru")]
        lang: String,
        /// md or html
        #[arg(long, default_value = "md")]
        format: String,
        /// Write to this file instead of stdout
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Publish the policy generated from the catalog in force, effective on a date; material
    /// changes since the last publication are emailed to subjects unless --no-notify
    Publish {
        /// The first day the new version is in force, YYYY-MM-DD (Moscow time)
        #[arg(long)]
        effective_on: String,
        /// Record the publication without emailing subjects
        #[arg(long)]
        no_notify: bool,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
        /// Print the publication as JSON
        #[arg(long)]
        json: bool,
    },
    /// Policy publications, newest first
    Publications {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
}

pub async fn docs(config: Config, command: DocsCommand) -> Result<u8, Failure> {
    match command {
        DocsCommand::Render { kind, lang, format, out, tenant } => render(config, kind, lang, format, out, tenant).await,
        DocsCommand::Publish { effective_on, no_notify, tenant, json } => {
            let effective_on: jiff::civil::Date = effective_on
                .parse()
                .map_err(|_| Failure::usage(format!("--effective-on {effective_on}: use YYYY-MM-DD / укажите дату ГГГГ-ММ-ДД")))?;
            let engine = setup::open_engine(&config).await?;
            let actor = Actor::local_operator(&tenant);
            let request = obereg_engine::documents::PublishPolicy { effective_on, notify: !no_notify };
            let published = engine.publish_policy(&actor, request).await.map_err(setup::engine_failure)?;
            let bar = Progress::new("policy notices / уведомления об изменении политики");
            engine
                .walk_publication(&tenant, &published.id, |p| {
                    bar.set_length(p.total);
                    bar.set_position(p.done);
                })
                .await
                .map_err(setup::engine_failure)?;
            bar.finish();
            let publication = engine.publication(&actor, &published.id).await.map_err(setup::engine_failure)?;
            print_publications(&[publication], json)
        }
        DocsCommand::Publications { tenant, json } => {
            let engine = setup::open_engine(&config).await?;
            let all = engine.publications(&Actor::local_operator(&tenant)).await.map_err(setup::engine_failure)?;
            print_publications(&all, json)
        }
    }
}

fn print_publications(all: &[obereg_engine::documents::Publication], json: bool) -> Result<u8, Failure> {
    if json {
        let text = if all.len() == 1 { serde_json::to_string_pretty(&all[0]) } else { serde_json::to_string_pretty(all) };
        println!("{}", text.map_err(|e| Failure::failed(e.to_string()))?);
        return Ok(0);
    }
    for p in all {
        let status = serde_json::to_value(p.status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        println!(
            "{}  #{}  effective / в силе с {}  {status}  changes / изменений {}  notices queued / уведомлений {}{}  re-consent / повторное согласие {}  {}",
            p.id,
            p.number,
            p.effective_on,
            p.changes.len(),
            p.notices.queued,
            if p.notices.done { "" } else { " (walking / идёт обход)" },
            p.reconsent,
            p.url
        );
        for c in &p.changes {
            println!("    {}: {} / {}", c.code, c.message.en, c.message.ru);
        }
    }
    Ok(0)
}

async fn render(config: Config, kind: String, lang: String, format: String, out: Option<PathBuf>, tenant: String) -> Result<u8, Failure> {
    let kind = obereg_core::documents::DocumentKind::parse(&kind).ok_or_else(|| {
        Failure::usage(format!(
            "--kind {kind}: use policy, rkn_notice, cross_border_notice or processing_record / укажите один из видов документа"
        ))
    })?;
    let lang = match lang.as_str() {
        "ru" => obereg_core::text::Lang::Ru,
        "en" => obereg_core::text::Lang::En,
        other => return Err(Failure::usage(format!("--lang {other}: use ru or en / укажите ru или en"))),
    };
    let engine = setup::open_engine(&config).await?;
    let doc = engine.generate_document(&Actor::local_operator(&tenant), kind, lang).await.map_err(setup::engine_failure)?;
    for w in &doc.warnings {
        eprintln!("warning[{}]: {} / {}", w.code, w.message.en, w.message.ru);
    }
    let body = match format.as_str() {
        "md" => &doc.markdown,
        "html" => &doc.html,
        other => return Err(Failure::usage(format!("--format {other}: use md or html / укажите md или html"))),
    };
    match out {
        Some(path) => {
            std::fs::write(&path, body).map_err(|e| Failure::usage(format!("{}: {e} / не удалось записать файл", path.display())))?;
            println!("{} (sha256 {}, catalog version {})", path.display(), doc.sha256, doc.catalog_version);
        }
        None => print!("{body}"),
    }
    Ok(0)
}
