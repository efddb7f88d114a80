//! `call-events`: `/webhooks/{provider}/status` and `GET /v1/orders/{order_id}/calls`.
pub mod handler;
