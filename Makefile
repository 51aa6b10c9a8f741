# Quick start targets. Each installs what it needs, builds, then runs.
BUILD  ?= build
ASAN   ?= build-asan
TSAN   ?= build-tsan
JOBS   ?= $(shell nproc)

.PHONY: deps system-deps build demo test bench bench-peers bench-peers-memory bench-peers-10key \
	asan tsan clean

deps:
	bash scripts/install-deps.sh

# Only the system tests need these (a real Kafka broker, confluent-kafka-python).
system-deps:
	bash scripts/install-system-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/segexport demo $(DEMO_ARGS)

asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DSGX_SANITIZE=address >/dev/null
	cmake --build $(ASAN) -j $(JOBS)

tsan: deps
	cmake -S . -B $(TSAN) -DCMAKE_BUILD_TYPE=Debug -DSGX_SANITIZE=thread >/dev/null
	cmake --build $(TSAN) -j $(JOBS)

# Normal build: everything. ASan+UBSan: everything but the fuzzers (they carry their own
# sanitizers). TSan: the unit tests (librdkafka and libcurl are not instrumented, so component
# tests would report races inside them).
test: build asan tsan system-deps
	bash scripts/check-deps.sh build system deploy
	cd $(BUILD) && ctest --output-on-failure -j 2
	cd $(ASAN) && ctest --output-on-failure -j 2
	cd $(TSAN) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j 2 -L unit \
	  -E '^test_cmd_check$$'  # creates librdkafka handles: uninstrumented, TSan aborts inside

bench: build
	$(BUILD)/segexport-bench $(BENCH_ARGS)

# segexport against a straightforward Go exporter and a consume-only baseline on a real broker
# (bench/peers/run.py). Needs a Go toolchain (go 1.22+) on PATH; its modules come from the Go
# module proxy, pinned in bench/peers/goexport/go.sum.
PEERS_RUN = SGX_BUILD_DIR=$(abspath $(BUILD)) SGX_SYSTEM_WORK=$(abspath $(BUILD))/peers \
	  $$(bash tests/system/venv.sh) bench/peers/run.py

bench-peers: build system-deps
	@command -v go >/dev/null || { echo "bench-peers: a Go toolchain (1.22+) must be on PATH"; exit 1; }
	cd bench/peers/goexport && go build -o $(abspath $(BUILD))/goexport .
	$(PEERS_RUN)

# segexport alone (no Go needed): peak RSS draining a 10,000,000-event backlog and RSS per
# record in flight; CPU per event with ten Meta keys per row (bench/peers/run.py docstring).
bench-peers-memory: build system-deps
	SGX_PEER_MODE=memory $(PEERS_RUN)

bench-peers-10key: build system-deps
	SGX_PEER_KEYS=10 $(PEERS_RUN)

clean:
	rm -rf $(BUILD) $(ASAN) $(TSAN)
