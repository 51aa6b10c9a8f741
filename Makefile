# Quick start targets. Each installs what it needs, builds, then runs.
BUILD  ?= build
ASAN   ?= build-asan
TSAN   ?= build-tsan
JOBS   ?= $(shell nproc)

.PHONY: deps system-deps build demo test bench asan tsan clean

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
	cd $(TSAN) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j 2 -L unit

bench: build
	$(BUILD)/segexport-bench $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN) $(TSAN)
