//! Which events each `PutEvents` carried: an interceptor on an EventBridge client, so a test can
//! see how a publisher grouped its events into calls.

use std::sync::{Arc, Mutex};

use aws_sdk_eventbridge::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_eventbridge::config::{ConfigBag, Intercept};
use aws_sdk_eventbridge::error::BoxError;
use aws_sdk_eventbridge::operation::put_events::PutEventsInput;

/// Per `PutEvents`, the `order_id` of each entry (empty for an entry without one), in call order.
#[derive(Debug, Clone, Default)]
pub struct PutEventsCalls(Arc<Mutex<Vec<Vec<String>>>>);

impl PutEventsCalls {
    /// A client on `aws` whose `PutEvents` calls this records.
    pub fn client(&self, aws: &aws_config::SdkConfig) -> aws_sdk_eventbridge::Client {
        let config = aws_sdk_eventbridge::config::Builder::from(aws)
            .interceptor(self.clone())
            .build();
        aws_sdk_eventbridge::Client::from_conf(config)
    }

    pub fn calls(&self) -> Vec<Vec<String>> {
        self.0.lock().expect("not poisoned").clone()
    }
}

impl Intercept for PutEventsCalls {
    fn name(&self) -> &'static str {
        "PutEventsCalls"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context.input().downcast_ref::<PutEventsInput>() {
            let orders = input
                .entries()
                .iter()
                .map(|entry| {
                    entry
                        .detail()
                        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                        .and_then(|d| d["order_id"].as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .collect();
            self.0.lock().expect("not poisoned").push(orders);
        }
        Ok(())
    }
}
