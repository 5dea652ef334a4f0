/* fuzz_cpio.h: what the cpio target's host side hands its kernel side. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* One archive, in the fuzzer's memory. */
struct fuzz_cpio_input {
	const uint8_t *data;
	size_t size;
};

/* Unpacks the archive into / in the calling kernel context: initramfs_unpack's result,
 * or -ENOMEM when it cannot be copied. Runs through fuzz_machine_kcall. */
long fuzz_cpio_unpack(void *arg);
