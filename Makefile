# Quick start targets. Each installs what it needs, builds, then runs.
BUILD  ?= build
ASAN   ?= build-asan
JOBS   ?= $(shell nproc)

.PHONY: deps build demo test bench asan clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/segexport demo $(DEMO_ARGS)

asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DSGX_SANITIZE=address >/dev/null
	cmake --build $(ASAN) -j $(JOBS)

test: build asan
	cd $(BUILD) && ctest --output-on-failure -j 2
	cd $(ASAN) && ctest --output-on-failure -j 2 -LE nosan

bench: build
	$(BUILD)/segexport-bench $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN)
