# The user programs of user/tests.cmake booted under QEMU through harness/qemu-exec: the
# kernel runs them in ring 3 (x86_64) or EL0 (aarch64) from an initial RAM disk named on its
# command line, on QEMU's "max" CPU model (SMEP and SMAP, PAN on), and they must give what
# Linux gives: conform's checks, the planted faults' signals, busybox.cmds' output and
# status as the host's busybox prints them.

set(QEMU_EXEC ${CMAKE_SOURCE_DIR}/harness/qemu-exec)

# amphi_qemu_user_tests(target conform fault [busybox folder [runner]]): conformance,
# planted faults and, given the folder of the target's busybox, busybox.cmds under QEMU
# target `target`; with a runner (qemu-aarch64), Linux's side runs that busybox through it.
function(amphi_qemu_user_tests target conform fault)
  set(env "${AMPHI_BOOT_ENV}")
  set(tests qemu-${target}-user-conform qemu-${target}-user-oom)
  add_test(NAME qemu-${target}-user-conform
           COMMAND ${QEMU_EXEC} --target ${target} ${conform} --amphi)
  # the OOM killer (user/tests/oom.sh), in the memory the machine boots with
  get_filename_component(user_dir ${conform} DIRECTORY)
  add_test(NAME qemu-${target}-user-oom
           COMMAND sh ${USER_DIR}/tests/oom.sh ${user_dir}/oom ${QEMU_EXEC} --target ${target})
  string(REGEX MATCH "^[a-z0-9]+_?[0-9]*" isa ${target})
  foreach(mode ${AMPHI_FAULT_MODES})
    amphi_fault_status(${mode} ${isa} status)
    add_test(NAME qemu-${target}-user-fault-${mode}
             COMMAND sh -c "\"$0\" --target $1 \"$2\" ${mode}; test $? -eq ${status}"
                     ${QEMU_EXEC} ${target} ${fault})
    list(APPEND tests qemu-${target}-user-fault-${mode})
  endforeach()
  if(ARGC GREATER 3)
    # qemu-exec finds busybox in that folder first; the host runs its own (the same Debian
    # version), or that one through the runner.
    set(guest)
    set(skip "read x|/proc/self/cmdline")
    set(why "no end of input on a serial console; argv[0] is the path")
    if(ARGC GREATER 4)
      set(guest --guest ${ARGV3} ${ARGV4})
      string(APPEND skip "|/proc/self/stat|env -i busybox")
      string(APPEND why "; the runner on the host side")
    endif()
    add_test(NAME qemu-${target}-user-busybox
             COMMAND ${USER_COMPARE} ${guest} ${QEMU_EXEC} ${USER_DIR}/tests/busybox.cmds
                     --target ${target})
    list(APPEND tests qemu-${target}-user-busybox)
    # the serial console never reaches end of input; rdinit= gives the program its path as
    # argv[0], as Linux does, where the host's shell gives the name
    list(APPEND env "COMPARE_SKIP=${skip}" "COMPARE_SKIP_WHY=${why}")
  endif()
  set_tests_properties(${tests} PROPERTIES LABELS qemu TIMEOUT 180 ENVIRONMENT "${env}")
endfunction()

get_filename_component(host_busybox_dir ${AMPHI_BUSYBOX} DIRECTORY)
amphi_qemu_user_tests(x86_64 ${USER_OUT}/conform ${USER_OUT}/fault ${host_busybox_dir})
amphi_qemu_user_tests(x86_64-smp4 ${USER_OUT}/conform ${USER_OUT}/fault ${host_busybox_dir})

# Debian's arm64 busybox-static, where scripts/setup-deps.sh puts it once it fetches one.
set(arm64_busybox_dir ${CMAKE_SOURCE_DIR}/build/deps/busybox-static-arm64/bin)
if(NOT EXISTS ${arm64_busybox_dir}/busybox)
  message(STATUS "no arm64 busybox in ${arm64_busybox_dir}: no aarch64 busybox test under QEMU")
  set(arm64_busybox_dir)
endif()
foreach(target aarch64 aarch64-smp4)
  amphi_qemu_user_tests(${target} ${USER_OUT_AARCH64}/conform ${USER_OUT_AARCH64}/fault
                        ${arm64_busybox_dir} "${AMPHI_QEMU_AARCH64} -cpu cortex-a72")
endforeach()

# The wall clock (user/tests/wallclock.sh): the CMOS RTC and the PL031 give the host's time
# (QEMU's default RTC base), date -s moves it, new files carry the new time.
add_test(NAME qemu-x86_64-user-wallclock
         COMMAND sh ${USER_DIR}/tests/wallclock.sh ${QEMU_EXEC} --target x86_64)
set(wallclock_tests qemu-x86_64-user-wallclock)
if(arm64_busybox_dir)
  add_test(NAME qemu-aarch64-user-wallclock
           COMMAND env PATH=${arm64_busybox_dir}:/usr/bin:/bin
                   sh ${USER_DIR}/tests/wallclock.sh ${QEMU_EXEC} --target aarch64)
  list(APPEND wallclock_tests qemu-aarch64-user-wallclock)
endif()
set_tests_properties(${wallclock_tests} PROPERTIES LABELS qemu TIMEOUT 180
                     ENVIRONMENT "${AMPHI_BOOT_ENV}")

# TLB shootdown on 4 CPUs (user/tests/shootdown.c): x86_64 through the call-function IPI,
# aarch64 through broadcast TLBI. Booted with tlb_shootdown=off (the planted bug), the
# munmap, mprotect and (x86_64) exec rounds must see stale translations (status 2). QEMU's
# aarch64 keeps stale code only some runs (its translated code is shared by the CPUs and
# dropped when the freed page is written), so exec is no planted check there.
set(shootdown_tests)
foreach(isa x86_64 aarch64)
  set(program ${USER_OUT}/shootdown)
  if(isa STREQUAL "aarch64")
    set(program ${USER_OUT_AARCH64}/shootdown)
  endif()
  add_test(NAME qemu-${isa}-smp4-user-shootdown
           COMMAND ${QEMU_EXEC} --target ${isa}-smp4 ${program} all 50)
  list(APPEND shootdown_tests qemu-${isa}-smp4-user-shootdown)
  set(modes munmap mprotect exec)
  if(isa STREQUAL "aarch64")
    set(modes munmap mprotect)
  endif()
  foreach(mode ${modes})
    add_test(NAME qemu-${isa}-smp4-user-shootdown-planted-${mode}
             COMMAND sh -c "AMPHI_EXEC_KERNEL_ARGS=tlb_shootdown=off \"$0\" --target $1 \"$2\" $3 50; test $? -eq 2"
                     ${QEMU_EXEC} ${isa}-smp4 ${program} ${mode})
    list(APPEND shootdown_tests qemu-${isa}-smp4-user-shootdown-planted-${mode})
  endforeach()
endforeach()
set_tests_properties(${shootdown_tests} PROPERTIES LABELS qemu TIMEOUT 180
                     ENVIRONMENT "${AMPHI_BOOT_ENV}")
