//! obereg's configuration: one typed struct, filled from defaults < file < environment <
//! command-line flags.
//!
//! Defaults live once, in `Default for Config`. A file is read from `--config PATH`
//! (or `OBEREG_CONFIG`), else `./obereg.toml` if present. Environment variables are
//! `OBEREG_<FIELD>` (e.g. `OBEREG_LISTEN`); variables that name no field are ignored, so
//! `OBEREG_TEST_POSTGRES_URL` and friends do not break start-up. Unknown keys in a file are
//! errors. Secrets (`database_url`, `root_key`) are `SecretString`s and are redacted by
//! `obereg config check`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The fields, as named in files and after `OBEREG_` in the environment.
const FIELDS: [&str; 17] = [
    "data_dir",
    "listen",
    "public_url",
    "metrics_listen",
    "metrics_enabled",
    "database_url",
    "root_key_file",
    "root_key",
    "log_format",
    "log_level",
    "max_body_bytes",
    "journal_origin",
    "journal_checkpoint_every",
    "journal_checkpoint_interval_secs",
    "calendar_file",
    "smtp",
    "sms",
];

/// The effective configuration.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory holding the SQLite database and the root key file.
    pub data_dir: PathBuf,
    /// Address the API listens on.
    pub listen: SocketAddr,
    /// The address subjects reach obereg at, written into links in emails (policy notices,
    /// unsubscribe links), e.g. `https://privacy.example.ru`; unset means `http://<listen>`.
    pub public_url: Option<String>,
    /// Address the Prometheus metrics listener binds to, kept apart from the API.
    pub metrics_listen: SocketAddr,
    /// Whether to serve metrics at all.
    pub metrics_enabled: bool,
    /// `postgres://…` to use PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<SecretString>,
    /// Root key file; unset means `data_dir/root.key`.
    pub root_key_file: Option<PathBuf>,
    /// The root key itself (64 hex characters), for deployments that inject secrets through
    /// the environment; takes precedence over the file.
    pub root_key: Option<SecretString>,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `obereg_server=debug,info`.
    pub log_level: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Prefix of each tenant's journal origin (`<prefix>/<tenant>`), e.g. your domain;
    /// unset means `obereg/<root key fingerprint>`.
    pub journal_origin: Option<String>,
    /// Sign a journal checkpoint every this many entries.
    pub journal_checkpoint_every: u64,
    /// And at least this often (seconds) while entries are unsigned.
    pub journal_checkpoint_interval_secs: u64,
    /// A production calendar file adding or replacing years of the shipped one
    /// (docs/calendar.md); request deadlines are counted on it.
    pub calendar_file: Option<PathBuf>,
    /// The SMTP server the outbox sends email through; unset keeps messages waiting.
    pub smtp: Option<obereg_engine::outbox::SmtpSettings>,
    /// The SMS gateway the outbox sends text messages through; unset keeps them waiting.
    pub sms: Option<obereg_engine::outbox::SmsSettings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("obereg-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
            metrics_enabled: true,
            database_url: None,
            root_key_file: None,
            root_key: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            max_body_bytes: obereg_server::DEFAULT_MAX_BODY_BYTES,
            journal_origin: None,
            journal_checkpoint_every: 1000,
            journal_checkpoint_interval_secs: 60,
            calendar_file: None,
            smtp: None,
            sms: None,
        }
    }
}

/// Values given as command-line flags; only those present override the layers below.
#[derive(Debug, Default, Clone, Serialize, clap::Args)]
pub struct ConfigFlags {
    /// Configuration file (default: ./obereg.toml if it exists)
    #[arg(long, env = "OBEREG_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Data directory [default: ./obereg-data]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// API listen address [default: 127.0.0.1:8080]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Metrics listen address [default: 127.0.0.1:9464]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_listen: Option<SocketAddr>,
    /// Database URL: postgres://… (default: SQLite in the data directory)
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Log format: text or json
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

impl clap::ValueEnum for LogFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &[LogFormat::Text, LogFormat::Json]
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }))
    }
}

