# libfdt linked privately: its symbols (fdt_next_node, fdt_path_offset...) clash with the
# kernel's own FDT reader, so a user of libfdt and the static libfdt are linked into one
# relocatable object whose only global symbols are the given entry points.
find_path(LIBFDT_INCLUDE_DIR libfdt.h REQUIRED)
find_library(LIBFDT_STATIC NAMES libfdt.a REQUIRED)

# amphi_libfdt_private(OBJECT_LIBRARY OUTPUT KEEP symbol...): OUTPUT is the object made of
# OBJECT_LIBRARY's objects and libfdt, with only the KEEP symbols left global.
function(amphi_libfdt_private objlib output)
  cmake_parse_arguments(P "" "" "KEEP" ${ARGN})
  set(keep)
  foreach(sym ${P_KEEP})
    list(APPEND keep --keep-global-symbol=${sym})
  endforeach()
  target_include_directories(${objlib} PRIVATE ${LIBFDT_INCLUDE_DIR})
  add_custom_command(OUTPUT ${output} BYPRODUCTS ${output}.full
    COMMAND ${CMAKE_LINKER} -r -o ${output}.full $<TARGET_OBJECTS:${objlib}> ${LIBFDT_STATIC}
    COMMAND ${CMAKE_OBJCOPY} ${keep} ${output}.full ${output}
    DEPENDS ${objlib} $<TARGET_OBJECTS:${objlib}> ${LIBFDT_STATIC}
    COMMAND_EXPAND_LISTS VERBATIM
    COMMENT "Linking libfdt privately into ${output}")
endfunction()
