//! `/v1/sessions` through the sessions function's handler, on the same use cases as the events:
//! what it answers, what it writes (or does not), and what it publishes. One file per concern;
//! this one holds the fixture they share.

mod changes;
mod creation;
mod errors;
mod release;

use lambda_http::http::HeaderMap;
use lambda_http::{Body, Request};
use maskline::services::{Route, Sessions};
use maskline_tests::fixtures::{customer_phone, driver_phone};
use maskline_tests::World;
use serde_json::{json, Value};

/// A handler's answer: status, headers and JSON body.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A fresh world with a pool in `blr`, and the sessions function's use case over it.
pub struct Api {
    pub world: World,
    pub sessions: Sessions,
}

impl Api {
    /// `pool` active VNs in `blr`.
    pub async fn with_pool(pool: u32) -> Api {
        let world = World::new().await;
        world.add_pool("blr", "airtel", 1, pool).await;
        let sessions = world.sessions();
        Api { world, sessions }
    }

    /// Sends one request to the sessions handler, as API Gateway would hand it over.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Reply {
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(tag) = if_match {
            builder = builder.header("if-match", tag);
        }
        let body = body.map_or(Body::Empty, |b| Body::Text(b.to_string()));
        let request: Request = builder.body(body).unwrap();
        let response = sessions::handler::handle(&self.sessions, request).await;
        let body = match response.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            Body::Binary(b) => serde_json::from_slice(b).unwrap(),
            _ => Value::Null,
        };
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body,
        }
    }

    /// `POST /v1/sessions` for `order`: customer `customer`, agent `driver` (fixtures).
    pub async fn open(&self, order: &str, customer: u32, driver: u32) -> Reply {
        self.post(open_body(order, customer, driver)).await
    }

    /// `POST /v1/sessions` with `body`.
    pub async fn post(&self, body: Value) -> Reply {
        self.send("POST", "/v1/sessions", Some(body), None).await
    }

    /// `PATCH /v1/sessions/{order}` with `body`, conditional on `if_match` when given.
    pub async fn patch(&self, order: &str, body: Value, if_match: Option<&str>) -> Reply {
        self.send(
            "PATCH",
            &format!("/v1/sessions/{order}"),
            Some(body),
            if_match,
        )
        .await
    }

    /// `DELETE /v1/sessions/{order}`.
    pub async fn delete(&self, order: &str) -> Reply {
        self.send("DELETE", &format!("/v1/sessions/{order}"), None, None)
            .await
    }

    /// Where `caller` dialling the VN `dialled` (a JSON string of a reply) is routed.
    pub async fn route(&self, dialled: &Value, caller: &str) -> Route {
        crate::support::route(&self.world, dialled.as_str().unwrap(), caller).await
    }
}

/// The `POST /v1/sessions` body for `order`: customer `customer`, agent `driver` (fixtures).
pub fn open_body(order: &str, customer: u32, driver: u32) -> Value {
    json!({
        "order_id": order,
        "region": "blr",
        "customer": {"id": format!("C-{customer}"), "phone": customer_phone(customer)},
        "driver": {"id": format!("D-{driver}"), "phone": driver_phone(driver)},
    })
}

/// The `PATCH` body moving the order to agent `driver`.
pub fn driver_body(driver: u32) -> Value {
    json!({"driver": {"id": format!("D-{driver}"), "phone": driver_phone(driver)}})
}
