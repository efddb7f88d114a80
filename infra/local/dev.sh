#!/usr/bin/env bash
# make dev: the whole of Maskline on this machine, then a narrated walkthrough against it.
#
#   1. infra/local/install.sh      DynamoDB Local + a venv with moto and cargo-lambda (into .local/)
#   2. DynamoDB Local and moto     on $DYNAMODB_PORT / $MOTO_PORT, or free ports
#   3. cargo build --bins          once, with progress (log: .local/logs/build.log)
#   4. table + demo pool           maskctl table create; maskctl pool import infra/local/demo-pool.csv
#                                  (+ demo-standby.csv on standby, for refill to activate)
#   5. event bus on moto           bus maskline-local -> rule {"source":["maskline"]} -> SQS queue
#                                  maskline-local-published (infra/local/moto_setup.py)
#   6. cargo lambda watch          every function on 127.0.0.1:$LAMBDA_PORT (default 9000), reloaded
#                                  when the code changes (log: .local/logs/lambda.log)
#   7. walkthrough                 two orders, one agent; redelivery; calls; delivery; errors; a number
#                                  failing over; a refill; published events
#
# Then it keeps serving until Ctrl-C. DEV_EXIT_AFTER_WALKTHROUGH=1 stops after the walkthrough
# (exit code 0 when every step passed). Everything here is LOCAL ONLY: the table, bus, keys and
# phone numbers are made up and never leave this machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

LAMBDA_PORT=${LAMBDA_PORT:-9000}
LOGDIR=.local/logs
RUN_DIR=.local/dev-run          # events sent and responses received by this run's walkthrough
KEYS_FILE=.local/dev-keys.env   # generated once per checkout, reused afterwards
SESSION_ENV=.local/dev.env      # this run's settings, for maskctl in another terminal
FUNCTIONS_TIMEOUT=${DEV_FUNCTIONS_TIMEOUT:-900}
STARTED=$SECONDS

say() { printf '[dev] %s\n' "$*"; }
die() { printf '[dev] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { printf '%dm%02ds' $(((SECONDS - STARTED) / 60)) $(((SECONDS - STARTED) % 60)); }

# --- 1. tools ------------------------------------------------------------------------------
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust from https://rustup.rs"
command -v curl >/dev/null 2>&1 || die "curl not found: install curl"
# install.sh checks for Java 17+, Node.js/npm and Python 3 (with venv) and says what is missing.
bash infra/local/install.sh || die "the local stack could not be installed (the reason is printed above)"
export PATH="$ROOT/.local/venv/bin:$PATH"   # cargo-lambda (so `cargo lambda` works), moto, python with boto3
command -v cargo-lambda >/dev/null 2>&1 \
  || die ".local/venv/bin/cargo-lambda is missing: rm -rf .local/venv and run make dev again"

port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}
port_free "$LAMBDA_PORT" \
  || die "port $LAMBDA_PORT is in use (another make dev?): stop it, or pick another port: LAMBDA_PORT=9100 make dev"

# --- 2. services ---------------------------------------------------------------------------
# shellcheck source=infra/local/services.sh
source infra/local/services.sh

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

# --- settings (LOCAL ONLY) -----------------------------------------------------------------
# These values exist for this machine only; a deployment gets its own from its infrastructure.
if [[ ! -s "$KEYS_FILE" ]]; then
  say "generating local-only number keys into $KEYS_FILE (kept for later runs)"
  (
    umask 077
    python3 - >"$KEYS_FILE.tmp" <<'PY'
import base64, secrets
print("# LOCAL ONLY: random keys for `make dev` in this checkout. Never use them anywhere else.")
print("NUMBER_HASH_KEY=" + base64.b64encode(secrets.token_bytes(32)).decode())
print("NUMBER_ENCRYPTION_KEY=" + base64.b64encode(secrets.token_bytes(32)).decode())
PY
    mv "$KEYS_FILE.tmp" "$KEYS_FILE"
  )
fi
NUMBER_HASH_KEY="$(sed -n 's/^NUMBER_HASH_KEY=//p' "$KEYS_FILE")"
NUMBER_ENCRYPTION_KEY="$(sed -n 's/^NUMBER_ENCRYPTION_KEY=//p' "$KEYS_FILE")"
[[ -n "$NUMBER_HASH_KEY" && -n "$NUMBER_ENCRYPTION_KEY" ]] \
  || die "$KEYS_FILE lacks NUMBER_HASH_KEY / NUMBER_ENCRYPTION_KEY: delete it and run make dev again"

