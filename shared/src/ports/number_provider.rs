//! Where refill gets numbers from and gives them back to: a telecom provider's number API, or the
//! numbers an operator imported ahead of time.
//!
//! Acquiring is split into small steps so refill can record each number the moment it is ours: a
//! run that stops mid-way (a Lambda timeout, a lost answer) then leaves nothing paid for and
//! unrecorded except what [`NumberProvider::held`] finds again on the next run.

use async_trait::async_trait;

use crate::domain::pool::PoolNumber;
use crate::domain::{Operator, Provider, Region, VirtualNumber};

/// "Find `count` numbers for this region and operator."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRequest {
    pub region: Region,
    pub operator: Operator,
    pub count: u32,
    /// The target's provider-specific search filter (Twilio: `AreaCode=80&Contains=41`).
    pub search: Option<String>,
}

/// A number the provider now holds for us, ready to join the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquiredNumber {
    pub vn: VirtualNumber,
    /// The provider's handle for giving it back (Twilio's `PN…` sid).
    pub provider_ref: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum NumberProviderError {
    /// The provider refused the request (bad credentials, no such filter, out of numbers…).
    /// Nothing happened: the same request will be refused again.
    #[error("{provider} refused: {detail}")]
    Refused { provider: String, detail: String },
    /// The provider could not be reached or answered garbage; retrying later may work. The
    /// request may still have taken effect (a timeout after the provider acted), so callers treat
    /// it as "maybe happened".
    #[error("{provider} unavailable: {detail}")]
    Unavailable { provider: String, detail: String },
}

#[async_trait]
pub trait NumberProvider: Send + Sync {
    /// The pool's `provider` value for numbers from this source.
    fn provider(&self) -> Provider;

    /// Whether a given-back number stays in the pool on standby (imported numbers) instead of
    /// leaving it (rented numbers).
    fn keeps_given_back_numbers(&self) -> bool;

    /// Every number the provider holds for this region and operator, as its own records say
    /// (`request.count` does not apply). Refill records those the pool does not know — bought by
    /// a run whose answer or recording was lost — instead of buying more. A source whose numbers
    /// are all in the pool already answers none.
    async fn held(
        &self,
        request: &NumberRequest,
    ) -> Result<Vec<AcquiredNumber>, NumberProviderError>;

    /// Up to `request.count` numbers that could be acquired now, best first. Fewer (even none) is
    /// not an error: the provider may have run short, and the next refill tries again.
    async fn offered(
        &self,
        request: &NumberRequest,
    ) -> Result<Vec<VirtualNumber>, NumberProviderError>;

    /// Acquires one offered number for `request`'s region and operator. `Ok(None)` when it went
    /// to someone else first. `Unavailable` may mean it was acquired all the same.
    async fn acquire_one(
        &self,
        request: &NumberRequest,
        vn: &VirtualNumber,
    ) -> Result<Option<AcquiredNumber>, NumberProviderError>;

    /// Stops renting the number. Giving back a number the provider no longer has is not an error.
    async fn give_back(&self, number: &PoolNumber) -> Result<(), NumberProviderError>;
}
