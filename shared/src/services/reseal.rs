//! Resealing every stored number as `v3.` under the current encryption key (`maskctl keys
//! reseal`): how the unbound `v1.` format is retired, and how an old encryption key stops being
//! needed without waiting for every session that names it to end.
//!
//! Each value is rewritten only if it is still what was read, so a writer that changed it
//! meanwhile (an allocation, a failover) keeps its own value; that value is counted and left for
//! the next run. A value already current is not touched, so a second run writes nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use tracing::warn;

use crate::ports::{ItemKey, Replaced, SealedValues, StoreError, StoredSeal};
use crate::privacy::{Owner, Resealed, SealFormat, SealKeys};

/// Rewrites in flight at once: enough to keep a scan page's writes short, few enough to stay
/// well under an on-demand table's throttling while the functions keep working.
const IN_FLIGHT: usize = 16;

/// A stored value's format as the report counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundAs {
    /// `v1.`: not bound to its owner.
    V1,
    /// `v2.`: owner-bound, under an unnamed key.
    V2,
    /// `v3.` under a listed key other than the current one.
    V3OlderKey,
    /// `v3.` under the current key: nothing to do.
    V3Current,
    /// `v3.` under a key the setting no longer lists: it cannot be opened here.
    V3UnlistedKey,
    /// No format Maskline ever wrote.
    Unknown,
}

impl FoundAs {
    fn of(format: &SealFormat, keys: &SealKeys) -> FoundAs {
        match format {
            SealFormat::V1 => FoundAs::V1,
            SealFormat::V2 => FoundAs::V2,
            SealFormat::V3(id) if id == keys.current_id() => FoundAs::V3Current,
            SealFormat::V3(id) if keys.ids().any(|listed| listed == id) => FoundAs::V3OlderKey,
            SealFormat::V3(_) => FoundAs::V3UnlistedKey,
            SealFormat::Unknown => FoundAs::Unknown,
        }
    }

    fn label(self) -> &'static str {
        match self {
            FoundAs::V1 => "v1. (unbound)",
            FoundAs::V2 => "v2. (unnamed key)",
            FoundAs::V3OlderKey => "v3. older key",
            FoundAs::V3Current => "v3. current key",
            FoundAs::V3UnlistedKey => "v3. unlisted key",
            FoundAs::Unknown => "unknown format",
        }
    }
}

/// What happened to the values of one format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FormatCounts {
    pub found: u64,
    /// Rewritten as `v3.` under the current key.
    pub resealed: u64,
    /// Changed (or removed) by a writer between this run's read and its write: left as the
    /// writer left it, for the next run.
    pub changed_meanwhile: u64,
    /// Could not be opened with the listed keys: left as it is.
    pub unopenable: u64,
}

/// A run's counts by format, never a number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResealReport {
    /// The encryption key every value was resealed under (its public name).
    pub current_key: String,
    pub by_format: BTreeMap<FoundAs, FormatCounts>,
}

impl ResealReport {
    fn count(&mut self, found: FoundAs, outcome: Outcome) {
        let counts = self.by_format.entry(found).or_default();
        counts.found += 1;
        match outcome {
            Outcome::Current => {}
            Outcome::Resealed => counts.resealed += 1,
            Outcome::ChangedMeanwhile => counts.changed_meanwhile += 1,
            Outcome::Unopenable => counts.unopenable += 1,
        }
    }

    pub fn of(&self, found: FoundAs) -> FormatCounts {
        self.by_format.get(&found).copied().unwrap_or_default()
    }

    /// `v1.` values still in the table after this run (as far as this run saw: a writer could
    /// only add `v3.` values, as no code writes `v1.`).
    pub fn v1_left(&self) -> u64 {
        let v1 = self.of(FoundAs::V1);
        v1.found - v1.resealed
    }

    /// Values this run wrote.
    pub fn resealed(&self) -> u64 {
        self.by_format.values().map(|c| c.resealed).sum()
    }

    fn total(&self, of: impl Fn(&FormatCounts) -> u64) -> u64 {
        self.by_format.values().map(of).sum()
    }
}

