# GDB on every target (harness/debug --batch with harness/gdb/tests/*.gdb), the hosted one
# also through its gdbstub: a breakpoint in
# a kernel function, a backtrace through kmain, a step, a variable, four CPUs as threads,
# and the Python helpers (amphi threads, dmesg, locks; ps and pt on a user program's
# syscall, pt checked against the kernel's own walk, pt_lookup). The helpers are loaded by
# GDB's auto-load from the kernel's .debug_gdb_scripts section, not by hand.
set(GDB_TESTS ${CMAKE_SOURCE_DIR}/harness/gdb/tests)
set(DEBUG ${CMAKE_SOURCE_DIR}/harness/debug)
set(kernel_checks
    --expect-output "hit Breakpoint 1, vfs_init" --expect-output "kmain ("
    --expect-output "ramfs_register();" --expect-output "gdbtest\""
    --expect-output "   4 idle" --expect-output "smp: 4 of 4 CPUs online"
    --expect-output "page_alloc               taken at page_alloc")
set(user_checks --expect-output "    1     0 live" --expect-output "not present"
                --expect-output "PT-CHECK ok")

amphi_test(NAME gdb-hosted-kernel TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=--cpus 4"
           RUN_ARGS --no-ktap ${kernel_checks} --expect-output "\"cpu3\""
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/kernel.gdb hosted quiet gdbtest)
amphi_test(NAME gdb-hosted-user TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=exec busybox uname"
           RUN_ARGS --no-ktap ${user_checks} --expect-output "(x86_64 tables)"
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/user.gdb hosted)
amphi_test(NAME gdb-hosted-aarch64-user TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=exec ${AMPHI_ARM64_BUSYBOX} uname"
           RUN_ARGS --no-ktap ${user_checks} --expect-output "(aarch64 tables)"
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/user.gdb hosted-aarch64)

# The same kernel session through the machine's own gdbstub (--gdb, harness/debug hosted-stub),
# and the stub's protocol checked without GDB against the program's ELF file.
amphi_test(NAME gdb-stub-hosted-kernel TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=--cpus 4"
           RUN_ARGS --no-ktap ${kernel_checks} --expect-output "Thread 4 \"cpu3\""
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/kernel.gdb hosted-stub quiet gdbtest)
amphi_test(NAME gdb-stub-hosted-aarch64-kernel TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=--cpus 4"
           RUN_ARGS --no-ktap ${kernel_checks} --expect-output "Thread 4 \"cpu3\""
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/kernel.gdb hosted-aarch64-stub quiet gdbtest)
amphi_test(NAME gdb-stub-hosted-kernel-parallel TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=--cpus 4 --sched parallel"
           RUN_ARGS --no-ktap ${kernel_checks} --expect-output "Thread 4 \"cpu3\""
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/kernel.gdb hosted-stub quiet gdbtest)
amphi_test(NAME gdb-stub-protocol-parallel TIMEOUT 60 LABELS hosted
           RUN_ARGS --no-ktap --expect-output "ok - kill ends the machine" --expect-output "ok - killed"
           COMMAND python3 ${GDB_TESTS}/stub_protocol.py ${AMPHI_HOSTED_BIN} --sched parallel)
amphi_test(NAME gdb-stub-protocol TIMEOUT 60 LABELS hosted
           RUN_ARGS --no-ktap --expect-output "ok - kill ends the machine" --expect-output "ok - killed"
           COMMAND python3 ${GDB_TESTS}/stub_protocol.py ${AMPHI_HOSTED_BIN})

# Reverse execution in deterministic mode (harness/gdb/tests/reverse.gdb): reverse-continue
# to the previous hit of a breakpoint, reverse-stepi, hits the forward run never stopped at,
# the start of the history; the run then ends with the trace hash of an undisturbed run of
# the same machine (reverse.sh), on one CPU and on four. And the refusals with a reason.
set(reverse_checks --expect-output "REVERSE-CONTINUE-CHECK ok: size 15"
    --expect-output "REVERSE-STEPI-CHECK ok" --expect-output "REVERSE-STEPI-CALL-CHECK ok"
    --expect-output "REVERSE-FINISH-CHECK ok" --expect-output "REVERSE-NEXT-CHECK ok"
    --expect-output "second call again: size 15" --expect-output "first call: size 1"
    --expect-output "REVERSE-BOOT-CHECK ok" --expect-output "No more reverse-execution history"
    --expect-output "REVERSE-START-CHECK ok" --expect-output "(Remote target) exited normally"
    --expect-output "ktest: PASS" --expect-output "ok - the debugged run ends with the undisturbed")
