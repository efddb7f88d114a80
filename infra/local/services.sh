# shellcheck shell=bash
# Library for the local test stack; `source` it (needs infra/local/install.sh to have run).
#
#   free_port                          print a free TCP port on 127.0.0.1
#   port_free PORT                     true when nothing listens on 127.0.0.1:PORT
#   start_dynamodb_local PORT LOGFILE  DynamoDB Local (in memory) in the background, waits until it answers
#   start_moto PORT LOGFILE            moto_server in the background, waits until it answers
#   start_local_services LOGDIR        both, on $DYNAMODB_PORT / $MOTO_PORT or free ports, then export_local_aws_env
#   stop_started_services              kill everything started above (and children); safe to call twice
#   export_local_aws_env DYNAMO_PORT MOTO_PORT
#
# Tunables: SERVICE_START_TIMEOUT (seconds, default 30), DYNAMODB_JAVA_OPTS (extra JVM flags).

MASKLINE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MASKLINE_STARTED_PIDS=()

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

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

# _http_probe METHOD URL [curl-args...]: true when the server answers with a 2xx.
_http_probe() {
  local method=$1 url=$2
  shift 2
  curl -fsS -o /dev/null --max-time 2 -X "$method" "$@" "$url" 2>/dev/null
}

# _spawn LOGFILE CMD...: start CMD in the background, output to LOGFILE; pid in _SPAWNED_PID.
_spawn() {
  local log=$1
  shift
  mkdir -p "$(dirname "$log")"
  "$@" >"$log" 2>&1 </dev/null &
  _SPAWNED_PID=$!
  MASKLINE_STARTED_PIDS+=("$_SPAWNED_PID")
}

# _wait_ready NAME PID LOGFILE PROBE-CMD...: poll PROBE-CMD until it succeeds, the process dies, or the timeout.
_wait_ready() {
  local name=$1 pid=$2 log=$3
  shift 3
  local timeout=${SERVICE_START_TIMEOUT:-30} start=$SECONDS
  while ((SECONDS - start < timeout)); do
    if ! _running "$pid"; then
      echo "ERROR: $name (pid $pid) exited during startup; last lines of $log:" >&2
      tail -n 30 "$log" >&2 || true
      return 1
    fi
    if "$@"; then
      echo "$name ready after $((SECONDS - start))s (pid $pid)"
      return 0
    fi
    sleep 0.25
  done
  echo "ERROR: $name (pid $pid) did not answer within ${timeout}s; last lines of $log:" >&2
  tail -n 30 "$log" >&2 || true
  return 1
}

_dynamodb_probe() {
  # DynamoDB Local accepts any credentials but rejects requests without an Authorization header.
  _http_probe POST "http://127.0.0.1:$1/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0' \
    --data '{}'
}

_moto_probe() {
  _http_probe GET "http://127.0.0.1:$1/moto-api/"
}

start_dynamodb_local() {
  local port=${1:?usage: start_dynamodb_local PORT LOGFILE} log=${2:?usage: start_dynamodb_local PORT LOGFILE}
  local dir="$MASKLINE_ROOT/.local/dynamodb"
  [[ -f "$dir/DynamoDBLocal.jar" ]] || { echo "ERROR: $dir/DynamoDBLocal.jar missing; run infra/local/install.sh" >&2; return 1; }
  echo "starting DynamoDB Local on 127.0.0.1:$port (log: $log)"
  # shellcheck disable=SC2086  # DYNAMODB_JAVA_OPTS is a list of flags
  _spawn "$log" java ${DYNAMODB_JAVA_OPTS:-} -Djava.library.path="$dir/DynamoDBLocal_lib" \
    -jar "$dir/DynamoDBLocal.jar" -inMemory -port "$port" -disableTelemetry
  _wait_ready "DynamoDB Local" "$_SPAWNED_PID" "$log" _dynamodb_probe "$port"
}

start_moto() {
  local port=${1:?usage: start_moto PORT LOGFILE} log=${2:?usage: start_moto PORT LOGFILE}
  local bin="$MASKLINE_ROOT/.local/venv/bin/moto_server"
  [[ -x "$bin" ]] || { echo "ERROR: $bin missing; run infra/local/install.sh" >&2; return 1; }
  echo "starting moto on 127.0.0.1:$port (log: $log)"
  _spawn "$log" "$bin" -H 127.0.0.1 -p "$port"
  _wait_ready "moto" "$_SPAWNED_PID" "$log" _moto_probe "$port"
}

