# Tests of the aarch64 platform under QEMU (TCG): the Image, the ELF, EL2 entry, U-Boot
# booti, GICv2 and GICv3 with 1 and 4 CPUs, bad device trees, panics and CPU exceptions.

foreach(target aarch64 aarch64-elf aarch64-el2 aarch64-uboot)
  execute_process(COMMAND ${AMPHI_BOOT} --pass-exit ${target}
                  OUTPUT_VARIABLE pass_exit OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(expect)
  if(target STREQUAL "aarch64-el2")
    set(expect --expect-output "entered at EL2, running at EL1")
  elseif(target STREQUAL "aarch64-uboot")
    set(expect --expect-output "Starting kernel")  # U-Boot's booti, not QEMU, loaded it
  endif()
  amphi_test(NAME ${target} TIMEOUT 180 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
             RUN_ARGS --expect-exit ${pass_exit} ${expect}
             COMMAND ${AMPHI_BOOT} ${target} ktest=all)
endforeach()

# The aarch64 machine variants: GICv2 and GICv3, 1 and 4 CPUs, secondaries entering at EL2.
# The boot line names what the kernel found, so a boot that lost CPUs or its GIC fails.
function(amphi_aarch64_machine_test target found)
  amphi_test(NAME ${target} TIMEOUT 180 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
             RUN_ARGS --expect-exit 0 --expect-output "boot: ${found}, timer INTID 27"
             COMMAND ${AMPHI_BOOT} ${target} ktest=all)
endfunction()
amphi_aarch64_machine_test(aarch64-smp4 "4 CPUs, gic-v2")
amphi_aarch64_machine_test(aarch64-gicv3 "1 CPU, gic-v3")
amphi_aarch64_machine_test(aarch64-gicv3-smp4 "4 CPUs, gic-v3")
amphi_aarch64_machine_test(aarch64-el2-smp4 "4 CPUs, gic-v2")

# Bad firmware data: QEMU's own device tree with one planted flaw each. CPUs that cannot be
# started, or are listed twice, are left out with a word; a timer node without the virtual
# PPI falls back to the architected INTID 27; a GIC whose regions hold no redistributor for
# the boot CPU is a panic that says so.
set(AARCH64_BAD_DTB ${CMAKE_SOURCE_DIR}/arch/aarch64/virt/bad_dtb_test.sh)
amphi_test(NAME aarch64-dtb-cpus TIMEOUT 180 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --expect-exit 0
                    --expect-output "boot: ignoring CPU 0x2: its enable-method is not psci"
                    --expect-output "boot: ignoring a second /cpus node for MPIDR 0x1"
                    --expect-output "boot: 2 CPUs, gic-v3" --expect-output "smp: 2 of 2 CPUs online"
           COMMAND ${AARCH64_BAD_DTB} cpus ktest=all)
amphi_test(NAME aarch64-dtb-timer TIMEOUT 180 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --expect-exit 0
                    --expect-output "timer: no virtual-timer PPI in the device tree"
                    --expect-output "timer INTID 27"
           COMMAND ${AARCH64_BAD_DTB} timer ktest=all)
amphi_test(NAME aarch64-dtb-redistributors TIMEOUT 120 LABELS qemu
           ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 0
                    --expect-output "panic: gic-v3: no redistributor for MPIDR 0 in the device tree"
                    --expect-output "amphi: power off, status 3"
           COMMAND ${AARCH64_BAD_DTB} redistributors ktest=all)

# A failed assertion panics; PSCI SYSTEM_OFF exits 0, so the printed line carries status 3.
amphi_test(NAME aarch64-panic TIMEOUT 120 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 0 ${PANIC_OUTPUT} --expect-output "  #1 0x"
           COMMAND ${AMPHI_BOOT} aarch64 ktest=panic.assert_fails)

# CPU exceptions print the vector, registers and faulting address, then panic.
amphi_test(NAME aarch64-data-abort TIMEOUT 120 LABELS qemu ENVIRONMENT "${AMPHI_BOOT_ENV}"
           RUN_ARGS --no-ktap --expect-exit 0
                    --expect-output "exception: synchronous from EL1: data abort (EC 0x25)"
                    --expect-output "FAR 0xffffffffc0000000"
                    --expect-output "amphi: power off, status 3"
           COMMAND ${AMPHI_BOOT} aarch64 ktest=aarch64_faults.fault_unmapped_read)