amphi_test(NAME gdb-stub-hosted-reverse TIMEOUT 120 LABELS hosted
           RUN_ARGS --no-ktap ${reverse_checks}
           COMMAND ${GDB_TESTS}/reverse.sh ${AMPHI_HOSTED_BIN} ${GDB_TESTS}/reverse.gdb --cpus 1
                   -- ktest=kmalloc)
amphi_test(NAME gdb-stub-hosted-reverse-smp TIMEOUT 120 LABELS hosted
           RUN_ARGS --no-ktap ${reverse_checks}
           COMMAND ${GDB_TESTS}/reverse.sh ${AMPHI_HOSTED_BIN} ${GDB_TESTS}/reverse.gdb --cpus 4
                   -- ktest=kmalloc)
amphi_test(NAME gdb-stub-hosted-aarch64-reverse TIMEOUT 120 LABELS hosted
           RUN_ARGS --no-ktap ${reverse_checks}
           COMMAND ${GDB_TESTS}/reverse.sh ${AMPHI_HOSTED_AARCH64_BIN} ${GDB_TESTS}/reverse.gdb
                   --cpus 2 -- ktest=kmalloc)
amphi_test(NAME gdb-stub-hosted-reverse-user TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=exec busybox uname"
           RUN_ARGS --no-ktap --expect-output "fifth system call: 302"
           --expect-output "REVERSE-USER-CHECK ok: system call 158"
           --expect-output "(Remote target) exited normally" --expect-output "Linux"
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/reverse-user.gdb hosted-stub)
set(refused_deterministic
    --expect-output "cannot execute in reverse: the continue that ended here ran more than"
    --expect-output "REVERSE-REFUSED-CHECK ok after reverse-stepi"
    --expect-output "REVERSE-REFUSED-CHECK ok after reverse-continue"
    --expect-output "cannot execute in reverse: GDB changed registers or memory"
    --expect-output "reverse execution is off: GDB changed registers")
set(refused_parallel
    --expect-output "reverse execution is off: it needs --gdb-wait, --sched deterministic"
    --expect-output "REVERSE-REFUSED reverse-stepi: Target remote does not support"
    --expect-output "REVERSE-REFUSED reverse-continue: Target remote does not support")
foreach(sched deterministic parallel)
  amphi_test(NAME gdb-stub-reverse-refused-${sched} TIMEOUT 120 LABELS hosted
             ENVIRONMENT "AMPHI_SIM_ARGS=--cpus 2 --sched ${sched}"
             RUN_ARGS --no-ktap ${refused_${sched}} --expect-output "ktest: PASS"
             --expect-output "(Remote target) exited normally"
             COMMAND ${DEBUG} --batch ${GDB_TESTS}/reverse-refused.gdb hosted-stub ktest=kmalloc)
endforeach()

foreach(isa x86_64 aarch64)
  set(busybox ${AMPHI_BUSYBOX})
  if(isa STREQUAL "aarch64")
    set(busybox ${AMPHI_ARM64_BUSYBOX})
  endif()
  amphi_test(NAME gdb-qemu-${isa}-kernel TIMEOUT 180 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
             RUN_ARGS --no-ktap ${kernel_checks} --expect-output "(CPU#3 "
             COMMAND ${DEBUG} --batch ${GDB_TESTS}/kernel.gdb ${isa}-smp4 gdbtest)
  amphi_test(NAME gdb-qemu-${isa}-user TIMEOUT 180 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
             RUN_ARGS --no-ktap ${user_checks} --expect-output "(${isa} tables)"
             COMMAND ${GDB_TESTS}/qemu-user.sh ${isa} ${busybox})
endforeach()

# A user program with debug information for the follow mode, built static for both guest
# ISAs like user/'s programs.
set(GDBUSER_SRC ${CMAKE_SOURCE_DIR}/harness/gdb/tests/gdbuser.c)
set(GDBUSER ${CMAKE_BINARY_DIR}/user/gdbuser)
set(GDBUSER_AARCH64 ${CMAKE_BINARY_DIR}/user/aarch64/gdbuser)
add_custom_command(OUTPUT ${GDBUSER} ${GDBUSER_AARCH64}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/user/aarch64
  COMMAND ${AMPHI_MUSL_GCC} -static -g -O0 -Wall -Wextra -Werror -o ${GDBUSER} ${GDBUSER_SRC}
  COMMAND ${AMPHI_AARCH64_GCC} -static -g -O0 -Wall -Wextra -Werror -o ${GDBUSER_AARCH64}
          ${GDBUSER_SRC}
  DEPENDS ${GDBUSER_SRC} COMMENT "static gdbuser for both guest ISAs")
