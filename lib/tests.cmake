# libamphi's host tools against e2fsprogs and GNU tar (lib/tests/tools.sh): amphi-cptofs
# into a fresh mke2fs image (1 and 4 KiB blocks; e2fsck -fn clean, debugfs reads back the
# host's tree) and out of a mke2fs -d image, amphi-fs2tar against the tree and GNU tar's
# --compare, damaged images and bad arguments; also under memcheck and ASan+UBSan.
find_program(AMPHI_MKE2FS mke2fs PATHS /sbin /usr/sbin)
find_program(AMPHI_DEBUGFS debugfs PATHS /sbin /usr/sbin)
if(AMPHI_MKE2FS AND AMPHI_DEBUGFS AND TARGET amphi-cptofs)
  set(LIB_TOOLS sh ${CMAKE_SOURCE_DIR}/lib/tests/tools.sh)
  set(lock AMPHI_LOCK_CHECKER=1) # the tools leave the kernel's lock checker off by default
  get_filename_component(lib_asan_dir ${AMPHI_HOSTED_ASAN_BIN} DIRECTORY)
  # name, case, block size
  set(lib_cases "cptofs-in-1024 in 1024" "cptofs-in-4096 in 4096" "cptofs-out out 4096"
                "fs2tar tar 1024" "tools-bad bad 1024")
  foreach(c ${lib_cases})
    separate_arguments(c)
    list(GET c 0 name)
    list(GET c 1 case_)
    list(GET c 2 bs)
    set(ok --no-ktap --expect-output "ok - amphi tools: ${case_}")
    amphi_test(NAME hosted-lib-${name} TIMEOUT 200 LABELS hosted RUN_ARGS ${ok} ENVIRONMENT ${lock}
               COMMAND ${LIB_TOOLS} ${case_} ${CMAKE_BINARY_DIR}/lib-${name} ${bs}
                       ${CMAKE_BINARY_DIR})
    amphi_test(NAME valgrind-lib-${name} TIMEOUT 900 LABELS valgrind RUN_ARGS ${ok} ENVIRONMENT ${lock}
               COMMAND ${LIB_TOOLS} ${case_} ${CMAKE_BINARY_DIR}/lib-${name}-valgrind ${bs}
                       ${CMAKE_BINARY_DIR} ${MEMCHECK})
    amphi_test(NAME asan-lib-${name} TIMEOUT 400 LABELS asan RUN_ARGS ${ok} ENVIRONMENT ${lock}
               COMMAND ${LIB_TOOLS} ${case_} ${CMAKE_BINARY_DIR}/lib-${name}-asan ${bs}
                       ${lib_asan_dir})
  endforeach()
endif()

# The library's syscalls against the host's Linux: results, errno values, what comes back.
if(TARGET amphi-api-test)
  set(api_ok --no-ktap --expect-output "ok - libamphi's syscalls match Linux's")
  amphi_test(NAME hosted-lib-api TIMEOUT 60 LABELS hosted RUN_ARGS ${api_ok}
             COMMAND ${CMAKE_BINARY_DIR}/amphi-api-test)
  amphi_test(NAME valgrind-lib-api TIMEOUT 300 LABELS valgrind RUN_ARGS ${api_ok}
             COMMAND ${MEMCHECK} ${CMAKE_BINARY_DIR}/amphi-api-test)
  get_filename_component(lib_asan_dir ${AMPHI_HOSTED_ASAN_BIN} DIRECTORY)
  amphi_test(NAME asan-lib-api TIMEOUT 120 LABELS asan RUN_ARGS ${api_ok}
             COMMAND ${lib_asan_dir}/amphi-api-test)
endif()
