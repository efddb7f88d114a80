//! `maskctl pool reindex`: puts the active numbers missing from the allocation index into it
//! (numbers made active before the index existed), for one region or all. Every refill run does
//! this for its region; this is for an operator who cannot wait for one.

use anyhow::Context;
use maskline::domain::Region;
use maskline::ports::PoolStore;

pub async fn run(pool: &dyn PoolStore, region: Option<&Region>) -> anyhow::Result<()> {
    let regions = match region {
        Some(region) => vec![region.clone()],
        None => pool.regions().await.context("listing the regions")?,
    };
    for region in regions {
        let indexed = pool
            .index_for_allocation(&region)
            .await
            .with_context(|| format!("indexing {region}"))?;
        println!("{region}: {indexed} active number(s) added to the allocation index");
    }
    Ok(())
}
