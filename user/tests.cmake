# User programs and their tests, for both guest ISAs: x86_64 in the hosted build
# (build/hosted/amphi), aarch64 in the hosted-aarch64 one (build/hosted-aarch64/amphi).
# The programs are built static (x86_64 with musl from musl-tools, aarch64 with the cross
# compiler's glibc) and run both on Linux (the host's, or qemu-aarch64 on it) and inside the
# kernel as `amphi exec`, so every check is also checked against Linux itself.

set(USER_DIR ${CMAKE_SOURCE_DIR}/user)
set(USER_OUT ${CMAKE_BINARY_DIR}/user)
set(USER_OUT_AARCH64 ${CMAKE_BINARY_DIR}/user/aarch64)
find_program(AMPHI_MUSL_GCC musl-gcc REQUIRED)
find_program(AMPHI_BUSYBOX busybox PATHS /bin /usr/bin REQUIRED)
find_program(AMPHI_QEMU_AARCH64 qemu-aarch64 REQUIRED)
# Debian's arm64 busybox-static, fetched by scripts/setup-deps.sh.
get_filename_component(AMPHI_AARCH64_BUSYBOX_DIR ${AMPHI_ARM64_BUSYBOX} DIRECTORY)

# amphi_user_program(name source [AARCH64] [FLAGS...] [INCLUDES sources...]): a static
# program in build/hosted/user/ (x86_64) or build/hosted/user/aarch64/; INCLUDES are the
# sources it #includes.
function(amphi_user_program name source)
  cmake_parse_arguments(P "AARCH64" "" "FLAGS;INCLUDES" ${ARGN})
  list(TRANSFORM P_INCLUDES PREPEND ${USER_DIR}/tests/)
  if(P_AARCH64)
    set(cc ${AMPHI_AARCH64_GCC})
    set(out ${USER_OUT_AARCH64})
    set(target user_aarch64_${name})
  else()
    set(cc ${AMPHI_MUSL_GCC})
    set(out ${USER_OUT})
    set(target user_${name})
  endif()
  add_custom_command(OUTPUT ${out}/${name}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
    COMMAND ${cc} -static -O2 -Wall -Wextra -Werror ${P_FLAGS} -o ${out}/${name}
            ${USER_DIR}/tests/${source}
    DEPENDS ${USER_DIR}/tests/${source} ${P_INCLUDES} COMMENT "${cc} -static ${name}")
  add_custom_target(${target} ALL DEPENDS ${out}/${name})
endfunction()

amphi_user_program(conform conform.c INCLUDES conform_fs.c conform_limits.c)
amphi_user_program(fault fault.c)
amphi_user_program(hwcap hwcap_x86_64.c)
amphi_user_program(oom oom.c)
amphi_user_program(shootdown shootdown.c)
amphi_user_program(fsync_storm fsync_storm.c)
# <linux/fb.h> from the host's kernel headers, after musl's own
amphi_user_program(fbtest fbtest.c FLAGS -idirafter /usr/include
                   -idirafter /usr/include/x86_64-linux-gnu)
amphi_user_program(conform conform.c AARCH64 INCLUDES conform_fs.c conform_limits.c
                   FLAGS -Wno-stringop-overflow -Wno-stringop-overread) # planted bad buffers
amphi_user_program(fault fault.c AARCH64)
amphi_user_program(oom oom.c AARCH64)
amphi_user_program(hwcap hwcap_aarch64.c AARCH64 FLAGS -march=armv8-a+crc+crypto)
amphi_user_program(shootdown shootdown.c AARCH64 FLAGS -pthread)

# The conformance checks hold on the host's Linux (so they encode Linux's behaviour) and
# in the kernel, plus Amphi's W^X policy there; under memcheck and ASan too.
add_test(NAME user-conform-linux COMMAND ${USER_OUT}/conform)
set_tests_properties(user-conform-linux PROPERTIES LABELS unit TIMEOUT 30)
add_test(NAME hosted-user-conform COMMAND ${AMPHI_HOSTED_BIN} exec ${USER_OUT}/conform --amphi)
add_test(NAME valgrind-user-conform
         COMMAND ${MEMCHECK} ${AMPHI_HOSTED_BIN} exec ${USER_OUT}/conform --amphi)
add_test(NAME asan-user-conform
         COMMAND ${AMPHI_HOSTED_ASAN_BIN} exec ${USER_OUT}/conform --amphi)
