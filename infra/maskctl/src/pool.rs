//! `maskctl pool add` and `pool list`: the pool as an operator manages it by hand.

use anyhow::Context;
use chrono::Utc;
use maskline::domain::number::DefaultCountry;
use maskline::domain::pool::{Health, PoolState};
use maskline::domain::pool::{PoolEntryView, PoolInsert};
use maskline::domain::Region;
use maskline::ports::{PoolAdmin, PoolStore};

use crate::columns;
use crate::entry::{parse_entry, RawEntry};
use crate::pool_summary::{render_summary, summarise};
use crate::pool_target;

pub async fn add(
    store: &dyn PoolAdmin,
    raw: RawEntry<'_>,
    state: PoolState,
    default_country: Option<DefaultCountry>,
) -> anyhow::Result<()> {
    let entry = parse_entry(raw, default_country).context("invalid pool entry")?;
    let outcome = store
        .add_number(&entry, state)
        .await
        .with_context(|| format!("adding {}", entry.vn))?;
    match outcome {
        PoolInsert::Added => {
            println!(
                "added {} {} (region {}, operator {}, provider {}){}",
                entry.vn,
                state_phrase(state),
                entry.region,
                entry.operator,
                entry.provider,
                match state {
                    PoolState::Standby => "; refill activates it when a target needs it",
                    _ => "; it takes sessions now",
                }
            );
            if state == PoolState::Standby {
                warn_if_never_activated(entry.provider.as_str(), 1);
            }
        }
        // Adding never rewrites: a number moves region, provider or state only by an explicit
        // change, so `--standby` cannot pull a number out of service by accident.
        PoolInsert::AlreadyPresent => {
            println!("{} is already in the pool; nothing changed", entry.vn)
        }
    }
    Ok(())
}

pub fn state_phrase(state: PoolState) -> &'static str {
    match state {
        PoolState::Standby => "on standby",
        _ => "active",
    }
}

/// Only the `static` source activates standby numbers; a standby number of another provider would
/// sit there forever.
pub fn warn_if_never_activated(provider: &str, count: usize) {
    if provider != maskline::domain::pool::STATIC_PROVIDER && count > 0 {
        eprintln!(
            "warning: {count} standby number(s) of provider {provider}: refill activates standby \
             numbers of provider static only"
        );
    }
}

pub async fn list(
    store: &dyn PoolAdmin,
    pool: &dyn PoolStore,
    region: Option<&Region>,
    json: bool,
    session_cap: Option<u32>,
) -> anyhow::Result<()> {
    let mut entries = store
        .list_pool(region, Utc::now())
        .await
        .context("listing the pool")?;
    entries.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    let targets = pool_target::read(pool, region).await?;
    if entries.is_empty() {
        eprintln!(
            "the pool is empty{}",
            region.map_or(String::new(), |r| format!(" in region {r}"))
        );
    } else {
        print!("{}", render_table(&entries, session_cap));
    }
    let summary = summarise(&entries, &targets);
    if !summary.is_empty() {
        println!();
        print!("{}", render_summary(&summary));
    }
    Ok(())
}

fn sort_key(e: &PoolEntryView) -> (&str, &str, &str) {
    let n = &e.number;
    (n.region.as_str(), n.operator.as_str(), n.vn.as_str())
}

/// One line per number, by region, operator and VN; live sessions against `session_cap` when
/// the deployment caps them.
pub fn render_table(entries: &[PoolEntryView], session_cap: Option<u32>) -> String {
    let mut sorted: Vec<&PoolEntryView> = entries.iter().collect();
    sorted.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    let sessions = |e: &PoolEntryView| match (e.live_sessions, session_cap) {
        (Some(n), Some(cap)) => format!("{n}/{cap}"),
        (live, _) => columns::or_dash(live),
    };
    let rows: Vec<[String; 8]> = sorted
        .into_iter()
        .map(|e| {
            let n = &e.number;
            [
                n.vn.to_string(),
                n.region.to_string(),
                n.operator.to_string(),
                n.provider.to_string(),
                n.state.to_string(),
                health(n.health, n.suspect).to_string(),
                columns::or_dash(e.live_bindings),
                sessions(e),
            ]
        })
        .collect();
    columns::render(
        [
            "VN",
            "REGION",
            "OPERATOR",
            "PROVIDER",
            "STATE",
            "HEALTH",
            "LIVE BINDINGS",
            "LIVE SESSIONS",
        ],
        &rows,
    )
}

/// A suspect flag matters only while the number is still healthy: once it is marked unhealthy the
/// suspicion has been acted on.
fn health(health: Health, suspect: bool) -> &'static str {
    match (health, suspect) {
        (Health::Healthy, false) => "healthy",
        (Health::Healthy, true) => "healthy, suspect",
        (Health::Unhealthy, _) => "unhealthy",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{TimeZone, Utc};
    use maskline::domain::pool::PoolNumber;
    use maskline::domain::{Operator, Provider, VirtualNumber};

    use super::*;

    pub fn view(vn: &str, operator: &str, state: PoolState, live: Option<usize>) -> PoolEntryView {
        PoolEntryView {
            number: PoolNumber {
                vn: VirtualNumber::parse(vn, None).unwrap(),
                region: Region::parse("blr").unwrap(),
                operator: Operator::parse(operator).unwrap(),
                provider: Provider::parse("static").unwrap(),
                health: Health::Healthy,
                state,
                suspect: false,
                provider_ref: None,
                activated_at: Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap(),
            },
            live_bindings: live,
            live_sessions: live.map(|n| n.div_ceil(2)),
        }
    }

    #[test]
    fn the_table_aligns_its_columns_and_sorts_by_operator_then_number() {
        let mut sick = view("+918041000003", "airtel", PoolState::Active, Some(0));
        sick.number.health = Health::Unhealthy;
        sick.number.suspect = true;
        let mut doubtful = view("+918041000002", "airtel", PoolState::Active, Some(2));
        doubtful.number.suspect = true;
        let table = render_table(
            &[
                view("+918041000011", "jio", PoolState::Standby, None),
                sick,
                doubtful,
                view("+918041000001", "airtel", PoolState::Retiring, Some(0)),
            ],
            None,
        );
        assert_eq!(
            table,
            "VN             REGION  OPERATOR  PROVIDER  STATE     HEALTH            LIVE BINDINGS  LIVE SESSIONS\n\
             +918041000001  blr     airtel    static    retiring  healthy           0              0\n\
             +918041000002  blr     airtel    static    active    healthy, suspect  2              1\n\
             +918041000003  blr     airtel    static    active    unhealthy         0              0\n\
             +918041000011  blr     jio       static    standby   healthy           -              -\n"
        );
    }

    #[test]
    fn live_sessions_are_shown_against_the_cap() {
        let table = render_table(
            &[view("+918041000001", "airtel", PoolState::Active, Some(6))],
            Some(5),
        );
        assert!(
            table
                .lines()
                .nth(1)
                .unwrap()
                .ends_with("6              3/5"),
            "{table}"
        );
    }
}
