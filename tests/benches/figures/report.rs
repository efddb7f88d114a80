//! The run's figures as a table on stdout and as `<target>/bench/figures.json` (under
//! `CARGO_TARGET_DIR` when set, where `maskctl plan` looks for it too).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

/// p50 and p99 (and the count) of a set of durations, in microseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> Value {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    json!({
        "n": samples.len(),
        "p50_us": at(0.5).as_secs_f64() * 1e6,
        "p99_us": at(0.99).as_secs_f64() * 1e6,
    })
}

/// What this machine is: CPU model and count (figures are only comparable on the same one).
pub fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({ "cpu": model, "cpus": cpus, "os": std::env::consts::OS, "arch": std::env::consts::ARCH })
}

fn us(v: &Value) -> String {
    v.as_f64().map_or("-".into(), |x| {
        if x >= 1000.0 {
            format!("{:.2} ms", x / 1000.0)
        } else {
            format!("{x:.0} µs")
        }
    })
}

fn num(v: &Value, digits: usize) -> String {
    v.as_f64().map_or("-".into(), |x| format!("{x:.digits$}"))
}

pub fn print(f: &Value) {
    println!();
    println!(
        "Maskline figures — {} ({} CPUs)",
        f["machine"]["cpu"].as_str().unwrap_or("?"),
        f["machine"]["cpus"]
    );
    println!("{}", f["store"].as_str().unwrap_or_default());
    let c = &f["call_path"];
    println!("\nCall path (p50 / p99)");
    println!(
        "  raw GetItem of a binding (strongly consistent)   {:>10} / {:>10}",
        us(&c["raw_get_item"]["p50_us"]),
        us(&c["raw_get_item"]["p99_us"])
    );
    println!(
        "  resolve-call handler, Twilio, in process         {:>10} / {:>10}",
        us(&c["handler"]["p50_us"]),
        us(&c["handler"]["p99_us"])
    );
    println!(
        "  ratio handler / raw                              {:>10} / {:>10}   (target p99 <= 1.2)",
        num(&c["ratio_p50"], 2),
        num(&c["ratio_p99"], 2)
    );
    let t = &f["throughput"];
    println!(
        "\nAllocation throughput, {} in flight, {} orders each, {} alternating rounds",
        t["in_flight"], t["orders_per_contender"], t["rounds"]
    );
    println!("  ({})", t["retry"].as_str().unwrap_or_default());
    println!(
        "  {:<49}{:>8}   {:>6} {:>6} {:>9} {:>6}  by round: median (range)",
        "", "landed/s", "failed", "confl.", "tx/alloc", "ratio"
    );
    for (label, key) in [
        ("raw TransactWriteItems of an allocation's shape", "raw"),
        ("allocations, consumer, bus off this machine", "announced"),
        ("allocations, consumer, moto's bus routing to SQS", "moto"),
        ("allocations, consumer publishing nowhere", "unpublished"),
        ("allocations, no consumer running", "unannounced"),
    ] {
        let row = &t[key];
        let by_round = &row["ratio_by_round"];
        println!(
            "  {:<49}{:>8}   {:>6} {:>6} {:>9} {:>6}  {}",
            label,
            num(&row["per_second"], 0),
            row["failed"].to_string(),
            row["conflicts"].to_string(),
            num(&row["transactions_per_allocation"], 2),
            if key == "raw" {
                "1.00".into()
            } else {
                num(&row["ratio"], 2)
            },
            if key == "raw" {
                String::new()
            } else {
                format!(
                    "{} ({}-{})",
                    num(&by_round["median"], 2),
                    num(&by_round["min"], 2),
                    num(&by_round["max"], 2)
                )
            },
        );
    }
    for (label, key) in [
        ("counted until announced, bus off this machine", "announced"),
        ("counted until announced, moto's bus", "moto"),
    ] {
        println!(
            "  {:<49}{:>8}{:>37}",
            label,
            num(&t[key]["announced_per_second"], 0),
            num(&t[key]["ratio_until_announced"], 2)
        );
    }
    let a = &t["announced"];
    println!(
        "  the consumer published {} MaskedNumbersAssigned for {} allocations, the bus accepted {} ({} deliveries stopped at a failed record)",
        a["announced"], a["succeeded"], t["remote_bus_accepted"], a["failed_deliveries"]
    );
    println!("  target: announced / raw >= 0.8 (the consumer on the same machine, the bus not)");
    let h = &f["hot_agent"];
    println!(
        "\nHot agent: {} simultaneous orders of one agent",
        h["orders"]
    );
    println!(
        "  completed {} / {}, attempts per allocation {}, conflicts {}",
        h["completed"],
        h["orders"],
        num(&h["attempts_per_allocation"], 2),
        h["conflicts"]
    );
    println!("\nOne allocation by pool size (p50 time, mean read units)");
    for row in f["allocation_by_pool_size"]["pools"]
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "  {:>6} numbers   {:>10}   {:>5} RRU",
            row["numbers"],
            us(&row["p50_us"]),
            num(&row["read_units"], 2)
        );
    }
    println!(
        "  read units at the largest / smallest pool        {:>5}     (target <= 2)",
        num(&f["allocation_by_pool_size"]["read_units_ratio"], 2)
    );
    let o = &f["per_order"];
    println!(
        "\nOne order's lifecycle (assign, order-numbers, two calls, two status reports, release)"
    );
    println!(
        "  read units {}  write units {} (of which refused writes {})  requests {}",
        num(&o["read_units"], 2),
        num(&o["write_units"], 2),
        num(&o["failed_write_units"], 2),
        num(&o["requests"], 1),
    );
    println!(
        "  Lambda invocations {}  GB-s {}",
        num(&o["lambda_invocations"], 0),
        num(&o["lambda_gb_seconds"], 4)
    );
    println!(
        "  per 1,000 orders: DynamoDB ${}  Lambda ${}   ({})",
        num(&o["cost_per_1000_orders"]["dynamodb_usd"], 4),
        num(&o["cost_per_1000_orders"]["lambda_usd"], 4),
        o["prices"]["source"].as_str().unwrap_or_default()
    );
    println!("\nFunctions (release): arm64 binary size; native start-to-ready, bare / as deployed");
    println!(
        "  (as deployed: reading its SECRET_IDS from Secrets Manager, moto; targets 10 MB, 30 ms)"
    );
    for row in f["functions"]["functions"].as_array().into_iter().flatten() {
        println!(
            "  {:<18} {:>9}   {:>10} / {:>10}",
            row["name"].as_str().unwrap_or("?"),
            row["arm64_mb"]
                .as_f64()
                .map_or("not built".into(), |m| format!("{m:.1} MB")),
            us(&row["start_to_ready_us"]),
            us(&row["start_to_ready_with_secrets_us"])
        );
    }
    if let Some(note) = f["functions"]["note"].as_str() {
        println!("  {note}");
    }
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where `make bench` builds and writes: `CARGO_TARGET_DIR` when it is set (release builds go
/// to their own target directory), else the workspace's `target/`. A relative one is the
/// workspace's (cargo reads it from where `make` ran; this binary runs in `tests/`).
pub fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| workspace().join("target"), |dir| workspace().join(dir))
}

pub fn write(figures: &Value) {
    let dir = target().join("bench");
    std::fs::create_dir_all(&dir).expect("create the bench directory");
    let path = dir.join("figures.json").display().to_string();
    std::fs::write(&path, serde_json::to_string_pretty(figures).unwrap()).expect("write figures");
    println!("\nwritten to {path}");
}
