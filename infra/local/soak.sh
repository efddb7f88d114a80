#!/usr/bin/env bash
# make soak: the model-checked allocator (tests/tests/integration/model.rs) run until 10,000
# allocations with hot participants, against DynamoDB Local + moto. Prints the report (schedules,
# allocations, operations by kind, violations, time, seed) and exits non-zero on any violation.
# Override with the same variables the test reads, e.g.
#   MODEL_ALLOCATIONS=2000 make soak      MODEL_SEED=123 make soak
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash infra/local/install.sh

# shellcheck source=infra/local/services.sh
source infra/local/services.sh
trap stop_started_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start_local_services .local/logs

export MODEL_ALLOCATIONS="${MODEL_ALLOCATIONS:-10000}"
export MODEL_SCHEDULES="${MODEL_SCHEDULES:-100000}"   # an upper bound: stops at MODEL_ALLOCATIONS
# Short schedules: numbers held by orders the generator no longer acts on free up with each new
# schedule, so most assignments claim numbers instead of finding the small pool exhausted.
export MODEL_STEPS="${MODEL_STEPS:-40}"
export MODEL_BATCH="${MODEL_BATCH:-10}"
export MODEL_CHECK_EVERY="${MODEL_CHECK_EVERY:-8}"
# Schedules at once, each on its own table: one schedule leaves DynamoDB Local idle while it
# waits on its checks, so three keep both cores busy.
export MODEL_PARALLEL="${MODEL_PARALLEL:-3}"
echo "==> soak: MODEL_ALLOCATIONS=$MODEL_ALLOCATIONS MODEL_STEPS=$MODEL_STEPS MODEL_BATCH=$MODEL_BATCH MODEL_CHECK_EVERY=$MODEL_CHECK_EVERY MODEL_PARALLEL=$MODEL_PARALLEL ${MODEL_SEED:+MODEL_SEED=$MODEL_SEED}"
# The functions' metric lines (CloudWatch EMF, one JSON object a line) are left out of the report.
set +e
cargo test --profile soak -p maskline-tests --test integration model -- --nocapture 2>&1 | grep --line-buffered -v '^{"'
status=${PIPESTATUS[0]}
set -e
exit "$status"
