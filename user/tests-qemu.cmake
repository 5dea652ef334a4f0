# The user programs of user/tests.cmake booted under QEMU through harness/qemu-exec: the
# kernel runs them in ring 3 (x86_64) from an initial RAM disk named on its command line,
# on QEMU's "max" CPU model (SMEP and SMAP on), and they must give what the host's Linux
# and the hosted kernel give.

set(QEMU_EXEC ${CMAKE_SOURCE_DIR}/harness/qemu-exec)

# amphi_qemu_user_tests(target conform fault): conformance, planted faults and Debian's
# busybox against the host under QEMU target `target`, with the static programs given.
function(amphi_qemu_user_tests target conform fault)
  set(env "${AMPHI_BOOT_ENV}")
  add_test(NAME qemu-${target}-user-conform
           COMMAND ${QEMU_EXEC} --target ${target} ${conform} --amphi)
  foreach(mode null kernel nx rodata)
    add_test(NAME qemu-${target}-user-fault-${mode}
             COMMAND sh -c "\"$0\" --target $1 \"$2\" ${mode}; test $? -eq 139"
                     ${QEMU_EXEC} ${target} ${fault})
    list(APPEND faults qemu-${target}-user-fault-${mode})
  endforeach()
  # The serial console never reaches end of input, so the line that reads it is skipped.
  list(APPEND env "COMPARE_SKIP=read x"
                  "COMPARE_SKIP_WHY=a serial console has no end of input")
  add_test(NAME qemu-${target}-user-busybox
           COMMAND ${USER_COMPARE} ${QEMU_EXEC} ${USER_DIR}/tests/busybox.cmds --target ${target})
  set_tests_properties(qemu-${target}-user-conform ${faults} qemu-${target}-user-busybox
                       PROPERTIES LABELS qemu TIMEOUT 180 ENVIRONMENT "${env}")
endfunction()

amphi_qemu_user_tests(x86_64 ${USER_OUT}/conform ${USER_OUT}/fault)
amphi_qemu_user_tests(x86_64-smp4 ${USER_OUT}/conform ${USER_OUT}/fault)
