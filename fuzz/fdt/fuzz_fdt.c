/*
 * The device-tree target: each input is a DTB blob, copied into the kernel's heap (an
 * exact-size block: its end is a red zone) and read in the served process's kernel
 * context the way boot code reads one: the header, every node in document and in tree
 * order with its properties, parents, cell counts and reg entries, the paths, aliases and
 * compatible strings the platforms look up, fdt_fill_boot_info and the first program
 * /chosen names. When libfdt's full check accepts the blob, the kernel's reading of it
 * (reservations, nodes, properties, parents, path lookups) must be libfdt's (fdt_ref.c):
 * a disagreement aborts.
 */
#include <stdio.h>
#include <stdlib.h>

#include <amphi/errno.h>
#include <amphi/fdt.h>
#include <amphi/init_args.h>
#include <amphi/mm.h>
#include <amphi/plat.h>
#include <amphi/string.h>

#include "fuzz_fdt.h"
#include "fuzz_machine.h"

#define FUZZ_FDT_MAX (64 * 1024) /* beyond this an input is not kept */
#define FUZZ_FDT_REGS 4		 /* reg entries read per node */

/* Compatible strings and paths the platforms and drivers look up (arch/aarch64/virt,
 * devices/irqchip, devices/virtio, sim/machine). */
static const char *const fuzz_fdt_compatibles[] = {
    "arm,pl011",	  "arm,pl031",	 "arm,armv8-timer", "arm,gic-v3",    "arm,gic-400",
    "arm,cortex-a15-gic", "virtio,mmio", "amphi,sim-timer", "amphi,sim-cpu",
};
static const char *const fuzz_fdt_lookups[] = {
    "/",       "/chosen", "/cpus",     "/psci",	    "/aliases",	 "/reserved-memory",
    "/memory", "serial0", "serial0/x", "/soc/uart", "//chosen/",
};

/* The input, what the kernel side read, and the paths to look up. */
struct fuzz_fdt_run {
	const uint8_t *data;
	size_t size;
	bool compare; /* libfdt accepted the blob: record the reading */
	const struct fuzz_fdt_paths *paths;
	struct fuzz_fdt_reading reading;
};

/* Offset of p from the blob's start, for records. */
static int64_t fuzz_fdt_off(const struct fdt *f, const void *p)
{
	return (const uint8_t *)p - f->blob;
}

/* Reads node as drivers do: properties, the usual strings and, in the document walk
 * (walk set: its properties are then recorded), parent, cell counts and reg. */
static void fuzz_fdt_node(struct fuzz_fdt_run *run, const struct fdt *f, int node, bool walk)
{
	const char *name, *s;
	const void *val;
	uint32_t len, u;
	uint64_t base, size;
	unsigned ac, sc;

	for (unsigned i = 0; i < FUZZ_FDT_PROPS; i++) {
		if (fdt_get_prop_by_index(f, node, i, &name, &val, &len))
			break;
		if (walk && run->compare)
			fuzz_fdt_record(&run->reading, FUZZ_FDT_PROP, fuzz_fdt_off(f, name), len,
					fuzz_fdt_off(f, val));
	}
	fdt_node_is_enabled(f, node);
	fdt_get_string(f, node, "device_type", &s);
	fdt_get_string(f, node, "method", &s);
	fdt_get_u32(f, node, "phandle", &u);
	fdt_get_prop(f, node, "interrupts", &val, &len);
	if (!walk)
		return;
	fdt_parent(f, node);
	fdt_reg_cells(f, node, &ac, &sc);
	for (unsigned i = 0; i < FUZZ_FDT_REGS; i++)
		if (fdt_get_reg(f, node, i, &base, &size))
			break;
}

/* Walks the nodes in document order (recording the first FUZZ_FDT_NODES); returns how
 * many were read deeply, their offsets in nodes. */
