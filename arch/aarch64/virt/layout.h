/* The aarch64 kernel's virtual layout, shared by C and assembly: the kernel runs in the
 * TTBR1 half at KERNEL_OFFSET + physical (39-bit VA: the top 512 GiB), and TTBR0's lower
 * half is user space. */
#pragma once

#define KERNEL_OFFSET 0xffffff8000000000
