//! `maskctl pool target` and `pool targets`: how many healthy numbers each operator of a region
//! keeps. Refill reads these; nothing else does.

use anyhow::{bail, Context};
use maskline::domain::pool::PoolTarget;
use maskline::domain::pool::STATIC_PROVIDER;
use maskline::domain::{Operator, Provider, Region};
use maskline::ports::PoolStore;

use crate::cli::SetTargetArgs;
use crate::columns;

pub async fn set(store: &dyn PoolStore, args: SetTargetArgs) -> anyhow::Result<()> {
    let target = target_of(
        args.region,
        args.operator,
        args.provider,
        args.min,
        args.search,
    )?;
    store.set_target(&target).await.with_context(|| {
        format!(
            "setting the target of {} {}",
            target.region, target.operator
        )
    })?;
    println!("{}", describe(&target));
    println!("run `maskctl pool refill` to act on it now, or let the scheduled refill do it");
    Ok(())
}

/// The target as stored, refusing a search filter the `static` source would silently ignore.
pub fn target_of(
    region: Region,
    operator: Operator,
    provider: Provider,
    min: u32,
    search: Option<String>,
) -> anyhow::Result<PoolTarget> {
    let search = search
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if search.is_some() && provider.as_str() == STATIC_PROVIDER {
        bail!("--search applies to bought numbers only; provider static activates standby numbers");
    }
    Ok(PoolTarget {
        region,
        operator,
        provider,
        min,
        search,
    })
}

pub fn describe(t: &PoolTarget) -> String {
    let source = if t.provider.as_str() == STATIC_PROVIDER {
        "activated from its standby numbers".to_string()
    } else {
        match &t.search {
            Some(search) => format!("bought from {} ({search})", t.provider),
            None => format!("bought from {}", t.provider),
        }
    };
    format!(
        "target set: {} {} keeps at least {} healthy active number(s), {source}",
        t.region, t.operator, t.min
    )
}

/// The targets of one region or of all, by region and operator.
pub async fn read(
    store: &dyn PoolStore,
    region: Option<&Region>,
) -> anyhow::Result<Vec<PoolTarget>> {
    let regions = match region {
        Some(r) => vec![r.clone()],
        None => store.regions().await.context("listing the regions")?,
    };
    let mut targets = Vec::new();
    for region in &regions {
        targets.extend(
            store
                .targets(region)
                .await
                .with_context(|| format!("reading the targets of {region}"))?,
        );
    }
    targets.sort_by(|a, b| (&a.region, &a.operator).cmp(&(&b.region, &b.operator)));
    Ok(targets)
}

pub async fn list(
    store: &dyn PoolStore,
    region: Option<&Region>,
    json: bool,
) -> anyhow::Result<()> {
    let targets = read(store, region).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&targets)?);
    } else if targets.is_empty() {
        eprintln!(
            "no targets{}; set one with `maskctl pool target REGION --operator O --min N`",
            region.map_or(String::new(), |r| format!(" in region {r}"))
        );
    } else {
        print!("{}", render_targets(&targets));
    }
    Ok(())
}

pub fn render_targets(targets: &[PoolTarget]) -> String {
    let rows: Vec<[String; 5]> = targets
        .iter()
        .map(|t| {
            [
                t.region.to_string(),
                t.operator.to_string(),
                t.provider.to_string(),
                t.min.to_string(),
                columns::or_dash(t.search.as_ref()),
            ]
        })
        .collect();
    columns::render(["REGION", "OPERATOR", "PROVIDER", "MIN", "SEARCH"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(provider: &str, search: Option<&str>) -> anyhow::Result<PoolTarget> {
        target_of(
            Region::parse("blr").unwrap(),
            Operator::parse("airtel").unwrap(),
            Provider::parse(provider).unwrap(),
            4,
            search.map(String::from),
        )
    }

    #[test]
    fn a_search_filter_is_for_bought_numbers_only() {
        let err = target("static", Some("AreaCode=80")).unwrap_err();
        assert!(err.to_string().contains("--search"), "{err}");
        assert_eq!(target("static", Some("  ")).unwrap().search, None);
        let twilio = target("twilio", Some("AreaCode=80")).unwrap();
        assert_eq!(twilio.search.as_deref(), Some("AreaCode=80"));
        assert_eq!(
            describe(&twilio),
            "target set: blr airtel keeps at least 4 healthy active number(s), \
             bought from twilio (AreaCode=80)"
        );
    }

    #[test]
    fn targets_list_as_columns() {
        let targets = [
            target("static", None).unwrap(),
            target("twilio", Some("AreaCode=80")).unwrap(),
        ];
        assert_eq!(
            render_targets(&targets),
            "REGION  OPERATOR  PROVIDER  MIN  SEARCH\n\
             blr     airtel    static    4    -\n\
             blr     airtel    twilio    4    AreaCode=80\n"
        );
    }
}