export NUMBER_HASH_KEY NUMBER_ENCRYPTION_KEY   # local-only keys (above)
export TABLE_NAME=maskline-local               # local table on DynamoDB Local (in memory: empty each run)
export EVENT_BUS_NAME=maskline-local           # local bus on moto
export ALLOCATION_POLICY=shared
# Short so the walkthrough can show a call refused once grace is over; deployments default to 1800.
export RELEASE_GRACE_SECONDS=${RELEASE_GRACE_SECONDS:-20}
export DEFAULT_COUNTRY=IN
# Provider webhook secrets, LOCAL ONLY and fixed so the signed samples in events/ verify
# (tests/fixtures/generate_webhook_events.py signs them with these).
# Signatures cover the URL a provider called, and `cargo lambda watch` serves each function under
# its own prefix: `{function}` names the function serving each route. Set it yourself (a tunnel,
# another port) and yours wins.
export PUBLIC_WEBHOOK_BASE_URL=${PUBLIC_WEBHOOK_BASE_URL:-http://127.0.0.1:$LAMBDA_PORT/lambda-url/\{function\}}
export TWILIO_AUTH_TOKEN=local-twilio-auth-token
export PLIVO_AUTH_TOKEN=local-plivo-auth-token
export VONAGE_SIGNATURE_SECRET=local-vonage-signature-secret
export WEBHOOK_PATH_TOKEN=local-path-token
export RUST_LOG=${RUST_LOG:-info}
# AWS_ENDPOINT_URL_DYNAMODB / _EVENTBRIDGE / _SQS, AWS_REGION and dummy credentials were exported by
# start_local_services: nothing started here can reach a real AWS account.

{
  echo "# LOCAL ONLY: settings of the running make dev (the ports change from run to run)."
  echo "# Use: set -a; . $SESSION_ENV; set +a; cargo run -q --bin maskctl -- pool list"
  for var in TABLE_NAME EVENT_BUS_NAME ALLOCATION_POLICY RELEASE_GRACE_SECONDS DEFAULT_COUNTRY \
    TWILIO_AUTH_TOKEN PLIVO_AUTH_TOKEN VONAGE_SIGNATURE_SECRET WEBHOOK_PATH_TOKEN \
    AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_EVENTBRIDGE AWS_ENDPOINT_URL_SQS \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION AWS_EC2_METADATA_DISABLED; do
    printf '%s=%s\n' "$var" "${!var}"
  done
} >"$SESSION_ENV"

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
# finds the binaries fresh. maskctl runs as `--bin maskctl` (not `-p maskctl`) so that it shares
# this build's feature set (verified: a no-op after it); `-p maskctl` resolves features for maskctl
# alone and recompiles much of the AWS SDK and the shared crate.
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

# --- 4. table and demo pool ------------------------------------------------------------------
maskctl() { cargo run -q --bin maskctl -- "$@"; }
maskctl table create
maskctl pool import infra/local/demo-pool.csv
maskctl pool import --standby infra/local/demo-standby.csv
say "demo pool: $(($(wc -l <infra/local/demo-pool.csv) - 1)) made-up numbers from infra/local/demo-pool.csv (regions blr, del; operators airtel, jio), $(($(wc -l <infra/local/demo-standby.csv) - 1)) more on standby for refill"

# --- 5. event bus on moto --------------------------------------------------------------------
python3 infra/local/moto_setup.py create

# --- 6. cargo lambda watch -------------------------------------------------------------------
LAMBDA="http://127.0.0.1:$LAMBDA_PORT"
say "starting cargo lambda watch on $LAMBDA (log: $LOGDIR/lambda.log)"
set -m   # a process group of its own, so that cleanup can stop it and everything it started
cargo lambda watch -A 127.0.0.1 -P "$LAMBDA_PORT" >"$LOGDIR/lambda.log" 2>&1 </dev/null &
WATCH_PID=$!
set +m

# Up means: order-numbers answers an unknown order with a JSON 404, and the two SQS functions
# answer an empty batch with an empty batch response.
functions_ready() {
  local out fn
  out=$(curl -sS --max-time 10 -w '|%{http_code}' "$LAMBDA/lambda-url/order-numbers/v1/orders/DEV-PROBE/numbers" 2>/dev/null) || return 1
  [[ "$out" == *'"unknown order"'*'|404' ]] || return 1
  for fn in allocate-numbers release-numbers refill-pool; do
    out=$(curl -sS --max-time 10 -X POST -d '{"Records":[]}' "$LAMBDA/2015-03-31/functions/$fn/invocations" 2>/dev/null) || return 1
    [[ "$out" == *'"batchItemFailures":[]'* ]] || return 1
  done
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

# --- 7. walkthrough ---------------------------------------------------------------------------
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"

# Made-up phone numbers of the people in the story. They go in; they must never come out.
CUSTOMER_1=+919876500001
AGENT_D7=+919876500002
CUSTOMER_2=+919876500003
CUSTOMER_3=+919876500004
AGENT_D9=+919876500005
STRANGER=+919876500099
REAL_PHONES=("$CUSTOMER_1" "$AGENT_D7" "$CUSTOMER_2" "$CUSTOMER_3" "$AGENT_D9" "$STRANGER")

step() { printf '[walkthrough] %s\n' "$*"; }
detail() { printf '                %s\n' "$*"; }
fail() {
  printf '[walkthrough] FAILED: %s\n' "$*" >&2
  printf '[walkthrough] function logs: %s; events sent: %s/\n' "$LOGDIR/lambda.log" "$RUN_DIR" >&2
  exit 1
}

# sqs_batch MSG_ID DETAIL_TYPE DETAIL_JSON [MSG_ID DETAIL_TYPE DETAIL_JSON ...]: an SQS batch whose
# messages carry EventBridge events from the order platform (shaped like events/*.json), time = now.
sqs_batch() {
  python3 - "$@" <<'PY'
import datetime, json, sys, uuid
now = datetime.datetime.now(datetime.timezone.utc)
millis = str(int(now.timestamp() * 1000))
args = sys.argv[1:]
records = []
for msg_id, detail_type, detail in zip(args[0::3], args[1::3], args[2::3]):
    body = {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": "orders",
            "account": "123456789012", "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1", "resources": [], "detail": json.loads(detail)}
    records.append({"messageId": msg_id, "receiptHandle": "local-" + msg_id, "body": json.dumps(body),
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": millis,
                                   "SenderId": "local", "ApproximateFirstReceiveTimestamp": millis},
                    "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:maskline-local",
                    "awsRegion": "us-east-1"})
print(json.dumps({"Records": records}, indent=2))
PY
}

assigned_detail() { # ORDER REGION CUSTOMER_ID CUSTOMER_PHONE AGENT_ID AGENT_PHONE
  printf '{"order_id":"%s","region":"%s","customer":{"id":"%s","phone":"%s"},"driver":{"id":"%s","phone":"%s"}}' "$@"
}

# request WHAT CURL-ARGS...: curl, up to 3 tries of 90 s. cargo lambda watch reloads a function when
# a file in the checkout changes, and an invocation in flight at that moment never gets an answer;
# trying again is safe because every step is idempotent (the point of step c).
request() {
  local what=$1 attempt rc out=""
  shift
  for attempt in 1 2 3; do
    rc=0
    out=$(curl -sS --max-time 90 "$@" 2>&1) || rc=$?
    if ((rc == 0)); then
      printf '%s' "$out"
      return 0
    fi
    _running "$WATCH_PID" || fail "$what: cargo lambda watch has exited (see $LOGDIR/lambda.log)"
    printf '[walkthrough]   (%s: no answer, try %d of 3: %s; a function reloading after a file change? trying again)\n' \
      "$what" "$attempt" "${out##*curl: }" >&2
    sleep 1
  done
  fail "$what: no answer from $LAMBDA after 3 tries"
}

# invoke FUNCTION FILE: the function's response (compact JSON) through the Lambda Invoke API.
invoke() {
  local out
  out=$(request "invoking $1" -X POST --data-binary "@$2" "$LAMBDA/2015-03-31/functions/$1/invocations") || exit 1
  printf '%s' "$out" | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), separators=(",", ":")))' 2>/dev/null \
    || fail "invoking $1 with $2: the answer is not JSON: $out"
}

