/*
 * Helpers the unit tests share for their fixtures: reading a file into an exactly-sized
 * buffer (so ASan sees any read past its end) and a seeded PRNG for corruption.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

uint8_t *unit_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(n ? (size_t)n : 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	*len = buf ? (size_t)n : 0;
	return buf;
}

uint64_t unit_random(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}
