#!/usr/bin/env bash
# Checks beyond cargo, run by `make test` after the Rust tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
echo "cfn-lint template.yaml"
.local/venv/bin/cfn-lint template.yaml
# cfn-lint checks SAM resources against SAM's schema but never runs the transform; lint what the
# transform hands CloudFormation too (the transform itself fails loudly on a template it rejects).
mkdir -p target/sam
echo "SAM transform -> target/sam/template.json; cfn-lint on it"
.local/venv/bin/python infra/local/sam_transform.py template.yaml target/sam/template.json
.local/venv/bin/cfn-lint target/sam/template.json
