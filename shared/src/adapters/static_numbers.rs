//! The `static` number source: numbers an operator bought elsewhere and imported with
//! `maskctl pool import --standby`. Refill "acquires" them by activating standby numbers of the
//! region and operator, and "gives them back" by returning them to standby.

use async_trait::async_trait;

use crate::domain::pool::{Health, PoolNumber, PoolState};
use crate::domain::{Provider, VirtualNumber};
use crate::ports::{
    AcquiredNumber, NumberProvider, NumberProviderError, NumberRequest, SharedPoolStore, StoreError,
};

pub use crate::domain::pool::STATIC_PROVIDER;

pub struct StaticNumbers {
    pub pool: SharedPoolStore,
}

fn unavailable(e: StoreError) -> NumberProviderError {
    NumberProviderError::Unavailable {
        provider: STATIC_PROVIDER.into(),
        detail: e.to_string(),
    }
}

/// An operator's unhealthy mark survives standby: such a number is not offered.
fn ready(number: &PoolNumber) -> bool {
    number.state == PoolState::Standby
        && number.health == Health::Healthy
        && number.provider.as_str() == STATIC_PROVIDER
}

#[async_trait]
impl NumberProvider for StaticNumbers {
    fn provider(&self) -> Provider {
        Provider::parse(STATIC_PROVIDER).expect("a valid provider id")
    }

    fn keeps_given_back_numbers(&self) -> bool {
        true
    }

    /// Imported numbers are in the pool from the start: there is nothing to find again.
    async fn held(
        &self,
        _request: &NumberRequest,
    ) -> Result<Vec<AcquiredNumber>, NumberProviderError> {
        Ok(Vec::new())
    }

    async fn offered(
        &self,
        request: &NumberRequest,
    ) -> Result<Vec<VirtualNumber>, NumberProviderError> {
        let numbers = self
            .pool
            .numbers_of_region(&request.region)
            .await
            .map_err(unavailable)?;
        Ok(numbers
            .into_iter()
            .filter(|n| n.operator == request.operator && ready(n))
            .take(request.count as usize)
            .map(|n| n.vn)
            .collect())
    }

    /// Re-reads the number strongly consistently: the list it was offered from is an index that
    /// may be a moment behind.
    async fn acquire_one(
        &self,
        request: &NumberRequest,
        vn: &VirtualNumber,
    ) -> Result<Option<AcquiredNumber>, NumberProviderError> {
        let number = self.pool.pool_number(vn).await.map_err(unavailable)?;
        Ok(number
            .filter(|n| n.operator == request.operator && ready(n))
            .map(|n| AcquiredNumber {
                vn: n.vn,
                provider_ref: n.provider_ref,
            }))
    }

    async fn give_back(&self, _number: &PoolNumber) -> Result<(), NumberProviderError> {
        // Nothing to tell anyone: the number stays ours, on standby.
        Ok(())
    }
}
