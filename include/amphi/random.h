/* random.h: the kernel's random bytes (AT_RANDOM, getrandom). A xorshift generator seeded
 * from the clock at first use, so the hosted machine's virtual time gives the same bytes
 * in every run of a seed; a placeholder for the entropy pool that virtio-rng will feed. */
#pragma once

#include <amphi/types.h>

/* Fills buf with len bytes from the generator. Any context; does not sleep. */
void random_bytes(void *buf, size_t len);
