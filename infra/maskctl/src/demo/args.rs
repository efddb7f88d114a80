//! `maskctl demo ...` as clap types. Every default is what `make dev` runs with, so the
//! walkthrough can be run again by hand against a running `make dev` with no flags at all.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::settings::{DEFAULT_LAMBDA, LOCAL_BUS, LOCAL_TABLE};
use crate::cli::Backups;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub command: Option<DemoCommand>,
    #[command(flatten)]
    pub walkthrough: WalkthroughArgs,
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Print the LOCAL ONLY settings the functions run with under `make dev`, as `export` lines
    /// for a shell to eval (a value already in the environment wins where the user may choose).
    Settings(SettingsArgs),
    /// Probe once whether the functions under `cargo lambda watch` answer (exit code 0 when they
    /// do): what `make dev` waits for.
    Ready(ReadyArgs),
}

#[derive(Debug, Args)]
pub struct ReadyArgs {
    #[arg(long, default_value = DEFAULT_LAMBDA)]
    pub lambda: String,
}

#[derive(Debug, Args)]
pub struct WalkthroughArgs {
    /// Where `cargo lambda watch` serves the functions (Invoke API and lambda-url routes).
    #[arg(long, default_value = DEFAULT_LAMBDA)]
    pub lambda: String,
    /// The table the functions use.
    #[arg(long, env = "TABLE_NAME", default_value = LOCAL_TABLE)]
    pub table: String,
    /// The local bus: the order platform's events go on it, Maskline's come back from
    /// `<bus>-published`.
    #[arg(long, env = "EVENT_BUS_NAME", default_value = LOCAL_BUS)]
    pub event_bus: String,
    /// Where the events sent and received by this run are kept (emptied first).
    #[arg(long, default_value = ".local/dev-run")]
    pub run_dir: PathBuf,
    /// Where `make dev` logs: lambda.log is searched for real phone numbers.
    #[arg(long, default_value = ".local/logs")]
    pub log_dir: PathBuf,
    /// The deploy guide whose smoke test the walkthrough runs as printed.
    #[arg(long, default_value = "docs/deploying.md")]
    pub deploying_doc: PathBuf,
    /// The python (with boto3) that the smoke test's stand-in `aws` runs with.
    #[arg(long, default_value = ".local/venv/bin/python3")]
    pub python: PathBuf,
    /// The grace the functions were given (`RELEASE_GRACE_SECONDS`), for the narration.
    #[arg(long, env = "RELEASE_GRACE_SECONDS", default_value = "1800")]
    pub grace_seconds: String,
    #[command(flatten)]
    pub backups: Backups,
}

#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// Where `cargo lambda watch` will serve the functions.
    #[arg(long, default_value = DEFAULT_LAMBDA)]
    pub lambda: String,
    /// The checkout's LOCAL ONLY number keys: generated once, reused afterwards.
    #[arg(long, default_value = ".local/dev-keys.env")]
    pub keys_file: PathBuf,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn demo(args: &str) -> DemoArgs {
        let words = ["maskctl", "demo"]
            .into_iter()
            .chain(args.split_whitespace());
        match Cli::try_parse_from(words).map(|cli| cli.command) {
            Ok(Command::Demo(args)) => args,
            other => panic!("not demo: {other:?}"),
        }
    }

    #[test]
    fn the_walkthrough_runs_with_make_devs_defaults_and_settings_is_its_own_command() {
        let run = demo("--lambda http://127.0.0.1:9100 --run-dir /tmp/run");
        assert!(run.command.is_none());
        assert_eq!(run.walkthrough.lambda, "http://127.0.0.1:9100");
        assert_eq!(run.walkthrough.log_dir, PathBuf::from(".local/logs"));
        let doc = &run.walkthrough.deploying_doc;
        assert_eq!(doc, &PathBuf::from("docs/deploying.md"));
        let Some(DemoCommand::Settings(settings)) = demo("settings --keys-file k.env").command
        else {
            panic!("not demo settings");
        };
        assert_eq!(settings.lambda, DEFAULT_LAMBDA);
        assert_eq!(settings.keys_file, PathBuf::from("k.env"));
    }
}
