# Local test stack: see infra/local/. Extra cargo test args: make test ARGS='...'
.PHONY: test install dev bench fuzz soak

test:
	bash infra/local/test.sh $(ARGS)

install:
	bash infra/local/install.sh

dev:
	bash infra/local/dev.sh $(ARGS)

bench:
	bash infra/local/bench.sh $(ARGS)

fuzz:
	bash infra/local/fuzz.sh

soak:
	bash infra/local/soak.sh