# get_numbers ORDER: GET /v1/orders/ORDER/numbers; sets HTTP_STATUS and HTTP_BODY.
get_numbers() {
  local out
  out=$(request "GET /v1/orders/$1/numbers" -w '\n%{http_code}' "$LAMBDA/lambda-url/order-numbers/v1/orders/$1/numbers") || exit 1
  HTTP_STATUS=${out##*$'\n'}
  HTTP_BODY=${out%$'\n'*}
}

# field JSON NAME: a top-level field of a JSON object ("" when absent or null).
field() {
  python3 -c 'import json, sys; v = json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2" 2>/dev/null \
    || fail "expected a JSON object, got: $1"
}

NO_FAILURES='{"batchItemFailures":[]}'

# wait_for_state ORDER STATE STEP: poll order-numbers until ORDER is in STATE (events travel through
# the bus, a queue and the poller first); fails after 60 s.
wait_for_state() {
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    get_numbers "$1"
    if [[ "$HTTP_STATUS" == 200 && "$(field "$HTTP_BODY" state)" == "$2" ]]; then return 0; fi
    sleep 0.5
  done
  fail "$3 $1 did not become $2 within 60 s (last: HTTP $HTTP_STATUS $HTTP_BODY; poller log: $LOGDIR/poller.log)"
}

# a. Two orders share one agent.
sqs_batch msg-ord-1 DriverAssigned "$(assigned_detail ORD-1 blr C-1 "$CUSTOMER_1" D-7 "$AGENT_D7")" >"$RUN_DIR/ord-1-driver-assigned.json"
sqs_batch msg-ord-2 DriverAssigned "$(assigned_detail ORD-2 blr C-2 "$CUSTOMER_2" D-7 "$AGENT_D7")" >"$RUN_DIR/ord-2-driver-assigned.json"
# The order platform publishes on the bus; the rule routes to the allocate queue; the poller feeds
# the queue to allocate-numbers (as Lambda's SQS event source mapping would).
python3 infra/local/moto_setup.py put DriverAssigned "$(assigned_detail ORD-1 blr C-1 "$CUSTOMER_1" D-7 "$AGENT_D7")" \
  || fail "a. could not put DriverAssigned ORD-1 on the local bus"
python3 infra/local/moto_setup.py put DriverAssigned "$(assigned_detail ORD-2 blr C-2 "$CUSTOMER_2" D-7 "$AGENT_D7")" \
  || fail "a. could not put DriverAssigned ORD-2 on the local bus"
wait_for_state ORD-1 active "a."
wait_for_state ORD-2 active "a."
step "a. DriverAssigned for ORD-1 (customer C-1) and ORD-2 (customer C-2), both agent D-7, put on bus $EVENT_BUS_NAME -> rule -> queue $EVENT_BUS_NAME-allocate -> allocate-numbers  ok"

# b. The numbers each app shows.
declare -A CUSTOMER_DIALS DRIVER_DIALS
for order in ORD-1 ORD-2; do
  get_numbers "$order"
  [[ "$HTTP_STATUS" == 200 ]] || fail "b. GET /v1/orders/$order/numbers: expected HTTP 200, got $HTTP_STATUS $HTTP_BODY"
  state=$(field "$HTTP_BODY" state)
  CUSTOMER_DIALS[$order]=$(field "$HTTP_BODY" customer_dials)
  DRIVER_DIALS[$order]=$(field "$HTTP_BODY" driver_dials)
  [[ "$state" == active ]] || fail "b. $order: expected state active, got $HTTP_BODY"
  [[ -n "${CUSTOMER_DIALS[$order]}" && -n "${DRIVER_DIALS[$order]}" ]] || fail "b. $order: numbers missing in $HTTP_BODY"
  step "b. customer of $order dials ${CUSTOMER_DIALS[$order]} to reach the agent; agent dials ${DRIVER_DIALS[$order]} to reach them (state $state)  ok"
done
[[ "${DRIVER_DIALS[ORD-1]}" != "${DRIVER_DIALS[ORD-2]}" ]] \
  || fail "b. agent D-7 dials ${DRIVER_DIALS[ORD-1]} for both ORD-1 and ORD-2: one virtual number must never carry two live sessions for the same caller"
step "b. agent D-7 reaches the two customers through different numbers (${DRIVER_DIALS[ORD-1]}, ${DRIVER_DIALS[ORD-2]}): one VN never carries two live sessions for one caller  ok"

# c. Redelivery is harmless.
r=$(invoke allocate-numbers "$RUN_DIR/ord-1-driver-assigned.json")
[[ "$r" == "$NO_FAILURES" ]] || fail "c. redelivered DriverAssigned ORD-1: expected $NO_FAILURES, got $r"
get_numbers ORD-1
[[ "$HTTP_STATUS" == 200 && "$(field "$HTTP_BODY" state)" == active \
  && "$(field "$HTTP_BODY" customer_dials)" == "${CUSTOMER_DIALS[ORD-1]}" \
  && "$(field "$HTTP_BODY" driver_dials)" == "${DRIVER_DIALS[ORD-1]}" ]] \
  || fail "c. redelivery changed ORD-1: it was ${CUSTOMER_DIALS[ORD-1]} / ${DRIVER_DIALS[ORD-1]} active, now HTTP $HTTP_STATUS $HTTP_BODY"
step "c. ORD-1's DriverAssigned delivered again -> $r; ORD-1 still ${CUSTOMER_DIALS[ORD-1]} / ${DRIVER_DIALS[ORD-1]}, active  ok"

# calls. The customer calls the agent, the agent calls back, a stranger tries: each a webhook
# signed exactly as the provider signs it (maskctl call), answered in the provider's format.
# call PROVIDER FROM TO: sets CALL_OUTCOME, CALL_RINGS, CALL_CALLER_ID.
call() {
  local out
  out=$(maskctl call --provider "$1" --from "$2" --to "$3" --reveal --json) \
    || fail "maskctl call --provider $1 --to $3 failed: $out"
  CALL_OUTCOME=$(field "$out" outcome)
  CALL_RINGS=$(field "$out" rings)
  CALL_CALLER_ID=$(field "$out" caller_id)
}
C1_DIALS=${CUSTOMER_DIALS[ORD-1]}
D7_DIALS=${DRIVER_DIALS[ORD-1]}
call twilio "$CUSTOMER_1" "$C1_DIALS"
[[ "$CALL_OUTCOME" == connect && "$CALL_RINGS" == "$AGENT_D7" && "$CALL_CALLER_ID" == "$D7_DIALS" ]] \
  || fail "calls. C-1 dialling $C1_DIALS should ring D-7 showing $D7_DIALS; got $CALL_OUTCOME $CALL_RINGS $CALL_CALLER_ID"
step "calls. C-1 dials $C1_DIALS (a signed Twilio webhook) -> D-7's phone rings, showing $D7_DIALS, the number D-7 dials to call back  ok"
call twilio "$AGENT_D7" "$D7_DIALS"
[[ "$CALL_OUTCOME" == connect && "$CALL_RINGS" == "$CUSTOMER_1" && "$CALL_CALLER_ID" == "$C1_DIALS" ]] \
  || fail "calls. D-7 dialling $D7_DIALS should ring C-1 showing $C1_DIALS; got $CALL_OUTCOME $CALL_RINGS $CALL_CALLER_ID"
step "calls. D-7 calls back on $D7_DIALS -> C-1's phone rings, showing $C1_DIALS; neither saw the other's real number  ok"
for provider in exotel plivo vonage; do
  call "$provider" "$CUSTOMER_1" "$C1_DIALS"
  [[ "$CALL_OUTCOME" == connect && "$CALL_RINGS" == "$AGENT_D7" && "$CALL_CALLER_ID" == "$D7_DIALS" ]] \
    || fail "calls. through $provider C-1 should reach D-7 showing $D7_DIALS; got $CALL_OUTCOME $CALL_RINGS $CALL_CALLER_ID"
done
step "calls. the same call through Exotel (token, national numbers), Plivo (signature V3) and Vonage (signed JWT): same answer in each format  ok"
call twilio "$STRANGER" "$C1_DIALS"
[[ "$CALL_OUTCOME" == out_of_session ]] || fail "calls. a stranger dialling $C1_DIALS was connected: $CALL_RINGS"
step "calls. a stranger dials $C1_DIALS -> out of session: a polite message, nobody rings, nothing revealed  ok"

# d. Delivery.
python3 infra/local/moto_setup.py put OrderDelivered '{"order_id":"ORD-1"}' \
  || fail "d. could not put OrderDelivered ORD-1 on the local bus"
wait_for_state ORD-1 released "d."
r="(bus -> rule -> queue $EVENT_BUS_NAME-release)"
get_numbers ORD-1
expires_at=$(field "$HTTP_BODY" expires_at)
[[ "$HTTP_STATUS" == 200 && "$(field "$HTTP_BODY" state)" == released ]] \
  || fail "d. after OrderDelivered expected ORD-1 released, got HTTP $HTTP_STATUS $HTTP_BODY"
[[ "$(field "$HTTP_BODY" customer_dials)" == "${CUSTOMER_DIALS[ORD-1]}" && "$(field "$HTTP_BODY" driver_dials)" == "${DRIVER_DIALS[ORD-1]}" ]] \
  || fail "d. OrderDelivered changed ORD-1's numbers: they were ${CUSTOMER_DIALS[ORD-1]} / ${DRIVER_DIALS[ORD-1]}, now $HTTP_BODY"
[[ -n "$expires_at" ]] || fail "d. released ORD-1 has no expires_at: $HTTP_BODY"
step "d. OrderDelivered ORD-1 $r -> release-numbers; ORD-1 released, same numbers, callable until $expires_at (grace ${RELEASE_GRACE_SECONDS}s)  ok"

call twilio "$CUSTOMER_1" "$C1_DIALS"
[[ "$CALL_OUTCOME" == connect && "$CALL_RINGS" == "$AGENT_D7" ]] \
  || fail "d. within the grace window C-1 should still reach D-7; got $CALL_OUTCOME"
step "d. within the grace window C-1 still reaches D-7 through $C1_DIALS (the forgotten item)  ok"

# e. Unknown order.
get_numbers ORD-404
[[ "$HTTP_STATUS" == 404 && -n "$(field "$HTTP_BODY" error)" ]] \
  || fail "e. GET /v1/orders/ORD-404/numbers: expected HTTP 404 with a JSON error, got HTTP $HTTP_STATUS $HTTP_BODY"
step "e. GET /v1/orders/ORD-404/numbers -> HTTP 404 $HTTP_BODY  ok"

# f. A malformed event fails alone; the rest of its batch goes through.
sqs_batch \
  msg-ord-3 DriverAssigned "$(assigned_detail ORD-3 del C-3 "$CUSTOMER_3" D-9 "$AGENT_D9")" \
  msg-bad-phone DriverAssigned "$(assigned_detail ORD-5 blr C-5 "+91 98765" D-7 "$AGENT_D7")" \
  >"$RUN_DIR/batch-with-bad-phone.json"
r=$(invoke allocate-numbers "$RUN_DIR/batch-with-bad-phone.json")
[[ "$r" == '{"batchItemFailures":[{"itemIdentifier":"msg-bad-phone"}]}' ]] \
  || fail "f. batch of ORD-3 (fine) + ORD-5 (customer phone \"+91 98765\"): expected only msg-bad-phone to fail, got $r"
get_numbers ORD-3
[[ "$HTTP_STATUS" == 200 && "$(field "$HTTP_BODY" state)" == active ]] \
  || fail "f. ORD-3 (the good message of the batch) should be active, got HTTP $HTTP_STATUS $HTTP_BODY"
step "f. one batch: ORD-3 (del, fine) + ORD-5 (customer phone \"+91 98765\") -> $r; ORD-3 active  ok"

# i. Number health: the provider says one of ORD-2's numbers is in trouble.
sick=${CUSTOMER_DIALS[ORD-2]}
out=$(maskctl number mark-unhealthy "$sick" 2>"$RUN_DIR/mark-unhealthy.log") \
  || fail "i. maskctl number mark-unhealthy $sick failed: $out $(cat "$RUN_DIR/mark-unhealthy.log")"
get_numbers ORD-2
new_customer=$(field "$HTTP_BODY" customer_dials)
new_driver=$(field "$HTTP_BODY" driver_dials)
[[ "$HTTP_STATUS" == 200 && -n "$new_customer" && "$new_customer" != "$sick" ]] \
  || fail "i. after marking $sick unhealthy ORD-2 should have moved off it; got HTTP $HTTP_STATUS $HTTP_BODY"
call twilio "$CUSTOMER_2" "$new_customer"
[[ "$CALL_OUTCOME" == connect && "$CALL_RINGS" == "$AGENT_D7" && "$CALL_CALLER_ID" == "$new_driver" ]] \
  || fail "i. C-2 dialling the new $new_customer should ring D-7 showing $new_driver; got $CALL_OUTCOME $CALL_RINGS $CALL_CALLER_ID"
call twilio "$CUSTOMER_2" "$sick"
[[ "$CALL_OUTCOME" == out_of_session ]] || fail "i. the unhealthy $sick still connects C-2"
CUSTOMER_DIALS[ORD-2]=$new_customer
DRIVER_DIALS[ORD-2]=$new_driver
step "i. maskctl number mark-unhealthy $sick: \"$out\"; ORD-2 now $new_customer / $new_driver, C-2 reaches D-7 on it, $sick is out of session, MaskedNumbersChanged published  ok"

# j. Refill: a target for blr/airtel, then an OrderPlaced on the bus -> refill queue -> refill-pool.
out=$(maskctl pool target blr --operator airtel --min 8 2>&1 >/dev/null) || fail "j. maskctl pool target failed: $out"
python3 infra/local/moto_setup.py put OrderPlaced '{"order_id":"ORD-9","region":"blr"}' \
  || fail "j. could not put OrderPlaced on the local bus"
healthy_airtel() {
  maskctl pool list --region blr --json 2>/dev/null | python3 -c 'import json, sys
print(sum(1 for n in json.load(sys.stdin) if n["operator"] == "airtel" and n["state"] == "active" and n["health"] == "healthy"))'
}
deadline=$((SECONDS + 60))
until [[ "$(healthy_airtel)" == 8 ]]; do
  ((SECONDS < deadline)) || fail "j. blr/airtel did not reach 8 healthy active numbers within 60 s (now $(healthy_airtel); poller log: $LOGDIR/poller.log)"
  sleep 1
done
step "j. target blr/airtel min 8; OrderPlaced (bus -> rule -> queue $EVENT_BUS_NAME-refill -> refill-pool) activated standby numbers: blr/airtel has 8 healthy active numbers  ok"

# g. What Maskline published.
python3 infra/local/moto_setup.py drain >"$RUN_DIR/published.jsonl" || fail "g. could not read the queue on moto"
summary=$(python3 - "$RUN_DIR/published.jsonl" "${REAL_PHONES[@]}" <<'PY'
import json, sys
path, phones = sys.argv[1], sys.argv[2:]
kinds, leaks, seen = set(), set(), set()
for line in open(path):
    if not line.strip():
        continue
    event = json.loads(line)
    kind, detail = event.get("detail-type"), event.get("detail", {})
    kinds.add(kind)
    rest = " ".join(f"{k}={v}" for k, v in detail.items() if k != "order_id")
    key = (kind, json.dumps(detail, sort_keys=True))
    again = "  (again: a redelivery is announced again)" if key in seen else ""
    seen.add(key)
    print(f"{kind:<22} {detail.get('order_id', '-'):<6} {rest}{again}")
    leaks.update(p for p in phones if p in line or p[3:] in line)   # with or without +91
missing = {"MaskedNumbersAssigned", "MaskedNumbersReleased", "MaskedNumbersChanged"} - kinds
if missing:
    print("MISSING " + ", ".join(sorted(missing)))
if leaks:
    print("LEAK " + ", ".join(sorted(leaks)))
PY
) || fail "g. could not read $RUN_DIR/published.jsonl"
count=$(grep -c . "$RUN_DIR/published.jsonl" || true)
step "g. Maskline published $count event(s) on bus $EVENT_BUS_NAME (read back from SQS queue $EVENT_BUS_NAME-published):"
while IFS= read -r line; do
  case "$line" in MISSING* | LEAK* | "") ;; *) detail "$line" ;; esac
