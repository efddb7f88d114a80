//! j. Refill: a target for blr/airtel, then an OrderPlaced on the bus -> refill queue ->
//! refill-pool, which activates standby numbers until the target is met.

use std::time::Duration;

use anyhow::{bail, Context};
use chrono::Utc;
use maskline::domain::pool::{Health, PoolState};
use maskline::domain::{Operator, Provider, Region};
use maskline::ports::PoolAdmin;
use serde_json::json;

use crate::demo::stack::Stack;
use crate::pool_target;

const TARGET: usize = 8;

pub async fn target_and_order_placed(stack: &Stack) -> anyhow::Result<()> {
    let tools = stack.tools()?;
    let (blr, airtel) = (Region::parse("blr")?, Operator::parse("airtel")?);
    // As `maskctl pool target blr --operator airtel --min 8` sets it.
    let target = pool_target::target_of(
        blr.clone(),
        airtel.clone(),
        Provider::parse("static")?,
        TARGET as u32,
        None,
    )?;
    tools
        .wiring
        .ports
        .pool
        .set_target(&target)
        .await
        .context("maskctl pool target blr --operator airtel --min 8")?;
    let placed = json!({"order_id": "ORD-9", "region": "blr"});
    stack.put_order_event("OrderPlaced", &placed).await?;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let now = healthy_active(tools.admin.as_ref(), &blr, &airtel).await?;
        if now == TARGET {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "blr/airtel did not reach {TARGET} healthy active numbers within 60 s (now {now}; \
                 poller log: {})",
                stack.log_dir.join("poller.log").display()
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    stack.say.ok(format!(
        "j. target blr/airtel min {TARGET}; OrderPlaced (bus -> rule -> queue {}-refill -> \
         refill-pool) activated standby numbers: blr/airtel has {TARGET} healthy active numbers",
        stack.bus
    ));
    Ok(())
}

/// What `maskctl pool list --region blr --json` shows as active and healthy for the operator.
async fn healthy_active(
    store: &dyn PoolAdmin,
    region: &Region,
    operator: &Operator,
) -> anyhow::Result<usize> {
    let pool = store
        .list_pool(Some(region), Utc::now())
        .await
        .context("maskctl pool list --region blr")?;
    Ok(pool
        .iter()
        .map(|entry| &entry.number)
        .filter(|n| &n.operator == operator)
        .filter(|n| n.state == PoolState::Active && n.health == Health::Healthy)
        .count())
}
