# Freestanding x86_64 kernel built by the host gcc.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_ASM_COMPILER gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# No red zone (interrupts write below rsp), no SSE/x87 state in the kernel,
# and the kernel code model for a kernel linked in the top 2 GiB (which needs -fno-pic:
# Debian's gcc defaults to PIE).
set(CMAKE_C_FLAGS_INIT "-fno-pic -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 -mcmodel=kernel")
set(CMAKE_ASM_FLAGS_INIT "")
