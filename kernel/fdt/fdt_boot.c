/*
 * Boot-time queries over a device tree: RAM, reserved ranges, the command line and the
 * console node. Shared by aarch64 and the hosted platform.
 */
#include <amphi/errno.h>
#include <amphi/fdt.h>
#include <amphi/kprintf.h>
#include <amphi/string.h>

/* Where a range goes, and what to do when its table is full: RAM past the table can be
 * left unused with a warning, but a reservation cannot be dropped without handing out
 * memory that firmware still owns. */
enum fdt_range_kind { FDT_RANGE_RAM, FDT_RANGE_RESERVED };

/* Appends [base, base + size) to ranges; empty ranges are skipped, ranges that wrap past
 * 2^64 are rejected (-EINVAL). Past the end of the table RAM is dropped with a warning and
 * a reservation fails with -ENOSPC. */
static int fdt_add_range(struct mem_range *ranges, size_t *count, uint64_t base, uint64_t size,
			 enum fdt_range_kind kind)
{
	if (size == 0)
		return 0;
	if (size - 1 > UINT64_MAX - base)
		return -EINVAL;
	if (*count >= PLAT_MAX_MEM_RANGES && kind == FDT_RANGE_RESERVED) {
		kprintf("fdt: more than %d reserved ranges, cannot keep [%#llx+%#llx)\n",
			PLAT_MAX_MEM_RANGES, (unsigned long long)base, (unsigned long long)size);
		return -ENOSPC;
	}
	if (*count >= PLAT_MAX_MEM_RANGES) {
		kprintf("fdt: more than %d memory ranges, leaving [%#llx+%#llx) unused\n",
			PLAT_MAX_MEM_RANGES, (unsigned long long)base, (unsigned long long)size);
		return 0;
	}
	ranges[*count] = (struct mem_range){.base = base, .size = size};
	(*count)++;
	return 0;
}

/* Appends every entry of node's "reg" to ranges. A node without "reg" adds nothing. */
static int fdt_add_reg_ranges(const struct fdt *f, int node, struct mem_range *ranges,
			      size_t *count, enum fdt_range_kind kind)
{
	unsigned ac, sc;
	const void *val;
	uint32_t len;
	int err = fdt_get_prop(f, node, "reg", &val, &len);
	if (err == -ENOENT)
		return 0;
	if (!err)
		err = fdt_reg_cells(f, node, &ac, &sc);
	if (err)
		return -EINVAL;
	uint32_t entry = 4 * (ac + sc);
	if (len % entry)
		return -EINVAL;
	for (const uint8_t *p = val; len > 0; p += entry, len -= entry) {
		uint64_t base = fdt_read_cells(p, ac);
		uint64_t size = sc ? fdt_read_cells(p + 4 * ac, sc) : 0;
		err = fdt_add_range(ranges, count, base, size, kind);
		if (err)
			return err;
	}
	return 0;
}

/* True when node has device_type = "memory". */
static bool fdt_is_memory_node(const struct fdt *f, int node)
{
	const void *val;
	uint32_t len;
	return fdt_get_prop(f, node, "device_type", &val, &len) == 0 && strnlen(val, len) == 6 &&
	       memcmp(val, "memory", 6) == 0;
}

/* Appends the reg ranges of every enabled memory node to info->ram. */
static int fdt_scan_memory(const struct fdt *f, struct boot_info *info)
{
	int node;
	for (node = fdt_next_node(f, -1, NULL); node >= 0; node = fdt_next_node(f, node, NULL)) {
		if (!fdt_is_memory_node(f, node) || !fdt_node_is_enabled(f, node))
			continue;
		int err = fdt_add_reg_ranges(f, node, info->ram, &info->ram_count, FDT_RANGE_RAM);
		if (err)
			return err;
	}
	return node == -ENOENT ? 0 : -EINVAL;
}

