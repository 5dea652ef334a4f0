# Fails when ELF carries a dynamic relocation other than R_AARCH64_RELATIVE (or the NONE
# placeholders ld leaves for ones it resolved statically): the entry
# code (virt/head.S) applies only that kind.
execute_process(COMMAND ${READELF} --wide --relocs ${ELF}
                OUTPUT_VARIABLE relocs RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf failed on ${ELF}")
endif()
string(REGEX MATCHALL "\n[0-9a-f]+ +[0-9a-f]+ +R_AARCH64_[A-Z0-9_]+" entries "${relocs}")
foreach(entry IN LISTS entries)
  if(NOT entry MATCHES "R_AARCH64_(RELATIVE|NONE)$")
    string(STRIP "${entry}" entry)
    message(FATAL_ERROR "${ELF}: unsupported dynamic relocation: ${entry}")
  endif()
endforeach()
