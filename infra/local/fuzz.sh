#!/usr/bin/env bash
# make fuzz: runs every fuzz target (tests/fuzz) for FUZZ_SECONDS each (default 60) with
# libFuzzer, keeping the corpora in tests/fuzz/corpus/<target> (small: merged to what adds
# coverage). Installs a nightly toolchain (rustup) and cargo-fuzz when missing. A crash leaves its
# input in tests/fuzz/artifacts/<target>/ and stops with a non-zero exit: turn it into a plain
# regression test in `make test`, then fix it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/fuzz"
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cargo +nightly fuzz build
for target in $(cargo +nightly fuzz list); do
  mkdir -p "corpus/$target"
  echo "==> $target for ${FUZZ_SECONDS}s"
  cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$FUZZ_SECONDS" -max_len=4096 -print_final_stats=1 2>&1 \
    | grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|==|SUMMARY|Done)' || true
  if ls "artifacts/$target"/crash-* >/dev/null 2>&1; then
    echo "crash in $target: see tests/fuzz/artifacts/$target" >&2
    exit 1
  fi
  # Keep only the inputs that add coverage, so the committed corpora stay small.
  cargo +nightly fuzz cmin "$target" "corpus/$target" >/dev/null 2>&1 || true
done
echo "==> all targets ran ${FUZZ_SECONDS}s without a crash"
