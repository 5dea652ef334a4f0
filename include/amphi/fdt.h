/*
 * Flattened device tree (DTB) reader. Every offset and length read from the blob is
 * checked against the blob's bounds, so a truncated or corrupt blob yields an error,
 * never an out-of-bounds read. Used by aarch64 and the hosted platform for discovery.
 *
 * The blob may sit at any byte alignment: it is read a byte at a time, which is safe with
 * the MMU off on aarch64. A node is named by its offset inside the structure block (the
 * offset of its FDT_BEGIN_NODE token); the root is the first node.
 */
#pragma once

#include <amphi/plat.h>
#include <amphi/types.h>

#define FDT_MAGIC 0xd00dfeedu

/* A validated view of a blob. */
struct fdt {
	const uint8_t *blob;
	uint32_t total_size;
	uint32_t struct_off, struct_size;
	uint32_t strings_off, strings_size;
	uint32_t rsvmap_off;
};

/* Validates the header of the blob at p, reading at most max_size bytes (use the
 * real buffer size when known). Returns 0, or -EINVAL for a bad magic, version or
 * layout, -E2BIG when the header claims more than max_size bytes. */
int fdt_open(struct fdt *f, const void *p, size_t max_size);

/* Offset of the node at an absolute path ("/", "/chosen", "/soc/uart@9000000"); a
 * component without "@unit" matches a node with any unit address. A path that does not
 * start with '/' begins with an alias from /aliases ("serial0", "serial0/child").
 * Returns the node offset (>= 0), -ENOENT, or -EINVAL for a corrupt blob. */
int fdt_path_offset(const struct fdt *f, const char *path);

/* fdt_path_offset for the first len bytes of path (e.g. a stdout-path before its ':'). */
int fdt_path_offset_len(const struct fdt *f, const char *path, size_t len);

/* Next node after node in document order (node < 0 starts at the root). *depth is
 * updated by the change in nesting (it may be NULL); entering the root from node < 0
 * counts as +1, so start with depth -1 to number the root 0. Returns the offset, -ENOENT
 * at the end of the tree, or -EINVAL for a corrupt blob. */
int fdt_next_node(const struct fdt *f, int node, int *depth);

/* First child of node, or -ENOENT when it has none; -EINVAL for a corrupt blob. */
int fdt_first_child(const struct fdt *f, int node);

/* Next node with the same parent as node, or -ENOENT; -EINVAL for a corrupt blob. */
int fdt_next_sibling(const struct fdt *f, int node);

/* Name of the node ("" for the root) in *name, NUL-terminated inside the blob. */
int fdt_node_name(const struct fdt *f, int node, const char **name);

/* Value and length of property name in node. Returns 0, -ENOENT, or -EINVAL. */
int fdt_get_prop(const struct fdt *f, int node, const char *name, const void **val, uint32_t *len);

/* Property number index of node (in blob order): name, value and length. Returns 0,
 * -ENOENT past the last property, or -EINVAL. */
int fdt_get_prop_by_index(const struct fdt *f, int node, unsigned index, const char **name,
			  const void **val, uint32_t *len);

/* Reads a one-cell (u32) property. Returns 0, -ENOENT, or -EINVAL for a wrong length. */
int fdt_get_u32(const struct fdt *f, int node, const char *name, uint32_t *out);

/* A NUL-terminated string property in *out. Returns 0, -ENOENT, or -EINVAL when the
 * value is empty or not terminated inside its length. */
int fdt_get_string(const struct fdt *f, int node, const char *name, const char **out);

/* True when the node's "compatible" list contains compat. */
bool fdt_node_is_compatible(const struct fdt *f, int node, const char *compat);

/* False only when the node has a "status" other than "okay" or "ok". */
bool fdt_node_is_enabled(const struct fdt *f, int node);

/* First node after start (start < 0: from the root) whose "compatible" list contains
 * compat. Returns the offset or -ENOENT/-EINVAL. */
int fdt_find_compatible(const struct fdt *f, int start, const char *compat);

/* Parent of node (for #address-cells); -ENOENT for the root. Linear scan. */
int fdt_parent(const struct fdt *f, int node);

/* The #address-cells and #size-cells that apply to node's "reg" (its parent's, 2 and 1
 * when absent). Returns 0, or -EINVAL when they are not 1..2 and 0..2. */
int fdt_reg_cells(const struct fdt *f, int node, unsigned *addr_cells, unsigned *size_cells);

/* Entry index of node's "reg", decoded with the parent's #address-cells/#size-cells.
 * Returns 0, -ENOENT when there is no such entry, or -EINVAL for bad cell counts. */
int fdt_get_reg(const struct fdt *f, int node, unsigned index, uint64_t *base, uint64_t *size);

/* Entry index of the memory reservation block. Returns 0, -ENOENT past the end (the
 * first entry of size 0 ends the block, as libfdt and Linux read it: an entry (base, 0)
 * would reserve nothing, and entries after it would be read from the next block), or
 * -EINVAL when the block runs off the blob without its terminating entry. */
int fdt_get_memreserve(const struct fdt *f, unsigned index, uint64_t *base, uint64_t *size);

/* Node named by /chosen "stdout-path" (text after ':' ignored, aliases resolved), or
 * -ENOENT when there is none; -EINVAL for a corrupt blob. */
int fdt_stdout_node(const struct fdt *f);

/* Fills info's RAM ranges (every device_type="memory" node), reserved ranges (the
 * reservation block and /reserved-memory children) and the command
 * line (/chosen bootargs, "" when absent); sets info->fdt to the blob. Ranges are
 * appended after those already in info (zero it first); empty ones are skipped. RAM past
 * PLAT_MAX_MEM_RANGES is left unused with a warning; reservations past it are an error,
 * since dropping one would hand out memory firmware still owns. The caller reserves the
 * blob itself if it lies in RAM. Returns 0, -EINVAL for a corrupt blob, -ENOSPC for too
 * many reservations, or -ENOENT when it describes no memory. */
int fdt_fill_boot_info(const struct fdt *f, struct boot_info *info);

/* Big-endian 32-bit cell at p (any alignment). */
static inline uint32_t fdt_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Number of ncells (1 or 2) big-endian cells at p, as one value. */
static inline uint64_t fdt_read_cells(const void *p, unsigned ncells)
{
	const uint8_t *b = p;
	return ncells == 2 ? (uint64_t)fdt_be32(b) << 32 | fdt_be32(b + 4) : fdt_be32(b);
}
