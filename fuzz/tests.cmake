# Fuzzing (fuzz/): the targets of the fuzz tree (build/fuzz, preset fuzz) and the replay
# tool of this one. Per target: its corpus replayed as regression inputs and a short
# seeded run; for the syscall target also the reset check and the description table; for
# the image targets (elf, ext2) the proof that their checks catch a planted fault.
set(AMPHI_FUZZ_DIR ${CMAKE_SOURCE_DIR}/build/fuzz CACHE PATH "the fuzz preset's build tree")
set(FUZZ_SRC ${CMAKE_SOURCE_DIR}/fuzz)

set(FUZZ_TESTED syscall elf ext2)
set(FUZZ_SMOKE_RUNS_ext2 1000) # an input mounts an image: slower than the others
foreach(target ${FUZZ_TESTED})
  set(runs 3000)
  if(FUZZ_SMOKE_RUNS_${target})
    set(runs ${FUZZ_SMOKE_RUNS_${target}})
  endif()
  file(GLOB corpus ${FUZZ_SRC}/${target}/corpus/*)
  amphi_test(NAME fuzz-${target}-corpus TIMEOUT 300 LABELS fuzz RUN_ARGS --no-ktap --no-poweroff
             COMMAND ${AMPHI_FUZZ_DIR}/fuzz-${target} ${corpus})
  amphi_test(NAME fuzz-${target}-smoke TIMEOUT 300 LABELS fuzz RUN_ARGS --no-ktap --no-poweroff
             COMMAND ${FUZZ_SRC}/smoke.sh ${AMPHI_FUZZ_DIR}/fuzz-${target}
                     ${FUZZ_SRC}/${target}/corpus ${FUZZ_SRC}/${target}/${target}.dict ${runs})
endforeach()

# The parsers' targets (fdt, cpio, cmdline): every corpus file must run (the count is
# checked), and the smoke run must do all its 2000 runs.
foreach(target fdt cpio cmdline)
  file(GLOB corpus CONFIGURE_DEPENDS ${FUZZ_SRC}/${target}/corpus/*)
  list(LENGTH corpus n)
  amphi_test(NAME fuzz-${target}-corpus TIMEOUT 300 LABELS fuzz
             RUN_ARGS --no-ktap --no-poweroff --expect-output "Running ${n} inputs 1 time(s) each."
             COMMAND ${AMPHI_FUZZ_DIR}/fuzz-${target} ${corpus})
  amphi_test(NAME fuzz-${target}-smoke TIMEOUT 600 LABELS fuzz
             RUN_ARGS --no-ktap --no-poweroff --expect-output "Done 2000 runs"
             COMMAND ${FUZZ_SRC}/smoke.sh ${AMPHI_FUZZ_DIR}/fuzz-${target}
                     ${FUZZ_SRC}/${target}/corpus ${FUZZ_SRC}/${target}/${target}.dict 2000)
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
# The replay of the other targets runs the target's own checks: an ext2 image passes, and
# the same image with the target's planted fault (a file left open across umount) must
# end the replay with the check's message.
amphi_test(NAME fuzz-ext2-repro TIMEOUT 60 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "# ext2: 65536 bytes run, its checks passed"
  COMMAND $<TARGET_FILE:amphi-fuzz-repro> --target ext2 ${FUZZ_SRC}/ext2/corpus/tree-1k)
amphi_test(NAME fuzz-ext2-repro-planted TIMEOUT 60 LABELS fuzz ENVIRONMENT AMPHI_FUZZ_EXT2_PLANT=1
  RUN_ARGS --no-ktap --no-poweroff
           --expect-output "fuzz-ext2: a mounted image does not unmount: /tmp/mnt: -16"
  COMMAND sh -c "ulimit -c 0$<SEMICOLON> \"$0\" --target ext2 \"$1\"$<SEMICOLON> test $? -eq 134" # abort()
          $<TARGET_FILE:amphi-fuzz-repro> ${FUZZ_SRC}/ext2/corpus/tree-1k)

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

# The image targets' checks, proven: a good input passes, and the same input with a fault
# the target plants must fail the check (elf: the mapped image compared with the file;
# ext2: a mounted image must unmount, which a file left open forbids).
amphi_test(NAME fuzz-elf-check TIMEOUT 60 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "PASS: the check caught"
  COMMAND ${FUZZ_SRC}/plant_check.sh ${AMPHI_FUZZ_DIR}/fuzz-elf ${FUZZ_SRC}/elf/corpus/static-bss
          AMPHI_FUZZ_ELF_PLANT "panic: fuzz elf: file bytes at 0x400000 reads")
amphi_test(NAME fuzz-ext2-check TIMEOUT 60 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "PASS: the check caught"
  COMMAND ${FUZZ_SRC}/plant_check.sh ${AMPHI_FUZZ_DIR}/fuzz-ext2 ${FUZZ_SRC}/ext2/corpus/tree-1k
          AMPHI_FUZZ_EXT2_PLANT "a mounted image does not unmount")
# The same for the device-tree target: a string-list match that runs off a last string
# without its NUL must be found reading past the blob's copy (found within about 1300
# inputs).
amphi_test(NAME fuzz-planted-fdt-compat TIMEOUT 600 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff
           --expect-output "PASS: planted fdt_compat found as a use-after-poison"
  COMMAND ${FUZZ_SRC}/planted.sh ${AMPHI_FUZZ_DIR}/fuzz-fdt ${FUZZ_SRC}/fdt/corpus
          fdt_compat use-after-poison fdt_stringlist_has 20000)

# The other engines (docs/fuzzing.md, "Engines"). Coverage is the kernel's alone in both
# instrumented trees; AFL++'s build of the syscall target (preset fuzz-afl) finds the
# planted getrandom bug from the seed corpus (found after 8237 executions in a trial); and
# the OSS-Fuzz build script, run as OSS-Fuzz runs it, writes every target with its
# dictionary and seed corpus, each runnable from $OUT.
set(AMPHI_FUZZ_AFL_DIR ${CMAKE_SOURCE_DIR}/build/fuzz-afl CACHE PATH "the fuzz-afl preset's build tree")
amphi_test(NAME fuzz-coverage-scope TIMEOUT 120 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "PASS: only the kernel"
  COMMAND ${FUZZ_SRC}/coverage_scope.sh ${AMPHI_FUZZ_DIR} __sancov_cntrs)
amphi_test(NAME fuzz-afl-coverage-scope TIMEOUT 120 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "PASS: only the kernel"
  COMMAND ${FUZZ_SRC}/coverage_scope.sh ${AMPHI_FUZZ_AFL_DIR} __sancov_guards)
amphi_test(NAME fuzz-afl-planted-getrandom TIMEOUT 900 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff
           --expect-output "PASS: AFL++ found planted getrandom as a stack-buffer-overflow"
  COMMAND ${FUZZ_SRC}/afl_planted.sh ${AMPHI_FUZZ_AFL_DIR}/fuzz-syscall ${FUZZ_SRC}/syscall/corpus
          ${FUZZ_SRC}/syscall/syscall.dict getrandom stack-buffer-overflow sys_getrandom 40000)
amphi_test(NAME fuzz-oss-fuzz-build TIMEOUT 1800 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "PASS: build.sh wrote 6 targets"
  COMMAND ${FUZZ_SRC}/oss_fuzz_check.sh ${CMAKE_BINARY_DIR}/oss-fuzz-check)
