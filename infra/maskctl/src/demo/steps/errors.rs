//! e, f: what goes wrong stays contained: an unknown order is a plain 404, and a malformed event
//! fails alone while the rest of its batch goes through.

use anyhow::ensure;
use chrono::Utc;
use serde_json::json;

use crate::demo::events::{driver_assigned, sqs_batch, Message};
use crate::demo::people::{AGENT_D7, AGENT_D9, CUSTOMER_3, CUSTOMER_5_TRUNCATED};
use crate::demo::stack::Stack;

/// e.
pub async fn unknown_order(stack: &Stack) -> anyhow::Result<()> {
    let view = stack.order_numbers("ORD-404").await?;
    ensure!(
        view.status == 404 && !view.field("error").is_empty(),
        "GET /v1/orders/ORD-404/numbers: expected HTTP 404 with a JSON error, got {view}"
    );
    stack
        .say
        .ok(format!("e. GET /v1/orders/ORD-404/numbers -> {view}"));
    Ok(())
}

/// f. SQS partial batch failure: only the bad message is reported, so only it is retried (and
/// ends in the dead-letter queue).
pub async fn bad_record_fails_alone(stack: &Stack) -> anyhow::Result<()> {
    let batch = sqs_batch(
        vec![
            Message {
                id: "msg-ord-3",
                detail_type: "DriverAssigned",
                detail: driver_assigned("ORD-3", "del", CUSTOMER_3, AGENT_D9),
            },
            Message {
                id: "msg-bad-phone",
                detail_type: "DriverAssigned",
                detail: driver_assigned("ORD-5", "blr", CUSTOMER_5_TRUNCATED, AGENT_D7),
            },
        ],
        Utc::now(),
    );
    stack.keep(
        "batch-with-bad-phone.json",
        &serde_json::to_string_pretty(&batch)?,
    )?;
    let r = stack.invoke("allocate-numbers", &batch).await?;
    let bad = CUSTOMER_5_TRUNCATED.phone;
    ensure!(
        r == json!({"batchItemFailures": [{"itemIdentifier": "msg-bad-phone"}]}),
        "batch of ORD-3 (fine) + ORD-5 (customer phone {bad:?}): expected only msg-bad-phone to \
         fail, got {r}"
    );
    let view = stack.order_numbers("ORD-3").await?;
    ensure!(
        view.is("active"),
        "ORD-3 (the good message of the batch) should be active, got {view}"
    );
    stack.say.ok(format!(
        "f. one batch: ORD-3 (del, fine) + ORD-5 (customer phone {bad:?}) -> {r}; ORD-3 active"
    ));
    Ok(())
}