set_tests_properties(hosted-user-conform PROPERTIES LABELS hosted TIMEOUT 60)
set_tests_properties(valgrind-user-conform PROPERTIES LABELS valgrind TIMEOUT 600)
set_tests_properties(asan-user-conform PROPERTIES LABELS asan TIMEOUT 120)

# Planted bad accesses end the program with SIGSEGV, status 128 + 11, as on Linux; an
# undefined instruction with SIGILL, 128 + 4; a division by zero with SIGFPE, 128 + 8, on
# x86_64 (aarch64 divides to 0: status 0); a breakpoint with SIGTRAP, 128 + 5; a
# privileged instruction with SIGSEGV (x86_64) or SIGILL (aarch64). Linux's statuses for
# the aarch64 build come from qemu-aarch64.
# amphi_fault_status(mode isa var): the status Linux gives fault MODE on ISA.
function(amphi_fault_status mode isa var)
  set(status 139)
  if(mode STREQUAL "ill")
    set(status 132)
  elseif(mode STREQUAL "brk")
    set(status 133)
  elseif((mode STREQUAL "priv" OR mode STREQUAL "io") AND isa STREQUAL "aarch64")
    set(status 132)
  elseif(mode STREQUAL "div" AND isa STREQUAL "x86_64")
    set(status 136)
  elseif(mode STREQUAL "div")
    set(status 0)
  endif()
  set(${var} ${status} PARENT_SCOPE)
endfunction()
set(AMPHI_FAULT_MODES null kernel nx rodata ill div brk priv io)
foreach(mode ${AMPHI_FAULT_MODES})
  amphi_fault_status(${mode} x86_64 status)
  amphi_fault_status(${mode} aarch64 status_a64)
  add_test(NAME hosted-user-fault-${mode}
           COMMAND sh -c "\"$0\" exec \"$1\" ${mode}; test $? -eq ${status}"
                   ${AMPHI_HOSTED_BIN} ${USER_OUT}/fault)
  add_test(NAME hosted-aarch64-user-fault-${mode}
           COMMAND sh -c "\"$0\" exec \"$1\" ${mode}; test $? -eq ${status_a64}"
                   ${AMPHI_HOSTED_AARCH64_BIN} ${USER_OUT_AARCH64}/fault)
  add_test(NAME user-fault-${mode}-qemu-aarch64
           COMMAND sh -c "ulimit -c 0; \"$0\" \"$1\" ${mode} 2>/dev/null; test $? -eq ${status_a64}"
                   ${AMPHI_QEMU_AARCH64} ${USER_OUT_AARCH64}/fault)
  set_tests_properties(hosted-user-fault-${mode} hosted-aarch64-user-fault-${mode}
                       PROPERTIES LABELS hosted TIMEOUT 60)
  set_tests_properties(user-fault-${mode}-qemu-aarch64 PROPERTIES LABELS unit TIMEOUT 60)
endforeach()
add_test(NAME asan-user-fault-nx
         COMMAND sh -c "\"$0\" exec \"$1\" nx; test $? -eq 139"
                 ${AMPHI_HOSTED_ASAN_BIN} ${USER_OUT}/fault)
set_tests_properties(asan-user-fault-nx PROPERTIES LABELS asan TIMEOUT 120)

# The OOM killer in a 32 MiB machine: the biggest process but init dies by SIGKILL, named
# on the console, init's memory stays intact and the machine runs on; twice, the same bytes.
set(USER_OOM sh ${USER_DIR}/tests/oom.sh)
add_test(NAME hosted-user-oom
         COMMAND ${USER_OOM} ${USER_OUT}/oom ${AMPHI_HOSTED_BIN} exec --mem 32M)
add_test(NAME hosted-aarch64-user-oom
         COMMAND ${USER_OOM} ${USER_OUT_AARCH64}/oom ${AMPHI_HOSTED_AARCH64_BIN} exec --mem 32M)
add_test(NAME asan-user-oom
         COMMAND ${USER_OOM} ${USER_OUT}/oom ${AMPHI_HOSTED_ASAN_BIN} exec --mem 32M)
set_tests_properties(hosted-user-oom hosted-aarch64-user-oom PROPERTIES LABELS hosted
                     TIMEOUT 60)
