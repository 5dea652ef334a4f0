/*
 * The host heap of the machine. A first touch of a fresh page costs a fault, and faults
 * are dear where the host is itself a virtual machine (about 15 us each on the development
 * machine, against about 1.3 us per page to populate a range at once). Opening a CPU
 * engine allocates about a megabyte of tables and hash buckets page by page, and the
 * boot's other allocations add more: so each thread that allocates much at start-up first
 * has its malloc arena hold populated memory, and large blocks come from the arenas
 * rather than from one mapping each, which would fault in anew.
 */
#include <malloc.h>
#include <stdlib.h>

#include "sim.h"

#define HEAP_MMAP_THRESHOLD (16u << 20) /* blocks below this come from an arena */
#define HEAP_TRIM_THRESHOLD (64u << 20) /* free memory an arena keeps rather than give back */

void sim_heap_init(void)
{
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD);
}

void sim_heap_prefault(size_t bytes)
{
	void *block = malloc(bytes);

	if (!block)
		return; /* the allocations that follow fault their pages in one by one */
	sim_ram_populate(block, bytes);
	free(block);
}
