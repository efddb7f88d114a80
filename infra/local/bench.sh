#!/usr/bin/env bash
# make bench: every figure in one run (tests/benches/figures): builds the functions as deployed
# (the release profile of Cargo.toml, arm64) for their sizes and natively for their start-up time,
# starts DynamoDB Local + moto afresh for each section, prints the table and writes
# <target>/bench/figures.json.
# `cargo bench` inherits the release profile, so every figure is of the code as it ships.
# Release artifacts go where CARGO_TARGET_DIR says (a directory apart from the debug builds keeps
# `make test` from waiting on them), else target/.
# `make bench ARGS=…` passes arguments to `cargo bench` (e.g. ARGS="--bench pool_lifecycle").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash infra/local/install.sh
export PATH="$PWD/.local/venv/bin:$PATH"   # cargo lambda (and zig, for the arm64 build)

packages=()
for dir in functions/*/; do packages+=(-p "$(basename "$dir")"); done

if rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu \
  || rustup target add aarch64-unknown-linux-gnu; then
  echo "==> release arm64 build of the functions (sizes as deployed)"
  cargo lambda build --release --arm64 --lambda-dir "${CARGO_TARGET_DIR:-target}/lambda-arm64" "${packages[@]}" \
    || echo "arm64 build failed: binary sizes will be missing from the figures"
else
  echo "no aarch64 Rust target: binary sizes will be missing from the figures"
fi
echo "==> native release build of the functions (start-to-ready on this machine)"
cargo build --release "${packages[@]}"

# shellcheck source=infra/local/services.sh
source infra/local/services.sh
trap stop_started_services EXIT
if [[ $# -gt 0 ]]; then
  start_local_services .local/logs
  cargo bench -p maskline-tests "$@"
  exit
fi
# Each section against a DynamoDB Local and moto of its own: DynamoDB Local slows for the rest of
# its life once a section has written tens of thousands of items (tests/benches/figures/main.rs).
# FIGURES=a,b measures only those sections (figures.json is then left as it was).
cargo bench -p maskline-tests --bench figures --no-run
parts=$(mktemp -d)
sections="call_path per_order hot_agent functions throughput allocation_by_pool_size"
for section in $sections; do
  [[ -z "${FIGURES:-}" || ",${FIGURES// /}," == *",$section,"* ]] || continue
  echo "==> $section"
  unset DYNAMODB_PORT MOTO_PORT
  start_local_services .local/logs
  FIGURES=$section FIGURES_PART="$parts/$section.json" cargo bench -q -p maskline-tests --bench figures
  stop_started_services
done
FIGURES_PARTS="$parts" cargo bench -q -p maskline-tests --bench figures
rm -rf "$parts"