set_tests_properties(asan-user-oom PROPERTIES LABELS asan TIMEOUT 120)
# TLB shootdown: threads of one process on two CPUs never use a translation (of data, or
# of code: the hosted engine's translated code included) that munmap, mprotect or fork
# removed or narrowed (user/tests/shootdown.c), as on Linux; in the
# deterministic machine, the parallel one and the aarch64 guest. The planted bug (the
# kernel booted with tlb_shootdown=off) must be caught in each mode.
set(SHOOTDOWN_ROUNDS 50)
add_test(NAME user-shootdown-linux COMMAND ${USER_OUT}/shootdown all ${SHOOTDOWN_ROUNDS})
add_test(NAME user-shootdown-qemu-aarch64
         COMMAND ${AMPHI_QEMU_AARCH64} ${USER_OUT_AARCH64}/shootdown all ${SHOOTDOWN_ROUNDS})
set_tests_properties(user-shootdown-linux user-shootdown-qemu-aarch64
                     PROPERTIES LABELS unit TIMEOUT 60)
add_test(NAME hosted-user-shootdown
         COMMAND ${AMPHI_HOSTED_BIN} exec --cpus 2 ${USER_OUT}/shootdown all ${SHOOTDOWN_ROUNDS})
add_test(NAME hosted-user-shootdown-parallel
         COMMAND ${AMPHI_HOSTED_BIN} exec --cpus 2 --sched parallel ${USER_OUT}/shootdown all
                 ${SHOOTDOWN_ROUNDS})
add_test(NAME hosted-aarch64-user-shootdown
         COMMAND ${AMPHI_HOSTED_AARCH64_BIN} exec --cpus 2 ${USER_OUT_AARCH64}/shootdown all
                 ${SHOOTDOWN_ROUNDS})
set(shootdown_tests hosted-user-shootdown hosted-user-shootdown-parallel
    hosted-aarch64-user-shootdown)
# (exec is not among them: with the engines per code key the hosted reader faults instead
# of running stale code when the shootdown is off, so that mode proves nothing here yet;
# x86_64 QEMU's planted exec test still catches it)
foreach(mode munmap mprotect fork)
  add_test(NAME hosted-user-shootdown-planted-${mode}
           COMMAND sh ${USER_DIR}/tests/shootdown_planted.sh ${AMPHI_HOSTED_BIN}
                   ${USER_OUT}/shootdown ${mode})
  list(APPEND shootdown_tests hosted-user-shootdown-planted-${mode})
endforeach()
# The IPIs keep the default mode deterministic: one seed, one trace hash.
add_test(NAME hosted-user-shootdown-determinism
         COMMAND sh -c "for i in 1 2; do \"$0\" exec --cpus 2 --seed 7 --trace-hash \"$2.$i\" \"$1\" all 20 >/dev/null || exit 1; done; cmp \"$2.1\" \"$2.2\""
                 ${AMPHI_HOSTED_BIN} ${USER_OUT}/shootdown ${CMAKE_CURRENT_BINARY_DIR}/shootdown-hash)
list(APPEND shootdown_tests hosted-user-shootdown-determinism)
set_tests_properties(${shootdown_tests} PROPERTIES LABELS hosted TIMEOUT 120)
# ThreadSanitizer over the shootdown's IPIs between concurrently running CPUs (a report
# ends the run with status 99), and ASan+UBSan over the same in the default mode.
add_test(NAME tsan-user-shootdown
         COMMAND ${AMPHI_HOSTED_TSAN_BIN} exec --cpus 2 --sched parallel ${USER_OUT}/shootdown
                 all 20)
add_test(NAME asan-user-shootdown
         COMMAND ${AMPHI_HOSTED_ASAN_BIN} exec --cpus 2 ${USER_OUT}/shootdown all 20)
set_tests_properties(tsan-user-shootdown PROPERTIES LABELS tsan TIMEOUT 300)
set_tests_properties(asan-user-shootdown PROPERTIES LABELS asan TIMEOUT 120)

# Debian's static busybox, one command a line, against the same busybox on the host.
set(USER_COMPARE sh ${USER_DIR}/tests/compare.sh)
add_test(NAME hosted-user-busybox
         COMMAND ${USER_COMPARE} ${AMPHI_HOSTED_BIN} ${USER_DIR}/tests/busybox.cmds)
add_test(NAME hosted-user-busybox-4cpus
         COMMAND ${USER_COMPARE} ${AMPHI_HOSTED_BIN} ${USER_DIR}/tests/busybox.cmds --cpus 4)
set_tests_properties(hosted-user-busybox hosted-user-busybox-4cpus
                     PROPERTIES LABELS hosted TIMEOUT 120)

# The same seed gives the same output and trace hash over a busybox script on 4 CPUs.
add_test(NAME hosted-user-determinism
         COMMAND sh ${USER_DIR}/tests/determinism.sh ${AMPHI_HOSTED_BIN}
                 ${USER_DIR}/tests/determinism.script)
