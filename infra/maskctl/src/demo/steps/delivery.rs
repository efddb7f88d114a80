//! d and after grace: the order is delivered; its numbers keep working for the grace window (the
//! item left in the car), and stop once it has passed.

use std::time::Duration;

use anyhow::{ensure, Context};
use chrono::{DateTime, Utc};
use maskline::providers::simulate::DecodedAnswer;
use maskline::providers::ProviderKind;
use serde_json::json;

use super::calls::{described, rings};
use crate::demo::lambda::Dials;
use crate::demo::people::{AGENT_D7, CUSTOMER_1, CUSTOMER_2};
use crate::demo::stack::Stack;

/// d. Returns when ORD-1's grace ends.
pub async fn delivered(stack: &Stack, ord1: &Dials) -> anyhow::Result<DateTime<Utc>> {
    stack
        .put_order_event("OrderDelivered", &json!({"order_id": "ORD-1"}))
        .await?;
    stack.wait_for_state("ORD-1", "released").await?;
    let view = stack.order_numbers("ORD-1").await?;
    ensure!(
        view.is("released"),
        "after OrderDelivered expected ORD-1 released, got {view}"
    );
    ensure!(
        view.dials() == *ord1,
        "OrderDelivered changed ORD-1's numbers: they were {} / {}, now {view}",
        ord1.customer,
        ord1.driver
    );
    let expires_at = view.field("expires_at");
    ensure!(
        !expires_at.is_empty(),
        "released ORD-1 has no expires_at: {view}"
    );
    let grace_ends = DateTime::parse_from_rfc3339(&expires_at)
        .with_context(|| format!("ORD-1's expires_at is not a time: {view}"))?
        .with_timezone(&Utc);
    stack.say.ok(format!(
        "d. OrderDelivered ORD-1 (bus -> rule -> queue {}-release) -> release-numbers; ORD-1 \
         released, same numbers, callable until {expires_at} (grace {}s)",
        stack.bus, stack.grace_seconds
    ));

    let answer = stack
        .call(ProviderKind::Twilio, CUSTOMER_1.phone, &ord1.customer)
        .await?;
    ensure!(
        rings(&answer, AGENT_D7, None),
        "within the grace window C-1 should still reach D-7; got {}",
        described(&answer)
    );
    stack.say.ok(format!(
        "d. within the grace window C-1 still reaches D-7 through {} (the forgotten item)",
        ord1.customer
    ));
    Ok(grace_ends)
}

/// after grace: ORD-1's numbers are refused; ORD-2, still active, keeps working.
pub async fn after_grace(
    stack: &Stack,
    ord1: &Dials,
    ord2: &Dials,
    grace_ends: DateTime<Utc>,
) -> anyhow::Result<()> {
    // Past the end by a margin, so the clocks of the function and of this process need not agree
    // to the millisecond.
    let wait = (grace_ends - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(1500);
    tokio::time::sleep(wait).await;
    let answer = stack
        .call(ProviderKind::Twilio, CUSTOMER_1.phone, &ord1.customer)
        .await?;
    ensure!(
        answer == DecodedAnswer::OutOfSession,
        "C-1 still reached someone through {} after grace: {}",
        ord1.customer,
        described(&answer)
    );
    let answer = stack
        .call(ProviderKind::Twilio, CUSTOMER_2.phone, &ord2.customer)
        .await?;
    ensure!(
        rings(&answer, AGENT_D7, None),
        "ORD-2 (still active) no longer connects C-2 to D-7 through {}: {}",
        ord2.customer,
        described(&answer)
    );
    stack.say.ok(format!(
        "after grace ({} passed): C-1's call to {} is refused; ORD-2 keeps working",
        maskline::domain::events::rfc3339(grace_ends),
        ord1.customer
    ));
    Ok(())
}
