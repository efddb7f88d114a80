//! The figures of a model run: what ran, what the product answered, what was violated.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A participant's number as it may appear in a message: masked (test numbers are made up, but
/// the habit is the product's).
pub fn masked(phone: &str) -> String {
    maskline::domain::number::mask(phone)
}

#[derive(Debug, Default)]
pub struct Stats {
    pub base_seed: u64,
    pub schedules: usize,
    pub steps: usize,
    pub batches: usize,
    /// Operations by kind (and clock jumps by label).
    pub ops: BTreeMap<&'static str, u64>,
    /// "kind -> outcome" counts, e.g. "agent change -> DriverChanged".
    pub outcomes: BTreeMap<String, u64>,
    /// New sessions and agent changes that claimed numbers.
    pub allocations: u64,
    /// Sessions failovers moved.
    pub moved: u64,
    /// `PoolExhausted` answers checked against the snapshot before their batch
    /// ([`super::exhaustion`]).
    pub exhaustions_judged: u64,
    /// Every violation, "seed S step N: what".
    pub violations: Vec<String>,
    /// Seeds of the schedules that had violations.
    pub failing_seeds: Vec<u64>,
    pub elapsed: Duration,
    /// Where the time went: (phase, total).
    pub phases: BTreeMap<&'static str, Duration>,
}

impl Stats {
    /// Adds the figures of `other` (one schedule's) to these; violations and failing seeds are
    /// left to the caller, which words them.
    pub fn absorb(&mut self, other: Stats) {
        self.schedules += other.schedules;
        self.steps += other.steps;
        self.batches += other.batches;
        self.allocations += other.allocations;
        self.moved += other.moved;
        self.exhaustions_judged += other.exhaustions_judged;
        for (kind, count) in other.ops {
            *self.ops.entry(kind).or_default() += count;
        }
        for (outcome, count) in other.outcomes {
            *self.outcomes.entry(outcome).or_default() += count;
        }
        for (phase, spent) in other.phases {
            *self.phases.entry(phase).or_default() += spent;
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "model report")?;
        writeln!(f, "  base seed        {}", self.base_seed)?;
        writeln!(f, "  schedules        {}", self.schedules)?;
        writeln!(
            f,
            "  steps            {} ({} concurrent batches)",
            self.steps, self.batches
        )?;
        writeln!(f, "  allocations      {}", self.allocations)?;
        writeln!(f, "  failover moves   {}", self.moved)?;
        writeln!(
            f,
            "  PoolExhausted judged against the snapshot before it: {}",
            self.exhaustions_judged
        )?;
        writeln!(f, "  time             {:.1} s", self.elapsed.as_secs_f64())?;
        for (phase, spent) in &self.phases {
            writeln!(f, "    {phase:<28} {:.1} s", spent.as_secs_f64())?;
        }
        writeln!(f, "  operations by kind")?;
        for (kind, count) in &self.ops {
            writeln!(f, "    {kind:<28} {count}")?;
        }
        writeln!(f, "  outcomes")?;
        for (outcome, count) in &self.outcomes {
            writeln!(f, "    {outcome:<44} {count}")?;
        }
        writeln!(f, "  violations       {}", self.violations.len())?;
        for v in self.violations.iter().take(40) {
            writeln!(f, "    {v}")?;
        }
        if !self.failing_seeds.is_empty() {
            writeln!(
                f,
                "  failing seeds    {:?} (replay one with MODEL_SEED=<seed>)",
                self.failing_seeds
            )?;
        }
        Ok(())
    }
}
