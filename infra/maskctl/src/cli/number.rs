//! `maskctl number ...`: one of our virtual numbers, by hand.

use clap::Subcommand;

use super::{env, Backups, NumberFormat, Target};

#[derive(Debug, Subcommand)]
pub enum NumberCommand {
    /// Stop giving the number new sessions and move every live session on it to a healthy number
    /// of its region, telling the apps (`MaskedNumbersChanged`). Safe to repeat: a second run
    /// finishes what the first could not (say, sessions stranded for want of numbers).
    MarkUnhealthy {
        /// One of our virtual numbers, e.g. +918041000003.
        vn: String,
        /// The EventBridge bus the apps listen on.
        #[arg(long, env = "EVENT_BUS_NAME", default_value = "default", value_parser = env::event_bus)]
        event_bus: String,
        #[command(flatten)]
        backups: Backups,
        #[command(flatten)]
        format: NumberFormat,
        #[command(flatten)]
        target: Target,
    },
    /// Let the number take new sessions again. Sessions already moved off it stay where they are.
    MarkHealthy {
        /// One of our virtual numbers, e.g. +918041000003.
        vn: String,
        #[command(flatten)]
        format: NumberFormat,
        #[command(flatten)]
        target: Target,
    },
}
