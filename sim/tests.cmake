# Tests of the hosted machine itself, included by tests/CMakeLists.txt (amphi_test, the
# image paths and MEMCHECK come from cmake/AmphiTests.cmake).
set(SIM_DIR ${CMAKE_SOURCE_DIR}/sim)
set(SIM_REJECT sh ${SIM_DIR}/debug/reject_output.sh)
set(SIM_HASH sh ${SIM_DIR}/cpu/trace_hash_test.sh ${AMPHI_HOSTED_BIN})

# A wild access in hosted kernel code arrives as SIGSEGV; the fault handler reports it with
# a symbolized backtrace and ends the run with the panic status. Overflowing a kernel stack
# hits its guard page and is named as such.
amphi_test(NAME hosted-fault TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 3
                    --expect-output "amphi: kernel fault at 0x1000"
                    --expect-output "amphi: invalid memory access (SIGSEGV)"
                    --expect-output "null_page_read+0x"
           COMMAND ${AMPHI_BOOT} hosted ktest=sim_faults.null_page_read)
amphi_test(NAME hosted-stack-overflow TIMEOUT 60 LABELS hosted ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 3 --expect-output "amphi: kernel stack overflow"
                    --expect-output "sim_fault_ktest_recurse+0x"
           COMMAND ${AMPHI_BOOT} hosted ktest=sim_faults.stack_overflow)

# Option handling: bad options get one clear line and status 2.
add_test(NAME sim-options
         COMMAND sh ${SIM_DIR}/machine/options_test.sh $<TARGET_FILE:amphi>)
set_tests_properties(sim-options PROPERTIES LABELS hosted TIMEOUT 60)

# The RAM disk's files RAM takes when first used (busybox, the program of amphi exec), read,
# mapped and copied whole, must match the host files; under ASan too. (Under memcheck they
# are copied at start, as the valgrind tests' every boot does.)
if(AMPHI_GUEST_BUSYBOX)
  add_test(NAME sim-initrd-lazy COMMAND sh ${SIM_DIR}/machine/initrd_lazy_test.sh
                                        ${AMPHI_GUEST_BUSYBOX} $<TARGET_FILE:amphi>)
  set_tests_properties(sim-initrd-lazy PROPERTIES LABELS hosted TIMEOUT 60)
endif()
if(AMPHI_HOST_BUSYBOX) # the hosted-asan preset's guest is x86_64: it packs the host's
  add_test(NAME sim-asan-initrd-lazy COMMAND sh ${SIM_DIR}/machine/initrd_lazy_test.sh
                                             ${AMPHI_HOST_BUSYBOX} ${AMPHI_HOSTED_ASAN_BIN})
  set_tests_properties(sim-asan-initrd-lazy PROPERTIES LABELS asan TIMEOUT 120)
endif()

# Four simulated CPUs, one at a time in the seeded deterministic schedule; and 64, past
# the 8 CPUs GICv2 can name (SGIs through the model's extension: poweroff must stop them).
amphi_test(NAME sim-cpus4-ktest TIMEOUT 120 LABELS hosted
           COMMAND ${AMPHI_HOSTED_BIN} --cpus 4 -- ktest=all)
amphi_test(NAME sim-cpus64-ktest TIMEOUT 120 LABELS hosted
           COMMAND ${AMPHI_HOSTED_BIN} --cpus 64 --watchdog 20 -- ktest=all)

# The same seed gives the same trace hash; the comparison is proven by a planted pair of
# different seeds, which must differ; and the seed really steers the schedule.
amphi_test(NAME sim-trace-hash-same TIMEOUT 120 LABELS hosted
           RUN_ARGS --no-ktap --expect-output "ok - one hash"
           COMMAND ${SIM_HASH} same 7 7 --cpus 4 -- ktest=all)
amphi_test(NAME sim-trace-hash-planted-differ TIMEOUT 120 LABELS hosted
           RUN_ARGS --no-ktap --expect-exit 1 --expect-output "not ok - the hashes differ"
           COMMAND ${SIM_HASH} same 1 2 --cpus 4 -- ktest=all)
amphi_test(NAME sim-trace-hash-spread TIMEOUT 300 LABELS hosted
           RUN_ARGS --no-ktap --expect-output "distinct hashes of 20"
           COMMAND ${SIM_HASH} spread 20 4 --cpus 4 -- ktest=all)

# Checkers over the multi-CPU machine: stack switches announced (no Valgrind "client
# switching stacks" warning), kernel stacks registered, no leaks or bad accesses.
if(AMPHI_VALGRIND)
  amphi_test(NAME sim-memcheck-cpus4 TIMEOUT 300 LABELS valgrind
             COMMAND ${SIM_REJECT} "switching stacks" --
                     ${MEMCHECK} ${AMPHI_HOSTED_BIN} --cpus 4 -- ktest=all)
