/* fuzz_fdt.h: the FDT target's two readings of one blob (the kernel's reader and libfdt)
 * as lists of records, compared one by one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_FDT_NODES 64 /* nodes whose properties, parents and paths are recorded */
#define FUZZ_FDT_PROPS 64 /* properties recorded per node */
#define FUZZ_FDT_PATH 256 /* longest path looked up */
#define FUZZ_FDT_RECORDS (FUZZ_FDT_NODES * (FUZZ_FDT_PROPS + 4) + 64)

/* What a record says; pointers into the blob are offsets from its start. */
enum fuzz_fdt_kind {
	FUZZ_FDT_RSV,	 /* a reservation: base, size */
	FUZZ_FDT_NODE,	 /* a node in document order: offset, depth, name */
	FUZZ_FDT_PROP,	 /* a property of the node before: name, length, value */
	FUZZ_FDT_PARENT, /* node, its parent (-1 for none) */
	FUZZ_FDT_LOOKUP, /* path number, the node it names (-1 for none) */
	FUZZ_FDT_END,	 /* how the walk ended: 0 at the end, -1 stopped at FUZZ_FDT_NODES */
};

struct fuzz_fdt_record {
	enum fuzz_fdt_kind kind;
	int64_t v[3];
};

/* One reading: records in order, at most FUZZ_FDT_RECORDS. */
struct fuzz_fdt_reading {
	struct fuzz_fdt_record rec[FUZZ_FDT_RECORDS];
	unsigned count;
};

/* Paths the reference found for the first nodes (each node's own and, when its name has
 * a unit address, the same without it), for both readers to look up. */
struct fuzz_fdt_paths {
	char path[2 * FUZZ_FDT_NODES][FUZZ_FDT_PATH];
	unsigned count;
};

/* Appends a record to r (dropped when r is full). */
static inline void fuzz_fdt_record(struct fuzz_fdt_reading *r, enum fuzz_fdt_kind kind, int64_t a,
				   int64_t b, int64_t c)
{
	if (r->count < FUZZ_FDT_RECORDS)
		r->rec[r->count++] = (struct fuzz_fdt_record){kind, {a, b, c}};
}

/* libfdt's reading of blob (linked privately with libfdt: its names are the kernel's),
 * with the paths to look up. Returns 0 when libfdt's full check passes and the blob keeps
 * the layout rules of DTSpec the kernel's reader enforces (version 16 or later, aligned
 * blocks), so the kernel must read it the same; -1 otherwise (nothing to compare). */
int fuzz_fdt_ref_read(const void *blob, size_t size, struct fuzz_fdt_reading *r,
		      struct fuzz_fdt_paths *paths);
