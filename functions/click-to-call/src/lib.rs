//! click-to-call: `POST /v1/orders/{order_id}/click-to-call` `{"from":"driver"}`.
pub mod handler;
