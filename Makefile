# The two commands of the README: `make run` and `make test`. Both install what is missing first.
BUILD ?= build
DATA ?= estuary-data

.PHONY: all deps build run test bench clean

all: build

deps:
	@./scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

run: build
	@mkdir -p $(DATA)
	./$(BUILD)/src/controller/estuary -c $(DATA)/config.json

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

bench: build
	./bench/run

clean:
	rm -rf $(BUILD)
