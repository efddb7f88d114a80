#!/usr/bin/env bash
# make fuzz: runs every fuzz target (tests/fuzz) for FUZZ_SECONDS each (default 60) with
# libFuzzer, keeping the corpora in tests/fuzz/corpus/<target> (small: merged to what adds
# coverage). Installs a nightly toolchain (rustup) and cargo-fuzz when missing.
# Each target runs the entry point in tests/entry_points that `make test` replays the committed
# corpora through (tests/tests/integration/fuzz_corpora.rs).
# Fails when the fuzzer exits non-zero or leaves any artifact (crash, oom, timeout, leak) in
# tests/fuzz/artifacts/<target>/: copy the input into tests/fuzz/corpus/<target>/ (so the replay
# in `make test` fails on it), fix it, then delete the artifact.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/fuzz"
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
# Per input: a webhook is parsed in microseconds, so a second is a hang; memory well above what a
# 64 KiB request could need.
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-5}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Every kind of input libFuzzer saves when it finds a fault.
artifacts_of() { compgen -G "artifacts/$1/crash-*" || true; compgen -G "artifacts/$1/oom-*" || true
                 compgen -G "artifacts/$1/timeout-*" || true; compgen -G "artifacts/$1/leak-*" || true; }

cargo +nightly fuzz build
mkdir -p ../../.local/logs
failed=()
for target in $(cargo +nightly fuzz list); do
  mkdir -p "corpus/$target"
  log="../../.local/logs/fuzz-$target.log"
  echo "==> $target for ${FUZZ_SECONDS}s (log: .local/logs/fuzz-$target.log)"
  status=0
  cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$FUZZ_SECONDS" -max_len=4096 -timeout="$FUZZ_TIMEOUT" \
    -rss_limit_mb="$FUZZ_RSS_MB" -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|==|SUMMARY|Done)' "$log" || true
  found=$(artifacts_of "$target")
  if [[ $status -ne 0 || -n "$found" ]]; then
    echo "FAILED: $target (fuzzer exit $status)${found:+; artifacts:}" >&2
    [[ -z "$found" ]] || echo "$found" | sed 's/^/  tests\/fuzz\//' >&2
    tail -n 30 "$log" >&2
    failed+=("$target")
    continue
  fi
  # Keep only the inputs that add coverage, so the committed corpora stay small.
  cargo +nightly fuzz cmin "$target" "corpus/$target" >/dev/null 2>&1 \
    || echo "warning: corpus minimisation of $target failed; corpus left as it was" >&2
done
if (( ${#failed[@]} )); then
  echo "==> fuzzing found faults in: ${failed[*]}" >&2
  exit 1
fi
echo "==> all targets ran ${FUZZ_SECONDS}s with no crash, oom, timeout or leak"
