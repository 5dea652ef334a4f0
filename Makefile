# Everyday verbs over the CMake presets. The real build lives in CMakeLists.txt.
#   make                  build hosted, x86_64 and aarch64 into build/<target>/
#   make run              boot the hosted kernel to the busybox shell, console on stdio
#                         (CMDLINE="..." for the kernel: then its monitor instead of the
#                         shell; SIM="--cpus 4 ..." for the hosted machine)
#   make qemu ARCH=x86_64|aarch64   boot the image under QEMU, serial on stdio
#   make debug ARCH=hosted|x86_64|aarch64   the kernel stopped under GDB with its symbols
#                         and helpers (harness/debug; QEMU waits at the first instruction)
#   make iso              build the x86_64 GRUB rescue ISO (build/x86_64/amphi.iso)
#   make hosted-aarch64   the hosted kernel with an aarch64 guest (build/hosted-aarch64/amphi)
#   make test             run every test (unit, hosted, Valgrind, ASan, TSan, QEMU, fuzz,
#                         coverage)
#   make fuzz TARGET=syscall SECONDS=60   fuzz one target of fuzz/ (libFuzzer, preset fuzz)
#   make coverage         the kernel's line coverage by the hosted tests and the fuzz corpora
#                         (preset coverage, gcov and gcovr): build/coverage/html/index.html
#   make bench            boot-time, scheduler, user-mode, ext2, block I/O, amphi-cptofs and fuzzing
#                         benchmarks
#   make clean

ARCH ?= x86_64
CMDLINE ?=
SIM ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PRESETS := hosted x86_64 aarch64
MAKEFLAGS += --no-print-directory

TARGET ?= syscall
SECONDS ?= 60
.PHONY: all setup $(PRESETS) hosted-asan hosted-tsan hosted-aarch64 fuzz-build iso run qemu debug \
	test bench fuzz coverage-build coverage clean

all: $(PRESETS)

setup:
	@scripts/setup-deps.sh

# Configure once per build tree, then build; cmake re-runs itself when CMake files change.
$(PRESETS) hosted-asan hosted-tsan hosted-aarch64: setup
	@test -f build/$@/CMakeCache.txt || cmake --preset $@ >/dev/null
	@cmake --build --preset $@ -j $(JOBS)

fuzz-build: setup
	@test -f build/fuzz/CMakeCache.txt || cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)

# Fuzzes TARGET for SECONDS with its corpus and dictionary; new inputs go to
# build/fuzz/corpus-TARGET, crashes to build/fuzz/crash-* (replay: fuzz/repro FILE).
fuzz: fuzz-build
	@test -x build/fuzz/fuzz-$(TARGET) || { echo "make fuzz: no target '$(TARGET)' (see fuzz/)" >&2; exit 2; }
	@mkdir -p build/fuzz/corpus-$(TARGET)
	@build/fuzz/fuzz-$(TARGET) -max_total_time=$(SECONDS) -print_final_stats=1 \
	  -artifact_prefix=build/fuzz/ -dict=fuzz/$(TARGET)/$(TARGET).dict \
	  build/fuzz/corpus-$(TARGET) fuzz/$(TARGET)/corpus

# The coverage tree: make test needs only its kernel and replay tool (the coverage test),
# make coverage the whole tree with its tests (harness/coverage).
coverage-build: setup
	@test -f build/coverage/CMakeCache.txt || cmake --preset coverage >/dev/null
	@cmake --build --preset coverage -j $(JOBS) --target amphi amphi-fuzz-repro

coverage: setup
	@test -f build/coverage/CMakeCache.txt || cmake --preset coverage >/dev/null
	@cmake --build --preset coverage -j $(JOBS)
	@JOBS=$(JOBS) harness/coverage report build/coverage

iso: x86_64
	@cmake --build --preset x86_64 --target iso

run: hosted
	@AMPHI_SIM_ARGS="$(SIM)" harness/boot hosted $(CMDLINE)

qemu:
	@case "$(ARCH)" in x86_64|aarch64) ;; \
	  *) echo "make qemu: ARCH must be x86_64 or aarch64, not '$(ARCH)'" >&2; exit 2;; esac
	@$(MAKE) $(ARCH)
	@harness/boot $(ARCH) $(CMDLINE); status=$$?; \
	  test $$status -eq "$$(harness/boot --pass-exit $(ARCH))" || \
	  { echo "make qemu: the machine powered off with a failure (QEMU exit status $$status)" >&2; exit 1; }

debug:
	@case "$(ARCH)" in hosted|hosted-aarch64|x86_64|aarch64) ;; \
	  *) echo "make debug: ARCH must be hosted, hosted-aarch64, x86_64 or aarch64, not '$(ARCH)'" >&2; exit 2;; esac
	@$(MAKE) $(ARCH)
	@AMPHI_SIM_ARGS="$(SIM)" harness/debug $(ARCH) $(CMDLINE)

test: all hosted-asan hosted-tsan hosted-aarch64 fuzz-build iso coverage-build
	@ctest --preset hosted -j $(JOBS) --output-on-failure

bench: all fuzz-build
	@bench/boot
	@bench/sched
	@bench/user
	@bench/ext2
	@bench/blkseq
	@bench/cptofs
	@bench/fuzz

clean:
	rm -rf build
