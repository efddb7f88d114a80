//! The model-checked allocator (see `maskline_tests::model`): random, seeded schedules of
//! concurrent assign / redelivery / agent change / release / cancel / failover / refill / clock
//! jumps against DynamoDB Local, checked after every step against a reference model.
//!
//! `MODEL_SEED=<seed>` replays one schedule; `MODEL_SCHEDULES=<n>` runs more; `make soak` runs
//! until 10,000 allocations and prints the report.

use std::io::Write;

use maskline_tests::model::runner::{run_all, Settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_random_schedules_agree_with_the_reference_model() {
    let settings = Settings::from_env();
    // Straight to stderr, past the test harness's capture: the seed shows in every `make test`
    // log, passing or not.
    let _ = writeln!(
        std::io::stderr(),
        "model: {} schedule(s) of {} steps from seed {} (replay the first with {})",
        settings.schedules,
        settings.steps,
        settings.seed,
        settings.replay(settings.seed)
    );
    let stats = run_all(&settings).await;
    println!("{stats}");
    // Liveness: a run that never allocated checked nothing worth checking (a broken generator, a
    // pool that never fits, every claim refused would all pass the safety checks vacuously).
    assert!(
        stats.allocations > 0,
        "the model run allocated nothing in {} schedule(s): it proves nothing",
        stats.schedules
    );
    if let Some(wanted) = settings.allocations {
        assert!(
            stats.allocations >= wanted,
            "the soak stopped at {} allocations, short of MODEL_ALLOCATIONS={wanted}",
            stats.allocations
        );
    }
    assert!(
        stats.violations.is_empty(),
        "{} violation(s) in {} schedule(s); first: {}\nreplay with {}",
        stats.violations.len(),
        stats.schedules,
        stats.violations[0],
        settings.replay(stats.failing_seeds[0])
    );
}