set_tests_properties(hosted-user-determinism PROPERTIES LABELS hosted TIMEOUT 120)
add_test(NAME hosted-user-determinism-planted
         COMMAND env SECOND_SEED=2 sh ${USER_DIR}/tests/determinism.sh ${AMPHI_HOSTED_BIN}
                 ${USER_DIR}/tests/determinism.script)
set_tests_properties(hosted-user-determinism-planted
                     PROPERTIES LABELS hosted TIMEOUT 120 WILL_FAIL TRUE)

# The kernel log: busybox dmesg (syslog(2)) prints the boot messages the console showed.
add_test(NAME hosted-user-dmesg COMMAND sh ${USER_DIR}/tests/dmesg.sh ${AMPHI_HOSTED_BIN})
set_tests_properties(hosted-user-dmesg PROPERTIES LABELS hosted TIMEOUT 60)

# The wall clock through busybox's date (user/tests/wallclock.sh): the fixed boot date in
# virtual time, the host's in real time; date -s moves it and new files carry the new time.
add_test(NAME hosted-user-wallclock
         COMMAND sh ${USER_DIR}/tests/wallclock.sh --virtual ${AMPHI_HOSTED_BIN} exec)
add_test(NAME hosted-user-wallclock-real
         COMMAND sh ${USER_DIR}/tests/wallclock.sh ${AMPHI_HOSTED_BIN} exec --time real)
set_tests_properties(hosted-user-wallclock hosted-user-wallclock-real
                     PROPERTIES LABELS hosted TIMEOUT 60)

# ---------------------------------------------------------------- the aarch64 guest

# The same conformance checks, built for aarch64, in the hosted-aarch64 kernel, under
# memcheck too. Linux's side is user-conform-linux: qemu-aarch64 is no reference for these
# (it checks a buffer before the descriptor, and keeps the pages brk gives back).
add_test(NAME hosted-aarch64-user-conform
         COMMAND ${AMPHI_HOSTED_AARCH64_BIN} exec ${USER_OUT_AARCH64}/conform --amphi)
add_test(NAME valgrind-aarch64-user-conform
         COMMAND ${MEMCHECK} ${AMPHI_HOSTED_AARCH64_BIN} exec ${USER_OUT_AARCH64}/conform --amphi)
set_tests_properties(hosted-aarch64-user-conform PROPERTIES LABELS hosted TIMEOUT 60)
set_tests_properties(valgrind-aarch64-user-conform PROPERTIES LABELS valgrind TIMEOUT 600)

# Debian's arm64 busybox, the same command list, against the same busybox on qemu-aarch64.
set(QEMU_A72 "${AMPHI_QEMU_AARCH64} -cpu cortex-a72") # the model Amphi's engine runs
add_test(NAME hosted-aarch64-user-busybox
         COMMAND ${USER_COMPARE} --guest ${AMPHI_AARCH64_BUSYBOX_DIR} ${QEMU_A72}
                 ${AMPHI_HOSTED_AARCH64_BIN} ${USER_DIR}/tests/busybox.cmds)
add_test(NAME hosted-aarch64-user-busybox-4cpus
         COMMAND ${USER_COMPARE} --guest ${AMPHI_AARCH64_BUSYBOX_DIR} ${QEMU_A72}
                 ${AMPHI_HOSTED_AARCH64_BIN} ${USER_DIR}/tests/busybox.cmds --cpus 4)
# qemu-aarch64 shows itself in /proc/self on the host side, and cannot run an arm64
# program by name after env -i (no binfmt handler): those lines are skipped.
set_tests_properties(hosted-aarch64-user-busybox hosted-aarch64-user-busybox-4cpus
                     PROPERTIES LABELS hosted TIMEOUT 120
                     ENVIRONMENT "COMPARE_SKIP=/proc/self/stat|env -i busybox;COMPARE_SKIP_WHY=qemu-aarch64 on the host side")
# Deterministic mode with aarch64 user code: one seed, one output and one trace hash.
add_test(NAME hosted-aarch64-user-determinism
         COMMAND env PATH=${AMPHI_AARCH64_BUSYBOX_DIR}:/usr/bin:/bin
                 sh ${USER_DIR}/tests/determinism.sh ${AMPHI_HOSTED_AARCH64_BIN}
                 ${USER_DIR}/tests/determinism.script)
