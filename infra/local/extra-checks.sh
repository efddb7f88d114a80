#!/usr/bin/env bash
# Checks beyond cargo, run by `make test` after the Rust tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
echo "cfn-lint template.yaml"
.local/venv/bin/cfn-lint template.yaml