add_custom_target(gdbuser ALL DEPENDS ${GDBUSER} ${GDBUSER_AARCH64})

set(user_stub_checks --expect-output "\"gdbuser\"" --expect-output "Breakpoint 1, main (argc=1"
    --expect-output "STEPI-CHECK ok" --expect-output "add (a=1, b=41) at"
    --expect-output " in main (argc=1" --expect-output "$1 = 1" --expect-output "$2 = 41"
    --expect-output "Value returned is $3 = 42" --expect-output "gdbuser\""
    --expect-output "Old value = 0" --expect-output "New value = 1" --expect-output "$5 = 1"
    --expect-output "(Remote target) exited normally" --expect-output "42 after 1 call")
amphi_test(NAME gdb-stub-hosted-user TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=exec ${GDBUSER}"
           RUN_ARGS --no-ktap ${user_stub_checks}
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/user-stub.gdb --follow hosted-stub)
amphi_test(NAME gdb-stub-hosted-aarch64-user TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=exec ${GDBUSER_AARCH64}"
           RUN_ARGS --no-ktap ${user_stub_checks}
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/user-stub.gdb --follow hosted-aarch64-stub)

# GDB's writes to the followed process's registers reach its engine: `return 99` in add
# leaves main with 99 as the sum.
set(user_regs_checks --expect-output "Breakpoint 1, add (a=1, b=41)" --expect-output "RETURN-CHECK ok"
    --expect-output "FLAGS-CHECK ok" --expect-output "SEGMENT-CHECK refused" --expect-output "G-CHECK ok"
    --expect-output "99 after 0 call" --expect-output "exited with code 01")
amphi_test(NAME gdb-stub-hosted-user-regs TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=exec ${GDBUSER}"
           RUN_ARGS --no-ktap ${user_regs_checks}
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/user-regs.gdb --follow hosted-stub)
amphi_test(NAME gdb-stub-hosted-aarch64-user-regs TIMEOUT 120 LABELS hosted
           ENVIRONMENT "AMPHI_SIM_ARGS=exec ${GDBUSER_AARCH64}"
           RUN_ARGS --no-ktap ${user_regs_checks}
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/user-regs.gdb --follow hosted-aarch64-stub)

# The stub under AddressSanitizer and UBSan (the hosted-asan build, a PIE: GDB and the
# protocol check find its load address through the auxiliary vector).
amphi_test(NAME asan-gdb-stub-protocol TIMEOUT 120 LABELS asan
           RUN_ARGS --no-ktap --expect-output "ok - kill ends the machine" --expect-output "ok - killed"
           COMMAND python3 ${GDB_TESTS}/stub_protocol.py ${AMPHI_HOSTED_ASAN_BIN})
# (its kernel is compiled without optimisation: the breakpoint is at vfs_init's opening
# brace, and the step reaches its first statement)
set(asan_kernel_checks ${kernel_checks})
list(TRANSFORM asan_kernel_checks REPLACE "^ramfs_register\\(\\)$" "vfs_lock_init()")
amphi_test(NAME asan-gdb-stub-hosted-kernel TIMEOUT 120 LABELS asan
           ENVIRONMENT "AMPHI_SIM_ARGS=--cpus 4" "AMPHI_HOSTED_BIN=${AMPHI_HOSTED_ASAN_BIN}"
           RUN_ARGS --no-ktap ${asan_kernel_checks} --expect-output "Thread 4 \"cpu3\""
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/kernel.gdb hosted-stub quiet gdbtest)
amphi_test(NAME asan-gdb-stub-hosted-reverse TIMEOUT 240 LABELS asan
           RUN_ARGS --no-ktap ${reverse_checks}
           COMMAND ${GDB_TESTS}/reverse.sh ${AMPHI_HOSTED_ASAN_BIN} ${GDB_TESTS}/reverse.gdb
                   --cpus 4 -- ktest=kmalloc)
amphi_test(NAME asan-gdb-stub-hosted-user TIMEOUT 120 LABELS asan
           ENVIRONMENT "AMPHI_SIM_ARGS=exec ${GDBUSER}" "AMPHI_HOSTED_BIN=${AMPHI_HOSTED_ASAN_BIN}"
           RUN_ARGS --no-ktap ${user_stub_checks}
           COMMAND ${DEBUG} --batch ${GDB_TESTS}/user-stub.gdb --follow hosted-stub)
