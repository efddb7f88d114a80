#!/usr/bin/env bash
# Checks beyond cargo, run by `make test` after the Rust tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mkdir -p target/sam
# Both choices of the /v1 authorizer: the template as written (IAM) and with ApiAuthorizer=JWT.
.local/venv/bin/python infra/local/jwt_variant.py template.yaml target/sam/template-jwt.yaml
for variant in template.yaml target/sam/template-jwt.yaml; do
  echo "cfn-lint $variant"
  .local/venv/bin/cfn-lint "$variant"
  # cfn-lint checks SAM resources against SAM's schema but never runs the transform; lint what the
  # transform hands CloudFormation too (the transform itself fails loudly on a template it rejects).
  transformed="target/sam/$(basename "${variant%.yaml}").json"
  echo "SAM transform -> $transformed; cfn-lint on it"
  .local/venv/bin/python infra/local/sam_transform.py "$variant" "$transformed"
  .local/venv/bin/cfn-lint "$transformed"
done
