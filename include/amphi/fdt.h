/*
 * Flattened device tree (DTB) reader. Every offset and length read from the blob is
 * checked against the blob's bounds, so a truncated or corrupt blob yields an error,
 * never an out-of-bounds read. Used by aarch64 and the hosted platform for discovery.
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
 * component without "@unit" matches a node with any unit address. Returns the node
 * offset (>= 0), -ENOENT, or -EINVAL for a corrupt blob. */
int fdt_path_offset(const struct fdt *f, const char *path);

/* Next node after node in document order (node < 0 starts at the root). *depth is
 * updated by the change in nesting (it may be NULL). Returns the offset, -ENOENT at the
 * end of the tree, or -EINVAL for a corrupt blob. */
int fdt_next_node(const struct fdt *f, int node, int *depth);

/* Name of the node ("" for the root) in *name, NUL-terminated inside the blob. */
int fdt_node_name(const struct fdt *f, int node, const char **name);

/* Value and length of property name in node. Returns 0, -ENOENT, or -EINVAL. */
int fdt_get_prop(const struct fdt *f, int node, const char *name, const void **val,
		 uint32_t *len);

/* Reads a one-cell (u32) property. Returns 0, -ENOENT, or -EINVAL for a wrong length. */
int fdt_get_u32(const struct fdt *f, int node, const char *name, uint32_t *out);

/* First node after start (start < 0: from the root) whose "compatible" list contains
 * compat. Returns the offset or -ENOENT/-EINVAL. */
int fdt_find_compatible(const struct fdt *f, int start, const char *compat);

/* Parent of node (for #address-cells); -ENOENT for the root. Linear scan. */
int fdt_parent(const struct fdt *f, int node);

/* Entry index of node's "reg", decoded with the parent's #address-cells/#size-cells.
 * Returns 0, -ENOENT when there is no such entry, or -EINVAL for bad cell counts. */
int fdt_get_reg(const struct fdt *f, int node, unsigned index, uint64_t *base,
		uint64_t *size);

/* Entry index of the memory reservation block. Returns 0, -ENOENT past the end. */
int fdt_get_memreserve(const struct fdt *f, unsigned index, uint64_t *base, uint64_t *size);

/* Fills info's RAM ranges (every device_type="memory" node), reserved ranges (the
 * reservation block and /reserved-memory children) and the command
 * line (/chosen bootargs, "" when absent). The caller reserves the blob itself if it lies
 * in RAM. Returns 0, or -EINVAL for a corrupt blob,
 * -ENOENT when it describes no memory. */
int fdt_fill_boot_info(const struct fdt *f, struct boot_info *info);