# _descendants PID...: print every descendant pid of the given pids (one scan of /proc, no procps needed).
_descendants() {
  local -A parent_of=()
  local stat line rest pid ppid
  for stat in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null <"$stat" || continue
    rest=${line##*) }          # fields after "(comm)": state ppid ...
    read -r _ ppid _ <<<"$rest"
    pid=${stat#/proc/}
    parent_of[${pid%/stat}]=$ppid
  done
  local -a queue=("$@")
  local -A seen=()
  while ((${#queue[@]})); do
    local cur=${queue[0]}
    queue=("${queue[@]:1}")
    for pid in "${!parent_of[@]}"; do
      if [[ "${parent_of[$pid]}" == "$cur" && -z "${seen[$pid]:-}" ]]; then
        seen[$pid]=1
        queue+=("$pid")
        echo "$pid"
      fi
    done
  done
}

# _running PID: process exists and is not a zombie (our own dead children stay zombies until waited for).
_running() {
  local line rest
  kill -0 "$1" 2>/dev/null || return 1
  read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  rest=${line##*) }
  [[ "${rest:0:1}" != Z ]]
}

stop_started_services() {
  local pid alive i
  local -a live=() all=()
  ((${#MASKLINE_STARTED_PIDS[@]})) || return 0
  for pid in "${MASKLINE_STARTED_PIDS[@]}"; do
    if _running "$pid"; then live+=("$pid"); fi
  done
  if ((${#live[@]})); then
    mapfile -t all < <(_descendants "${live[@]}")
    all=("${live[@]}" "${all[@]}")
    echo "stopping local services (pids ${all[*]})"
    kill -TERM "${all[@]}" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do   # up to ~10 s, then SIGKILL
      alive=0
      for pid in "${all[@]}"; do
        if _running "$pid"; then alive=1; fi
      done
      ((alive)) || break
      sleep 0.25
    done
    kill -KILL "${all[@]}" 2>/dev/null || true
  fi
  for pid in "${MASKLINE_STARTED_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  MASKLINE_STARTED_PIDS=()
  return 0
}

export_local_aws_env() {
  local dport=${1:?usage: export_local_aws_env DYNAMO_PORT MOTO_PORT} mport=${2:?usage: export_local_aws_env DYNAMO_PORT MOTO_PORT}
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$dport"
  # DynamoDB Local serves the table's stream on the same port (read by announce's poller).
  export AWS_ENDPOINT_URL_DYNAMODB_STREAMS="http://127.0.0.1:$dport"
  export AWS_ENDPOINT_URL_EVENTBRIDGE="http://127.0.0.1:$mport"
  export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$mport"
  export AWS_ENDPOINT_URL_SECRETS_MANAGER="http://127.0.0.1:$mport"
  export AWS_ACCESS_KEY_ID=local
  export AWS_SECRET_ACCESS_KEY=local
  export AWS_REGION=us-east-1
  export AWS_DEFAULT_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
}

# start_local_services LOGDIR: start both services on $DYNAMODB_PORT / $MOTO_PORT (free ports when unset),
# export DYNAMODB_PORT, MOTO_PORT and the AWS_* variables.
start_local_services() {
  local logdir=${1:-$MASKLINE_ROOT/.local/logs}
  DYNAMODB_PORT=${DYNAMODB_PORT:-$(free_port)}
  if [[ -z "${MOTO_PORT:-}" ]]; then
    MOTO_PORT=$(free_port)
    while [[ "$MOTO_PORT" == "$DYNAMODB_PORT" ]]; do MOTO_PORT=$(free_port); done
  fi
  export DYNAMODB_PORT MOTO_PORT
  mkdir -p "$logdir"
  start_dynamodb_local "$DYNAMODB_PORT" "$logdir/dynamodb.log" || return 1
  start_moto "$MOTO_PORT" "$logdir/moto.log" || return 1
  export_local_aws_env "$DYNAMODB_PORT" "$MOTO_PORT"
}
