//! Integration tests of the `obereg` binary: check, init, serve, token, config.

mod check;
mod incident;
mod journal;
mod logs;
mod receipt;
mod requests;
mod scan;
mod serve;
mod vault;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `obereg ARGS` in `dir` with no `OBEREG_*` variables from the outside.
pub fn obereg(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_obereg"));
    cmd.current_dir(dir).args(args).env("LANG", "C");
    for (key, _) in std::env::vars() {
        if key.starts_with("OBEREG_") {
            cmd.env_remove(key);
        }
    }
    cmd.output().expect("obereg runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The repository's examples directory.
pub fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}
