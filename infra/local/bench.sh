#!/usr/bin/env bash
# make bench: start DynamoDB Local + moto and run the benchmarks, which print their figures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash infra/local/install.sh
# shellcheck source=infra/local/services.sh
source infra/local/services.sh
trap stop_started_services EXIT
start_local_services .local/logs
cargo bench -p maskline-tests "$@"
