//! The settings every function runs with under `make dev`. LOCAL ONLY: the table, bus, keys and
//! secrets exist for this machine; a deployment gets its own from its infrastructure. They are
//! printed as `export` lines so that `dev.sh` sets them before `cargo lambda watch` starts the
//! functions, and the walkthrough, run in that environment, agrees with the functions by
//! construction.

use maskline::public_url::FUNCTION_PLACEHOLDER;

use super::args::SettingsArgs;
use super::keys_file::{self, LocalKeys};

pub const LOCAL_TABLE: &str = "maskline-local";
pub const LOCAL_BUS: &str = "maskline-local";
pub const DEFAULT_LAMBDA: &str = "http://127.0.0.1:9000";

/// Short so the walkthrough can show a call refused once grace is over; deployments default to
/// 1800.
const DEMO_GRACE_SECONDS: &str = "20";

/// What the driver hears on answering a customer's call under `make dev`.
pub const DEMO_ANNOUNCEMENT: &str = "Call from your customer for order {order_short}";

pub fn print(args: &SettingsArgs) -> anyhow::Result<()> {
    let keys = keys_file::load_or_create(&args.keys_file)?;
    let user = |name: &str| std::env::var(name).ok();
    for (name, value) in local_settings(&args.lambda, &keys, user) {
        println!("export {name}={}", shell_quoted(&value));
    }
    Ok(())
}

/// Signatures cover the URL a provider called, and `cargo lambda watch` serves each function
/// under its own prefix: `{function}` names the function serving each route.
pub fn public_webhook_base(lambda: &str) -> String {
    format!(
        "{}/lambda-url/{FUNCTION_PLACEHOLDER}",
        lambda.trim_end_matches('/')
    )
}

/// Each setting and its value. Where the user may choose (a tunnel as the public base, a longer
/// grace, more logging), a non-empty value in `user`'s environment wins.
pub fn local_settings(
    lambda: &str,
    keys: &LocalKeys,
    user: impl Fn(&str) -> Option<String>,
) -> Vec<(&'static str, String)> {
    let chosen = |name: &str, default: String| {
        user(name)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or(default)
    };
    let fixed = |value: &str| value.to_string();
    vec![
        ("NUMBER_HASH_KEY", keys.hash.clone()),
        ("NUMBER_ENCRYPTION_KEY", keys.encryption.clone()),
        ("TABLE_NAME", fixed(LOCAL_TABLE)),
        ("EVENT_BUS_NAME", fixed(LOCAL_BUS)),
        ("ALLOCATION_POLICY", fixed("shared")),
        // Each side also holds a backup on the other operator (the demo pool has two per region):
        // step m shows a failed forward tried again from it.
        ("BACKUP_NUMBERS", fixed("on")),
        (
            "RELEASE_GRACE_SECONDS",
            chosen("RELEASE_GRACE_SECONDS", fixed(DEMO_GRACE_SECONDS)),
        ),
        ("DEFAULT_COUNTRY", fixed("IN")),
        (
            "PUBLIC_WEBHOOK_BASE_URL",
            chosen("PUBLIC_WEBHOOK_BASE_URL", public_webhook_base(lambda)),
        ),
        // Fixed so the signed samples in events/ verify (tests/fixtures/generate_webhook_events.py
        // signs them with these). Made up, at the lengths the providers issue: the functions
        // refuse shorter ones at start-up.
        (
            "TWILIO_AUTH_TOKEN",
            fixed("10ca1de0000000000000000000000001"),
        ),
        (
            "PLIVO_AUTH_TOKEN",
            fixed("local-plivo-auth-token-made-up-0123456789"),
        ),
        (
            "VONAGE_SIGNATURE_SECRET",
            fixed("local-vonage-signature-secret-made-up-0123"),
        ),
        (
            "EXOTEL_WEBHOOK_TOKEN",
            fixed("local-exotel-url-token-made-up-0123456789"),
        ),
        (
            "VONAGE_WEBHOOK_TOKEN",
            fixed("local-vonage-url-token-made-up-0123456789"),
        ),
        // The walkthrough shows the driver's announcement in a rendered answer (docs/calls.md).
        (
            "ANNOUNCE_TO_DRIVER",
            chosen("ANNOUNCE_TO_DRIVER", fixed(DEMO_ANNOUNCEMENT)),
        ),
        ("RUST_LOG", chosen("RUST_LOG", fixed("info"))),
    ]
}

/// Single quotes keep `{function}` (and anything a user typed) away from the shell's expansions.
fn shell_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use maskline::public_url::public_url;

    use super::*;

    fn keys() -> LocalKeys {
        LocalKeys {
            hash: "aGFzaA==".into(),
            encryption: "ZW5j".into(),
        }
    }

    fn setting(settings: &[(&str, String)], name: &str) -> String {
        let found = settings.iter().find(|(n, _)| *n == name);
        found.map(|(_, v)| v.clone()).expect(name)
    }

    #[test]
    fn the_public_base_names_each_routes_function_unless_the_user_chose_one() {
        let settings = local_settings("http://127.0.0.1:9100/", &keys(), |_| None);
        let base = setting(&settings, "PUBLIC_WEBHOOK_BASE_URL");
        assert_eq!(base, "http://127.0.0.1:9100/lambda-url/{function}");
        assert_eq!(
            public_url(&base, "/webhooks/twilio/voice"),
            "http://127.0.0.1:9100/lambda-url/resolve-call/webhooks/twilio/voice"
        );
        assert_eq!(
            public_url(&base, "/webhooks/twilio/status"),
            "http://127.0.0.1:9100/lambda-url/call-events/webhooks/twilio/status"
        );

        let tunnel = "https://tunnel.example.com/lambda-url/{function}";
        let user = |name: &str| (name == "PUBLIC_WEBHOOK_BASE_URL").then(|| tunnel.to_string());
        let settings = local_settings("http://127.0.0.1:9100", &keys(), user);
        assert_eq!(setting(&settings, "PUBLIC_WEBHOOK_BASE_URL"), tunnel);
        // As `${VAR:-default}` did: an empty value is no choice.
        let blank = |_: &str| Some(" ".to_string());
        let settings = local_settings("http://127.0.0.1:9100", &keys(), blank);
        assert_eq!(setting(&settings, "RELEASE_GRACE_SECONDS"), "20");
    }

    #[test]
    fn the_user_chooses_grace_and_logging_but_never_the_table_or_the_keys() {
        let user = |name: &str| Some(format!("user-{name}"));
        let settings = local_settings(DEFAULT_LAMBDA, &keys(), user);
        assert_eq!(
            setting(&settings, "RELEASE_GRACE_SECONDS"),
            "user-RELEASE_GRACE_SECONDS"
        );
        assert_eq!(setting(&settings, "RUST_LOG"), "user-RUST_LOG");
        assert_eq!(setting(&settings, "TABLE_NAME"), LOCAL_TABLE);
        assert_eq!(setting(&settings, "NUMBER_HASH_KEY"), "aGFzaA==");
    }

    #[test]
    fn a_shell_reads_back_exactly_the_value_printed() {
        let value = "http://127.0.0.1:9000/lambda-url/{function} it's $HOME";
        let script = format!("X={}; printf %s \"$X\"", shell_quoted(value));
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), value);
    }
}
