# Tests of the x86_64 PC platform under QEMU (TCG): -kernel (PVH) and the GRUB ISO
# (Multiboot2), 1 and 4 CPUs, firmware without ACPI, panics and CPU exceptions.

foreach(target x86_64 x86_64-iso x86_64-smp4 x86_64-iso-smp4)
  execute_process(COMMAND ${AMPHI_BOOT} --pass-exit ${target}
                  OUTPUT_VARIABLE pass_exit OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(args ktest=all)
  if(target MATCHES "^x86_64-iso")
    set(args) # the ISO's command line is built in
  endif()
  set(name ${target})
  if(target STREQUAL "x86_64")
    set(name x86_64-kernel)
  elseif(target STREQUAL "x86_64-smp4")
    set(name x86_64-kernel-smp4)
  endif()
  set(expect)
  if(target MATCHES "smp4$")
    set(expect --expect-output "pc: 4 CPUs")  # the MADT's CPUs were found, not one
  endif()
  amphi_test(NAME ${name} TIMEOUT 180 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
             RUN_ARGS --expect-exit ${pass_exit} ${expect}
             COMMAND ${AMPHI_BOOT} ${target} ${args})
endforeach()

# q35 through -kernel (PVH with SeaBIOS's ACPI tables), 4 CPUs.
amphi_test(NAME x86_64-q35-smp4 TIMEOUT 180 LABELS qemu
           ENVIRONMENT "${AMPHI_BOOT_ENV};AMPHI_X86_MACHINE=q35"
           RUN_ARGS --expect-exit 1 --expect-output "pc: 4 CPUs"
           COMMAND ${AMPHI_BOOT} x86_64-smp4 ktest=all)

# Without ACPI (microvm,acpi=off) there is no MADT: the PC says so once and runs on one CPU,
# its clock, timer and IPIs still working.
amphi_test(NAME x86_64-no-acpi TIMEOUT 120 LABELS qemu
           ENVIRONMENT "${AMPHI_BOOT_ENV};AMPHI_X86_MACHINE=microvm,acpi=off"
           RUN_ARGS --expect-exit 1
                    --expect-output "pc: no ACPI RSDP found"
                    --expect-output "pc: 1 CPU, boot CPU APIC id 0"
           COMMAND ${AMPHI_BOOT} x86_64-smp4 ktest=pc_irq)

# A failed assertion panics; isa-debug-exit carries status 3 as (3 << 1) | 1.
amphi_test(NAME x86_64-panic TIMEOUT 120 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 7 ${PANIC_OUTPUT} --expect-output "  #1 0xffffffff8"
           COMMAND ${AMPHI_BOOT} x86_64 ktest=panic.assert_fails)

# CPU exceptions print the vector, registers and faulting address, then panic.
amphi_test(NAME x86_64-page-fault TIMEOUT 120 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 7
                    --expect-output "trap: #PF page fault (vector 14)"
                    --expect-output "cr2 0000000000001000 (not present, read, kernel mode)"
                    --expect-output "  rip ffffffff8"
                    --expect-output "panic: unhandled exception #PF page fault"
           COMMAND ${AMPHI_BOOT} x86_64 ktest=pc_faults.page_fault_read)
amphi_test(NAME x86_64-invalid-opcode TIMEOUT 120 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 7
                    --expect-output "trap: #UD invalid opcode (vector 6)"
                    --expect-output "panic: unhandled exception #UD invalid opcode"
           COMMAND ${AMPHI_BOOT} x86_64 ktest=pc_faults.invalid_opcode)

# GRUB's path to user mode: amphi-user.iso boots through Multiboot2 with busybox in a module2
# initial RAM disk, and "rdinit=/bin/busybox -- sh -c ..." on the command line, whose
# arithmetic only the shell in ring 3 can have done.
set(user_iso_env ${AMPHI_BOOT_ENV})
list(FILTER user_iso_env EXCLUDE REGEX "^AMPHI_X86_64_ISO=")
list(APPEND user_iso_env AMPHI_X86_64_ISO=${CMAKE_SOURCE_DIR}/build/x86_64/amphi-user.iso)
amphi_test(NAME x86_64-iso-user TIMEOUT 120 LABELS qemu ENVIRONMENT "${user_iso_env}"
           RUN_ARGS --no-ktap --expect-exit 1 --expect-output "42 from a module"
                    --expect-output "amphi: power off, status 0"
           COMMAND ${AMPHI_BOOT} x86_64-iso)
