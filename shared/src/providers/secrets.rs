//! The secrets the providers sign or authenticate their webhooks with, as plain values: the
//! settings layer fills them in, the verifiers here only read them.

#[derive(Clone, Default)]
pub struct WebhookSecrets {
    pub twilio_auth_token: Option<String>,
    pub plivo_auth_token: Option<String>,
    pub vonage_signature_secret: Option<String>,
    /// The `token` query parameter of Exotel's URLs (`EXOTEL_WEBHOOK_TOKEN`).
    pub exotel_token: Option<String>,
    /// The `token` query parameter of Vonage's URLs (`VONAGE_WEBHOOK_TOKEN`). Separate from
    /// Exotel's, so a token leaked from one provider's console or logs opens nothing of the other's.
    pub vonage_token: Option<String>,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<String>| if s.is_some() { "set" } else { "missing" };
        f.debug_struct("WebhookSecrets")
            .field("twilio_auth_token", &set(&self.twilio_auth_token))
            .field("plivo_auth_token", &set(&self.plivo_auth_token))
            .field(
                "vonage_signature_secret",
                &set(&self.vonage_signature_secret),
            )
            .field("exotel_token", &set(&self.exotel_token))
            .field("vonage_token", &set(&self.vonage_token))
            .finish()
    }
}
