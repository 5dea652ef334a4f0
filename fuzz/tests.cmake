# The fuzz targets of the parsers (fuzz/fdt, fuzz/cpio, fuzz/cmdline), built by the fuzz
# preset into build/fuzz: each replays its corpus, every file once (the regression
# inputs), and fuzzes 2000 runs from it with seed 1 and its dictionary, in a copy of the
# corpus (libFuzzer adds what it finds to its first directory). A crash, a sanitizer
# report or a disagreement with the reference fails the test. -max_total_time only bounds
# a run that hangs; the smoke run must report all its 2000 runs done.
set(AMPHI_FUZZ_DIR ${CMAKE_SOURCE_DIR}/build/fuzz CACHE PATH "fuzz targets built by the fuzz preset")

foreach(t fdt cpio cmdline)
  set(bin ${AMPHI_FUZZ_DIR}/fuzz-${t})
  set(src ${CMAKE_SOURCE_DIR}/fuzz/${t})
  file(GLOB inputs CONFIGURE_DEPENDS ${src}/corpus/*)
  list(LENGTH inputs n)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz-${t})
  amphi_test(NAME fuzz-${t}-corpus TIMEOUT 300 LABELS fuzz
             RUN_ARGS --no-ktap --no-poweroff --expect-output "Running ${n} inputs 1 time(s) each."
             COMMAND ${bin} -artifact_prefix=${work}-corpus- ${inputs})
  amphi_test(NAME fuzz-${t}-smoke TIMEOUT 600 LABELS fuzz
             RUN_ARGS --no-ktap --no-poweroff --expect-output "Done 2000 runs"
             COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\" && cp \"$2\"/* \"$1\"/ && exec \"$3\" -runs=2000 -seed=1 -max_total_time=500 -dict=\"$4\" -artifact_prefix=\"$1\"- \"$1\""
                     sh ${work}-smoke ${src}/corpus ${bin} ${src}/${t}.dict)
endforeach()
