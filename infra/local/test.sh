#!/usr/bin/env bash
# make test: install the local stack if needed, start DynamoDB Local + moto on free ports,
# run fmt / clippy / tests against them, and stop what was started.
# Extra arguments are passed to `cargo test`. Fixed ports: DYNAMODB_PORT=... MOTO_PORT=... make test
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

header() { printf '\n==> %s\n' "$*"; }

header "install local stack"
bash infra/local/install.sh

# shellcheck source=infra/local/services.sh
source infra/local/services.sh
trap stop_started_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

header "start local services"
start_local_services .local/logs
echo "AWS_ENDPOINT_URL_DYNAMODB=$AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_SQS=$AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_EVENTBRIDGE=$AWS_ENDPOINT_URL_EVENTBRIDGE"

header "cargo fmt --all -- --check"
cargo fmt --all -- --check

header "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

header "cargo test --workspace $*"
# The IAM conformance record of this run (tests/src/iam): what each function's role allowed, and
# any call it would refuse in AWS.
IAM_RECORD="${CARGO_TARGET_DIR:-target}/iam"
rm -rf "$IAM_RECORD"
cargo test --workspace "$@"

header "IAM conformance (every AWS call a function made, against its role in the transformed template)"
if [[ -s "$IAM_RECORD/denied.txt" ]]; then
  sort -u "$IAM_RECORD/denied.txt" >&2
  echo "the roles above would refuse these calls in AWS: fix template.yaml" >&2
  exit 1
fi
if [[ "$*" == "" && ! -s "$IAM_RECORD/allowed.txt" ]]; then
  echo "no AWS call was recorded: the conformance check saw nothing, so it proves nothing" >&2
  exit 1
fi
echo "$(sort -u "$IAM_RECORD/allowed.txt" 2>/dev/null | wc -l) distinct (function, action, resource) calls, all allowed by their roles"

if [[ -f infra/local/extra-checks.sh ]]; then
  header "infra/local/extra-checks.sh"
  bash infra/local/extra-checks.sh
fi

header "all checks passed"
