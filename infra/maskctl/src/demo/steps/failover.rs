//! i. Number health: the provider says one of ORD-2's numbers is in trouble, and the operator
//! marks it unhealthy, as `maskctl number mark-unhealthy` does (the same code, in process).

use anyhow::{ensure, Context};
use maskline::domain::VirtualNumber;
use maskline::providers::simulate::DecodedAnswer;
use maskline::providers::ProviderKind;

use super::calls::{described, rings};
use crate::demo::lambda::Dials;
use crate::demo::people::{AGENT_D7, CUSTOMER_2};
use crate::demo::stack::Stack;
use crate::number;

/// Returns ORD-2's numbers after the move.
pub async fn number_in_trouble(stack: &Stack, ord2: &Dials) -> anyhow::Result<Dials> {
    let sick = VirtualNumber::parse(&ord2.customer, None)
        .with_context(|| format!("ORD-2's customer_dials {:?}", ord2.customer))?;
    let failover = stack.tools()?.wiring.failover();
    let report = failover
        .mark_unhealthy(&sick)
        .await
        .with_context(|| format!("maskctl number mark-unhealthy {sick}"))?;
    let out = number::unhealthy_summary(&sick, &report);
    stack.keep("mark-unhealthy.log", &format!("{out}\n{report:?}\n"))?;
    ensure!(
        report.stranded.is_empty(),
        "maskctl number mark-unhealthy {sick}: {out}; stranded {:?}",
        report.stranded
    );

    let view = stack.order_numbers("ORD-2").await?;
    let moved = view.dials();
    ensure!(
        view.status == 200 && !moved.customer.is_empty() && moved.customer != ord2.customer,
        "after marking {sick} unhealthy ORD-2 should have moved off it; got {view}"
    );
    let answer = stack
        .call(ProviderKind::Twilio, CUSTOMER_2.phone, &moved.customer)
        .await?;
    ensure!(
        rings(&answer, AGENT_D7, Some(&moved.driver)),
        "C-2 dialling the new {} should ring D-7 showing {}; got {}",
        moved.customer,
        moved.driver,
        described(&answer)
    );
    let answer = stack
        .call(ProviderKind::Twilio, CUSTOMER_2.phone, &ord2.customer)
        .await?;
    ensure!(
        answer == DecodedAnswer::OutOfSession,
        "the unhealthy {sick} still connects C-2: {}",
        described(&answer)
    );
    stack.say.ok(format!(
        "i. maskctl number mark-unhealthy {sick}: \"{out}\"; ORD-2 now {} / {}, C-2 reaches D-7 \
         on it, {sick} is out of session, MaskedNumbersChanged published",
        moved.customer, moved.driver
    ));
    Ok(moved)
}