/* Appends the memory reservation block and the fixed /reserved-memory children. */
static int fdt_scan_reserved(const struct fdt *f, struct boot_info *info)
{
	uint64_t base, size;
	unsigned i;
	int err;
	for (i = 0; (err = fdt_get_memreserve(f, i, &base, &size)) == 0; i++) {
		err = fdt_add_range(info->reserved, &info->reserved_count, base, size,
				    FDT_RANGE_RESERVED);
		if (err)
			return err;
	}
	if (err != -ENOENT)
		return err;
	int parent = fdt_path_offset(f, "/reserved-memory");
	if (parent == -ENOENT)
		return 0;
	int child;
	for (child = fdt_first_child(f, parent); child >= 0; child = fdt_next_sibling(f, child)) {
		if (!fdt_node_is_enabled(f, child))
			continue;
		err = fdt_add_reg_ranges(f, child, info->reserved, &info->reserved_count,
					 FDT_RANGE_RESERVED);
		if (err)
			return err;
	}
	return child == -ENOENT ? 0 : -EINVAL;
}

/* Points *cmdline at /chosen bootargs, or "" when there is none. */
static int fdt_bootargs(const struct fdt *f, const char **cmdline)
{
	const void *val;
	uint32_t len;
	*cmdline = "";
	int chosen = fdt_path_offset(f, "/chosen");
	if (chosen == -ENOENT)
		return 0;
	int err = fdt_get_prop(f, chosen, "bootargs", &val, &len);
	if (err == -ENOENT || (!err && len == 0))
		return 0;
	if (err || ((const char *)val)[len - 1] != '\0')
		return -EINVAL;
	*cmdline = val;
	return 0;
}

/* A /chosen property holding one address of 4 or 8 bytes (as linux,initrd-* may be). */
static int fdt_chosen_addr(const struct fdt *f, int chosen, const char *name, uint64_t *out)
{
	const void *val;
	uint32_t len;
	int err = fdt_get_prop(f, chosen, name, &val, &len);

	if (err)
		return err;
	if (len != 4 && len != 8)
		return -EINVAL;
	*out = fdt_read_cells(val, len / 4);
	return 0;
}

/* Records and reserves the initial RAM disk /chosen names, if any. */
static int fdt_initrd(const struct fdt *f, struct boot_info *info)
{
	uint64_t start, end;
	int chosen = fdt_path_offset(f, "/chosen");
	if (chosen == -ENOENT)
		return 0;
	int err = fdt_chosen_addr(f, chosen, "linux,initrd-start", &start);
	if (err == -ENOENT)
		return 0;
	if (!err)
		err = fdt_chosen_addr(f, chosen, "linux,initrd-end", &end);
	if (err || end < start)
		return -EINVAL;
	info->initrd = (struct mem_range){start, end - start};
	boot_info_add_reserved(info, start, end - start);
	return 0;
}

int fdt_fill_boot_info(const struct fdt *f, struct boot_info *info)
{
	size_t ram_before = info->ram_count;
	const char *cmdline;
	int err = fdt_scan_memory(f, info);
	if (!err)
		err = fdt_scan_reserved(f, info);
	if (!err)
		err = fdt_bootargs(f, &cmdline);
	if (!err)
		err = fdt_initrd(f, info);
	if (err)
		return err;
	info->cmdline = cmdline;
	info->fdt = f->blob;
	return info->ram_count > ram_before ? 0 : -ENOENT;
}

int fdt_stdout_node(const struct fdt *f)
{
	const char *path;
	int chosen = fdt_path_offset(f, "/chosen");
	if (chosen < 0)
		return chosen;
	int err = fdt_get_string(f, chosen, "stdout-path", &path);
	if (err == -ENOENT)
		err = fdt_get_string(f, chosen, "linux,stdout-path", &path);
	if (err)
		return err;
	const char *colon = strchr(path, ':');
	return fdt_path_offset_len(f, path, colon ? (size_t)(colon - path) : strlen(path));
}
