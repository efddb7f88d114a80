//! The `static` number source: numbers an operator bought elsewhere and imported with
//! `maskctl pool import --standby`. Refill "acquires" them by activating standby numbers of the
//! region and operator, and "gives them back" by returning them to standby.

use async_trait::async_trait;

use crate::domain::pool::{Health, PoolNumber, PoolState};
use crate::domain::Provider;
use crate::ports::{
    AcquiredNumber, NumberProvider, NumberProviderError, NumberRequest, SharedPoolStore,
};

pub const STATIC_PROVIDER: &str = "static";

pub struct StaticNumbers {
    pub pool: SharedPoolStore,
}

#[async_trait]
impl NumberProvider for StaticNumbers {
    fn provider(&self) -> Provider {
        Provider::parse(STATIC_PROVIDER).expect("a valid provider id")
    }

    fn keeps_given_back_numbers(&self) -> bool {
        true
    }

    async fn acquire(
        &self,
        request: &NumberRequest,
    ) -> Result<Vec<AcquiredNumber>, NumberProviderError> {
        let numbers = self
            .pool
            .numbers_of_region(&request.region)
            .await
            .map_err(|e| NumberProviderError::Unavailable {
                provider: STATIC_PROVIDER.into(),
                detail: e.to_string(),
            })?;
        Ok(numbers
            .into_iter()
            .filter(|n| {
                // An operator's unhealthy mark survives standby: such a number is not offered.
                n.operator == request.operator
                    && n.state == PoolState::Standby
                    && n.health == Health::Healthy
                    && n.provider.as_str() == STATIC_PROVIDER
            })
            .take(request.count as usize)
            .map(|n| AcquiredNumber {
                vn: n.vn,
                provider_ref: n.provider_ref,
            })
            .collect())
    }

    async fn give_back(&self, _number: &PoolNumber) -> Result<(), NumberProviderError> {
        // Nothing to tell anyone: the number stays ours, on standby.
        Ok(())
    }
}
