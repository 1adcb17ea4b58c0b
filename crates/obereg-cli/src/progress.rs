//! A progress bar with rate and ETA on a terminal, and nothing at all otherwise (pipes,
//! CI logs and tests get the final summary line only).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar that hides itself when stderr is not a terminal.
#[derive(Debug)]
pub struct Progress(ProgressBar);

impl Progress {
    pub fn new(message: &'static str) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        let style = ProgressStyle::with_template("{msg}\n[{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, ETA {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(message);
        Self(bar)
    }

    pub fn set_length(&self, total: u64) {
        self.0.set_length(total);
    }

    pub fn set_position(&self, done: u64) {
        self.0.set_position(done);
    }

    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
