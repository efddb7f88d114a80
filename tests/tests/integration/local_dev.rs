//! Trying Maskline locally as a new user would: settings given in the environment (another port,
//! a tunnel URL for real provider calls) win over anything the repository pins.

use std::path::PathBuf;

use maskline::public_url::public_url;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn no_function_pins_its_environment_in_cargo_metadata() {
    // `cargo lambda watch` gives `[package.metadata.lambda.env]` precedence over the process
    // environment and over `--env-var`: a pinned PUBLIC_WEBHOOK_BASE_URL made every genuinely
    // signed request 403 behind a tunnel or on another port.
    for entry in std::fs::read_dir(repo().join("functions")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            !text.contains("metadata.lambda.env"),
            "{} pins environment variables over the user's",
            manifest.display()
        );
    }
}

#[test]
fn make_dev_sets_a_public_base_that_names_each_routes_function_unless_the_user_did() {
    let dev = std::fs::read_to_string(repo().join("infra/local/dev.sh")).unwrap();
    let line = dev
        .lines()
        .find(|l| l.starts_with("export PUBLIC_WEBHOOK_BASE_URL="))
        .expect("make dev sets PUBLIC_WEBHOOK_BASE_URL");
    assert!(
        line.contains("${PUBLIC_WEBHOOK_BASE_URL:-"),
        "the user's value must win: {line}"
    );
    assert!(line.contains("/lambda-url/\\{function\\}"), "{line}");
    let base = "http://127.0.0.1:9000/lambda-url/{function}";
    assert_eq!(
        public_url(base, "/webhooks/twilio/voice"),
        "http://127.0.0.1:9000/lambda-url/resolve-call/webhooks/twilio/voice"
    );
    assert_eq!(
        public_url(base, "/webhooks/twilio/status"),
        "http://127.0.0.1:9000/lambda-url/call-events/webhooks/twilio/status"
    );
}
