# The user programs of user/tests.cmake booted under QEMU through harness/qemu-exec: the
# kernel runs them in ring 3 (x86_64) or EL0 (aarch64) from an initial RAM disk named on its
# command line, on QEMU's "max" CPU model (SMEP and SMAP, PAN on), and they must give what
# Linux gives: conform's checks, SIGSEGV for the planted faults, busybox.cmds' output and
# status as the host's busybox prints them.

set(QEMU_EXEC ${CMAKE_SOURCE_DIR}/harness/qemu-exec)
set(USER_OUT_QEMU_AARCH64 ${USER_OUT}/qemu-aarch64)

# aarch64 builds of the programs, with the cross compiler's glibc (its headers warn about
# the deliberately bad pointers conform passes).
foreach(name conform fault)
  add_custom_command(OUTPUT ${USER_OUT_QEMU_AARCH64}/${name}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${USER_OUT_QEMU_AARCH64}
    COMMAND ${AMPHI_AARCH64_GCC} -static -O2 -Wall -Wextra -Werror -Wno-stringop-overflow
            -Wno-stringop-overread -o ${USER_OUT_QEMU_AARCH64}/${name}
            ${USER_DIR}/tests/${name}.c
    DEPENDS ${USER_DIR}/tests/${name}.c COMMENT "aarch64-linux-gnu-gcc -static ${name}")
  add_custom_target(user_qemu_aarch64_${name} ALL DEPENDS ${USER_OUT_QEMU_AARCH64}/${name})
endforeach()

# amphi_qemu_user_tests(target conform fault [busybox folder]): conformance, planted faults
# and, given the folder of the target's busybox, busybox.cmds under QEMU target `target`.
function(amphi_qemu_user_tests target conform fault)
  set(env "${AMPHI_BOOT_ENV}")
  set(tests qemu-${target}-user-conform)
  add_test(NAME qemu-${target}-user-conform
           COMMAND ${QEMU_EXEC} --target ${target} ${conform} --amphi)
  foreach(mode null kernel nx rodata)
    add_test(NAME qemu-${target}-user-fault-${mode}
             COMMAND sh -c "\"$0\" --target $1 \"$2\" ${mode}; test $? -eq 139"
                     ${QEMU_EXEC} ${target} ${fault})
    list(APPEND tests qemu-${target}-user-fault-${mode})
  endforeach()
  if(ARGC GREATER 3)
    # qemu-exec finds busybox in that folder first; the host runs its own (the same Debian
    # version). The serial console never reaches end of input: the line reading it is
    # skipped.
    add_test(NAME qemu-${target}-user-busybox
             COMMAND ${USER_COMPARE} ${QEMU_EXEC} ${USER_DIR}/tests/busybox.cmds --target ${target})
    list(APPEND tests qemu-${target}-user-busybox)
    list(APPEND env "PATH=${ARGV3}:$ENV{PATH}" "COMPARE_SKIP=read x"
                    "COMPARE_SKIP_WHY=a serial console has no end of input")
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
  amphi_qemu_user_tests(${target} ${USER_OUT_QEMU_AARCH64}/conform ${USER_OUT_QEMU_AARCH64}/fault
                        ${arm64_busybox_dir})
endforeach()
