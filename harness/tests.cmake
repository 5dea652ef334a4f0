# Tests of the harness itself: a run that hangs, a kernel that never powers off, a not-ok or
# truncated KTAP stream must each fail.

# A run that hangs must FAIL by timeout in bounded time: the outer amphi-run checks that
# the inner one reports the timeout and exits 1, well before sleep's 30 s.
amphi_test(NAME harness-timeout TIMEOUT 20 LABELS harness
           RUN_ARGS --no-ktap --expect-exit 1 --expect-output "FAIL  timeout after 2 s"
           COMMAND ${AMPHI_RUN} --timeout 2 -- sleep 30)
# A real kernel that never powers off: without ktest= the aarch64 kernel waits in its monitor
# for console input that never comes. The inner run must time out and take QEMU down with it.
amphi_test(NAME harness-hung-kernel TIMEOUT 30 LABELS harness ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 1 --expect-output "amphi: monitor ready"
                    --expect-output "FAIL  timeout after 3 s"
           COMMAND ${AMPHI_RUN} --timeout 3 -- ${AMPHI_BOOT} aarch64)
# A not-ok KTAP stream must FAIL, naming the case, even with exit status 0.
amphi_test(NAME harness-not-ok TIMEOUT 20 LABELS harness
           RUN_ARGS --no-ktap --expect-exit 1
                    --expect-output "FAIL  not ok: kmalloc.large_alloc"
           COMMAND ${AMPHI_RUN} -- cat ${CMAKE_SOURCE_DIR}/tests/harness/not-ok.ktap)
# A stream cut short must FAIL.
amphi_test(NAME harness-truncated TIMEOUT 20 LABELS harness
           RUN_ARGS --no-ktap --expect-exit 1 --expect-output "amphi-run: FAIL  KTAP:"
           COMMAND ${AMPHI_RUN} -- head -n 7 ${CMAKE_SOURCE_DIR}/tests/harness/not-ok.ktap)


# Fleets through libvirt: both kernels booted as transient domains by amphi-virt on
# qemu:///system must pass; planted failures (a panic, a suite that does not exist) must be
# judged failed; SIGINT must leave no domain behind. The script starts libvirtd and virtlogd
# when none runs; where it cannot (not root, daemon missing) it exits 77 with the reason,
# which CTest reports as skipped. Registered without amphi-run, which has no skip status;
# amphi-virt enforces each boot's deadline itself.
add_test(NAME virt-fleet
         COMMAND ${CMAKE_SOURCE_DIR}/tests/harness/virt-fleet.sh $<TARGET_FILE:amphi-virt>
                 ${AMPHI_X86_64_ELF} ${AMPHI_AARCH64_IMAGE})
set_tests_properties(virt-fleet PROPERTIES TIMEOUT 400 LABELS "qemu;harness"
                     SKIP_RETURN_CODE 77)

# The coverage report (harness/coverage, make coverage), proven on a small run in the
# coverage preset's tree: one boot and one ext2 input counted into a scratch directory; the
# report must show a function every boot runs and one only the input reaches as covered,
# and the planted lock-order bug's report (reached by one ktest only) as never run. Tested
# from the other trees (make test: build/hosted), not from the coverage tree itself.
set(AMPHI_COVERAGE_DIR ${CMAKE_SOURCE_DIR}/build/coverage CACHE PATH
    "the coverage preset's build tree")
if(NOT AMPHI_COVERAGE)
  find_program(AMPHI_GCOVR gcovr REQUIRED)
  amphi_test(NAME coverage-report TIMEOUT 120 LABELS coverage
             RUN_ARGS --no-ktap --expect-output "PASS: the report counts what ran, and only that"
             COMMAND ${CMAKE_SOURCE_DIR}/harness/coverage check ${AMPHI_COVERAGE_DIR}
                     ${CMAKE_CURRENT_BINARY_DIR}/coverage-check)
  # The same run without the ext2 input must fail the check, on the input's function.
  amphi_test(NAME coverage-report-planted TIMEOUT 120 LABELS coverage
             ENVIRONMENT AMPHI_COVERAGE_PLANT=1
             RUN_ARGS --no-ktap --expect-exit 1
                      --expect-output "not ok - ext2_read_super (kernel/fs/ext2/super.c) ran 0 times"
             COMMAND ${CMAKE_SOURCE_DIR}/harness/coverage check ${AMPHI_COVERAGE_DIR}
                     ${CMAKE_CURRENT_BINARY_DIR}/coverage-check-planted)
endif()
