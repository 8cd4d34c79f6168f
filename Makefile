# Nibble's build and test entry points. `make run` and `make test` are the
# two Quick start commands of README.md; .ci/run calls `make test`.

# Debian/Ubuntu packages Fyne's OpenGL driver needs to compile (cgo).
FYNE_DEPS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
             libxinerama-dev libxi-dev libxxf86vm-dev
# Packages everything but the window builds without: checked for every OS/arch
# our users run, without cgo.
CORE_PKGS := ./engine/... ./quant/... ./catalog/... ./assets/... ./app/service/... ./ui/state/...
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build run test vet-cross fuzz screenshots

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

# Runs the fuzz targets of the GGUF reader and the safetensors header parser
# (not part of `make test`).
fuzz:
	go test ./engine/gguf -run '^$$' -fuzz FuzzOpen -fuzztime 3m
	go test ./engine/safetensors -run '^$$' -fuzz FuzzParse -fuzztime 1m

# Pictures of every screen for README.md, in docs/screenshots: the real
# window (OpenGL, under Xvfb) over a catalog made for them in a temporary
# folder — the shared test models imported, a model in a pretend Downloads
# folder for the welcome to find, and a random-weight model (nibble synth)
# large enough to be seen being quantized — at 1280x800 and 1024x640. `nibble
# screenshots` adds a chat with real answers, drives the window and takes
# the pictures with ImageMagick's import.
SHOT_TOOLS := xvfb-run:xvfb xauth:xauth import:imagemagick
SHARED_MODELS := ../shared/testdata/models

screenshots: build
	@missing=$$(for t in $(SHOT_TOOLS); do command -v $${t%%:*} >/dev/null || echo $${t#*:}; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@home=$$(mktemp -d) && trap 'rm -rf "$$home"' EXIT && \
	export HOME="$$home" NIBBLE_HOME="$$home/nibble" OLLAMA_MODELS="$$home/.ollama/models" \
		HF_HUB_CACHE="$$home/.cache/huggingface/hub" FYNE_SCALE=1 LANG=en_US.UTF-8 && \
	./bin/nibble import $(SHARED_MODELS)/ts5m-F32.gguf >/dev/null && \
	./bin/nibble import $(SHARED_MODELS)/ts5m-Q4_K_M.gguf >/dev/null && \
	./bin/nibble synth "$$home/synthetic-133m-F16.gguf" --type F16 \
		--shape arch=llama,layers=6,embd=1024,heads=16,kv_heads=4,ffn=2816,vocab=32000 >/dev/null && \
	./bin/nibble import --name "Synthetic 133M" "$$home/synthetic-133m-F16.gguf" >/dev/null && \
	mkdir -p "$$home/Downloads" && cp $(SHARED_MODELS)/stories260K-f32.gguf $(SHARED_MODELS)/ts5m-Q8_0.gguf "$$home/Downloads/" && \
	xvfb-run -a -s "-screen 0 1280x800x24" ./bin/nibble screenshots docs/screenshots
