/*
 * The FDT target's reference: libfdt's reading of a blob, as records (fuzz_fdt.h). Linked
 * with the static libfdt into one object whose only global symbol is fuzz_fdt_ref_read,
 * since libfdt's fdt_next_node, fdt_path_offset... are also the kernel reader's names.
 */
#include <libfdt.h>
#include <string.h>

#include "fuzz_fdt.h"

/* True when blob is one the kernel's reader must read as libfdt does: libfdt's full check
 * passes, the layout keeps DTSpec's rules (version 16 or later, the reservation block
 * 8-aligned, the structure block 4-aligned) and the root is the first token, where libfdt
 * looks for it. */
static bool ref_comparable(const void *blob, size_t size)
{
	int depth = -1;

	if (fdt_check_full(blob, size) != 0 || fdt_version(blob) < 16)
		return false;
	if (fdt_off_mem_rsvmap(blob) % 8 || fdt_off_dt_struct(blob) % 4)
		return false;
	return fdt_num_mem_rsv(blob) >= 0 && fdt_next_node(blob, -1, &depth) == 0;
}

/* Records the properties of node. */
static void ref_props(const void *blob, int node, struct fuzz_fdt_reading *r)
{
	int prop, n = 0;

	fdt_for_each_property_offset(prop, blob, node)
	{
		const char *name;
		int len;
		const void *val = fdt_getprop_by_offset(blob, prop, &name, &len);
		if (!val || n++ == FUZZ_FDT_PROPS)
			break;
		fuzz_fdt_record(r, FUZZ_FDT_PROP, name - (const char *)blob, len,
				(const char *)val - (const char *)blob);
	}
}

/* Adds node's path to paths and, when its last component has a unit address, the path
 * without it. */
static void ref_paths(const void *blob, int node, struct fuzz_fdt_paths *paths)
{
	char *path = paths->path[paths->count];

	if (fdt_get_path(blob, node, path, FUZZ_FDT_PATH) != 0)
		return;
	paths->count++;
	char *last = strrchr(path, '/'), *at = last ? strchr(last, '@') : NULL;
	if (at) {
		char *bare = paths->path[paths->count++];
		memcpy(bare, path, (size_t)(at - path));
		bare[at - path] = '\0';
	}
}

int fuzz_fdt_ref_read(const void *blob, size_t size, struct fuzz_fdt_reading *r,
		      struct fuzz_fdt_paths *paths)
{
	int nodes[FUZZ_FDT_NODES], n = 0, node, depth = -1;
	bool stopped = false;
	uint64_t base, len;

	r->count = paths->count = 0;
	if (!ref_comparable(blob, size))
		return -1;
	for (int i = 0; i < fdt_num_mem_rsv(blob) && i < FUZZ_FDT_NODES; i++)
		if (fdt_get_mem_rsv(blob, i, &base, &len) == 0)
			fuzz_fdt_record(r, FUZZ_FDT_RSV, (int64_t)base, (int64_t)len, 0);
	for (node = fdt_next_node(blob, -1, &depth); node >= 0 && depth >= 0;
	     node = fdt_next_node(blob, node, &depth)) {
		if (n == FUZZ_FDT_NODES) {
			stopped = true;
			break;
		}
		const char *name = fdt_get_name(blob, node, NULL);
		fuzz_fdt_record(r, FUZZ_FDT_NODE, node, depth,
				name ? name - (const char *)blob : -1);
		ref_props(blob, node, r);
		nodes[n++] = node;
	}
	fuzz_fdt_record(r, FUZZ_FDT_END, stopped ? -1 : 0, 0, 0);
	for (int i = 0; i < n; i++) {
		int parent = fdt_parent_offset(blob, nodes[i]);
		fuzz_fdt_record(r, FUZZ_FDT_PARENT, nodes[i], parent < 0 ? -1 : parent, 0);
		ref_paths(blob, nodes[i], paths);
	}
	for (unsigned i = 0; i < paths->count; i++) {
		int found = fdt_path_offset(blob, paths->path[i]);
		fuzz_fdt_record(r, FUZZ_FDT_LOOKUP, i, found < 0 ? -1 : found, 0);
	}
	return 0;
}