impl fmt::Display for ResealReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Sealed numbers by format (current NUMBER_ENCRYPTION_KEY id {}):",
            self.current_key
        )?;
        writeln!(
            f,
            "  {:<18} {:>9} {:>9} {:>17} {:>14}",
            "format", "found", "resealed", "changed meanwhile", "could not open"
        )?;
        for (found, c) in &self.by_format {
            writeln!(
                f,
                "  {:<18} {:>9} {:>9} {:>17} {:>14}",
                found.label(),
                c.found,
                c.resealed,
                c.changed_meanwhile,
                c.unopenable
            )?;
        }
        if self.by_format.is_empty() {
            writeln!(f, "  (the table holds no sealed number)")?;
        }
        let raced = self.total(|c| c.changed_meanwhile);
        if raced > 0 {
            writeln!(
                f,
                "{raced} changed while this run read them and were left as their writer left \
                 them: run again to reseal those."
            )?;
        }
        let unopenable = self.total(|c| c.unopenable);
        if unopenable > 0 {
            writeln!(
                f,
                "{unopenable} could not be opened with the listed keys and were left as they are \
                 (a key no longer listed: list it again after the current one and run again; \
                 otherwise the value is damaged)."
            )?;
        }
        match self.v1_left() {
            0 => writeln!(
                f,
                "No v1. value is left: the v1 format can be retired with \
                 ACCEPT_LEGACY_SEALED=off (see docs/rotation.md)."
            ),
            left => writeln!(
                f,
                "{left} v1. values are left: keep ACCEPT_LEGACY_SEALED=on until a run reports \
                 none."
            ),
        }
    }
}

enum Outcome {
    Current,
    Resealed,
    ChangedMeanwhile,
    Unopenable,
}

/// The reseal use case on the operator's ports.
pub struct Resealer {
    pub store: Arc<dyn SealedValues>,
    pub keys: SealKeys,
}

impl Resealer {
    /// One pass over the whole table.
    pub async fn run(&self) -> Result<ResealReport, StoreError> {
        let mut report = ResealReport {
            current_key: self.keys.current_id().to_string(),
            ..ResealReport::default()
        };
        let mut after: Option<ItemKey> = None;
        loop {
            let page = self.store.sealed_page(after.as_ref()).await?;
            let outcomes: Vec<(FoundAs, Outcome)> = stream::iter(&page.seals)
                .map(|seal| self.reseal(seal))
                .buffer_unordered(IN_FLIGHT)
                .try_collect()
                .await?;
            for (found, outcome) in outcomes {
                report.count(found, outcome);
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(report),
            }
        }
    }

    async fn reseal(&self, seal: &StoredSeal) -> Result<(FoundAs, Outcome), StoreError> {
        let found = FoundAs::of(&seal.value.format(), &self.keys);
        let owner = Owner {
            order: &seal.order,
            side: seal.side,
        };
        let fresh = match self.keys.reseal(&seal.value, owner) {
            Ok(Resealed::Current) => return Ok((found, Outcome::Current)),
            Ok(Resealed::New(fresh)) => fresh,
            Err(e) => {
                // The item's key names our VN and a caller's keyed hash, never a number.
                warn!(order_id = %seal.order, item = %seal.place.item.pk, error = %e,
                      "a sealed number could not be opened; left as it is");
                return Ok((found, Outcome::Unopenable));
            }
        };
        let outcome = match self.store.replace_sealed(seal, &fresh).await? {
            Replaced::Written => Outcome::Resealed,
            Replaced::ChangedMeanwhile => Outcome::ChangedMeanwhile,
        };
        Ok((found, outcome))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_what_is_left_and_names_no_number() {
        let mut report = ResealReport {
            current_key: "0a1b2c3d4e5f".into(),
            ..ResealReport::default()
        };
        report.count(FoundAs::V1, Outcome::Resealed);
        report.count(FoundAs::V3Current, Outcome::Current);
        assert_eq!(report.v1_left(), 0);
        assert!(report.to_string().contains("No v1. value is left"));

        report.count(FoundAs::V1, Outcome::ChangedMeanwhile);
        report.count(FoundAs::V2, Outcome::Unopenable);
        let text = report.to_string();
        assert_eq!(report.v1_left(), 1);
        assert!(text.contains("1 v1. values are left"), "{text}");
        assert!(text.contains("run again"), "{text}");
        assert!(text.contains("could not be opened"), "{text}");
        assert_eq!(report.resealed(), 1);
    }
}
