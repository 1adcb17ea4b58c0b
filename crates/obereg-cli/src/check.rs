//! `obereg check FILE…`: validates catalogs with the same rules the API applies.

use std::path::PathBuf;

use obereg_core::catalog::check;
use obereg_core::text::Lang;

use crate::Failure;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Catalog files (TOML)
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output: human-readable text or JSON
    #[arg(long, value_parser = ["text", "json"], default_value = "text")]
    format: String,
    /// Language of messages: en or ru (default: from LANG)
    #[arg(long, value_parser = ["en", "ru"])]
    lang: Option<String>,
    /// Treat warnings as errors
    #[arg(long)]
    deny_warnings: bool,
}

pub fn run(args: &CheckArgs) -> Result<u8, Failure> {
    let lang = match args.lang.as_deref() {
        Some(l) => Lang::from_preference(l),
        None => Lang::from_preference(&std::env::var("LANG").unwrap_or_default()),
    };
    let mut failed = false;
    let mut json_reports = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
        let report = check(&source);
        let errors = report.errors().count();
        let warnings = report.warnings().count();
        failed |= errors > 0 || (args.deny_warnings && warnings > 0);
        if args.format == "json" {
            json_reports.push(serde_json::json!({ "file": name, "valid": report.is_valid(), "diagnostics": report.diagnostics }));
            continue;
        }
        for d in &report.diagnostics {
            println!("{}", d.render(&name, &source, lang));
        }
        let summary = match lang {
            Lang::En => format!("{name}: {errors} error(s), {warnings} warning(s)"),
            Lang::Ru => format!("{name}: ошибок — {errors}, предупреждений — {warnings}"),
        };
        println!("{summary}");
    }
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&json_reports).unwrap_or_default());
    }
    Ok(u8::from(failed))
}
