/*
 * The syscall target's mutator: half of the mutations change the program as calls (copy,
 * delete, swap or add a call, move one to another task, point a descriptor or pid at
 * another resource of the program), the other half are the engine's own byte mutations.
 * A race between tasks (a descriptor closed while a thread sleeps on it) is one call
 * away from a program that has the threads, the descriptor and the sleep; byte mutations
 * rarely make a whole call at a call boundary. Under an engine without libFuzzer's
 * LLVMFuzzerMutate (AFL++'s driver) this file is unused: the engine does not call it.
 */
#include <stdint.h>
#include <string.h>

#include "desc.h"
#include "prog.h"

#define MUTATE_CALL_MAX 512 /* the most bytes a new call may take */

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

/* The next number of the xorshift generator at *state. */
static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* Inserts n bytes at offset at of data (size bytes, room for max); the new size, or 0
 * when they do not fit. */
static size_t insert_bytes(uint8_t *data, size_t size, size_t max, size_t at,
			   const uint8_t *bytes, size_t n)
{
	if (size + n > max)
		return 0;
	memmove(data + at + n, data + at, size - at);
	memcpy(data + at, bytes, n);
	return size + n;
}

/* Removes bytes [at, at + n) of data; the new size. */
static size_t remove_bytes(uint8_t *data, size_t size, size_t at, size_t n)
{
	memmove(data + at, data + at + n, size - at - n);
	return size - n;
}

/* Points one descriptor or pid argument of the program at one of its first 16 resources
 * (the index range prog.c keeps); 0 when no call takes one. */
static size_t repick_resource(uint8_t *data, size_t size, const struct prog_span *s,
			      unsigned n, uint32_t *rnd)
{
	unsigned total = 0;

	for (unsigned i = 0; i < n; i++)
		total += s[i].nselectors;
	if (!total)
		return 0;
	unsigned k = next_random(rnd) % total, i = 0;
	while (k >= s[i].nselectors)
		k -= s[i++].nselectors;
	data[s[i].selector[k]] = (uint8_t)(next_random(rnd) % 16);
	return size;
}

/* Copies a call of the program to a call boundary (before call to, or at the end). */
static size_t copy_call(uint8_t *data, size_t size, size_t max, const struct prog_span *s,
			unsigned n, uint32_t *rnd)
{
	uint8_t call[MUTATE_CALL_MAX];
	const struct prog_span *from = &s[next_random(rnd) % n];
	unsigned to = next_random(rnd) % (n + 1);
	size_t len = from->end - from->start;

	if (len > sizeof(call))
		return 0;
	memcpy(call, data + from->start, len);
	return insert_bytes(data, size, max, to < n ? s[to].start : size, call, len);
}

/* Adds a new call, of random bytes cut to the length it decodes to, at a call boundary. */
static size_t new_call(uint8_t *data, size_t size, size_t max, const struct prog_span *s,
		       unsigned n, uint32_t *rnd)
{
	uint8_t call[MUTATE_CALL_MAX];
	struct prog_span one[PROG_MAX_CALLS];
	unsigned to = next_random(rnd) % (n + 1);

	for (size_t i = 0; i < sizeof(call); i++)
		call[i] = (uint8_t)next_random(rnd);
	call[0] = (uint8_t)(next_random(rnd) % desc_ncalls);
	if (!prog_layout(call, sizeof(call), one) || one[0].end == sizeof(call))
		return 0;
	return insert_bytes(data, size, max, to < n ? s[to].start : size, call, one[0].end);
}

/* Deletes a call. */
static size_t delete_call(uint8_t *data, size_t size, const struct prog_span *s, unsigned n,
			  uint32_t *rnd)
{
	const struct prog_span *c = &s[next_random(rnd) % n];

	return remove_bytes(data, size, c->start, c->end - c->start);
}

/* Gives a call another task: sets, adds or (one time in four) removes its task byte. */
static size_t move_call(uint8_t *data, size_t size, size_t max, const struct prog_span *s,
			unsigned n, uint32_t *rnd)
{
	const struct prog_span *c = &s[next_random(rnd) % n];
	uint8_t task = (uint8_t)(PROG_TASK_MARK + next_random(rnd) % (256 - PROG_TASK_MARK));

	if (c->task_byte && next_random(rnd) % 4 == 0)
		return remove_bytes(data, size, c->start, 1);
	if (c->task_byte) {
		data[c->start] = task;
		return size;
	}
	return insert_bytes(data, size, max, c->start, &task, 1);
}

/* Swaps two neighbouring calls. */
static size_t swap_calls(uint8_t *data, size_t size, const struct prog_span *s, unsigned n,
			 uint32_t *rnd)
{
	uint8_t first[MUTATE_CALL_MAX];

	if (n < 2)
		return 0;
	const struct prog_span *a = &s[next_random(rnd) % (n - 1)], *b = a + 1;
	size_t alen = a->end - a->start, blen = b->end - b->start;
	if (alen > sizeof(first))
		return 0;
	memcpy(first, data + a->start, alen);
	memmove(data + a->start, data + b->start, blen);
	memcpy(data + a->start + blen, first, alen);
	return size;
}

/* One mutation of the program as calls; the new size, or 0 when the one drawn could not
 * be made. */
static size_t mutate_calls(uint8_t *data, size_t size, size_t max, uint32_t *rnd)
{
	struct prog_span s[PROG_MAX_CALLS];
	unsigned n = prog_layout(data, size, s);

	switch (next_random(rnd) % 6) {
	case 0:
		return n ? repick_resource(data, size, s, n, rnd) : 0;
	case 1:
		return n ? copy_call(data, size, max, s, n, rnd) : 0;
	case 2:
		return n > 1 ? delete_call(data, size, s, n, rnd) : 0;
	case 3:
		return n ? move_call(data, size, max, s, n, rnd) : 0;
	case 4:
		return swap_calls(data, size, s, n, rnd);
	default:
		return new_call(data, size, max, s, n, rnd);
	}
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint32_t rnd = seed;

	if (next_random(&rnd) % 2 || !LLVMFuzzerMutate) {
		size_t r = mutate_calls(data, size, max_size, &rnd);
		if (r)
			return r;
	}
	return LLVMFuzzerMutate ? LLVMFuzzerMutate(data, size, max_size) : size;
}
