# Fuzzing (fuzz/): the targets of the fuzz tree (build/fuzz, preset fuzz) and the replay
# tool of this one. Per target: its corpus replayed as regression inputs and a short
# seeded run; for the syscall target also the reset check and the description table.
set(AMPHI_FUZZ_DIR ${CMAKE_SOURCE_DIR}/build/fuzz CACHE PATH "the fuzz preset's build tree")
set(FUZZ_SRC ${CMAKE_SOURCE_DIR}/fuzz)

foreach(target syscall)
  file(GLOB corpus ${FUZZ_SRC}/${target}/corpus/*)
  amphi_test(NAME fuzz-${target}-corpus TIMEOUT 300 LABELS fuzz RUN_ARGS --no-ktap --no-poweroff
             COMMAND ${AMPHI_FUZZ_DIR}/fuzz-${target} ${corpus})
  amphi_test(NAME fuzz-${target}-smoke TIMEOUT 300 LABELS fuzz RUN_ARGS --no-ktap --no-poweroff
             COMMAND ${FUZZ_SRC}/smoke.sh ${AMPHI_FUZZ_DIR}/fuzz-${target}
                     ${FUZZ_SRC}/${target}/corpus ${FUZZ_SRC}/${target}/${target}.dict 3000)
endforeach()

amphi_test(NAME fuzz-syscall-reset TIMEOUT 120 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "PASS: the reset leaves nothing of B"
  COMMAND ${FUZZ_SRC}/reset_check.sh ${AMPHI_FUZZ_DIR}/fuzz-syscall
          ${FUZZ_SRC}/syscall/corpus/pipe-write-read ${FUZZ_SRC}/syscall/corpus/fstatfs-pipe-null-type)
amphi_test(NAME fuzz-syscall-table TIMEOUT 60 LABELS fuzz RUN_ARGS --no-ktap --no-poweroff
  COMMAND $<TARGET_FILE:amphi-fuzz-repro> --check-table)
# The replay prints the program: the pipe's descriptors are 0 and 1 (the served process
# has none open), and fstatfs of one gives the pipe file system's answer, not a crash.
amphi_test(NAME fuzz-syscall-repro TIMEOUT 60 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "pipe2(buf[8], 0x4000) = 0"
           --expect-output "fstatfs(0, buf[120]) = 0"
  COMMAND $<TARGET_FILE:amphi-fuzz-repro> ${FUZZ_SRC}/syscall/corpus/fstatfs-pipe-null-type)

# The planted bugs (include/amphi/planted.h) the syscall fuzzer must find from its seed
# corpus within a bounded number of inputs (a fixed seed, but the engine's search is not
# exactly repeatable: the bound is a few times the most it took in trials, 373 inputs for
# getrandom, 9000 to 26000 for dup3), with the report naming the planted function, and
# the crash minimized by libFuzzer's own minimizer.
amphi_test(NAME fuzz-planted-getrandom TIMEOUT 600 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff
           --expect-output "PASS: planted getrandom found as a stack-buffer-overflow"
  COMMAND ${FUZZ_SRC}/planted.sh ${AMPHI_FUZZ_DIR}/fuzz-syscall ${FUZZ_SRC}/syscall/corpus
          getrandom stack-buffer-overflow sys_getrandom 20000 $<TARGET_FILE:amphi-fuzz-repro>)
amphi_test(NAME fuzz-planted-dup3 TIMEOUT 600 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff
           --expect-output "PASS: planted dup3 found as a use-after-poison"
  COMMAND ${FUZZ_SRC}/planted.sh ${AMPHI_FUZZ_DIR}/fuzz-syscall ${FUZZ_SRC}/syscall/corpus
          dup3 use-after-poison planted_dup3_drop_ref 100000 $<TARGET_FILE:amphi-fuzz-repro>)
