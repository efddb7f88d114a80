//! The functions as `cargo lambda watch` serves them: the Lambda Invoke API and the lambda-url
//! HTTP routes, tried up to three times. watch reloads a function when a file in the checkout
//! changes, and an invocation in flight at that moment never gets an answer; trying again is safe
//! because every step is idempotent (the point of step c).

use std::fmt;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::Value;

use super::stack::Stack;

const TRIES: usize = 3;

/// A request, owned so that it can go to the blocking HTTP client's thread.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The HTTP methods the walkthrough sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

/// `GET /v1/orders/{id}/numbers` as the apps see it.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub status: u16,
    pub body: Value,
    raw: String,
}

/// The numbers each side of an order dials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dials {
    pub customer: String,
    pub driver: String,
}

impl OrderView {
    /// A top-level field as text ("" when absent or null).
    pub fn field(&self, name: &str) -> String {
        match &self.body[name] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    pub fn state(&self) -> String {
        self.field("state")
    }

    pub fn dials(&self) -> Dials {
        Dials {
            customer: self.field("customer_dials"),
            driver: self.field("driver_dials"),
        }
    }

    pub fn is(&self, state: &str) -> bool {
        self.status == 200 && self.state() == state
    }
}

impl fmt::Display for OrderView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}", self.status, self.raw)
    }
}

impl Stack {
    /// The function's answer to `event` through the Invoke API.
    pub async fn invoke(&self, function: &str, event: &Value) -> anyhow::Result<Value> {
        let request = Request {
            method: Method::Post,
            url: format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.lambda
            ),
            headers: vec![("content-type".into(), "application/json".into())],
            body: event.to_string(),
        };
        let (_, body) = self.send(&format!("invoking {function}"), request).await?;
        serde_json::from_str(&body)
            .with_context(|| format!("invoking {function}: the answer is not JSON: {body}"))
    }

    pub async fn order_numbers(&self, order: &str) -> anyhow::Result<OrderView> {
        let request = Request {
            method: Method::Get,
            url: format!(
                "{}/lambda-url/order-numbers/v1/orders/{order}/numbers",
                self.lambda
            ),
            headers: Vec::new(),
            body: String::new(),
        };
        let what = format!("GET /v1/orders/{order}/numbers");
        let (status, raw) = self.send(&what, request).await?;
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Ok(OrderView { status, body, raw })
    }

    /// Polls the order until it is in `state` (its event travels through the bus, a queue and the
    /// poller first); gives up after 60 s.
    pub async fn wait_for_state(&self, order: &str, state: &str) -> anyhow::Result<OrderView> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let view = self.order_numbers(order).await?;
            if view.is(state) {
                return Ok(view);
            }
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "{order} did not become {state} within 60 s (last: {view}; poller log: {})",
                    self.log_dir.join("poller.log").display()
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Status and body of the answer; no answer at all is tried again, up to three times.
    pub async fn send(&self, what: &str, request: Request) -> anyhow::Result<(u16, String)> {
        for attempt in 1..=TRIES {
            let agent = self.http.clone();
            let request = request.clone();
            let answer = tokio::task::spawn_blocking(move || send_once(&agent, &request))
                .await
                .context("the HTTP request task failed")?;
            match answer {
                Ok(answer) => return Ok(answer),
                Err(error) => self.say.retrying(what, attempt, TRIES, error),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        bail!(
            "{what}: no answer from {} after {TRIES} tries (is cargo lambda watch still running? \
             see {})",
            self.lambda,
            self.log_dir.join("lambda.log").display()
        )
    }
}

fn send_once(agent: &ureq::Agent, request: &Request) -> Result<(u16, String), ureq::Error> {
    let mut response = match request.method {
        Method::Post | Method::Patch => {
            let mut builder = match request.method {
                Method::Post => agent.post(&request.url),
                _ => agent.patch(&request.url),
            };
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            builder.send(request.body.as_bytes())?
        }
        Method::Get | Method::Delete => {
            let mut builder = match request.method {
                Method::Get => agent.get(&request.url),
                _ => agent.delete(&request.url),
            };
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            builder.call()?
        }
    };
    let status = response.status().as_u16();
    Ok((status, response.body_mut().read_to_string()?))
}
