//! `obereg scan` and `obereg redact`: personal data in a file or standard input.
//!
//! `scan` prints one JSON line per finding (`type`, `start`, `end` as UTF-8 byte offsets
//! into the input, `confidence`, `reason`; never the value) and exits 1 when it found any,
//! 0 when none, so pipelines can stop a file that must hold no personal data. `redact`
//! writes a copy with each finding replaced by its type (`[PHONE]`), a mask, or the
//! tenant's keyed pseudonym. Input over 8 MB is read in pieces cut at line ends, with a
//! progress bar.

use std::io::{Read, Write};
use std::path::PathBuf;

use obereg_detect::Finding;
use obereg_engine::detection::RedactionMethod;

use crate::Failure;
use crate::config::Config;
use crate::progress::Progress;
use crate::setup;

/// Pieces large inputs are cut into (at a line end) so the progress bar moves.
const PIECE: usize = 8 << 20;

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// The file to scan; `-` or nothing for standard input
    input: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RedactArgs {
    /// The file to redact; `-` or nothing for standard input
    input: Option<PathBuf>,
    /// label ([PHONE]), mask (+7 *** ***-**-89) or pseudonym (keyed per tenant)
    #[arg(long, default_value = "label")]
    method: String,
    /// Write the redacted copy here instead of standard output
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
    tenant: String,
}

fn read_input(path: Option<&PathBuf>) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    match path.filter(|p| p.as_os_str() != "-") {
        Some(p) => {
            bytes = std::fs::read(p).map_err(|e| Failure::usage(format!("{}: {e} / не удалось прочитать файл", p.display())))?;
        }
        None => {
            std::io::stdin().read_to_end(&mut bytes).map_err(|e| Failure::failed(format!("stdin: {e}")))?;
        }
    }
    Ok(bytes)
}

/// The findings of `text`, piece by piece for large inputs, with offsets into the whole.
fn detect_all(text: &[u8]) -> Vec<Finding> {
    if text.len() <= PIECE {
        return obereg_detect::detect(text);
    }
    let bar = Progress::new("scanning / поиск персональных данных");
    bar.set_length(text.len() as u64);
    let mut found = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + PIECE).min(text.len());
        if end < text.len() {
            end = text[end..].iter().position(|&b| b == b'\n').map_or(text.len(), |p| end + p + 1);
        }
        found.extend(obereg_detect::detect(&text[at..end]).into_iter().map(|mut f| {
            f.start += at;
            f.end += at;
            f
        }));
        bar.set_position(end as u64);
        at = end;
    }
    bar.finish();
    found
}

pub fn scan(args: &ScanArgs) -> Result<u8, Failure> {
    let text = read_input(args.input.as_ref())?;
    let found = detect_all(&text);
    let mut out = std::io::stdout().lock();
    for f in &found {
        let line = serde_json::to_string(f).map_err(|e| Failure::failed(e.to_string()))?;
        writeln!(out, "{line}").map_err(|e| Failure::failed(format!("stdout: {e}")))?;
    }
    Ok(if found.is_empty() { 0 } else { 1 })
}

pub async fn redact(config: Config, args: RedactArgs) -> Result<u8, Failure> {
    let method = RedactionMethod::parse(&args.method).ok_or_else(|| {
        Failure::usage(format!("--method {}: use label, mask or pseudonym / укажите label, mask или pseudonym", args.method))
    })?;
    let text = read_input(args.input.as_ref())?;
    let found = detect_all(&text);
    let method = match method {
        // Only pseudonyms need the data directory: the key comes from the root key.
        RedactionMethod::Pseudonym => obereg_detect::Method::Pseudonym(setup::open_engine(&config).await?.pseudonym_key(&args.tenant)),
        RedactionMethod::Label => obereg_detect::Method::Label,
        RedactionMethod::Mask => obereg_detect::Method::Mask,
    };
    let redacted = obereg_detect::redact(&text, &found, &method);
    match &args.out {
        Some(path) => {
            std::fs::write(path, &redacted).map_err(|e| Failure::usage(format!("{}: {e} / не удалось записать файл", path.display())))?
        }
        None => std::io::stdout().lock().write_all(&redacted).map_err(|e| Failure::failed(format!("stdout: {e}")))?,
    }
    eprintln!("replaced {n} findings / заменено фрагментов: {n}", n = found.len());
    Ok(0)
}

#[derive(Debug, clap::Args)]
pub struct RedactAudioArgs {
    /// The transcript with word timings (JSON: `words` or `segments[].words`, each with
    /// `word`/`text`, `start`, `end` in seconds)
    #[arg(long)]
    transcript: PathBuf,
    /// The call recording (WAV: PCM 8/16/24/32-bit or 32-bit float)
    #[arg(long)]
    wav: PathBuf,
    /// Where to write the redacted recording
    #[arg(long)]
    out: PathBuf,
    /// silence or tone
    #[arg(long, default_value = "silence")]
    fill: String,
}

/// `obereg redact-audio`: prints the hidden time ranges as JSON lines and writes the copy.
pub fn redact_audio(args: &RedactAudioArgs) -> Result<u8, Failure> {
    use obereg_detect::audio;
    let fill = match args.fill.as_str() {
        "silence" => audio::Fill::Silence,
        "tone" => audio::Fill::Tone,
        other => return Err(Failure::usage(format!("--fill {other}: use silence or tone / укажите silence или tone"))),
    };
    let read = |p: &PathBuf| std::fs::read(p).map_err(|e| Failure::usage(format!("{}: {e} / не удалось прочитать файл", p.display())));
    let words = audio::parse_transcript(&read(&args.transcript)?)
        .map_err(|e| Failure::usage(format!("{}: {e} / расшифровка не распознана", args.transcript.display())))?;
    let spans = audio::sensitive_spans(&words);
    let redacted = audio::redact_wav(&read(&args.wav)?, &spans, fill)
        .map_err(|e| Failure::usage(format!("{}: {e} / запись не распознана", args.wav.display())))?;
    std::fs::write(&args.out, redacted).map_err(|e| Failure::usage(format!("{}: {e} / не удалось записать файл", args.out.display())))?;
    let mut out = std::io::stdout().lock();
    for span in &spans {
        let line = serde_json::to_string(span).map_err(|e| Failure::failed(e.to_string()))?;
        writeln!(out, "{line}").map_err(|e| Failure::failed(format!("stdout: {e}")))?;
    }
    Ok(0)
}
