//! `maskctl demo ready`: are the functions under `cargo lambda watch` answering yet? One probe,
//! exit code 0 when they are: order-numbers answers an unknown order with its JSON 404, and the
//! queue- and stream-fed functions answer an empty batch with an empty batch response. `make dev` runs it
//! until it passes (the shell only waits and watches the processes).

use std::time::Duration;

use anyhow::{ensure, Context};
use serde_json::{json, Value};

use super::args::ReadyArgs;

/// The functions fed by queues, and announce (fed the table's stream): each must answer an empty
/// batch.
const QUEUE_FUNCTIONS: [&str; 4] = [
    "allocate-numbers",
    "release-numbers",
    "refill-pool",
    "announce",
];

pub fn probe(args: &ReadyArgs) -> anyhow::Result<()> {
    let agent = maskline::adapters::outbound_http::agent(Duration::from_secs(10));
    let lambda = args.lambda.trim_end_matches('/');
    let mut answer = agent
        .get(&format!(
            "{lambda}/lambda-url/order-numbers/v1/orders/DEV-PROBE/numbers"
        ))
        .call()
        .context("order-numbers does not answer yet")?;
    let status = answer.status().as_u16();
    let body = json_of(answer.body_mut().read_to_string().unwrap_or_default());
    ensure!(
        status == 404 && body["error"] == "unknown order",
        "order-numbers answered {status} {body}"
    );
    for function in QUEUE_FUNCTIONS {
        let mut answer = agent
            .post(&format!(
                "{lambda}/2015-03-31/functions/{function}/invocations"
            ))
            .header("content-type", "application/json")
            .send(json!({"Records": []}).to_string())
            .with_context(|| format!("{function} does not answer yet"))?;
        let body = json_of(answer.body_mut().read_to_string().unwrap_or_default());
        ensure!(
            body == json!({"batchItemFailures": []}),
            "{function} answered {body}"
        );
    }
    Ok(())
}

/// The answer as JSON; anything else reads as null (not ready).
fn json_of(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or_default()
}
