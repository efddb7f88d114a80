//! `resolve-call`: `/webhooks/{twilio|exotel|plivo|vonage}/voice` and `/webhooks/{twilio|plivo|vonage}/whisper`.
pub mod handler;
