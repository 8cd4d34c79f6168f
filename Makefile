# Nibble's build and test entry points. `make run` and `make test` are the
# two Quick start commands of README.md; .ci/run calls `make test`.

# Debian/Ubuntu packages Fyne's OpenGL driver needs to compile (cgo).
FYNE_DEPS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
             libxinerama-dev libxi-dev libxxf86vm-dev
# Packages everything but the window builds without: checked for every OS/arch
# our users run, without cgo.
CORE_PKGS := ./engine/... ./quant/... ./catalog/... ./assets/...
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build run test vet-cross fuzz

deps:
	@missing=$$(for p in $(FYNE_DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	go build -o bin/nibble ./app

run: build
	./bin/nibble

# The whole test suite: vet, the cross-platform check, all tests (the Fyne
# headless driver needs -tags ci), and the engine again on its pure-Go
# kernels (-tags purego), which CPUs without the native kernels' features run.
test: deps vet-cross
	go vet -tags ci ./...
	go vet -tags purego $(CORE_PKGS)
	go test -tags ci -count=1 ./...
	go test -tags purego -count=1 ./engine/kernels ./engine/model

vet-cross:
	GOOS=darwin  GOARCH=arm64 CGO_ENABLED=0 go vet $(CORE_PKGS)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go vet $(CORE_PKGS)
	GOOS=linux   GOARCH=arm64 CGO_ENABLED=0 go vet $(CORE_PKGS)

# Runs the GGUF reader's fuzz target (not part of `make test`).
fuzz:
	go test ./engine/gguf -run '^$$' -fuzz FuzzOpen -fuzztime 3m
