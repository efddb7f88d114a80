#!/usr/bin/env bash
# make dev: the whole of Maskline on this machine, then a narrated walkthrough against it.
#
#   1. infra/local/install.sh      DynamoDB Local + a venv with moto and cargo-lambda (into .local/)
#   2. DynamoDB Local and moto     on $DYNAMODB_PORT / $MOTO_PORT, or free ports
#   3. cargo build --bins          once, with progress (log: .local/logs/build.log)
#   4. settings                    maskctl demo settings: LOCAL ONLY keys, table, bus, secrets
#   5. table + demo pool           maskctl table create; maskctl pool import infra/local/demo-pool.csv
#                                  (+ demo-standby.csv on standby, for refill to activate)
#   6. event bus on moto           bus maskline-local -> rules -> SQS queues, as in template.yaml
#                                  (infra/local/moto_setup.py create)
#   7. cargo lambda watch          every function on 127.0.0.1:$LAMBDA_PORT (default 9000), reloaded
#                                  when the code changes (log: .local/logs/lambda.log), and the
#                                  poller feeding each queue to its function (moto_setup.py poll)
#   8. walkthrough                 maskctl demo (infra/maskctl/src/demo/): two orders, one agent;
#                                  redelivery; calls; delivery; errors; a number failing over; a
#                                  refill; published events
#
# Then it keeps serving until Ctrl-C. DEV_EXIT_AFTER_WALKTHROUGH=1 stops after the walkthrough
# (exit code 0 when every step passed). Everything here is LOCAL ONLY: the table, bus, keys and
# phone numbers are made up and never leave this machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

LAMBDA_PORT=${LAMBDA_PORT:-9000}
LAMBDA="http://127.0.0.1:$LAMBDA_PORT"
LOGDIR=.local/logs
RUN_DIR=.local/dev-run          # events sent and responses received by this run's walkthrough
KEYS_FILE=.local/dev-keys.env   # generated once per checkout, reused afterwards
SESSION_ENV=.local/dev.env      # this run's settings, for maskctl in another terminal
FUNCTIONS_TIMEOUT=${DEV_FUNCTIONS_TIMEOUT:-900}
STARTED=$SECONDS