static int fuzz_fdt_walk(struct fuzz_fdt_run *run, const struct fdt *f, int *nodes)
{
	int n = 0, depth = -1, node;
	bool stopped = false;

	for (node = fdt_next_node(f, -1, &depth); node >= 0;
	     node = fdt_next_node(f, node, &depth)) {
		const char *name;
		if (n == FUZZ_FDT_NODES) {
			stopped = true;
			break;
		}
		if (fdt_node_name(f, node, &name))
			name = NULL;
		if (run->compare)
			fuzz_fdt_record(&run->reading, FUZZ_FDT_NODE, node, depth,
					name ? fuzz_fdt_off(f, name) : -1);
		fuzz_fdt_node(run, f, node, true);
		nodes[n++] = node;
	}
	if (run->compare)
		fuzz_fdt_record(&run->reading, FUZZ_FDT_END, stopped ? -1 : 0, 0, 0);
	return n;
}

/* Walks the tree by first child and next sibling, as /cpus and /reserved-memory are read,
 * down to FUZZ_FDT_NODES levels and over at most that many nodes per level. */
static void fuzz_fdt_tree(struct fuzz_fdt_run *run, const struct fdt *f)
{
	int stack[FUZZ_FDT_NODES], level = 0, visited = 0;

	stack[0] = fdt_next_node(f, -1, NULL);
	while (level >= 0 && stack[level] >= 0 && visited++ < FUZZ_FDT_NODES * FUZZ_FDT_NODES) {
		fuzz_fdt_node(run, f, stack[level], false);
		int child = fdt_first_child(f, stack[level]);
		if (child >= 0 && level + 1 < FUZZ_FDT_NODES) {
			stack[++level] = child;
			continue;
		}
		while (level >= 0 && (stack[level] = fdt_next_sibling(f, stack[level])) < 0)
			level--;
	}
}

/* The lookups boot code makes, and fdt_fill_boot_info with the first program /chosen
 * names, on a blob boot code has opened. */
static void fuzz_fdt_boot(const struct fdt *f)
{
	uint64_t base, size;
	struct boot_info *info = kzalloc(sizeof(*info));

	for (size_t i = 0; i < ARRAY_SIZE(fuzz_fdt_compatibles); i++)
		for (int node = fdt_find_compatible(f, -1, fuzz_fdt_compatibles[i]); node >= 0;
		     node = fdt_find_compatible(f, node, fuzz_fdt_compatibles[i]))
			fdt_get_reg(f, node, 0, &base, &size);
	for (size_t i = 0; i < ARRAY_SIZE(fuzz_fdt_lookups); i++)
		fdt_path_offset(f, fuzz_fdt_lookups[i]);
	fdt_stdout_node(f);
	for (unsigned i = 0; i < FUZZ_FDT_NODES; i++)
		if (fdt_get_memreserve(f, i, &base, &size))
			break;
	if (!info)
		return;
	if (fdt_fill_boot_info(f, info) == 0) {
		struct init_program prog = {.path = ""};
		init_args_split(info);
		if (init_args_get(info, &prog) == 0)
			init_args_put(&prog);
	}
	kfree(info);
}

/* Records the reservations, as the reference's reading starts. */
static void fuzz_fdt_record_rsv(struct fuzz_fdt_run *run, const struct fdt *f)
{
	uint64_t base, size;

	for (unsigned i = 0; i < FUZZ_FDT_NODES && !fdt_get_memreserve(f, i, &base, &size); i++)
		fuzz_fdt_record(&run->reading, FUZZ_FDT_RSV, (int64_t)base, (int64_t)size, 0);
}

/* Records the parents of the n nodes walked and the lookups of the reference's paths. */
static void fuzz_fdt_record_lookups(struct fuzz_fdt_run *run, const struct fdt *f, const int *nodes,
				    int n)
{
	for (int i = 0; i < n; i++) {
		int parent = fdt_parent(f, nodes[i]);
		fuzz_fdt_record(&run->reading, FUZZ_FDT_PARENT, nodes[i], parent < 0 ? -1 : parent,
				0);
	}
	for (unsigned i = 0; i < run->paths->count; i++) {
		int found = fdt_path_offset(f, run->paths->path[i]);
		fuzz_fdt_record(&run->reading, FUZZ_FDT_LOOKUP, i, found < 0 ? -1 : found, 0);
	}
}

