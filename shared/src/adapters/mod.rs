//! AWS implementations of the ports. Everything AWS-specific — SDK types, error codes, the table
//! layout — stays below this module.

pub mod dynamodb;
pub mod eventbridge;
pub mod http;
pub mod outbound_http;
pub mod provider_api;
pub mod settings;
pub mod sqs_batch;
pub mod static_numbers;

/// Loads the standard AWS configuration. Local endpoints come from `AWS_ENDPOINT_URL_DYNAMODB`,
/// `AWS_ENDPOINT_URL_EVENTBRIDGE` and friends, which the SDK reads itself: no special local mode.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_from_env().await
}
