//! When the table cannot be read on the call path, the caller hears a short "please try again"
//! in the provider's own format (HTTP 200, nothing revealed) instead of the provider's generic
//! application error; the failure is counted and alarmed on (see `deployed_template.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maskline::domain::{OrderId, Region, VirtualNumber};
use maskline::ports::{
    AllocationWindow, LiveBinding, PoolNumber, SessionRecord, SessionStore, SessionWrite,
    StoreError, StoredBinding, WindowCursor, WriteError,
};
use maskline::privacy::CallerKey;
use maskline::providers::ProviderKind;
use maskline_tests::fixtures::{customer_phone, vn};
use maskline_tests::webhooks::{body_text, config, decode, provider_request, Decoded};
use maskline_tests::World;

/// A table that cannot be reached.
struct Unreachable;

fn down() -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("connection reset"))
}

#[async_trait]
impl SessionStore for Unreachable {
    async fn load_session(&self, _: &OrderId) -> Result<Option<SessionRecord>, StoreError> {
        Err(down())
    }
    async fn binding(
        &self,
        _: &VirtualNumber,
        _: &CallerKey,
    ) -> Result<Option<StoredBinding>, StoreError> {
        Err(down())
    }
    async fn allocation_window(
        &self,
        _: &Region,
        _: &WindowCursor,
    ) -> Result<AllocationWindow, StoreError> {
        Err(down())
    }
    async fn held_slots(
        &self,
        vn: &VirtualNumber,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<std::collections::BTreeMap<u32, maskline::domain::OrderId>, StoreError> {
        let _ = (vn, now);
        Err(down())
    }

    async fn pool_entries(&self, _: &[VirtualNumber]) -> Result<Vec<PoolNumber>, StoreError> {
        Err(down())
    }
    async fn region_exists(&self, _: &Region) -> Result<bool, StoreError> {
        Err(down())
    }
    async fn live_numbers_of(
        &self,
        _: &CallerKey,
        _: DateTime<Utc>,
    ) -> Result<Vec<LiveBinding>, StoreError> {
        Err(down())
    }
    async fn write_session(&self, _: &SessionWrite, _: DateTime<Utc>) -> Result<(), WriteError> {
        Err(WriteError::Store(down()))
    }
}

#[tokio::test]
async fn a_store_failure_on_the_call_path_says_try_again_in_the_providers_format() {
    let world = World::new().await;
    let mut settings = config();
    settings.answer.try_again_message = "Please try again in a minute.".into();
    let resolver = world.resolver(Arc::new(Unreachable), settings);
    for provider in ProviderKind::ALL {
        let request = provider_request(
            provider,
            "voice",
            "CA-down",
            &customer_phone(1),
            vn(1).as_str(),
            &[],
        );
        let response = resolve_call::handler::handle(&resolver, request).await;
        let body = body_text(response.body());
        assert_eq!(response.status(), 200, "{provider}: {body}");
        assert!(
            matches!(decode(provider, &body), Decoded::OutOfSession),
            "{provider}: nobody may ring: {body}"
        );
        if provider != ProviderKind::Exotel {
            // Exotel's passthru answer has no words to say: it only ends the call.
            assert!(
                body.contains("Please try again in a minute."),
                "{provider}: {body}"
            );
        }
        assert!(
            !body.contains(&customer_phone(1)[3..]),
            "{provider}: {body}"
        );
    }
}