impl Config {
    /// Builds the effective configuration from every layer.
    pub fn load(flags: &ConfigFlags) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::new();
        let file = flags.config.clone().or_else(|| Some(PathBuf::from("obereg.toml")).filter(|p| p.exists()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(Box::new(figment::Error::from(format!("configuration file {} does not exist", path.display()))));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("OBEREG_").only(&FIELDS)).merge(Serialized::defaults(flags));
        figment.extract().map_err(Box::new)
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!("sqlite:{}", self.data_dir.join("obereg.db").display()),
        }
    }

    /// The journal settings, defaults filled from the root key's fingerprint.
    pub fn journal_settings(&self, fingerprint: &str) -> obereg_engine::JournalSettings {
        let defaults = obereg_engine::JournalSettings::defaults_for(fingerprint);
        obereg_engine::JournalSettings {
            origin_prefix: self.journal_origin.clone().unwrap_or(defaults.origin_prefix),
            checkpoint_every: self.journal_checkpoint_every,
            checkpoint_interval: std::time::Duration::from_secs(self.journal_checkpoint_interval_secs),
        }
    }

    pub fn root_key_path(&self) -> PathBuf {
        self.root_key_file.clone().unwrap_or_else(|| self.data_dir.join("root.key"))
    }

    /// The configuration as TOML with secrets redacted, for `obereg config check`.
    pub fn redacted_toml(&self) -> String {
        #[derive(Serialize)]
        struct Shown<'a> {
            data_dir: &'a Path,
            listen: SocketAddr,
            public_url: String,
            metrics_listen: SocketAddr,
            metrics_enabled: bool,
            database_url: String,
            root_key_file: PathBuf,
            root_key: &'a str,
            log_format: LogFormat,
            log_level: &'a str,
            max_body_bytes: usize,
            journal_origin: &'a str,
            journal_checkpoint_every: u64,
            journal_checkpoint_interval_secs: u64,
            calendar_file: String,
            smtp: String,
            sms: String,
        }
        let shown = Shown {
            data_dir: &self.data_dir,
            listen: self.listen,
            public_url: self.public_url.clone().unwrap_or_else(|| format!("[default: http://{}]", self.listen)),
            metrics_listen: self.metrics_listen,
            metrics_enabled: self.metrics_enabled,
            database_url: redact_url(&self.database_url()),
            root_key_file: self.root_key_path(),
            root_key: if self.root_key.is_some() { "[redacted]" } else { "[not set]" },
            log_format: self.log_format,
            log_level: &self.log_level,
            max_body_bytes: self.max_body_bytes,
            journal_origin: self.journal_origin.as_deref().unwrap_or("[default: obereg/<root key fingerprint>]"),
            journal_checkpoint_every: self.journal_checkpoint_every,
            journal_checkpoint_interval_secs: self.journal_checkpoint_interval_secs,
            calendar_file: self.calendar_file.as_ref().map_or("[shipped]".into(), |p| p.display().to_string()),
            smtp: self.smtp.as_ref().map_or("[not set: messages wait in the outbox]".into(), |s| {
                format!("{}:{} ({:?}), from {}", s.host, s.port.map_or("default".into(), |p| p.to_string()), s.security, s.from)
            }),
            sms: self.sms.as_ref().map_or("[not set: text messages wait in the outbox]".into(), |s| format!("{} (secret redacted)", s.url)),
        };
        toml::to_string(&shown).unwrap_or_default()
    }
}

/// `scheme://user:password@host/db` with the password replaced by `***`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_once('/').map_or((rest, None), |(a, t)| (a, Some(t)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') { format!("{user}:***@{host}") } else { format!("{user}@{host}") }
        }
        None => authority.to_owned(),
    };
    // Query parameters may carry a password too (`?password=`); drop them from the display.
    let tail = tail.map(|t| t.split('?').next().unwrap_or_default().to_owned());
    match tail {
        Some(t) => format!("{scheme}://{authority}/{t}"),
        None => format!("{scheme}://{authority}"),
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail API fixes the error type.
mod tests {
    use figment::Jail;

    use super::*;

    #[test]
    fn precedence_is_defaults_then_file_then_env_then_flags() {
        Jail::expect_with(|jail| {
            let defaults = Config::load(&ConfigFlags::default()).unwrap();
            assert_eq!(defaults.listen.to_string(), "127.0.0.1:8080");

            jail.create_file("obereg.toml", "listen = \"127.0.0.1:1001\"\nlog_level = \"debug\"\n")?;
            let file = Config::load(&ConfigFlags::default()).unwrap();
            assert_eq!(file.listen.to_string(), "127.0.0.1:1001");

            jail.set_env("OBEREG_LISTEN", "127.0.0.1:1002");
            jail.set_env("OBEREG_TEST_POSTGRES_URL", "postgres://ignored");
            let env = Config::load(&ConfigFlags::default()).unwrap();
            assert_eq!(env.listen.to_string(), "127.0.0.1:1002");
            assert_eq!(env.log_level, "debug", "the file still supplies what env does not");

            let flags = ConfigFlags { listen: Some("127.0.0.1:1003".parse().unwrap()), ..Default::default() };
            let all = Config::load(&flags).unwrap();
            assert_eq!(all.listen.to_string(), "127.0.0.1:1003");
            assert_eq!(all.log_level, "debug");
            assert_eq!(all.metrics_listen.to_string(), "127.0.0.1:9464", "defaults fill the rest");
            Ok(())
        });
    }

    #[test]
    fn unknown_file_keys_and_bad_values_are_errors() {
        Jail::expect_with(|jail| {
            jail.create_file("obereg.toml", "lisen = \"127.0.0.1:1\"\n")?;
            let err = Config::load(&ConfigFlags::default()).unwrap_err().to_string();
            assert!(err.contains("lisen"), "{err}");
            jail.create_file("obereg.toml", "")?;
            jail.set_env("OBEREG_LISTEN", "not an address");
            assert!(Config::load(&ConfigFlags::default()).is_err());
            let missing = ConfigFlags { config: Some("nope.toml".into()), ..Default::default() };
            assert!(Config::load(&missing).unwrap_err().to_string().contains("nope.toml"));
            Ok(())
        });
    }

    #[test]
    fn secrets_are_redacted() {
        Jail::expect_with(|jail| {
            jail.set_env("OBEREG_DATABASE_URL", "postgres://obereg:hunter2@db.internal:5432/obereg?password=hunter2");
            jail.set_env("OBEREG_ROOT_KEY", "ab".repeat(32));
            let config = Config::load(&ConfigFlags::default()).unwrap();
            let shown = config.redacted_toml();
            assert!(!shown.contains("hunter2") && !shown.contains("abab"), "{shown}");
            assert!(shown.contains("postgres://obereg:***@db.internal:5432/obereg"), "{shown}");
            assert!(shown.contains("root_key = \"[redacted]\""));
            assert!(!format!("{config:?}").contains("hunter2"));
            Ok(())
        });
    }
}
