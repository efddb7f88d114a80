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
# SOAK_LANES (default 2) lanes of legs run side by side, each with its own services: one lane
# left part of a 2-core machine idle (its JVM at about 1.1 cores), and two lanes of two
# schedules ran about 1.2 times the allocations a second of one lane of three (measured here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash infra/local/install.sh

# shellcheck source=infra/local/services.sh
source infra/local/services.sh

wanted="${MODEL_ALLOCATIONS:-10000}"
leg="${SOAK_LEG:-1000}"
lanes="${SOAK_LANES:-2}"
# Leg k of lane l uses seeds base + (l * 1000 + k) * 1,000,000 + schedule: apart from every other leg's.
base="${MODEL_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
export MODEL_SCHEDULES="${MODEL_SCHEDULES:-100000}"   # an upper bound: each leg stops at its allocations
# Short schedules: numbers held by orders the generator no longer acts on free up with each new
# schedule, so most assignments claim numbers instead of finding the small pool exhausted.
export MODEL_STEPS="${MODEL_STEPS:-40}"
export MODEL_BATCH="${MODEL_BATCH:-10}"
export MODEL_CHECK_EVERY="${MODEL_CHECK_EVERY:-8}"
# Schedules at once per lane, each on its own table: one schedule leaves DynamoDB Local idle
# while it waits on its checks, so several keep it busy.
export MODEL_PARALLEL="${MODEL_PARALLEL:-2}"
echo "==> soak: MODEL_ALLOCATIONS=$wanted in legs of $leg over $lanes lanes, first seed $base, MODEL_STEPS=$MODEL_STEPS MODEL_BATCH=$MODEL_BATCH MODEL_CHECK_EVERY=$MODEL_CHECK_EVERY MODEL_PARALLEL=$MODEL_PARALLEL"

# Built once before the first leg, so no leg's time includes the build; the lanes then run the
# test binary itself (two `cargo test` at once would wait on each other's build-directory lock).
binary=$(cargo test --profile soak -p maskline-tests --test integration --no-run --message-format=json \
  | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "integration":
        print(m["executable"])')
[[ -x "$binary" ]] || { echo "==> soak: no test binary built" >&2; exit 1; }

logs=.local/logs/soak
rm -rf "$logs" && mkdir -p "$logs"

# run_lane LANE ALLOCATIONS: legs one after another until ALLOCATIONS; writes "allocations
# schedules legs" to $logs/lane-LANE.total; exits non-zero when a leg fails.
run_lane() {
  local lane=$1 lane_wanted=$2 total=0 schedules=0 legs=0 attempt
  trap stop_started_services EXIT
  while ((total < lane_wanted)); do
    local this_leg=$((lane_wanted - total < leg ? lane_wanted - total : leg))
    local seed=$((base + (lane * 1000 + legs) * 1000000))
    local dir=$logs/lane-$lane-leg-$legs report=$logs/lane-$lane-leg-$legs.txt
    # Another lane may take a free port between the pick and the bind: try afresh.
    for attempt in 1 2 3; do
      unset DYNAMODB_PORT MOTO_PORT
      if start_local_services "$dir" >"$dir.services" 2>&1; then break; fi
      stop_started_services >/dev/null
      ((attempt < 3)) || { echo "==> soak: lane $lane could not start its services (see $dir.services)" >&2; return 1; }
    done
    echo "==> lane $lane, leg $((legs + 1)): $this_leg allocations from seed $seed ($total of $lane_wanted so far)"
    set +e
    # The functions' metric lines (CloudWatch EMF, one JSON object a line) are left out.
    (cd tests && MODEL_ALLOCATIONS=$this_leg MODEL_SEED=$seed \
      "$binary" model --nocapture) 2>&1 | grep --line-buffered -v '^{"' >"$report"
    local status=${PIPESTATUS[0]}
    set -e
    stop_started_services >/dev/null
    if ((status != 0)); then
      cat "$report"
      echo "==> soak: lane $lane leg $((legs + 1)) failed (report above, kept in $report)" >&2
      return "$status"
    fi
    sed -n '/^model report/,/^  violations/p' "$report"
    local got ran
    got=$(awk '$1 == "allocations" { print $2; exit }' "$report")
    ran=$(awk '$1 == "schedules" { print $2; exit }' "$report")
    [[ "$got" =~ ^[0-9]+$ && "$ran" =~ ^[0-9]+$ ]] \
      || { echo "==> soak: no allocation count in $report" >&2; return 1; }
    total=$((total + got)) schedules=$((schedules + ran)) legs=$((legs + 1))
    echo "$total $schedules $legs" >"$logs/lane-$lane.total"
  done
}

began=$SECONDS
declare -a lane_pids=()
# stop_lanes: the lanes and everything under them (test binaries, DynamoDB Local, moto); a lane's
# own shell would only act on a signal after its test binary ends.
stop_lanes() {
  local -a all=()
  mapfile -t all < <(_descendants "${lane_pids[@]}")
  kill -TERM "${lane_pids[@]}" "${all[@]}" 2>/dev/null || true
  sleep 2
  kill -KILL "${lane_pids[@]}" "${all[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap 'stop_lanes; exit 130' INT
trap 'stop_lanes; exit 143' TERM
for ((lane = 0; lane < lanes; lane++)); do
  share=$(((wanted + lanes - 1 - lane) / lanes))   # the shares add up to $wanted
  run_lane "$lane" "$share" &
  lane_pids+=($!)
  sleep 2   # apart, so the lanes pick their ports at different moments
done
failed=0
for ((done_lanes = 0; done_lanes < lanes; done_lanes++)); do
  if ! wait -n; then failed=1; break; fi
done
if ((failed)); then
  stop_lanes
  echo "==> soak failed after $((SECONDS - began)) s; first seed $base; reports in $logs" >&2
  exit 1
fi

total=0 schedules=0 legs=0
for ((lane = 0; lane < lanes; lane++)); do
  read -r got ran done_legs <"$logs/lane-$lane.total"
  total=$((total + got)) schedules=$((schedules + ran)) legs=$((legs + done_legs))
done
echo "==> soak passed: $total allocations in $schedules schedules ($legs legs over $lanes lanes), 0 violations, $((SECONDS - began)) s; first seed $base (leg k of lane l replays from MODEL_SEED=base+(l*1000+k)*1000000)"
