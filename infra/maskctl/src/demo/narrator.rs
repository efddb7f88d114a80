//! What the walkthrough says: one `[walkthrough] ...  ok` line per thing checked, indented lines
//! for what it shows, and on failure the reason and where to look next.

use std::fmt::Display;
use std::path::Path;

#[derive(Debug, Clone, Copy, Default)]
pub struct Narrator;

const INDENT: &str = "                ";

impl Narrator {
    /// A check that passed.
    pub fn ok(&self, line: impl Display) {
        println!("[walkthrough] {line}  ok");
    }

    /// A heading for what follows as details.
    pub fn step(&self, line: impl Display) {
        println!("[walkthrough] {line}");
    }

    /// Shown under a heading, one line each.
    pub fn details(&self, text: &str) {
        for line in text.lines() {
            println!("{INDENT}{line}");
        }
    }

    /// A request that got no answer and is tried again (on stderr: it is not part of the story).
    pub fn retrying(&self, what: &str, attempt: usize, tries: usize, error: impl Display) {
        eprintln!(
            "[walkthrough]   ({what}: no answer, try {attempt} of {tries}: {error}; a function \
             reloading after a file change? trying again)"
        );
    }

    pub fn failed(&self, error: &anyhow::Error, logs: &Path, run_dir: &Path) {
        eprintln!("[walkthrough] FAILED: {}", crate::report(error));
        eprintln!(
            "[walkthrough] function logs: {}; queue poller: {}; events sent: {}/",
            logs.join("lambda.log").display(),
            logs.join("poller.log").display(),
            run_dir.display()
        );
    }
}
