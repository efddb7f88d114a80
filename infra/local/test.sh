#!/usr/bin/env bash
# make test: install the local stack if needed, start DynamoDB Local + moto on free ports,
# run fmt / clippy / tests against them, and stop what was started; then the end-to-end
# walkthrough (`make dev`'s, through bus -> rule -> queue -> function) on a stack of its own.
# Extra arguments are passed to `cargo test`. Fixed ports: DYNAMODB_PORT=... MOTO_PORT=... make test
# WALKTHROUGH=0 make test leaves the walkthrough out (and says so).
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

if [[ "${WALKTHROUGH:-1}" == 0 ]]; then
  header "walkthrough SKIPPED (WALKTHROUGH=0)"
else
  header "walkthrough: DEV_EXIT_AFTER_WALKTHROUGH=1 infra/local/dev.sh"
  # The tests are done with their services: stop them before dev.sh starts its own (on free ports:
  # the DYNAMODB_PORT / MOTO_PORT exported for the tests must not be reused while they shut down).
  stop_started_services
  lambda_port=${LAMBDA_PORT:-9000}
  port_free "$lambda_port" || lambda_port=$(free_port)   # a make dev may be serving on 9000
  env -u DYNAMODB_PORT -u MOTO_PORT LAMBDA_PORT="$lambda_port" DEV_EXIT_AFTER_WALKTHROUGH=1 \
    bash infra/local/dev.sh
fi

header "all checks passed"
