/*
 * Flattened device tree reader (DTSpec v0.4, chapter 5). Nothing here trusts the blob:
 * every token, name, property and cell is checked against the bounds of its block before
 * it is read, and every walk moves strictly forward, so corrupt input ends in -EINVAL.
 */
#include <amphi/errno.h>
#include <amphi/fdt.h>
#include <amphi/planted.h>
#include <amphi/string.h>

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

#define FDT_HEADER_SIZE_V16 36u /* up to size_dt_strings */
#define FDT_HEADER_SIZE_V17 40u /* adds size_dt_struct */
#define FDT_LAST_VERSION 17u
#define FDT_RSV_ENTRY_SIZE 16u

/* One decoded token of the structure block. */
struct fdt_token {
	uint32_t tag;
	uint32_t next;	    /* offset of the token after this one */
	const char *name;   /* node name (BEGIN_NODE) or property name (PROP) */
	const uint8_t *val; /* property value (PROP) */
	uint32_t len;	    /* property length (PROP) */
};

/* Rounds a structure offset up to the next token boundary. */
static uint64_t fdt_align4(uint64_t off)
{
	return (off + 3) & ~(uint64_t)3;
}

/* Reads the big-endian u32 at structure offset off; -EINVAL when it is not inside. */
static int fdt_struct_u32(const struct fdt *f, uint64_t off, uint32_t *out)
{
	if (off > f->struct_size || f->struct_size - off < 4)
		return -EINVAL;
	*out = fdt_be32(f->blob + f->struct_off + off);
	return 0;
}

/* Name of the property whose name is at strings offset nameoff, or NULL when that is
 * outside the strings block or not NUL-terminated inside it. */
static const char *fdt_string_at(const struct fdt *f, uint32_t nameoff)
{
	if (nameoff >= f->strings_size)
		return NULL;
	const char *s = (const char *)f->blob + f->strings_off + nameoff;
	if (strnlen(s, f->strings_size - nameoff) == f->strings_size - nameoff)
		return NULL;
	return s;
}

/* Decodes the BEGIN_NODE token at off (tag already read): its NUL-terminated name. */
static int fdt_decode_begin(const struct fdt *f, uint32_t off, struct fdt_token *tok)
{
	uint32_t avail = f->struct_size - (off + 4);
	const char *name = (const char *)f->blob + f->struct_off + off + 4;
	size_t n = strnlen(name, avail);
	if (n == avail)
		return -EINVAL;
	uint64_t next = fdt_align4((uint64_t)off + 4 + n + 1);
	if (next > f->struct_size)
		return -EINVAL;
	tok->name = name;
	tok->next = (uint32_t)next;
	return 0;
}

/* Decodes the PROP token at off (tag already read): length, name and value. */
static int fdt_decode_prop(const struct fdt *f, uint32_t off, struct fdt_token *tok)
{
	uint32_t len, nameoff;
	if (fdt_struct_u32(f, (uint64_t)off + 4, &len) ||
	    fdt_struct_u32(f, (uint64_t)off + 8, &nameoff))
		return -EINVAL;
	uint64_t val_off = (uint64_t)off + 12;
	if (len > f->struct_size - val_off)
		return -EINVAL;
	uint64_t next = fdt_align4(val_off + len);
	if (next > f->struct_size)
		return -EINVAL;
	tok->name = fdt_string_at(f, nameoff);
	if (!tok->name)
		return -EINVAL;
	tok->val = f->blob + f->struct_off + val_off;
	tok->len = len;
	tok->next = (uint32_t)next;
	return 0;
}

/* Decodes the token at structure offset off. Returns 0 or -EINVAL when it is misaligned,
 * unknown, or reaches outside the blob. */
