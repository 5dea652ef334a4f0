# Freestanding aarch64 kernel built by the Debian cross compiler.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_OBJCOPY aarch64-linux-gnu-objcopy CACHE FILEPATH "objcopy for the Image")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# No FP/SIMD registers in kernel code; no unaligned accesses (they fault with the MMU off);
# atomics inline (libgcc's out-of-line helpers need getauxval, which a kernel lacks).
set(CMAKE_C_FLAGS_INIT "-mgeneral-regs-only -mstrict-align -mno-outline-atomics")
set(CMAKE_ASM_FLAGS_INIT "")
