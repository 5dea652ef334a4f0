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
amphi_test(NAME gdb-stub-protocol TIMEOUT 60 LABELS hosted
           RUN_ARGS --no-ktap --expect-output "ok - kill ends the machine"
           COMMAND python3 ${GDB_TESTS}/stub_protocol.py ${AMPHI_HOSTED_BIN})

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
