//! Trying Maskline locally as a new user would: settings given in the environment (another port,
//! a tunnel URL for real provider calls) win over anything the repository pins. (The settings
//! `make dev` itself gives the functions are `maskctl demo settings`, tested with that code.)

use std::path::PathBuf;

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
