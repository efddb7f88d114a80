//! Functions read their secrets from Secrets Manager (moto here) at start-up, never from function
//! configuration; a secret they cannot read stops them with one line naming it.

use std::collections::HashMap;

use maskline::adapters::settings::{Settings, SettingsError};
use maskline::config::Config;
use maskline::privacy::NumberVault;
use maskline_tests::fixtures::{ENCRYPTION_KEY, HASH_KEY};
use serde_json::json;

async fn secrets_client() -> aws_sdk_secretsmanager::Client {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_SECRETS_MANAGER").is_ok_and(|v| !v.is_empty()),
        "AWS_ENDPOINT_URL_SECRETS_MANAGER is not set: run the tests with `make test` (moto)"
    );
    aws_sdk_secretsmanager::Client::new(&maskline::adapters::aws_config().await)
}

async fn create(client: &aws_sdk_secretsmanager::Client, name: &str, value: serde_json::Value) {
    client
        .create_secret()
        .name(name)
        .secret_string(value.to_string())
        .send()
        .await
        .expect("creating a secret on moto");
}

#[tokio::test]
async fn keys_come_from_the_named_secrets_and_win_over_the_environment() {
    let client = secrets_client().await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let (hash, encryption) = (
        format!("{run}/number-hash-key"),
        format!("{run}/number-encryption-key"),
    );
    create(&client, &hash, json!({ "NUMBER_HASH_KEY": HASH_KEY })).await;
    create(
        &client,
        &encryption,
        json!({ "NUMBER_ENCRYPTION_KEY": ENCRYPTION_KEY }),
    )
    .await;

    let environment = HashMap::from([
        ("TABLE_NAME".to_string(), "maskline".to_string()),
        // Configuration cannot shadow a secret.
        ("NUMBER_HASH_KEY".to_string(), "not-the-key".to_string()),
    ]);
    let settings = Settings::with_secrets(environment, &client, &[hash, encryption])
        .await
        .unwrap();
    assert_eq!(settings.get("NUMBER_HASH_KEY").as_deref(), Some(HASH_KEY));
    Config::from_lookup(settings.lookup()).unwrap();
    NumberVault::from_lookup(settings.lookup()).expect("both keys were read");
    assert!(
        !format!("{settings:?}").contains(HASH_KEY),
        "Debug names, never values"
    );
}

#[tokio::test]
async fn a_secret_that_cannot_be_read_is_a_start_up_error_naming_it() {
    let client = secrets_client().await;
    let missing = format!("{}/absent", uuid::Uuid::new_v4().simple());
    let err = Settings::with_secrets(HashMap::new(), &client, std::slice::from_ref(&missing))
        .await
        .unwrap_err();
    assert!(matches!(err, SettingsError::Unreadable { .. }));
    assert!(err.to_string().contains(&missing), "{err}");

    let plain = format!("{}/plain", uuid::Uuid::new_v4().simple());
    client
        .create_secret()
        .name(&plain)
        .secret_string("not json")
        .send()
        .await
        .unwrap();
    let err = Settings::with_secrets(HashMap::new(), &client, &[plain])
        .await
        .unwrap_err();
    assert!(matches!(err, SettingsError::NotAnObject { .. }), "{err}");
}
