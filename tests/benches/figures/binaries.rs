//! Each function as deployed: its release arm64 binary size (built by `make bench` with
//! `cargo lambda build --release --arm64`), and the time from process start to asking the Lambda
//! runtime API for its first event (the native release build, which this machine can run),
//! measured against a stub runtime API on loopback.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use maskline_tests::fixtures::{ENCRYPTION_KEY, HASH_KEY};
use serde_json::{json, Value};

const FUNCTIONS: [&str; 7] = [
    "allocate-numbers",
    "call-events",
    "click-to-call",
    "order-numbers",
    "refill-pool",
    "release-numbers",
    "resolve-call",
];
const STARTS: usize = 5;

fn target() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

/// Process start to the first `GET …/runtime/invocation/next`, the best of `STARTS` runs (the
/// first pays for a cold page cache).
fn start_to_ready(binary: &Path, function: &str) -> Option<Duration> {
    let mut best: Option<Duration> = None;
    for _ in 0..STARTS {
        let listener = TcpListener::bind("127.0.0.1:0").ok()?;
        let api = listener.local_addr().ok()?.to_string();
        let start = Instant::now();
        let mut child = Command::new(binary)
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
            .env("NUMBER_HASH_KEY", HASH_KEY)
            .env("NUMBER_ENCRYPTION_KEY", ENCRYPTION_KEY)
            .env("TWILIO_AUTH_TOKEN", "be0c4000000000000000000000000001")
            .env("PUBLIC_WEBHOOK_BASE_URL", "https://bench.example.com")
            .env_remove("SECRET_IDS")
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

pub fn measure() -> Value {
    let rows: Vec<Value> = FUNCTIONS
        .iter()
        .map(|function| {
            let arm64 = target()
                .join("lambda-arm64")
                .join(function)
                .join("bootstrap");
            let native = target().join("release").join(function);
            let size_mb = std::fs::metadata(&arm64)
                .ok()
                .map(|m| m.len() as f64 / 1_048_576.0);
            let ready = native
                .exists()
                .then(|| start_to_ready(&native, function))
                .flatten();
            json!({
                "name": function,
                "arm64_mb": size_mb,
                "start_to_ready_us": ready.map(|d| d.as_secs_f64() * 1e6),
            })
        })
        .collect();
    json!({
        "functions": rows,
        "note": "sizes: target/lambda-arm64/<fn>/bootstrap (cargo lambda build --release --arm64); start: native release binary, best of 5, to its first runtime API request",
    })
}
