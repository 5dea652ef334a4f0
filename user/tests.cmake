# User programs and their tests (the hosted build, x86_64 guest). The programs are built
# static with musl (musl-tools) and run both on the host's Linux and inside the kernel as
# `amphi exec`, so every check is also checked against Linux itself.

set(USER_DIR ${CMAKE_SOURCE_DIR}/user)
set(USER_OUT ${CMAKE_BINARY_DIR}/user)
find_program(AMPHI_MUSL_GCC musl-gcc REQUIRED)
find_program(AMPHI_BUSYBOX busybox PATHS /bin /usr/bin REQUIRED)

# amphi_user_program(name source [included sources...]): a static x86_64 program in
# build/hosted/user/.
function(amphi_user_program name source)
  list(TRANSFORM ARGN PREPEND ${USER_DIR}/tests/ OUTPUT_VARIABLE included)
  add_custom_command(OUTPUT ${USER_OUT}/${name}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${USER_OUT}
    COMMAND ${AMPHI_MUSL_GCC} -static -O2 -Wall -Wextra -Werror -o ${USER_OUT}/${name}
            ${USER_DIR}/tests/${source}
    DEPENDS ${USER_DIR}/tests/${source} ${included} COMMENT "musl-gcc -static ${name}")
  add_custom_target(user_${name} ALL DEPENDS ${USER_OUT}/${name})
endfunction()

amphi_user_program(conform conform.c conform_fs.c)
amphi_user_program(fault fault.c)

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
set_tests_properties(valgrind-user-conform PROPERTIES LABELS valgrind TIMEOUT 300)
set_tests_properties(asan-user-conform PROPERTIES LABELS asan TIMEOUT 120)

# Planted bad accesses end the program with SIGSEGV, status 128 + 11, as on Linux.
foreach(mode null kernel nx rodata)
  add_test(NAME hosted-user-fault-${mode}
           COMMAND sh -c "\"$0\" exec \"$1\" ${mode}; test $? -eq 139"
                   ${AMPHI_HOSTED_BIN} ${USER_OUT}/fault)
  set_tests_properties(hosted-user-fault-${mode} PROPERTIES LABELS hosted TIMEOUT 60)
endforeach()
add_test(NAME asan-user-fault-nx
         COMMAND sh -c "\"$0\" exec \"$1\" nx; test $? -eq 139"
                 ${AMPHI_HOSTED_ASAN_BIN} ${USER_OUT}/fault)
set_tests_properties(asan-user-fault-nx PROPERTIES LABELS asan TIMEOUT 120)

# Debian's static busybox, one command a line, against the same busybox on the host.
set(USER_COMPARE sh ${USER_DIR}/tests/compare.sh)
add_test(NAME hosted-user-busybox
         COMMAND ${USER_COMPARE} ${AMPHI_HOSTED_BIN} ${USER_DIR}/tests/busybox.cmds)
add_test(NAME hosted-user-busybox-4cpus
         COMMAND ${USER_COMPARE} ${AMPHI_HOSTED_BIN} ${USER_DIR}/tests/busybox.cmds --cpus 4)
set_tests_properties(hosted-user-busybox hosted-user-busybox-4cpus
                     PROPERTIES LABELS hosted TIMEOUT 120)

# Pipelines and external commands inside sh: they need fork and exec from user code, so the
# test is registered disabled until those land (ctest lists it as not run).
add_test(NAME hosted-user-busybox-fork
         COMMAND ${USER_COMPARE} ${AMPHI_HOSTED_BIN} ${USER_DIR}/tests/busybox-fork.cmds)
set_tests_properties(hosted-user-busybox-fork PROPERTIES LABELS hosted TIMEOUT 120 DISABLED TRUE)
