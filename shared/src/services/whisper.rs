//! The whisper route (`/webhooks/{provider}/whisper`): what the callee hears on answering, before
//! the provider bridges the call. Everything it needs is in its authenticated URL (the order and
//! the callee's side), so it reads nothing: the text comes from the settings.

use tracing::info;

use super::webhook_outcome::{malformed, refused, WebhookOutcome};
use super::ResolveCall;
use crate::providers::whisper::{self, authenticate_whisper};
use crate::providers::{ProviderKind, WebhookRequest};

impl ResolveCall {
    pub fn whisper(&self, provider: ProviderKind, request: &WebhookRequest) -> WebhookOutcome {
        if !whisper::fetched_by(provider) {
            return WebhookOutcome::NotOurs;
        }
        if let Err(e) =
            authenticate_whisper(provider, request, &self.config.secrets, self.clock.now())
        {
            return refused(provider, &e);
        }
        let named = match whisper::parse(request) {
            Ok(named) => named,
            Err(e) => return malformed(provider, e),
        };
        let answer = &self.config.answer;
        // Nothing due any more (the settings changed since the call was answered): an empty
        // message, and the provider bridges at once.
        let text = answer
            .announcements
            .to_callee(named.callee, &named.order_id, answer.record);
        // The side is "driver" or "customer": a whisper URL names no number.
        let side = named.callee.as_str();
        info!(%provider, order_id = %named.order_id, side, announced = text.is_some(),
              "whisper to the answering party");
        WebhookOutcome::Answer(whisper::render(provider, text.as_deref()))
    }
}
