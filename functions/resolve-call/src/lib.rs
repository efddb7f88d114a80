//! `resolve-call`: `/webhooks/{twilio|exotel|plivo|vonage}/voice`, `/webhooks/{twilio|plivo|vonage}/whisper` and `/webhooks/{twilio|plivo|vonage}/dial-result`.
pub mod handler;