endif()
amphi_test(NAME sim-asan-cpus4 TIMEOUT 120 LABELS asan
           COMMAND ${AMPHI_HOSTED_ASAN_BIN} --cpus 4 -- ktest=all)

# Parallel mode: the CPUs run concurrently, interrupts arrive as host signals. With the
# host's clock: a virtual clock that every running CPU moves measures no one thread's CPU
# time, and the scheduler's fairness test reads those times.
amphi_test(NAME sim-parallel-cpus4 TIMEOUT 120 LABELS hosted
           COMMAND ${AMPHI_HOSTED_BIN} --cpus 4 --sched parallel --time real -- ktest=all)

# ThreadSanitizer over the parallel machine (the hosted-tsan preset's kernel): the SMP
# suites are free of data races, and a planted one (sim_race) is reported. Two CPUs, as
# the build machines have two cores: with more threads than cores under TSan's slowdown,
# the scheduler's fairness test, which measures host time here, sees the host's own
# scheduling.
set(AMPHI_HOSTED_TSAN_BIN ${CMAKE_SOURCE_DIR}/build/hosted-tsan/amphi
    CACHE FILEPATH "hosted kernel built by the hosted-tsan preset")
amphi_test(NAME sim-tsan-parallel TIMEOUT 300 LABELS tsan
           COMMAND ${AMPHI_HOSTED_TSAN_BIN} --cpus 2 --sched parallel --time real -- ktest=all)
amphi_test(NAME sim-tsan-race TIMEOUT 120 LABELS tsan
           RUN_ARGS --no-ktap --expect-exit 99
                    --expect-output "WARNING: ThreadSanitizer: data race"
           COMMAND ${AMPHI_HOSTED_TSAN_BIN} --cpus 2 --sched parallel -- ktest=sim_race)

# The watchdog: a planted hang (ktest=sim_hang: a CPU spinning forever, interrupts masked,
# holding a lock) must be reported with each CPU's backtrace and the held lock, and end
# with status 5, in both scheduling modes.
foreach(mode deterministic parallel)
  amphi_test(NAME sim-watchdog-${mode} TIMEOUT 60 LABELS hosted
             RUN_ARGS --no-ktap --expect-exit 5
                      --expect-output "amphi: watchdog: no CPU made progress for 2 s"
                      --expect-output "sim_hang_wait_forever+0x"
                      --expect-output "cpu 1: idle"
                      --expect-output "holds \"sim_hang.held\""
             COMMAND ${AMPHI_HOSTED_BIN} --cpus 2 --sched ${mode} --watchdog 2 -- ktest=sim_hang)
endforeach()

# The entropy device: /dev/urandom repeats for a seed and changes with it; the comparison
# is proven by a planted pair of equal seeds, which it must call the same.
set(SIM_RNG_SEED sh ${SIM_DIR}/dev/rng_seed_test.sh)
amphi_test(NAME sim-rng-seed TIMEOUT 120 LABELS hosted
           RUN_ARGS --no-ktap --expect-output "ok - seeds 5 and 6 gave different bytes"
           COMMAND ${SIM_RNG_SEED} ${AMPHI_HOSTED_BIN} 5 6)
amphi_test(NAME sim-rng-seed-planted-same TIMEOUT 120 LABELS hosted
           RUN_ARGS --no-ktap --expect-exit 1
                    --expect-output "not ok - seeds 5 and 5 gave the same bytes"
           COMMAND ${SIM_RNG_SEED} ${AMPHI_HOSTED_BIN} 5 5)

# A disk resized by the host is refused by the driver with a console line; bad rings and
# requests planted by a ktest break the models' devices, not the process; the same under
# memcheck and ASan (the device side of devices/tests.cmake's disk tests).
set(SIM_DISK bash ${CMAKE_SOURCE_DIR}/devices/virtio/disk_test.sh)
amphi_test(NAME sim-virtio-models-ktest TIMEOUT 120 LABELS hosted
           RUN_ARGS --expect-output "virtio-rng@a000000: a descriptor chain loops"
                    --expect-output "vda: capacity change to 4104 sectors refused"
                    --expect-output "virtio-gpu@a000600: a GPU command shorter than its"
           COMMAND ${SIM_DISK} ktest sim_virtio_models hosted ${AMPHI_HOSTED_BIN}
                   --display offscreen)
if(AMPHI_VALGRIND)
  amphi_test(NAME sim-memcheck-virtio-models-ktest TIMEOUT 300 LABELS valgrind
             COMMAND ${SIM_DISK} ktest sim_virtio_models hosted ${MEMCHECK} ${AMPHI_HOSTED_BIN}
                     --display offscreen)
endif()
amphi_test(NAME sim-asan-virtio-models-ktest TIMEOUT 120 LABELS asan
           COMMAND ${SIM_DISK} ktest sim_virtio_models hosted ${AMPHI_HOSTED_ASAN_BIN}
                   --display offscreen)
