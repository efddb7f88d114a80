//! `resolve-call`: `/webhooks/{twilio|exotel|plivo|vonage}/voice`.
pub mod handler;
