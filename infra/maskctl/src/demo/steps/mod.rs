//! The story, step by step, in the order `make dev` has always told it. Each step checks what it
//! narrates and returns what later steps need (the numbers an order was given, when its grace
//! ends); the first unmet expectation ends the walk, its error naming the step.

mod assignment;
mod calls;
mod delivery;
mod errors;
mod failover;
mod operator;
mod publication;
mod refill;
mod retry;
mod sessions;
mod single_number;
mod smoke;

use std::future::Future;

use anyhow::Context;

use super::stack::Stack;

pub async fn walk(stack: &Stack) -> anyhow::Result<()> {
    let ord1_assigned = at("a", assignment::two_orders_one_agent(stack)).await?;
    let orders = at("b", assignment::numbers_each_app_shows(stack)).await?;
    at(
        "c",
        assignment::redelivery(stack, &ord1_assigned, &orders.ord1),
    )
    .await?;
    at(
        "calls",
        calls::customer_agent_and_stranger(stack, &orders.ord1),
    )
    .await?;
    let grace_ends = at("d", delivery::delivered(stack, &orders.ord1)).await?;
    at("e", errors::unknown_order(stack)).await?;
    at("f", errors::bad_record_fails_alone(stack)).await?;
    let ord2 = at("i", failover::number_in_trouble(stack, &orders.ord2)).await?;
    at("j", refill::target_and_order_placed(stack)).await?;
    at("g", publication::what_was_published(stack)).await?;
    let after_grace = delivery::after_grace(stack, &orders.ord1, &ord2, grace_ends);
    at("after grace", after_grace).await?;
    at("h", operator::operators_view(stack)).await?;
    // Its order and people are its own (region del), so nothing above sees them.
    at("k", sessions::one_order_over_http(stack)).await?;
    // Its order and people are its own too (region del).
    at("l", single_number::one_number_for_both(stack)).await?;
    // Its order and people are its own too (region del).
    at("m", retry::failed_leg_retried_on_backup(stack)).await?;
    // Last: its region (sfo) and order are its own, so nothing above sees them.
    at("smoke", smoke::deploying_md(stack)).await?;
    stack.say.step(format!(
        "every step passed (events sent and received: {}/)",
        stack.run_dir.display()
    ));
    Ok(())
}

async fn at<T>(step: &str, run: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    run.await.with_context(|| format!("step {step}"))
}
