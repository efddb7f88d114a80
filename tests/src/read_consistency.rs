//! Which `GetItem`s a store made, and whether each asked for a consistent read. DynamoDB Local
//! always answers consistently, so a test cannot see a stale answer there; it can see whether the
//! code asked for a fresh one where a stale one would decide wrongly.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::get_item::GetItemInput;

/// One `GetItem`: its partition key and whether it was consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRead {
    pub pk: String,
    pub consistent: bool,
}

/// Records every `GetItem` of the client it is installed on.
#[derive(Debug, Clone, Default)]
pub struct ItemReads(Arc<Mutex<Vec<ItemRead>>>);

impl ItemReads {
    /// A client on `aws` whose item reads this records.
    pub fn client(&self, aws: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::config::Builder::from(aws)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// The reads of items whose partition key is `pk`.
    pub fn of(&self, pk: &str) -> Vec<ItemRead> {
        let reads = self.0.lock().expect("not poisoned");
        reads.iter().filter(|r| r.pk == pk).cloned().collect()
    }
}

impl Intercept for ItemReads {
    fn name(&self) -> &'static str {
        "ItemReads"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context.input().downcast_ref::<GetItemInput>() {
            let pk = input
                .key()
                .and_then(|k| k.get("pk"))
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let consistent = input.consistent_read() == Some(true);
            let mut reads = self.0.lock().expect("not poisoned");
            reads.push(ItemRead { pk, consistent });
        }
        Ok(())
    }
}