static int fdt_token_at(const struct fdt *f, uint32_t off, struct fdt_token *tok)
{
	if (off & 3 || fdt_struct_u32(f, off, &tok->tag))
		return -EINVAL;
	switch (tok->tag) {
	case FDT_BEGIN_NODE:
		return fdt_decode_begin(f, off, tok);
	case FDT_PROP:
		return fdt_decode_prop(f, off, tok);
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		tok->next = off + 4;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Decodes the BEGIN_NODE token of node; -EINVAL when node is not a node offset. */
static int fdt_node_token(const struct fdt *f, int node, struct fdt_token *tok)
{
	if (node < 0 || fdt_token_at(f, (uint32_t)node, tok) || tok->tag != FDT_BEGIN_NODE)
		return -EINVAL;
	return 0;
}

/* Offset of the first token after node's properties (and NOPs): a child's BEGIN_NODE,
 * node's END_NODE, or something corrupt that the caller rejects. */
static int fdt_skip_props(const struct fdt *f, int node, uint32_t *off)
{
	struct fdt_token tok;
	if (fdt_node_token(f, node, &tok))
		return -EINVAL;
	uint32_t at = tok.next;
	for (;;) {
		if (fdt_token_at(f, at, &tok))
			return -EINVAL;
		if (tok.tag != FDT_PROP && tok.tag != FDT_NOP)
			break;
		at = tok.next;
	}
	*off = at;
	return 0;
}

/* Offset of the root node: the first BEGIN_NODE, after any NOPs. */
static int fdt_root(const struct fdt *f)
{
	struct fdt_token tok;
	uint32_t off = 0;
	for (;;) {
		if (fdt_token_at(f, off, &tok))
			return -EINVAL;
		if (tok.tag == FDT_BEGIN_NODE)
			return (int)off;
		if (tok.tag != FDT_NOP)
			return -EINVAL;
		off = tok.next;
	}
}

/* Reads header word index i (each is a big-endian u32). */
static uint32_t fdt_header_word(const uint8_t *b, unsigned i)
{
	return fdt_be32(b + 4 * i);
}

/* True when [off, off + size) lies in a blob of total bytes past a header of hdr bytes. */
static bool fdt_block_fits(uint32_t off, uint32_t size, uint32_t hdr, uint32_t total)
{
	return off >= hdr && off <= total && size <= total - off;
}

int fdt_open(struct fdt *f, const void *p, size_t max_size)
{
	const uint8_t *b = p;
	if (!b || max_size < 8 || fdt_header_word(b, 0) != FDT_MAGIC)
		return -EINVAL;
	uint32_t total = fdt_header_word(b, 1);
	if (total > max_size)
		return -E2BIG;
	if (total < FDT_HEADER_SIZE_V16)
		return -EINVAL;
	uint32_t version = fdt_header_word(b, 5), last_comp = fdt_header_word(b, 6);
	if (version < 16 || last_comp > FDT_LAST_VERSION || last_comp > version)
		return -EINVAL;
	uint32_t hdr = version >= 17 ? FDT_HEADER_SIZE_V17 : FDT_HEADER_SIZE_V16;
	if (total < hdr)
		return -EINVAL;
	uint32_t struct_off = fdt_header_word(b, 2), strings_off = fdt_header_word(b, 3);
	uint32_t rsv_off = fdt_header_word(b, 4), strings_size = fdt_header_word(b, 8);
	uint32_t struct_size =
	    version >= 17 ? fdt_header_word(b, 9) : (struct_off <= total ? total - struct_off : 0);
	if (struct_off & 3 || !fdt_block_fits(struct_off, struct_size, hdr, total))
		return -EINVAL;
	if (!fdt_block_fits(strings_off, strings_size, hdr, total))
		return -EINVAL;
	if (rsv_off & 7 || !fdt_block_fits(rsv_off, FDT_RSV_ENTRY_SIZE, hdr, total))
		return -EINVAL;
	*f = (struct fdt){.blob = b,
			  .total_size = total,
			  .struct_off = struct_off,
			  .struct_size = struct_size,
			  .strings_off = strings_off,
			  .strings_size = strings_size,
			  .rsvmap_off = rsv_off};
	return 0;
}

int fdt_next_node(const struct fdt *f, int node, int *depth)
{
	struct fdt_token tok;
	int change = 0;
	uint32_t off;

	if (node < 0) {
		int root = fdt_root(f);
		if (root >= 0 && depth)
			(*depth)++;
		return root;
	}
	if (fdt_node_token(f, node, &tok))
		return -EINVAL;
	for (off = tok.next;; off = tok.next) {
		if (fdt_token_at(f, off, &tok))
			return -EINVAL;
		if (tok.tag == FDT_BEGIN_NODE) {
			if (depth)
				*depth += change + 1;
			return (int)off;
		}
		if (tok.tag == FDT_END_NODE)
			change--;
		if (tok.tag == FDT_END) {
			if (depth)
				*depth += change;
			return -ENOENT;
		}
	}
}

int fdt_first_child(const struct fdt *f, int node)
{
	struct fdt_token tok;
	uint32_t off;
	if (fdt_skip_props(f, node, &off) || fdt_token_at(f, off, &tok))
		return -EINVAL;
	if (tok.tag == FDT_BEGIN_NODE)
		return (int)off;
	return tok.tag == FDT_END_NODE ? -ENOENT : -EINVAL;
}

/* Offset just past node's END_NODE. */
static int fdt_subtree_end(const struct fdt *f, int node, uint32_t *end)
{
	struct fdt_token tok;
	unsigned open = 1;
	if (fdt_node_token(f, node, &tok))
		return -EINVAL;
	for (uint32_t off = tok.next;; off = tok.next) {
		if (fdt_token_at(f, off, &tok) || tok.tag == FDT_END)
			return -EINVAL;
		if (tok.tag == FDT_BEGIN_NODE)
			open++;
		if (tok.tag == FDT_END_NODE && --open == 0) {
			*end = tok.next;
			return 0;
		}
	}
}

int fdt_next_sibling(const struct fdt *f, int node)
{
	struct fdt_token tok;
	uint32_t off;
	if (fdt_subtree_end(f, node, &off))
		return -EINVAL;
	for (;; off = tok.next) {
		if (fdt_token_at(f, off, &tok))
			return -EINVAL;
		if (tok.tag == FDT_BEGIN_NODE)
			return (int)off;
		if (tok.tag == FDT_END_NODE || tok.tag == FDT_END)
			return -ENOENT;
	}
}

int fdt_node_name(const struct fdt *f, int node, const char **name)
{
	struct fdt_token tok;
	if (fdt_node_token(f, node, &tok))
		return -EINVAL;
	*name = tok.name;
	return 0;
}

/* Property number index of node among those named [name, name + name_len) (any name when
 * name is NULL), decoded into *prop. Returns 0, -ENOENT, or -EINVAL for a corrupt blob. */
static int fdt_find_prop(const struct fdt *f, int node, const char *name, size_t name_len,
			 unsigned index, struct fdt_token *prop)
{
	struct fdt_token tok;
	if (fdt_node_token(f, node, &tok))
		return -EINVAL;
	for (uint32_t off = tok.next;; off = tok.next) {
		if (fdt_token_at(f, off, &tok))
			return -EINVAL;
		if (tok.tag == FDT_BEGIN_NODE || tok.tag == FDT_END_NODE)
			return -ENOENT;
		if (tok.tag == FDT_END)
			return -EINVAL;
		if (tok.tag != FDT_PROP)
			continue;
		if (name && (strncmp(tok.name, name, name_len) != 0 || tok.name[name_len] != '\0'))
			continue;
		if (index-- == 0) {
			*prop = tok;
			return 0;
		}
	}
}

/* fdt_get_prop for a property name of name_len bytes (not NUL-terminated). */
static int fdt_get_prop_len(const struct fdt *f, int node, const char *name, size_t name_len,
			    const void **val, uint32_t *len)
{
	struct fdt_token prop;
	int err = fdt_find_prop(f, node, name, name_len, 0, &prop);
	if (err)
		return err;
	*val = prop.val;
	*len = prop.len;
	return 0;
}

int fdt_get_prop(const struct fdt *f, int node, const char *name, const void **val, uint32_t *len)
{
	return fdt_get_prop_len(f, node, name, strlen(name), val, len);
}

int fdt_get_prop_by_index(const struct fdt *f, int node, unsigned index, const char **name,
			  const void **val, uint32_t *len)
{
	struct fdt_token prop;
	int err = fdt_find_prop(f, node, NULL, 0, index, &prop);
	if (err)
		return err;
	*name = prop.name;
	*val = prop.val;
	*len = prop.len;
	return 0;
}

int fdt_get_u32(const struct fdt *f, int node, const char *name, uint32_t *out)
{
	const void *val;
	uint32_t len;
	int err = fdt_get_prop(f, node, name, &val, &len);
	if (err)
		return err;
	if (len != 4)
		return -EINVAL;
	*out = fdt_be32(val);
	return 0;
}

int fdt_get_string(const struct fdt *f, int node, const char *name, const char **out)
{
	const void *val;
	uint32_t len;
	int err = fdt_get_prop(f, node, name, &val, &len);
	if (err)
		return err;
	if (len == 0 || ((const char *)val)[len - 1] != '\0')
		return -EINVAL;
	*out = val;
	return 0;
}

/* True when the string list [list, list + len) holds an entry equal to s. */
static bool fdt_stringlist_has(const char *list, uint32_t len, const char *s)
{
	size_t want = strlen(s);
	while (len > 0) {
		size_t n = strnlen(list, len);
		if (n == want && memcmp(list, s, n) == 0)
			return true;
		if (n == len && !planted_armed(PLANTED_FDT_COMPAT))
			break;
		list += n + 1;
		len -= (uint32_t)n + 1;
	}
	return false;
}

bool fdt_node_is_compatible(const struct fdt *f, int node, const char *compat)
{
	const void *val;
	uint32_t len;
	return fdt_get_prop(f, node, "compatible", &val, &len) == 0 &&
	       fdt_stringlist_has(val, len, compat);
}

bool fdt_node_is_enabled(const struct fdt *f, int node)
{
	const void *val;
	uint32_t len;
	int err = fdt_get_prop(f, node, "status", &val, &len);
	if (err == -ENOENT)
		return true;
	if (err)
		return false;
	size_t n = strnlen(val, len);
	return (n == 4 && memcmp(val, "okay", 4) == 0) || (n == 2 && memcmp(val, "ok", 2) == 0);
}

int fdt_find_compatible(const struct fdt *f, int start, const char *compat)
{
	int node = start < 0 ? -1 : start;
	for (;;) {
		node = fdt_next_node(f, node, NULL);
		if (node < 0 || fdt_node_is_compatible(f, node, compat))
			return node;
	}
}

/* True when node name matches path component [comp, comp + len); a component without a
 * unit address matches any unit address. */
static bool fdt_name_matches(const char *name, const char *comp, size_t len)
{
	if (strncmp(name, comp, len) != 0)
		return false;
	return name[len] == '\0' || (name[len] == '@' && !memchr(comp, '@', len));
}

/* Child of node named [comp, comp + len), or -ENOENT/-EINVAL. */
static int fdt_child_named(const struct fdt *f, int node, const char *comp, size_t len)
{
	int child;
	for (child = fdt_first_child(f, node); child >= 0; child = fdt_next_sibling(f, child)) {
		const char *name;
		if (fdt_node_name(f, child, &name))
			return -EINVAL;
		if (fdt_name_matches(name, comp, len))
			break;
	}
	return child;
}

/* Node of the alias [name, name + len) from /aliases; the alias must be an absolute path. */
static int fdt_alias_offset(const struct fdt *f, const char *name, size_t len)
{
	const void *val;
	uint32_t vlen;
	int aliases = fdt_path_offset(f, "/aliases");
	if (aliases < 0)
		return aliases;
	int err = fdt_get_prop_len(f, aliases, name, len, &val, &vlen);
	if (err)
		return err;
	const char *path = val;
	if (vlen == 0 || path[0] != '/')
		return -ENOENT;
	return fdt_path_offset_len(f, path, strnlen(path, vlen));
}

int fdt_path_offset_len(const struct fdt *f, const char *path, size_t len)
{
	const char *p = path, *end = path + strnlen(path, len);
	int node;

	if (p == end)
		return -ENOENT;
	if (*p == '/') {
		node = fdt_root(f);
	} else {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *alias_end = slash ? slash : end;
		node = fdt_alias_offset(f, p, (size_t)(alias_end - p));
		p = alias_end;
	}
	while (node >= 0 && p < end) {
		if (*p == '/') {
			p++;
			continue;
		}
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *comp_end = slash ? slash : end;
		node = fdt_child_named(f, node, p, (size_t)(comp_end - p));
		p = comp_end;
	}
	return node;
}

int fdt_path_offset(const struct fdt *f, const char *path)
{
	return fdt_path_offset_len(f, path, strlen(path));
}

/* Depth of node below the root (root 0), or -EINVAL when node is not a node. */
static int fdt_node_depth(const struct fdt *f, int node)
{
	int depth = -1;
	for (int n = fdt_next_node(f, -1, &depth); n >= 0 && n <= node;
	     n = fdt_next_node(f, n, &depth)) {
		if (n == node)
			return depth;
	}
	return -EINVAL;
}

int fdt_parent(const struct fdt *f, int node)
{
	int target = fdt_node_depth(f, node);
	if (target < 0)
		return target;
	if (target == 0)
		return -ENOENT;
	int parent = -ENOENT, depth = -1;
	for (int n = fdt_next_node(f, -1, &depth); n >= 0 && n < node;
	     n = fdt_next_node(f, n, &depth)) {
		if (depth == target - 1)
			parent = n;
	}
	return parent;
}

/* Reads a cell count property of node, default dflt when absent, and checks it is at
 * least min and at most 2. */
static int fdt_cell_count(const struct fdt *f, int node, const char *name, unsigned dflt,
			  unsigned min, unsigned *out)
{
	uint32_t v;
	int err = fdt_get_u32(f, node, name, &v);
	if (err == -ENOENT)
		v = dflt;
	else if (err)
		return -EINVAL;
	if (v < min || v > 2)
		return -EINVAL;
	*out = v;
	return 0;
}

int fdt_reg_cells(const struct fdt *f, int node, unsigned *addr_cells, unsigned *size_cells)
{
	int parent = fdt_parent(f, node);
	if (parent == -ENOENT) {
		*addr_cells = 2;
		*size_cells = 1;
		return 0;
	}
	if (parent < 0)
		return parent;
	if (fdt_cell_count(f, parent, "#address-cells", 2, 1, addr_cells) ||
	    fdt_cell_count(f, parent, "#size-cells", 1, 0, size_cells))
		return -EINVAL;
	return 0;
}

int fdt_get_reg(const struct fdt *f, int node, unsigned index, uint64_t *base, uint64_t *size)
{
	unsigned ac, sc;
	const void *val;
	uint32_t len;
	int err = fdt_reg_cells(f, node, &ac, &sc);
	if (!err)
		err = fdt_get_prop(f, node, "reg", &val, &len);
	if (err)
		return err;
	uint32_t entry = 4 * (ac + sc);
	if (len % entry)
		return -EINVAL;
	if (index >= len / entry)
		return -ENOENT;
	const uint8_t *p = (const uint8_t *)val + (size_t)index * entry;
	*base = fdt_read_cells(p, ac);
	*size = sc ? fdt_read_cells(p + 4 * ac, sc) : 0;
	return 0;
}

int fdt_get_memreserve(const struct fdt *f, unsigned index, uint64_t *base, uint64_t *size)
{
	uint64_t off = f->rsvmap_off;
	for (unsigned i = 0;; i++, off += FDT_RSV_ENTRY_SIZE) {
		if (off > f->total_size || f->total_size - off < FDT_RSV_ENTRY_SIZE)
			return -EINVAL;
		uint64_t b = fdt_read_cells(f->blob + off, 2);
		uint64_t s = fdt_read_cells(f->blob + off + 8, 2);
		if (s == 0) /* the terminator is (0, 0); libfdt and Linux stop at any size 0 */
			return -ENOENT;
		if (i == index) {
			*base = b;
			*size = s;
			return 0;
		}
	}
}
