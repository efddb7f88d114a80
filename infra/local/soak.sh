#!/usr/bin/env bash
# make soak: the model-checked allocator (tests/tests/integration/model.rs) run until 10,000
# allocations with hot participants, against DynamoDB Local + moto. Prints the report (schedules,
# allocations, operations by kind, violations, time, seed) and exits non-zero on any violation.
# Override with the same variables the test reads, e.g.
#   MODEL_ALLOCATIONS=2000 make soak      MODEL_SEED=123 make soak
#
# It runs in legs of SOAK_LEG allocations (default 1,000), each on a freshly started DynamoDB
# Local and moto: one DynamoDB Local slowed steadily over a long soak even with every schedule's
# table deleted (40 s schedules at the start, over 100 s after an hour, its JVM at one full core).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash infra/local/install.sh

# shellcheck source=infra/local/services.sh
source infra/local/services.sh
trap stop_started_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wanted="${MODEL_ALLOCATIONS:-10000}"
leg="${SOAK_LEG:-1000}"
# A leg's seeds are base + leg * 1,000,000 + schedule: apart from every other leg's.
base="${MODEL_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
export MODEL_SCHEDULES="${MODEL_SCHEDULES:-100000}"   # an upper bound: each leg stops at its allocations
# Short schedules: numbers held by orders the generator no longer acts on free up with each new
# schedule, so most assignments claim numbers instead of finding the small pool exhausted.
export MODEL_STEPS="${MODEL_STEPS:-40}"
export MODEL_BATCH="${MODEL_BATCH:-10}"
export MODEL_CHECK_EVERY="${MODEL_CHECK_EVERY:-8}"
# Schedules at once, each on its own table: one schedule leaves DynamoDB Local idle while it
# waits on its checks, so three keep it busy.
export MODEL_PARALLEL="${MODEL_PARALLEL:-3}"
echo "==> soak: MODEL_ALLOCATIONS=$wanted in legs of $leg, first seed $base, MODEL_STEPS=$MODEL_STEPS MODEL_BATCH=$MODEL_BATCH MODEL_CHECK_EVERY=$MODEL_CHECK_EVERY MODEL_PARALLEL=$MODEL_PARALLEL"

# Built once before the first leg, so no leg's time includes the build.
cargo test --profile soak -p maskline-tests --test integration --no-run

total=0 schedules=0 legs=0 began=$SECONDS
mkdir -p .local/logs
while ((total < wanted)); do
  this_leg=$((wanted - total < leg ? wanted - total : leg))
  unset DYNAMODB_PORT MOTO_PORT
  start_local_services .local/logs
  report=.local/logs/soak-leg-$legs.txt
  echo "==> leg $((legs + 1)): $this_leg allocations from seed $((base + legs * 1000000)) ($total of $wanted so far)"
  set +e
  # The functions' metric lines (CloudWatch EMF, one JSON object a line) are left out.
  MODEL_ALLOCATIONS=$this_leg MODEL_SEED=$((base + legs * 1000000)) \
    cargo test --profile soak -p maskline-tests --test integration model -- --nocapture 2>&1 \
    | grep --line-buffered -v '^{"' | tee "$report"
  status=${PIPESTATUS[0]}
  set -e
  stop_started_services
  if ((status != 0)); then
    echo "==> soak: leg $((legs + 1)) failed (report above, kept in $report); $total allocations in the legs before it" >&2
    exit "$status"
  fi
  got=$(awk '$1 == "allocations" { print $2; exit }' "$report")
  ran=$(awk '$1 == "schedules" { print $2; exit }' "$report")
  [[ "$got" =~ ^[0-9]+$ && "$ran" =~ ^[0-9]+$ ]] \
    || { echo "==> soak: no allocation count in $report" >&2; exit 1; }
  total=$((total + got)) schedules=$((schedules + ran)) legs=$((legs + 1))
done
echo "==> soak passed: $total allocations in $schedules schedules ($legs legs), 0 violations, $((SECONDS - began)) s; first seed $base (leg k replays from MODEL_SEED=base+k*1000000)"
