# Fuzzing (fuzz/): the targets of the fuzz tree (build/fuzz, preset fuzz) and the replay
# tool of this one. Per target: its corpus replayed as regression inputs and a short
# seeded run; for the syscall target also the reset check and the description table; for
# the image targets (elf, ext2) the proof that their checks catch a planted fault.
set(AMPHI_FUZZ_DIR ${CMAKE_SOURCE_DIR}/build/fuzz CACHE PATH "the fuzz preset's build tree")
set(FUZZ_SRC ${CMAKE_SOURCE_DIR}/fuzz)

set(FUZZ_TESTED syscall elf ext2)
set(FUZZ_SMOKE_RUNS_ext2 1000) # an input mounts an image: slower than the others
# the syscall smoke run checks that the mutator's layout of each input (prog_layout, by
# which it edits calls) puts every call where the run decoded it
set(FUZZ_SMOKE_ENV_syscall AMPHI_FUZZ_SELFCHECK=1)
foreach(target ${FUZZ_TESTED})
  set(runs 3000)
  if(FUZZ_SMOKE_RUNS_${target})
    set(runs ${FUZZ_SMOKE_RUNS_${target}})
  endif()
  file(GLOB corpus ${FUZZ_SRC}/${target}/corpus/*)
  amphi_test(NAME fuzz-${target}-corpus TIMEOUT 300 LABELS fuzz RUN_ARGS --no-ktap --no-poweroff
             COMMAND ${AMPHI_FUZZ_DIR}/fuzz-${target} ${corpus})
  amphi_test(NAME fuzz-${target}-smoke TIMEOUT 300 LABELS fuzz RUN_ARGS --no-ktap --no-poweroff
             ENVIRONMENT ${FUZZ_SMOKE_ENV_${target}}
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
# The same with programs of several served tasks (a thread blocked in read, a forked child
# with its own descriptors): each input's results and coverage must come back after B.
amphi_test(NAME fuzz-syscall-reset-tasks TIMEOUT 120 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "PASS: the reset leaves nothing of B"
  COMMAND ${FUZZ_SRC}/reset_check.sh ${AMPHI_FUZZ_DIR}/fuzz-syscall
          ${FUZZ_SRC}/syscall/corpus/tasks-thread-pipe ${FUZZ_SRC}/syscall/corpus/tasks-fork-fds)
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

# A replay of the syscall corpus' INPUT by amphi-fuzz-repro that must print each line after it.
function(fuzz_repro_test name input)
  set(run_args --no-ktap --no-poweroff)
  foreach(line ${ARGN})
    list(APPEND run_args --expect-output "${line}")
  endforeach()
  amphi_test(NAME ${name} TIMEOUT 60 LABELS fuzz RUN_ARGS ${run_args}
             COMMAND $<TARGET_FILE:amphi-fuzz-repro> ${FUZZ_SRC}/syscall/corpus/${input})
endfunction()

# Programs of several served tasks (fuzz/syscall/make_task_seeds.py). A thread blocks in
# read on an empty pipe; the program goes on, and the first task's write ends both calls.
fuzz_repro_test(fuzz-syscall-tasks-thread tasks-thread-pipe
  "[1] t0 clone(0x50f00, 0, 0, 0, 0) = 2" "[2] t1 read(0, buf[16], 16) blocks"
  "[3] t0 write(1, buf[5], 5) = 5" "[2] t1 read(0, buf[16], 16) = 5 (after blocking)")
# The same, and the first task closes the write end: the read ends at once, end of file.
fuzz_repro_test(fuzz-syscall-tasks-thread-eof tasks-thread-pipe-eof
  "[2] t1 read(0, buf[16], 16) blocks" "[3] t0 close(1) = 0"
  "[2] t1 read(0, buf[16], 16) = 0 (after blocking)")
# A forked child has its own copy of the descriptors: its close leaves the parent's write
# end open; it reads what the parent wrote, exits with 3, and the parent reaps it.
fuzz_repro_test(fuzz-syscall-tasks-fork tasks-fork-fds
  "[1] t0 fork() = 2" "[2] t1 close(1) = 0"
  "[3] t1 write(1, buf[4], 4) = -9 (Bad file descriptor)" "[4] t0 write(1, buf[5], 5) = 5"
  "[5] t1 read(0, buf[16], 16) = 5" "[7] t0 wait4(2, buf[4], 0, buf[144]) = 2")
# vfork's parent blocks until its child (a served task) exits.
fuzz_repro_test(fuzz-syscall-tasks-vfork tasks-vfork-exit
  "[0] t0 vfork() blocks" "[1] t1 getppid() = 1" "[0] t0 vfork() = 2 (after blocking)"
  "[3] t0 wait4(2, buf[4], 0, buf[144]) = 2")
# clone(CLONE_VFORK) of a thread: its parent waits until the thread exits, not for ever.
fuzz_repro_test(fuzz-syscall-tasks-vfork-thread regress-clone-vfork-thread
  "[0] t0 clone(0x54f00, 0, 0, 0, 0) blocks" "[1] t1 gettid() = 2" "[2] t1 exit(0) = 0"
  "[0] t0 clone(0x54f00, 0, 0, 0, 0) = 2 (after blocking)")
# lseek(SEEK_CUR) past INT64_MAX fails with EINVAL as on Linux (the sum overflowed: UBSan).
fuzz_repro_test(fuzz-syscall-lseek-cur-overflow regress-lseek-cur-overflow
  "[1] t0 lseek(0, 0x7fffffffffffffff, 0x1) = 9223372036854775807"
  "[2] t0 lseek(0, 0x7fffffffffffffff, 0x1) = -22 (Invalid argument)")

# The planted bugs (include/amphi/planted.h) the syscall fuzzer must find from its seed
# corpus within a bounded number of inputs, with the report naming the planted function,
# and the crash minimized by libFuzzer's own minimizer. planted.sh fixes the seed and the
# address space's layout, so a search repeats with the same binary, but any change to the
# kernel or the corpus moves the search: each bound is about 10 times the mean of trials
# with seeds 1 to 10 and the corpus as it is (getrandom: 947 to 18537 inputs, a mean of
# 5855; dup3: 881 to 29768, a mean of 11718), so a search that runs out means a worse
# fuzzer, not bad luck.
amphi_test(NAME fuzz-planted-getrandom TIMEOUT 600 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff
           --expect-output "PASS: planted getrandom found as a stack-buffer-overflow"
  COMMAND ${FUZZ_SRC}/planted.sh ${AMPHI_FUZZ_DIR}/fuzz-syscall ${FUZZ_SRC}/syscall/corpus
          getrandom stack-buffer-overflow sys_getrandom 60000 $<TARGET_FILE:amphi-fuzz-repro>)
amphi_test(NAME fuzz-planted-dup3 TIMEOUT 600 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff
           --expect-output "PASS: planted dup3 found as a use-after-poison"
  COMMAND ${FUZZ_SRC}/planted.sh ${AMPHI_FUZZ_DIR}/fuzz-syscall ${FUZZ_SRC}/syscall/corpus
          dup3 use-after-poison planted_dup3_drop_ref 100000 $<TARGET_FILE:amphi-fuzz-repro>)

set(FUZZ_PIPE_CALLS pipe2,pipe,clone,read,write,readv,writev,close,dup,dup3,fcntl,poll,ioctl,exit)
# A race: a thread blocked in a pipe read whose descriptor another task closes (the planted
# read_unref), found from the two thread-and-pipe seeds, neither of which closes the read
# end, with the programs limited to the pipe, descriptor and task calls. In 28 trials
# (seeds 1 to 28) it took from 3 to 8866 inputs, a median of about 1000.
amphi_test(NAME fuzz-planted-read-unref TIMEOUT 600 LABELS fuzz
  ENVIRONMENT "AMPHI_FUZZ_SYSCALLS=${FUZZ_PIPE_CALLS}"
  RUN_ARGS --no-ktap --no-poweroff
           --expect-output "PASS: planted read_unref found as a use-after-poison"
  COMMAND ${FUZZ_SRC}/planted.sh ${AMPHI_FUZZ_DIR}/fuzz-syscall
          "${FUZZ_SRC}/syscall/corpus/tasks-thread-pipe*" read_unref use-after-poison
          planted_read_unref 40000 $<TARGET_FILE:amphi-fuzz-repro>)

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
# planted getrandom bug from the seed corpus within 200,000 executions, about 10 times the
# mean of trials with seeds 1 to 12 (5,564 to 61,453 executions, a mean of 19,477; the
# fixed seed 1 took 61,453 once the kernel and the corpus moved the search); and
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
          ${FUZZ_SRC}/syscall/syscall.dict getrandom stack-buffer-overflow sys_getrandom 200000)
amphi_test(NAME fuzz-oss-fuzz-build TIMEOUT 1800 LABELS fuzz
  RUN_ARGS --no-ktap --no-poweroff --expect-output "PASS: build.sh wrote 6 targets"
  COMMAND ${FUZZ_SRC}/oss_fuzz_check.sh ${CMAKE_BINARY_DIR}/oss-fuzz-check)
