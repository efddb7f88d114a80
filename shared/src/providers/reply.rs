//! The HTTP reply to a webhook, whatever the provider.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookReply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl WebhookReply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        WebhookReply {
            status,
            content_type: "application/json",
            body: body.to_string(),
        }
    }
}
