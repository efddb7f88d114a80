//! Click-to-call: ask a provider's outbound-call API to ring one party and bridge to the other.

use async_trait::async_trait;

use crate::domain::{OrderId, VirtualNumber, E164};

/// "Ring `first`, showing `first_sees`; when they answer, ring `second`, showing `second_sees`."
/// Both shown numbers are our own VNs, so neither party learns the other's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeCall {
    pub order_id: OrderId,
    pub first: E164,
    pub first_sees: VirtualNumber,
    pub second: E164,
    pub second_sees: VirtualNumber,
    pub max_call_seconds: u32,
    /// Maskline's public base as the request that asked for the call reached it (the domain API
    /// Gateway served): where the provider reports the call when the deployment names no base
    /// of its own.
    pub served_base: Option<String>,
}

/// The provider's id for the placed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedCall {
    pub call_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DialError {
    #[error("{provider} refused the call: {detail}")]
    Refused { provider: String, detail: String },
    #[error("{provider} unavailable: {detail}")]
    Unavailable { provider: String, detail: String },
}

#[async_trait]
pub trait CallDialer: Send + Sync {
    async fn bridge(&self, call: &BridgeCall) -> Result<PlacedCall, DialError>;
}
