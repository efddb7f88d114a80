//! Each function as deployed: its release arm64 binary size (built by `make bench` with
//! `cargo lambda build --release --arm64`), and the time from process start to asking the Lambda
//! runtime API for its first event (the native release build, which this machine can run),
//! measured against a stub runtime API on loopback — bare (keys in the environment), and as
//! deployed: reading the secrets its template `SECRET_IDS` names from Secrets Manager (moto, which
//! `make bench` starts), which is what a cold invocation pays.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use maskline_tests::fixtures::{ENCRYPTION_KEY, HASH_KEY};
use serde_json::{json, Value};

use crate::report::{target, workspace};

const STARTS: usize = 5;

/// Every function of the workspace (`functions/<name>`), so a new one is measured too.
fn functions() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace().join("functions"))
        .expect("the workspace's functions/ directory")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// How a function starts: its keys handed over in the environment, or read from the secrets
/// its `SECRET_IDS` names, as deployed.
enum Start<'a> {
    Bare,
    WithSecrets(&'a str),
}

/// Process start to the first `GET …/runtime/invocation/next`, the best of `STARTS` runs (the
/// first pays for a cold page cache).
fn start_to_ready(binary: &Path, function: &str, how: &Start) -> Option<Duration> {
    let mut best: Option<Duration> = None;
    for _ in 0..STARTS {
        let listener = TcpListener::bind("127.0.0.1:0").ok()?;
        let api = listener.local_addr().ok()?.to_string();
        let mut command = Command::new(binary);
        match how {
            Start::Bare => command
                .env("NUMBER_HASH_KEY", HASH_KEY)
                .env("NUMBER_ENCRYPTION_KEY", ENCRYPTION_KEY)
                .env("TWILIO_AUTH_TOKEN", "be0c4000000000000000000000000001")
                .env_remove("SECRET_IDS"),
            Start::WithSecrets(ids) => command
                .env_remove("NUMBER_HASH_KEY")
                .env_remove("NUMBER_ENCRYPTION_KEY")
                .env_remove("TWILIO_AUTH_TOKEN")
                .env("SECRET_IDS", ids),
        };
        let start = Instant::now();
        let mut child = command
            .env("AWS_LAMBDA_RUNTIME_API", &api)
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("TABLE_NAME", "bench")
            .env("EVENT_BUS_NAME", "bench")
            .env("DEFAULT_COUNTRY", "IN")
            .env("PUBLIC_WEBHOOK_BASE_URL", "https://bench.example.com")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        listener.set_nonblocking(false).ok()?;
        let (mut stream, _) = listener.accept().ok()?;
        let elapsed = start.elapsed();
        let mut first = [0u8; 64];
        let read = stream.read(&mut first).unwrap_or(0);
        let asked_next = String::from_utf8_lossy(&first[..read]).contains("invocation/next");
        let _ =
            stream.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n");
        let _ = child.kill();
        let _ = child.wait();
        if !asked_next {
            return None;
        }
        best = Some(best.map_or(elapsed, |b| b.min(elapsed)));
    }
    best
}

pub async fn measure() -> Value {
    let secrets = create_secrets().await;
    let rows: Vec<Value> = functions()
        .iter()
        .map(|function| {
            let function = function.as_str();
            let arm64 = target()
                .join("lambda-arm64")
                .join(function)
                .join("bootstrap");
            let native = target().join("release").join(function);
            let size_mb = std::fs::metadata(&arm64)
                .ok()
                .map(|m| m.len() as f64 / 1_048_576.0);
            let ids = secret_ids_as_deployed(function);
            let ready = |how: Start| {
                native
                    .exists()
                    .then(|| start_to_ready(&native, function, &how))
                    .flatten()
                    .map(|d| d.as_secs_f64() * 1e6)
            };
            let deployed = match (&secrets, ids.as_deref()) {
                (Ok(()), Some(ids)) => ready(Start::WithSecrets(ids)),
                // No secret to read: as deployed is bare.
                (Ok(()), None) => ready(Start::Bare),
                (Err(_), _) => None,
            };
            json!({
                "name": function,
                "arm64_mb": size_mb,
                "start_to_ready_us": ready(Start::Bare),
                "start_to_ready_with_secrets_us": deployed,
                "secret_ids": ids,
            })
        })
        .collect();
    json!({
        "functions": rows,
        "secrets": secrets.err().unwrap_or_else(|| "created in moto by create-secrets.sh --print".into()),
        "note": "sizes: <target>/lambda-arm64/<fn>/bootstrap (cargo lambda build --release --arm64); start: native release binary, best of 5, to its first runtime API request; bare: keys in the environment; as deployed: its SECRET_IDS read from Secrets Manager (moto)",
    })
}

/// The template's `SECRET_IDS` for `function` (`resolve-call` is `ResolveCallFunction`), each
/// parameter replaced by its default name; `None` for a function that reads no secret.
fn secret_ids_as_deployed(function: &str) -> Option<String> {
    let template = maskline_tests::sam::transformed();
    let logical: String = function
        .split('-')
        .map(|word| word[..1].to_uppercase() + &word[1..])
        .collect::<String>()
        + "Function";
    let sub = template["Resources"][&logical]["Properties"]["Environment"]["Variables"]
        ["SECRET_IDS"]["Fn::Sub"]
        .as_str()?;
    let names: Vec<String> = sub
        .split(',')
        .map(|id| {
            let parameter = id.trim_start_matches("${").trim_end_matches('}');
            template["Parameters"][parameter]["Default"]
                .as_str()
                .unwrap_or_else(|| panic!("{logical}: {id} is not a parameter with a default"))
                .to_string()
        })
        .collect();
    Some(names.join(","))
}

/// Every secret the deploy creates (`infra/deploy/create-secrets.sh --print`, with the same
/// made-up keys and Twilio token as the bare start), in Secrets Manager — moto, through
/// `AWS_ENDPOINT_URL_SECRETS_MANAGER`. A secret already there (an earlier run on the same moto)
/// is left as it is.
async fn create_secrets() -> Result<(), String> {
    let script = maskline_tests::sam::repo().join("infra/deploy/create-secrets.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg("--print")
        .env("TWILIO_AUTH_TOKEN", "be0c4000000000000000000000000001")
        .env(
            "LEGACY_NUMBER_KEYS_JSON",
            json!({ "NUMBER_HASH_KEY": HASH_KEY, "NUMBER_ENCRYPTION_KEY": ENCRYPTION_KEY })
                .to_string(),
        )
        .output()
        .map_err(|e| format!("create-secrets.sh: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let client = aws_sdk_secretsmanager::Client::new(&maskline::adapters::aws_config().await);
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let (name, value) = line.split_once('\t').ok_or("a line without a tab")?;
        let created = client
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await;
        if let Err(e) = created {
            if !e
                .as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception())
            {
                return Err(format!(
                    "creating {name}: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                ));
            }
        }
    }
    Ok(())
}
