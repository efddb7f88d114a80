# Maskline's tasks. `make` alone lists them. The local stack (DynamoDB Local, moto, cargo-lambda)
# is installed into .local/ by infra/local/install.sh, only when something is missing.
# Extra cargo test arguments: make test ARGS='...' (also for unit).
.DEFAULT_GOAL := help
.PHONY: help check unit test install dev bench fuzz soak

help: ## List the tasks
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

check: ## fmt + clippy, no services (seconds once built)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

unit: ## Unit tests of every crate, no services
	cargo test --workspace --lib --bins $(ARGS)

test: ## Everything: check, unit and integration tests on DynamoDB Local + moto, the walkthrough
	bash infra/local/test.sh $(ARGS)

install: ## Install the local stack into .local/ (what test and dev do first)
	bash infra/local/install.sh

dev: ## The whole product locally under cargo lambda watch, with a checked walkthrough
	bash infra/local/dev.sh $(ARGS)

bench: ## Performance figures beside their raw DynamoDB baselines (tests/benches)
	bash infra/local/bench.sh $(ARGS)

soak: ## The model checker until 10,000 allocations
	bash infra/local/soak.sh

fuzz: ## Every fuzz target for FUZZ_SECONDS (nightly + cargo-fuzz, installed on first use)
	bash infra/local/fuzz.sh
