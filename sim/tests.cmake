
# Parallel mode: the CPUs run concurrently, interrupts arrive as host signals.
amphi_test(NAME sim-parallel-cpus4 TIMEOUT 120 LABELS hosted
           COMMAND ${AMPHI_HOSTED_BIN} --cpus 4 --sched parallel -- ktest=all)

# ThreadSanitizer over the parallel machine (the hosted-tsan preset's kernel): the SMP
# suites are free of data races, and a planted one (sim_race) is reported.
set(AMPHI_HOSTED_TSAN_BIN ${CMAKE_SOURCE_DIR}/build/hosted-tsan/amphi
    CACHE FILEPATH "hosted kernel built by the hosted-tsan preset")
amphi_test(NAME sim-tsan-parallel TIMEOUT 300 LABELS tsan
           COMMAND ${AMPHI_HOSTED_TSAN_BIN} --cpus 4 --sched parallel -- ktest=all)
amphi_test(NAME sim-tsan-race TIMEOUT 120 LABELS tsan
           RUN_ARGS --no-ktap --expect-exit 99
                    --expect-output "WARNING: ThreadSanitizer: data race"
           COMMAND ${AMPHI_HOSTED_TSAN_BIN} --cpus 2 --sched parallel -- ktest=sim_race)
