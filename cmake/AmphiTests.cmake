# Test registration helpers and the images under test, for the tests.cmake of every room
# (included by tests/CMakeLists.txt). Every test runs through harness/amphi-run, which
# enforces a deadline and judges KTAP, exit status and expected output.

set(AMPHI_RUN $<TARGET_FILE:amphi-run>)
set(AMPHI_BOOT ${CMAKE_SOURCE_DIR}/harness/boot)
set(AMPHI_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all)

# Images the boot tests run; the Makefile builds every preset before ctest.
set(AMPHI_HOSTED_BIN ${CMAKE_BINARY_DIR}/amphi CACHE FILEPATH "hosted kernel under test")
set(AMPHI_HOSTED_ASAN_BIN ${CMAKE_SOURCE_DIR}/build/hosted-asan/amphi
    CACHE FILEPATH "hosted kernel built by the hosted-asan preset")
set(AMPHI_HOSTED_AARCH64_BIN ${CMAKE_SOURCE_DIR}/build/hosted-aarch64/amphi
    CACHE FILEPATH "hosted kernel with an aarch64 guest, built by the hosted-aarch64 preset")
set(AMPHI_X86_64_ELF ${CMAKE_SOURCE_DIR}/build/x86_64/amphi.elf CACHE FILEPATH "x86_64 kernel ELF")
set(AMPHI_X86_64_ISO ${CMAKE_SOURCE_DIR}/build/x86_64/amphi.iso CACHE FILEPATH "x86_64 GRUB ISO")
set(AMPHI_AARCH64_IMAGE ${CMAKE_SOURCE_DIR}/build/aarch64/Image CACHE FILEPATH "aarch64 Image")
set(AMPHI_AARCH64_ELF ${CMAKE_SOURCE_DIR}/build/aarch64/amphi.elf CACHE FILEPATH "aarch64 ELF")

# harness/boot takes the image paths from these, so CTest tests exactly the cache's images.
set(AMPHI_BOOT_ENV
  AMPHI_HOSTED_BIN=${AMPHI_HOSTED_BIN} AMPHI_X86_64_ELF=${AMPHI_X86_64_ELF}
  AMPHI_X86_64_ISO=${AMPHI_X86_64_ISO} AMPHI_AARCH64_IMAGE=${AMPHI_AARCH64_IMAGE}
  AMPHI_AARCH64_ELF=${AMPHI_AARCH64_ELF})

# Registers a test run through amphi-run: amphi_test(NAME n TIMEOUT s LABELS l...
#   [RUN_ARGS amphi-run options...] COMMAND cmd...). amphi-run's own deadline is a little
# shorter than CTest's, so amphi-run reports the timeout and kills the process group.
function(amphi_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "LABELS;RUN_ARGS;COMMAND;ENVIRONMENT" ${ARGN})
  math(EXPR run_timeout "${T_TIMEOUT} - 5")
  add_test(NAME ${T_NAME}
           COMMAND ${AMPHI_RUN} --timeout ${run_timeout} ${T_RUN_ARGS} -- ${T_COMMAND})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}")
  if(T_ENVIRONMENT)
    set_tests_properties(${T_NAME} PROPERTIES ENVIRONMENT "${T_ENVIRONMENT}")
  endif()
endfunction()

# A CUnit test program: amphi_unit_test(name SOURCES ... KERNEL ... [SANITIZE]).
# KERNEL sources are compiled as kernel code (freestanding, kernel flags).
function(amphi_unit_test name)
  cmake_parse_arguments(U "SANITIZE" "" "SOURCES;KERNEL;LIBS" ${ARGN})
  if(U_KERNEL)
    add_library(${name}_kernel OBJECT ${U_KERNEL})
    target_link_libraries(${name}_kernel PRIVATE kernel_flags)
    if(AMPHI_COVERAGE)
      target_compile_options(${name}_kernel PRIVATE ${AMPHI_COVERAGE_FLAGS})
    endif()
    add_executable(${name} ${U_SOURCES} $<TARGET_OBJECTS:${name}_kernel>)
  else()
    add_executable(${name} ${U_SOURCES})
  endif()
  target_link_libraries(${name} PRIVATE unit_support ${U_LIBS})
  if(U_SANITIZE AND NOT AMPHI_SANITIZE AND NOT AMPHI_TSAN)
    foreach(t ${name} ${name}_kernel)
      if(TARGET ${t})
        target_compile_options(${t} PRIVATE ${AMPHI_SANITIZE_FLAGS})
      endif()
    endforeach()
    target_link_options(${name} PRIVATE ${AMPHI_SANITIZE_FLAGS})
  endif()
  amphi_test(NAME unit-${name} TIMEOUT 120 LABELS unit
             RUN_ARGS --no-poweroff COMMAND $<TARGET_FILE:${name}>)
endfunction()

# Valgrind memcheck as the tests run it: any error makes the run exit 99.
set(MEMCHECK ${AMPHI_VALGRIND} --error-exitcode=99 --track-origins=yes -q)

# What every target's planted failed assertion must print (kernel/lib/panic_ktest.c).
set(PANIC_OUTPUT --expect-output "panic: assertion failed: value == 42"
                 --expect-output "amphi: power off, status 3")
