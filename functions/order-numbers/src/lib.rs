//! `order-numbers`: `GET /v1/orders/{order_id}/numbers` for the apps.
pub mod handler;