say() { printf '[dev] %s\n' "$*"; }
die() { printf '[dev] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { printf '%dm%02ds' $(((SECONDS - STARTED) / 60)) $(((SECONDS - STARTED) % 60)); }
# maskctl runs as `--bin maskctl` (not `-p maskctl`) so that it shares the build's feature set
# (verified: a no-op after it); `-p maskctl` resolves features for maskctl alone and recompiles
# much of the AWS SDK and the shared crate.
maskctl() { cargo run -q --bin maskctl -- "$@"; }

# --- 1. tools ------------------------------------------------------------------------------
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust from https://rustup.rs"
# install.sh checks for Java 17+, Node.js/npm and Python 3 (with venv) and says what is missing.
bash infra/local/install.sh || die "the local stack could not be installed (the reason is printed above)"
export PATH="$ROOT/.local/venv/bin:$PATH"   # cargo-lambda (so `cargo lambda` works), moto, python with boto3
command -v cargo-lambda >/dev/null 2>&1 \
  || die ".local/venv/bin/cargo-lambda is missing: rm -rf .local/venv and run make dev again"

# --- 2. services ---------------------------------------------------------------------------
# shellcheck source=infra/local/services.sh
source infra/local/services.sh
port_free "$LAMBDA_PORT" \
  || die "port $LAMBDA_PORT is in use (another make dev?): stop it, or pick another port: LAMBDA_PORT=9100 make dev"

BUILD_PID=""
WATCH_PID=""
POLLER_PID=""
# _stop_tree PID [GROUP]: TERM the process (and its process group when GROUP=group) and every
# descendant, KILL what is left after ~10 s. cargo lambda runs each function in a process group of
# its own, so its group alone is not enough.
# shellcheck disable=SC2317  # called from cleanup (the EXIT trap)
_stop_tree() {
  local pid=$1 group=${2:-} i p
  local -a tree=()
  mapfile -t tree < <(_descendants "$pid")
  if [[ "$group" == group ]]; then kill -TERM -- "-$pid" 2>/dev/null || true; fi
  kill -TERM "$pid" "${tree[@]}" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    local alive=0
    for p in "$pid" "${tree[@]}"; do if _running "$p"; then alive=1; fi; done
    ((alive)) || break
    sleep 0.25
  done
  if [[ "$group" == group ]]; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  kill -KILL "$pid" "${tree[@]}" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$BUILD_PID" ]]; then _stop_tree "$BUILD_PID"; fi
  if [[ -n "$POLLER_PID" ]]; then _stop_tree "$POLLER_PID"; fi
  if [[ -n "$WATCH_PID" ]]; then
    say "stopping cargo lambda watch"
    _stop_tree "$WATCH_PID" group
  fi
  stop_started_services
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_local_services "$LOGDIR"
# AWS_ENDPOINT_URL_DYNAMODB / _EVENTBRIDGE / _SQS, AWS_REGION and dummy credentials are exported by
# start_local_services: nothing started here can reach a real AWS account.

# _progress_note LABEL LOG STARTED: one progress line: time so far, crates compiled, the crate cargo is on.
_progress_note() {
  local label=$1 log=$2 started=$3 count last
  count=$(grep -c 'Compiling ' "$log" 2>/dev/null || true)
  last=$(grep -o 'Compiling [^ ]* v[^ ]*' "$log" 2>/dev/null | tail -n1 || true)
  say "  ... $label: $((SECONDS - started))s so far, ${count:-0} crates compiled${last:+ (now: ${last#Compiling })}"
}

# --- 3. build --------------------------------------------------------------------------------
# Everything is built once here, before cargo lambda watch starts: watch restarts a function's
# `cargo run` whenever any file in the checkout changes (an editor save, even git's .git/index.lock)
# and a restart throws away the compile in progress. Started after this build, its `cargo run`
# finds the binaries fresh.
say "building the workspace: cargo build --bins (the first run compiles the AWS SDK: about 5 min on 2 cores; log: $LOGDIR/build.log)"
build_started=$SECONDS
cargo build --bins --color never >"$LOGDIR/build.log" 2>&1 </dev/null &
BUILD_PID=$!
while _running "$BUILD_PID"; do
  for ((i = 0; i < 120; i++)); do _running "$BUILD_PID" || break; sleep 0.25; done
  if _running "$BUILD_PID"; then _progress_note "building" "$LOGDIR/build.log" "$build_started"; fi
done
build_rc=0
wait "$BUILD_PID" || build_rc=$?
BUILD_PID=""
if ((build_rc != 0)); then
  grep -v '^ *Compiling ' "$LOGDIR/build.log" | tail -n 40 >&2
  die "the workspace does not build (above; full log $LOGDIR/build.log)"
fi
say "built in $((SECONDS - build_started))s"

# --- 4. settings (LOCAL ONLY) ----------------------------------------------------------------
# Keys, table, bus, grace, provider secrets and the public webhook base (each route's function
# named by `{function}`, unless PUBLIC_WEBHOOK_BASE_URL is set already: yours wins), from
# infra/maskctl/src/demo/settings.rs, for the functions and the walkthrough alike.
settings=$(maskctl demo settings --lambda "$LAMBDA" --keys-file "$KEYS_FILE") \
  || die "maskctl demo settings failed (above)"
eval "$settings"
{
  echo "# LOCAL ONLY: settings of the running make dev (the ports change from run to run)."
  echo "# Use: set -a; . $SESSION_ENV; set +a; cargo run -q --bin maskctl -- pool list"
  for var in TABLE_NAME EVENT_BUS_NAME ALLOCATION_POLICY RELEASE_GRACE_SECONDS DEFAULT_COUNTRY \
    TWILIO_AUTH_TOKEN PLIVO_AUTH_TOKEN VONAGE_SIGNATURE_SECRET EXOTEL_WEBHOOK_TOKEN VONAGE_WEBHOOK_TOKEN \
    AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_EVENTBRIDGE AWS_ENDPOINT_URL_SQS \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION AWS_EC2_METADATA_DISABLED; do
    printf '%s=%s\n' "$var" "${!var}"
  done
  # `maskctl call` signs for, and sends to, this run's resolve-call.
  printf 'MASKCTL_CALL_URL=%s\n' "$LAMBDA/lambda-url/resolve-call"
} >"$SESSION_ENV"

# --- 5. table and demo pool ------------------------------------------------------------------
maskctl table create
maskctl pool import infra/local/demo-pool.csv
maskctl pool import --standby infra/local/demo-standby.csv
say "demo pool: $(($(wc -l <infra/local/demo-pool.csv) - 1)) made-up numbers from infra/local/demo-pool.csv (regions blr, del; operators airtel, jio), $(($(wc -l <infra/local/demo-standby.csv) - 1)) more on standby for refill"

# --- 6. event bus on moto --------------------------------------------------------------------
python3 infra/local/moto_setup.py create

# --- 7. cargo lambda watch and the queue poller ----------------------------------------------
say "starting cargo lambda watch on $LAMBDA (log: $LOGDIR/lambda.log)"
set -m   # a process group of its own, so that cleanup can stop it and everything it started
cargo lambda watch -A 127.0.0.1 -P "$LAMBDA_PORT" >"$LOGDIR/lambda.log" 2>&1 </dev/null &
WATCH_PID=$!
set +m

# Up means what `maskctl demo ready` checks (infra/maskctl/src/demo/ready.rs). The binary built in
# step 3 is run directly: `cargo run` would wait on the build lock while watch compiles.
functions_ready() {
  "${CARGO_TARGET_DIR:-target}/debug/maskctl" demo ready --lambda "$LAMBDA" >/dev/null 2>&1
}

say "waiting for the functions to answer (code changed since the build is compiled first; up to $((FUNCTIONS_TIMEOUT / 60)) min)"
watch_started=$SECONDS
next_note=$((SECONDS + 30))
until functions_ready; do
  if ! _running "$WATCH_PID"; then
    tail -n 40 "$LOGDIR/lambda.log" >&2
    die "cargo lambda watch exited (above; full log $LOGDIR/lambda.log)"
  fi
  if grep -qE '^error(\[E[0-9]+\])?: |could not compile' "$LOGDIR/lambda.log" 2>/dev/null; then
    grep -vE '^ *Compiling |^\s*$' "$LOGDIR/lambda.log" | tail -n 40 >&2
    die "the functions do not compile (above; full log $LOGDIR/lambda.log): fix the code and run make dev again"
  fi
  if ((SECONDS - watch_started > FUNCTIONS_TIMEOUT)); then
    tail -n 40 "$LOGDIR/lambda.log" >&2
    die "the functions did not answer within $((FUNCTIONS_TIMEOUT / 60)) min (log tail above; DEV_FUNCTIONS_TIMEOUT=<seconds> waits longer)"
  fi
  if ((SECONDS >= next_note)); then
    _progress_note "starting the functions" "$LOGDIR/lambda.log" "$watch_started"
    next_note=$((SECONDS + 30))
  fi
  sleep 2
done
say "functions answering after $((SECONDS - watch_started))s (stack up in $(elapsed))"

say "starting the queue poller: bus -> rules -> queues -> functions (log: $LOGDIR/poller.log)"
python3 infra/local/moto_setup.py poll "$LAMBDA" >"$LOGDIR/poller.log" 2>&1 </dev/null &
POLLER_PID=$!

# --- 8. walkthrough ---------------------------------------------------------------------------
# The story, its checks and its narration live in infra/maskctl/src/demo/; it reads the settings
# exported above and says which step failed, and where the logs are, when one does.
# RUST_LOG is the functions' setting: the walkthrough's own library calls (the failover of step i)
# stay quiet, so that its output is the narration.
walkthrough_started=$SECONDS
RUST_LOG=off maskctl demo --lambda "$LAMBDA" --run-dir "$RUN_DIR" --log-dir "$LOGDIR" \
  || die "the walkthrough failed (above)"
say "walkthrough passed in $((SECONDS - walkthrough_started))s"

# --- how to use it ----------------------------------------------------------------------------
cat <<EOT

Maskline is running locally (LOCAL ONLY, made-up numbers; up in $(elapsed)):
  Lambda Invoke API          $LAMBDA/2015-03-31/functions/<function>/invocations
  order-numbers over HTTP    $LAMBDA/lambda-url/order-numbers/v1/orders/<order_id>/numbers
  provider webhooks          $LAMBDA/lambda-url/resolve-call/webhooks/{twilio,exotel,plivo,vonage}/voice
  status callbacks, call log $LAMBDA/lambda-url/call-events/webhooks/<provider>/status, .../v1/orders/<order_id>/calls
  DynamoDB Local             $AWS_ENDPOINT_URL_DYNAMODB  (table $TABLE_NAME, in memory)
  moto: EventBridge + SQS    $AWS_ENDPOINT_URL_EVENTBRIDGE  (bus $EVENT_BUS_NAME -> queue $EVENT_BUS_NAME-published)
  logs                       $LOGDIR/lambda.log (functions), $LOGDIR/poller.log, $LOGDIR/dynamodb.log, $LOGDIR/moto.log

From another terminal, in $ROOT:
  export PATH="\$PWD/.local/venv/bin:\$PATH"    # cargo lambda
  cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port $LAMBDA_PORT allocate-numbers --data-file events/driver-assigned.json
  cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port $LAMBDA_PORT order-numbers --data-file events/order-numbers.json
  cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port $LAMBDA_PORT release-numbers --data-file events/order-delivered.json
    (events/*.json are about ORD-1, which the walkthrough has delivered, and carry a fixed time older than
     SESSION_MAX_SECONDS: allocate-numbers acknowledges them and changes nothing; for a fresh allocation,
     send a copy with another order_id and time now:
     sed "s/ORD-1/ORD-9/; s/2026-11-22T10:00:00Z/\$(date -u +%FT%TZ)/" events/driver-assigned.json > /tmp/e.json)
  curl -s $LAMBDA/lambda-url/order-numbers/v1/orders/ORD-2/numbers
  TABLE_NAME=$TABLE_NAME AWS_ENDPOINT_URL_DYNAMODB=$AWS_ENDPOINT_URL_DYNAMODB AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=$AWS_REGION cargo run -q --bin maskctl -- pool list --region blr
  set -a; . $SESSION_ENV; set +a    # then: cargo run -q --bin maskctl -- session show ORD-2
                                      #       cargo run -q --bin maskctl -- call --provider twilio --from +919876500003 --to <ORD-2's customer_dials>
                                      #       .local/venv/bin/python infra/local/moto_setup.py drain
EOT

if [[ "${DEV_EXIT_AFTER_WALKTHROUGH:-}" == 1 ]]; then
  say "DEV_EXIT_AFTER_WALKTHROUGH=1: stopping after a walkthrough that passed ($(elapsed))"
  exit 0
fi

say "serving until Ctrl-C (cargo lambda watch rebuilds and reloads a function when its code changes)"
rc=0
wait "$WATCH_PID" || rc=$?
die "cargo lambda watch exited (code $rc): see $LOGDIR/lambda.log"