done <<<"$summary"
if grep -q '^MISSING ' <<<"$summary"; then
  fail "g. expected MaskedNumbersAssigned, MaskedNumbersReleased and MaskedNumbersChanged; missing: $(sed -n 's/^MISSING //p' <<<"$summary")"
fi
if grep -q '^LEAK ' <<<"$summary"; then
  fail "g. a real phone number appears in a published event: $(sed -n 's/^LEAK //p' <<<"$summary") (see $RUN_DIR/published.jsonl)"
fi
for phone in "${REAL_PHONES[@]}"; do
  if grep -qF -e "$phone" -e "${phone:3}" "$LOGDIR/lambda.log"; then
    fail "g. the real phone number $phone appears in the function logs ($LOGDIR/lambda.log)"
  fi
done
step "g. MaskedNumbersAssigned, MaskedNumbersReleased and MaskedNumbersChanged are there; none of the ${#REAL_PHONES[@]} real phone numbers appears in any event, nor in the function logs  ok"

# after grace. The delivered order's numbers stop working once the grace window has passed.
python3 - "$expires_at" <<'PY'
import datetime, sys, time
deadline = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
time.sleep(max(0.0, (deadline - datetime.datetime.now(datetime.timezone.utc)).total_seconds() + 1.5))
PY
call twilio "$CUSTOMER_1" "$C1_DIALS"
[[ "$CALL_OUTCOME" == out_of_session ]] || fail "after grace C-1 still reached $CALL_RINGS through $C1_DIALS"
call twilio "$CUSTOMER_2" "${CUSTOMER_DIALS[ORD-2]}"
[[ "$CALL_OUTCOME" == connect && "$CALL_RINGS" == "$AGENT_D7" ]] || fail "after grace ORD-2 (still active) no longer connects"
step "after grace ($expires_at passed): C-1's call to $C1_DIALS is refused; ORD-2 keeps working  ok"

