#!/usr/bin/env bash
# Creates every Secrets Manager secret template.yaml reads, for a first deploy.
#
#   infra/deploy/create-secrets.sh           create the secrets (aws CLI, current profile/region)
#   infra/deploy/create-secrets.sh --print   print "NAME<TAB>JSON" per secret instead (nothing sent)
#
# Provider credentials come from the environment; a provider you do not use stays "-", which the
# functions read as "not configured" (its webhooks refuse every request):
#   TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN PLIVO_AUTH_TOKEN VONAGE_SIGNATURE_SECRET
#   EXOTEL_ACCOUNT_SID EXOTEL_API_KEY EXOTEL_API_TOKEN
# Generated here (never typed): NUMBER_HASH_KEY and NUMBER_ENCRYPTION_KEY (32 random bytes each,
# base64, in two secrets, so only the functions that seal or open a number can read the second), and EXOTEL_WEBHOOK_TOKEN / VONAGE_WEBHOOK_TOKEN (the ?token= of each provider's URLs,
# one per provider so a token seen in one console opens nothing of the other's) unless given.
# SECRET_PREFIX (default "maskline") must match the stack's *SecretName parameters.
# A stack upgraded from the single `<prefix>/number-keys` secret keeps its keys: when that secret
# exists, its NUMBER_HASH_KEY and NUMBER_ENCRYPTION_KEY are copied into the two new secrets
# instead of new random ones (new keys would orphan every live binding).
set -euo pipefail

mode=create
case "${1:-}" in
  --print) mode=print ;;
  "") ;;
  *) echo "usage: $0 [--print]" >&2; exit 2 ;;
esac
prefix="${SECRET_PREFIX:-maskline}"

# One JSON object per secret. Python builds it so values are escaped exactly; `secrets` makes keys.
secrets_json() {
  python3 - "$prefix" <<'PY'
import base64, json, os, secrets, sys

prefix = sys.argv[1]
def given(name):
    value = os.environ.get(name, "").strip()
    return value if value else "-"
def random_key():
    return base64.b64encode(secrets.token_bytes(32)).decode()

# The legacy `<prefix>/number-keys` secret's values, when the stack had one.
legacy = json.loads(os.environ.get("LEGACY_NUMBER_KEYS_JSON") or "{}")

def token(name):
    return os.environ.get(name, "").strip() or secrets.token_urlsafe(32)
hash_key = legacy.get("NUMBER_HASH_KEY") or random_key()
encryption_key = legacy.get("NUMBER_ENCRYPTION_KEY") or random_key()
assert hash_key != encryption_key
out = {
    f"{prefix}/webhooks": {
        "TWILIO_AUTH_TOKEN": given("TWILIO_AUTH_TOKEN"),
        "PLIVO_AUTH_TOKEN": given("PLIVO_AUTH_TOKEN"),
        "VONAGE_SIGNATURE_SECRET": given("VONAGE_SIGNATURE_SECRET"),
        "EXOTEL_WEBHOOK_TOKEN": token("EXOTEL_WEBHOOK_TOKEN"),
        "VONAGE_WEBHOOK_TOKEN": token("VONAGE_WEBHOOK_TOKEN"),
    },
    f"{prefix}/provider-apis": {
        "TWILIO_ACCOUNT_SID": given("TWILIO_ACCOUNT_SID"),
        "EXOTEL_ACCOUNT_SID": given("EXOTEL_ACCOUNT_SID"),
        "EXOTEL_API_KEY": given("EXOTEL_API_KEY"),
        "EXOTEL_API_TOKEN": given("EXOTEL_API_TOKEN"),
    },
    f"{prefix}/number-hash-key": {"NUMBER_HASH_KEY": hash_key},
    f"{prefix}/number-encryption-key": {"NUMBER_ENCRYPTION_KEY": encryption_key},
}
for name, value in out.items():
    print(f"{name}\t{json.dumps(value)}")
PY
}

if [[ "$mode" == print ]]; then
  secrets_json
  exit 0
fi

command -v aws >/dev/null 2>&1 || { echo "aws CLI not found: install it and configure a profile" >&2; exit 1; }
if aws secretsmanager describe-secret --secret-id "$prefix/number-keys" >/dev/null 2>&1; then
  LEGACY_NUMBER_KEYS_JSON="$(aws secretsmanager get-secret-value --secret-id "$prefix/number-keys" \
    --query SecretString --output text)"
  export LEGACY_NUMBER_KEYS_JSON
  echo "found $prefix/number-keys: its keys are copied, not replaced"
fi
while IFS=$'\t' read -r name value; do
  if aws secretsmanager describe-secret --secret-id "$name" >/dev/null 2>&1; then
    # Never overwrite: a new NUMBER_HASH_KEY or NUMBER_ENCRYPTION_KEY replacing the old would orphan
    # every live binding. Keys are rotated by listing the new one first (docs/rotation.md: "Rotating the
    # number keys without a dropped call").
    echo "exists, left as it is: $name"
  else
    aws secretsmanager create-secret --name "$name" --secret-string "$value" >/dev/null
    echo "created: $name"
  fi
done < <(secrets_json)
