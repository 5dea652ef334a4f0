/* random.h: the kernel's random bytes (AT_RANDOM, getrandom, /dev/urandom). A xorshift
 * generator seeded from the clock at first use, so the hosted machine's virtual time gives
 * the same bytes in every run of a seed, and stirred by entropy sources (virtio-rng). */
#pragma once

#include <amphi/types.h>

/* Fills buf with len bytes from the generator. Any context; does not sleep. */
void random_bytes(void *buf, size_t len);

/* Mixes len bytes from an entropy source into the generator's state: every later byte
 * depends on them. Any context; does not sleep. */
void random_add_entropy(const void *buf, size_t len);
