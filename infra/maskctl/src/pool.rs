//! `maskctl pool add` and `pool list`: the pool as an operator manages it by hand.

use anyhow::Context;
use chrono::Utc;
use maskline::adapters::dynamodb::{DynamoStore, PoolEntryView, PoolInsert};
use maskline::domain::number::DefaultCountry;
use maskline::domain::Region;

use crate::entry::{parse_entry, RawEntry};

pub async fn add(
    store: &DynamoStore,
    raw: RawEntry<'_>,
    default_country: Option<DefaultCountry>,
) -> anyhow::Result<()> {
    let entry = parse_entry(raw, default_country).context("invalid pool entry")?;
    let outcome = store
        .add_number(&entry)
        .await
        .with_context(|| format!("adding {}", entry.vn))?;
    match outcome {
        PoolInsert::Added => println!(
            "added {} (region {}, operator {}, provider {})",
            entry.vn, entry.region, entry.operator, entry.provider
        ),
        // Adding never rewrites: a number moves region or provider only by an explicit change.
        PoolInsert::AlreadyPresent => {
            println!("{} is already in the pool; nothing changed", entry.vn)
        }
    }
    Ok(())
}

pub async fn list(store: &DynamoStore, region: Option<&Region>, json: bool) -> anyhow::Result<()> {
    let entries = store
        .list_pool(region, Utc::now())
        .await
        .context("listing the pool")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
    } else if entries.is_empty() {
        eprintln!(
            "the pool is empty{}",
            region.map_or(String::new(), |r| format!(" in region {r}"))
        );
    } else {
        print!("{}", render_table(&entries));
    }
    Ok(())
}

const HEADINGS: [&str; 6] = [
    "VN",
    "REGION",
    "OPERATOR",
    "PROVIDER",
    "HEALTH",
    "LIVE BINDINGS",
];

/// Aligned columns, widths taken from the widest cell.
pub fn render_table(entries: &[PoolEntryView]) -> String {
    let rows: Vec<[String; 6]> = entries
        .iter()
        .map(|e| {
            [
                e.vn.to_string(),
                e.region.to_string(),
                e.operator.to_string(),
                e.provider.to_string(),
                if e.healthy { "healthy" } else { "unhealthy" }.to_string(),
                e.live_bindings.map_or("-".to_string(), |n| n.to_string()),
            ]
        })
        .collect();
    let mut widths = HEADINGS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let headings = HEADINGS.map(String::from);
    let mut out = String::new();
    for row in std::iter::once(&headings).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use maskline::domain::{Operator, Provider, VirtualNumber};

    use super::*;

    fn view(vn: &str, healthy: bool, live: Option<usize>) -> PoolEntryView {
        PoolEntryView {
            vn: VirtualNumber::parse(vn, None).unwrap(),
            region: Region::parse("blr").unwrap(),
            operator: Operator::parse("airtel").unwrap(),
            provider: Provider::parse("static").unwrap(),
            healthy,
            live_bindings: live,
        }
    }

    #[test]
    fn the_table_aligns_its_columns() {
        let table = render_table(&[
            view("+918041000001", true, Some(2)),
            view("+14155550100", false, None),
        ]);
        assert_eq!(
            table,
            "VN             REGION  OPERATOR  PROVIDER  HEALTH     LIVE BINDINGS\n\
             +918041000001  blr     airtel    static    healthy    2\n\
             +14155550100   blr     airtel    static    unhealthy  -\n"
        );
    }
}