set_tests_properties(hosted-aarch64-user-determinism PROPERTIES LABELS hosted TIMEOUT 120)
add_test(NAME hosted-aarch64-user-wallclock
         COMMAND env PATH=${AMPHI_AARCH64_BUSYBOX_DIR}:/usr/bin:/bin
                 sh ${USER_DIR}/tests/wallclock.sh --virtual ${AMPHI_HOSTED_AARCH64_BIN} exec)
set_tests_properties(hosted-aarch64-user-wallclock PROPERTIES LABELS hosted TIMEOUT 60)

# AT_HWCAP promises only what the engine executes: the aarch64 bits are those qemu-aarch64
# gives the same CPU model, and each one's instructions compute what they compute there;
# the x86_64 word is the CPU's own CPUID leaf 1 EDX (Linux may clear bits of it, not add).
add_test(NAME hosted-aarch64-user-hwcap
         COMMAND ${USER_COMPARE} --guest ${USER_OUT_AARCH64} ${QEMU_A72}
                 ${AMPHI_HOSTED_AARCH64_BIN} ${USER_DIR}/tests/hwcap_aarch64.cmds)
add_test(NAME user-hwcap-linux COMMAND ${USER_OUT}/hwcap)
add_test(NAME hosted-user-hwcap COMMAND ${AMPHI_HOSTED_BIN} exec ${USER_OUT}/hwcap --amphi)
set_tests_properties(hosted-aarch64-user-hwcap hosted-user-hwcap PROPERTIES LABELS hosted
                     TIMEOUT 60)
set_tests_properties(user-hwcap-linux PROPERTIES LABELS unit TIMEOUT 30)

# A program of the other ISA cannot start: status 127 and the line that says why.
set(WRONG_MACHINE sh ${USER_DIR}/tests/wrong_machine.sh)
add_test(NAME hosted-user-exec-aarch64-binary
         COMMAND ${WRONG_MACHINE} ${AMPHI_HOSTED_BIN} ${USER_OUT_AARCH64}/conform)
add_test(NAME hosted-aarch64-user-exec-x86_64-binary
         COMMAND ${WRONG_MACHINE} ${AMPHI_HOSTED_AARCH64_BIN} ${USER_OUT}/conform)
set_tests_properties(hosted-user-exec-aarch64-binary hosted-aarch64-user-exec-x86_64-binary
                     PROPERTIES LABELS hosted TIMEOUT 60)

# The syscall number tables against Linux's headers of each ISA, and against each other.
add_test(NAME user-syscall-tables
         COMMAND sh ${USER_DIR}/tests/syscall_tables.sh ${CMAKE_SOURCE_DIR} ${AMPHI_HOST_GCC}
                 ${AMPHI_AARCH64_GCC})
set_tests_properties(user-syscall-tables PROPERTIES LABELS unit TIMEOUT 30)
include(${CMAKE_CURRENT_LIST_DIR}/tests-qemu.cmake)
# Pipelines and external commands inside sh (fork and exec from user code, pipes).
add_test(NAME hosted-user-busybox-fork
         COMMAND ${USER_COMPARE} ${AMPHI_HOSTED_BIN} ${USER_DIR}/tests/busybox-fork.cmds)
add_test(NAME hosted-user-busybox-fork-4cpus
         COMMAND ${USER_COMPARE} ${AMPHI_HOSTED_BIN} ${USER_DIR}/tests/busybox-fork.cmds --cpus 4)
set_tests_properties(hosted-user-busybox-fork hosted-user-busybox-fork-4cpus
                     PROPERTIES LABELS hosted TIMEOUT 120)

# `amphi` with no arguments: the busybox shell as the first process. Commands from a pipe
# (no terminal: no prompt, no echo), amphi's status the shell's; and at a terminal (a
# pseudo-terminal), job control, ^C and the window size through the kernel's tty.
add_test(NAME hosted-shell-stdin
         COMMAND sh -c "out=$(printf 'echo hi from sh; exit 7\\n' | \"$0\"); test $? -eq 7 && printf '%s\\n' \"$out\" | grep -qx 'hi from sh'"
                 ${AMPHI_HOSTED_BIN})
find_program(AMPHI_PYTHON3 python3 REQUIRED)
add_test(NAME hosted-shell-tty COMMAND ${AMPHI_PYTHON3} ${USER_DIR}/tests/shell_pty.py ${AMPHI_HOSTED_BIN})
set_tests_properties(hosted-shell-stdin hosted-shell-tty PROPERTIES LABELS hosted TIMEOUT 120)
