# The front door. `make demo` and `make test` work on a fresh Debian machine: they install what is missing.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-asan test-plain bench fuzz crash clean format check-format

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/cairn

# `make test`: the whole suite through CTest. Under CI (CI=true) it also runs it under ASan+UBSan, and
# every fuzz target briefly (CI_FUZZ_SECONDS each).
CI_FUZZ_SECONDS ?= 30
test: deps-test test-plain
ifeq ($(CI),true)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(CI_FUZZ_SECONDS)
endif

test-plain: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-asan: deps-test
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 CAIRN_SANITIZED=1 CAIRN_PROPERTY_SETS=200 CAIRN_SYNC_RUNS=20 ctest --output-on-failure -j $(JOBS) -LE no-asan $(CTEST_ARGS)

bench: build
	@scripts/bench.sh $(BUILD)

# `make crash N=1000`: the long crash campaign. N kills of a journal writer (10,000 appends), then N rounds
# of `cairn sync` killed mid-round on a writing and a reading device. CTest runs a short one (200 / 30).
N ?= 1000
AGENT_N ?= 100 # `cairn agent` SIGKILLed at random points of its rounds
crash: build deps-test
	@$(BUILD)/tests/crash/crash_journal $(BUILD)/tests/crash/crash_writer $(N) 10000
	@bash tests/crash/sync_kill.sh $(BUILD)/cairn $(BUILD)/tests/crash/crash_writer $(N)
	@bash tests/agent/agent_kill.sh $(BUILD)/cairn $(AGENT_N)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

check-format:
	bash tests/style/format.sh .

# `make fuzz [FUZZ_SECONDS=600] [FUZZ_TARGETS="segment ..."]`: every libFuzzer target in tests/fuzz (clang,
# ASan+UBSan, coverage-instrumented libraries) for FUZZ_SECONDS each, one after the other. The committed
# corpus tests/fuzz/corpus/<target> seeds each run and is never written to; what the fuzzer learns goes to
# $(FUZZ_BUILD)/corpus/<target>, crashes to $(FUZZ_BUILD)/crashes/<target>-crash-<sha1>. Once a crash is
# fixed, copy its input into tests/fuzz/corpus/<target>/: CTest then runs it forever after.
# -Werror is off here: this build hunts crashes; warnings are the normal build's job.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_TARGETS ?=

fuzz: deps-test
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_FUZZ=ON -DCAIRN_WERROR=OFF >/dev/null
	@targets="$(FUZZ_TARGETS)"; [ -n "$$targets" ] || targets=$$(cat $(FUZZ_BUILD)/fuzz/targets.txt); \
	test -n "$$targets" || { echo "fuzz: no fuzz targets configured" >&2; exit 1; }; \
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $$(for t in $$targets; do printf 'fuzz_%s ' $$t; done) || exit 1; \
	mkdir -p $(FUZZ_BUILD)/crashes; \
	for t in $$targets; do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	  echo "fuzz: fuzz_$$t for $(FUZZ_SECONDS) s (log: $(FUZZ_BUILD)/fuzz-$$t.log)"; \
	  $(FUZZ_BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t- $(FUZZ_ARGS) \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t 2>$(FUZZ_BUILD)/fuzz-$$t.log; rc=$$?; \
	  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|^SUMMARY|^==[0-9]+== ?ERROR|invariant broken' $(FUZZ_BUILD)/fuzz-$$t.log; \
	  if [ $$rc -ne 0 ]; then echo "fuzz: fuzz_$$t failed (exit $$rc); input in $(FUZZ_BUILD)/crashes/" >&2; exit $$rc; fi; \
	done
