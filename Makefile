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

# `make test`: the whole suite through CTest. Under CI (CI=true) it also runs it under ASan+UBSan.
test: deps-test test-plain
ifeq ($(CI),true)
	@$(MAKE) --no-print-directory test-asan
endif

test-plain: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-asan: deps-test
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && CAIRN_SANITIZED=1 ctest --output-on-failure -j $(JOBS) -LE no-asan $(CTEST_ARGS)

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz

format:
	clang-format -i core/*.[ch] cli/*.[ch] tests/*/*.[ch] bench/*.c

check-format:
	clang-format --dry-run --Werror core/*.[ch] cli/*.[ch]
