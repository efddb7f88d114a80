//! a, b, c: two orders share one agent; the numbers each app shows; a redelivered event changes
//! nothing.

use anyhow::ensure;
use chrono::Utc;
use serde_json::{json, Value};

use crate::demo::events::{driver_assigned, sqs_batch, Message};
use crate::demo::lambda::Dials;
use crate::demo::people::{AGENT_D7, CUSTOMER_1, CUSTOMER_2};
use crate::demo::stack::Stack;

pub struct Orders {
    pub ord1: Dials,
    pub ord2: Dials,
}

/// a. The order platform publishes on the bus; the rule routes to the allocate queue; the poller
/// feeds the queue to allocate-numbers (as Lambda's SQS event source mapping would). Returns
/// ORD-1's event as an SQS batch, stamped now, for step c to deliver again.
pub async fn two_orders_one_agent(stack: &Stack) -> anyhow::Result<Value> {
    let mut batches = Vec::new();
    for (order, customer) in [("ORD-1", CUSTOMER_1), ("ORD-2", CUSTOMER_2)] {
        let detail = driver_assigned(order, "blr", customer, AGENT_D7);
        let id = format!("msg-{}", order.to_lowercase());
        let message = Message {
            id: &id,
            detail_type: "DriverAssigned",
            detail: detail.clone(),
        };
        let batch = sqs_batch(vec![message], Utc::now());
        let file = format!("{}-driver-assigned.json", order.to_lowercase());
        stack.keep(&file, &serde_json::to_string_pretty(&batch)?)?;
        stack.put_order_event("DriverAssigned", &detail).await?;
        batches.push(batch);
    }
    for order in ["ORD-1", "ORD-2"] {
        stack.wait_for_state(order, "active").await?;
    }
    let bus = &stack.bus;
    stack.say.ok(format!(
        "a. DriverAssigned for ORD-1 (customer C-1) and ORD-2 (customer C-2), both agent D-7, put \
         on bus {bus} -> rule -> queue {bus}-allocate -> allocate-numbers"
    ));
    Ok(batches.swap_remove(0))
}

/// b. What each app shows: the number its user dials to reach the other side.
pub async fn numbers_each_app_shows(stack: &Stack) -> anyhow::Result<Orders> {
    let ord1 = shown(stack, "ORD-1").await?;
    let ord2 = shown(stack, "ORD-2").await?;
    ensure!(
        ord1.driver != ord2.driver,
        "agent D-7 dials {} for both ORD-1 and ORD-2: one virtual number must never carry two \
         live sessions for the same caller",
        ord1.driver
    );
    stack.say.ok(format!(
        "b. agent D-7 reaches the two customers through different numbers ({}, {}): one VN never \
         carries two live sessions for one caller",
        ord1.driver, ord2.driver
    ));
    Ok(Orders { ord1, ord2 })
}

async fn shown(stack: &Stack, order: &str) -> anyhow::Result<Dials> {
    let view = stack.order_numbers(order).await?;
    ensure!(
        view.status == 200,
        "GET /v1/orders/{order}/numbers: expected HTTP 200, got {view}"
    );
    ensure!(
        view.state() == "active",
        "{order}: expected state active, got {view}"
    );
    let dials = view.dials();
    ensure!(
        !dials.customer.is_empty() && !dials.driver.is_empty(),
        "{order}: numbers missing in {view}"
    );
    stack.say.ok(format!(
        "b. customer of {order} dials {} to reach the agent; agent dials {} to reach them \
         (state active)",
        dials.customer, dials.driver
    ));
    Ok(dials)
}

/// c. SQS delivers at least once: the same event again must change nothing.
pub async fn redelivery(stack: &Stack, ord1_batch: &Value, ord1: &Dials) -> anyhow::Result<()> {
    let no_failures = json!({"batchItemFailures": []});
    let r = stack.invoke("allocate-numbers", ord1_batch).await?;
    ensure!(
        r == no_failures,
        "redelivered DriverAssigned ORD-1: expected {no_failures}, got {r}"
    );
    let view = stack.order_numbers("ORD-1").await?;
    ensure!(
        view.is("active") && view.dials() == *ord1,
        "redelivery changed ORD-1: it was {} / {} active, now {view}",
        ord1.customer,
        ord1.driver
    );
    stack.say.ok(format!(
        "c. ORD-1's DriverAssigned delivered again -> {r}; ORD-1 still {} / {}, active",
        ord1.customer, ord1.driver
    ));
    Ok(())
}