# h. The operator's view.
out=$(maskctl session show ORD-1 2>&1) || fail "h. maskctl session show ORD-1 failed: $out"
step "h. maskctl session show ORD-1:"
while IFS= read -r line; do detail "$line"; done <<<"$out"
out=$(maskctl pool list --region blr 2>&1) || fail "h. maskctl pool list --region blr failed: $out"
step "h. maskctl pool list --region blr:"
while IFS= read -r line; do detail "$line"; done <<<"$out"
step "every step passed (events sent and received: $RUN_DIR/)"

# --- how to use it ----------------------------------------------------------------------------
cat <<EOF

Maskline is running locally (LOCAL ONLY, made-up numbers; up in $(elapsed)):
  Lambda Invoke API          $LAMBDA/2015-03-31/functions/<function>/invocations
  order-numbers over HTTP    $LAMBDA/lambda-url/order-numbers/v1/orders/<order_id>/numbers
  provider webhooks          $LAMBDA/lambda-url/resolve-call/webhooks/{twilio,exotel,plivo,vonage}/voice
  status callbacks, call log $LAMBDA/lambda-url/call-events/webhooks/<provider>/status, .../v1/orders/<order_id>/calls
  DynamoDB Local             $AWS_ENDPOINT_URL_DYNAMODB  (table $TABLE_NAME, in memory)
  moto: EventBridge + SQS    $AWS_ENDPOINT_URL_EVENTBRIDGE  (bus $EVENT_BUS_NAME -> queue $EVENT_BUS_NAME-published)
  logs                       $LOGDIR/lambda.log (functions), $LOGDIR/dynamodb.log, $LOGDIR/moto.log

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
                                      #       cargo run -q --bin maskctl -- call --provider twilio --from $CUSTOMER_2 --to ${CUSTOMER_DIALS[ORD-2]}
                                      #       .local/venv/bin/python infra/local/moto_setup.py drain
EOF

if [[ "${DEV_EXIT_AFTER_WALKTHROUGH:-}" == 1 ]]; then
  say "DEV_EXIT_AFTER_WALKTHROUGH=1: stopping after a walkthrough that passed ($(elapsed))"
  exit 0
fi

say "serving until Ctrl-C (cargo lambda watch rebuilds and reloads a function when its code changes)"
rc=0
wait "$WATCH_PID" || rc=$?
die "cargo lambda watch exited (code $rc): see $LOGDIR/lambda.log"
