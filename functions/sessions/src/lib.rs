//! `sessions`: `/v1/sessions` for order platforms that speak HTTP rather than EventBridge.
pub mod handler;