/* The kernel side: the blob read as boot reads it. Returns fdt_open's result. */
static long fuzz_fdt_read(void *arg)
{
	struct fuzz_fdt_run *run = arg;
	uint8_t *blob = kmalloc(run->size);
	int nodes[FUZZ_FDT_NODES];
	struct fdt f;

	if (!blob)
		return -ENOMEM;
	memcpy(blob, run->data, run->size);
	int err = fdt_open(&f, blob, run->size);
	if (!err) {
		if (run->compare)
			fuzz_fdt_record_rsv(run, &f);
		int n = fuzz_fdt_walk(run, &f, nodes);
		if (run->compare)
			fuzz_fdt_record_lookups(run, &f, nodes, n);
		fuzz_fdt_tree(run, &f);
		fuzz_fdt_boot(&f);
	}
	kfree(blob);
	return err;
}

/* Names a record for a report. */
static void fuzz_fdt_print(const char *who, const struct fuzz_fdt_reading *r, unsigned i)
{
	static const char *const kinds[] = {"reservation", "node",   "property",
					    "parent",	   "lookup", "end"};

	if (i >= r->count) {
		fprintf(stderr, "  %-7s (no record %u)\n", who, i);
		return;
	}
	const struct fuzz_fdt_record *rec = &r->rec[i];
	fprintf(stderr, "  %-7s %s %lld %lld %lld\n", who, kinds[rec->kind], (long long)rec->v[0],
		(long long)rec->v[1], (long long)rec->v[2]);
}

/* True when records a and b say the same. */
static bool fuzz_fdt_same(const struct fuzz_fdt_record *a, const struct fuzz_fdt_record *b)
{
	return a->kind == b->kind && a->v[0] == b->v[0] && a->v[1] == b->v[1] && a->v[2] == b->v[2];
}

/* Aborts at the first record where the kernel's reading differs from libfdt's. */
static void fuzz_fdt_compare(const struct fuzz_fdt_reading *kernel,
			     const struct fuzz_fdt_reading *ref, const struct fuzz_fdt_paths *paths,
			     long open_err)
{
	if (open_err) {
		fprintf(stderr, "fuzz-fdt: libfdt reads the blob, the kernel's fdt_open says %ld\n",
			open_err);
		abort();
	}
	for (unsigned i = 0; i < kernel->count || i < ref->count; i++) {
		if (i < kernel->count && i < ref->count &&
		    fuzz_fdt_same(&kernel->rec[i], &ref->rec[i]))
			continue;
		fprintf(stderr,
			"fuzz-fdt: the kernel's reading differs from libfdt's at record %u:\n", i);
		fuzz_fdt_print("kernel", kernel, i);
		fuzz_fdt_print("libfdt", ref, i);
		if (i < ref->count && ref->rec[i].kind == FUZZ_FDT_LOOKUP)
			fprintf(stderr, "  path \"%s\"\n", paths->path[ref->rec[i].v[0]]);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return fuzz_machine_start(true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_fdt_run run;
	static struct fuzz_fdt_reading ref;
	static struct fuzz_fdt_paths paths;

	if (size == 0 || size > FUZZ_FDT_MAX)
		return -1;
	run.data = data;
	run.size = size;
	run.compare = fuzz_fdt_ref_read(data, size, &ref, &paths) == 0;
	run.paths = &paths;
	run.reading.count = 0;
	long err = fuzz_machine_kcall(fuzz_fdt_read, &run);
	fuzz_machine_reset();
	if (run.compare && err != -ENOMEM)
		fuzz_fdt_compare(&run.reading, &ref, &paths, err);
	return 0;
}
