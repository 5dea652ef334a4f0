/*
 * Reference side of the FDT tests, built on libfdt (the reader test_fdt checks must not
 * share a program with libfdt: both define fdt_path_offset and fdt_next_node).
 *
 *   fdt_reference OUTDIR [blob.dtb...]
 *
 * Writes blobs built with libfdt's sequential-write API into OUTDIR (sw-*.dtb), then, for
 * every blob given and written, BLOB.dump: the reservations, nodes and properties as
 * libfdt reads them. test_fdt prints the same dump with Amphi's reader and compares.
 */
#include <libfdt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_BUF_SIZE (256 * 1024)

static char *ref_outdir;

/* Exits with a message naming the libfdt call that failed. */
static void ref_check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "fdt_reference: %s: %s\n", what, fdt_strerror(err));
		exit(1);
	}
}

#define REF(call) ref_check((call), #call)

/* Writes len bytes of buf to OUTDIR/name. */
static void ref_write(const char *name, const void *buf, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", ref_outdir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Adds a "reg" of (base, size) pairs with the given cell counts. */
static void ref_reg(void *fdt, unsigned ac, unsigned sc, const uint64_t *pairs, int n)
{
	uint32_t cells[64];
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (ac == 2)
			cells[k++] = cpu_to_fdt32((uint32_t)(pairs[2 * i] >> 32));
		cells[k++] = cpu_to_fdt32((uint32_t)pairs[2 * i]);
		if (sc == 2)
			cells[k++] = cpu_to_fdt32((uint32_t)(pairs[2 * i + 1] >> 32));
		cells[k++] = cpu_to_fdt32((uint32_t)pairs[2 * i + 1]);
	}
	REF(fdt_property(fdt, "reg", cells, k * 4));
}

/* Starts a blob with root cell sizes ac/sc and the given reservations. */
static void ref_begin(void *fdt, unsigned ac, unsigned sc, const uint64_t *rsv, int nrsv)
{
	REF(fdt_create(fdt, REF_BUF_SIZE));
	for (int i = 0; i < nrsv; i++)
		REF(fdt_add_reservemap_entry(fdt, rsv[2 * i], rsv[2 * i + 1]));
	REF(fdt_finish_reservemap(fdt));
	REF(fdt_begin_node(fdt, ""));
	REF(fdt_property_u32(fdt, "#address-cells", ac));
	REF(fdt_property_u32(fdt, "#size-cells", sc));
}

/* Closes the root and writes the blob as OUTDIR/name. */
static void ref_end(void *fdt, const char *name)
{
	REF(fdt_end_node(fdt));
	REF(fdt_finish(fdt));
	ref_write(name, fdt, fdt_totalsize(fdt));
}

/* A memory node named memory@<base> with one reg entry. */
static void ref_memory(void *fdt, unsigned ac, unsigned sc, uint64_t base, uint64_t size)
{
	char name[64];
	uint64_t pair[2] = {base, size};
	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)base);
	REF(fdt_begin_node(fdt, name));
	REF(fdt_property_string(fdt, "device_type", "memory"));
	ref_reg(fdt, ac, sc, pair, 1);
	REF(fdt_end_node(fdt));
}

/* The shape the hosted platform generates: 2/2 cells, one RAM node, bootargs. */
static void ref_build_sim(void *fdt)
{
	uint64_t rsv[] = {0x7000000, 0x10000};
	ref_begin(fdt, 2, 2, rsv, 1);
	REF(fdt_property_string(fdt, "compatible", "amphi,hosted"));
	REF(fdt_begin_node(fdt, "chosen"));
	REF(fdt_property_string(fdt, "bootargs", "ktest=all seed=42"));
	REF(fdt_end_node(fdt));
	ref_memory(fdt, 2, 2, 0, 0x8000000);
	ref_end(fdt, "sw-sim.dtb");
}

/* 1/1 cells: several reg entries, /reserved-memory with and without reg, a disabled node. */
static void ref_build_cells1(void *fdt)
{
	uint64_t ram[] = {0x80000000, 0x4000000, 0x90000000, 0x1000000, 0xa0000000, 0};
	uint64_t fw[] = {0x80000000, 0x80000, 0x80100000, 0x1000};
	ref_begin(fdt, 1, 1, NULL, 0);
	REF(fdt_begin_node(fdt, "memory@80000000"));
	REF(fdt_property_string(fdt, "device_type", "memory"));
	ref_reg(fdt, 1, 1, ram, 3);
	REF(fdt_end_node(fdt));
	REF(fdt_begin_node(fdt, "memory@c0000000"));
	REF(fdt_property_string(fdt, "device_type", "memory"));
	REF(fdt_property_string(fdt, "status", "disabled"));
	ref_reg(fdt, 1, 1, ram, 1);
	REF(fdt_end_node(fdt));
	REF(fdt_begin_node(fdt, "reserved-memory"));
	REF(fdt_property_u32(fdt, "#address-cells", 1));
	REF(fdt_property_u32(fdt, "#size-cells", 1));
	REF(fdt_property(fdt, "ranges", NULL, 0));
	REF(fdt_begin_node(fdt, "fw@80000000"));
	ref_reg(fdt, 1, 1, fw, 2);
	REF(fdt_end_node(fdt));
	REF(fdt_begin_node(fdt, "dyn"));
	REF(fdt_property_u32(fdt, "size", 0x100000));
	REF(fdt_end_node(fdt));
	REF(fdt_end_node(fdt));
	ref_end(fdt, "sw-cells1.dtb");
}

/* More memory nodes than struct boot_info holds (40 of 1 MiB). */
static void ref_build_many(void *fdt)
{
	ref_begin(fdt, 2, 1, NULL, 0);
	for (int i = 0; i < 40; i++)
		ref_memory(fdt, 2, 1, 0x100000000ull + (uint64_t)i * 0x200000, 0x100000);
	ref_end(fdt, "sw-many.dtb");
}

/* More reservations than struct boot_info holds (40 in the reservation block). */
static void ref_build_many_reserved(void *fdt)
{
	uint64_t rsv[80];
	for (int i = 0; i < 40; i++) {
		rsv[2 * i] = 0x80000000ull + (uint64_t)i * 0x10000;
		rsv[2 * i + 1] = 0x1000;
	}
	ref_begin(fdt, 2, 2, rsv, 40);
	ref_memory(fdt, 2, 2, 0x80000000ull, 0x10000000);
	ref_end(fdt, "sw-many-reserved.dtb");
}

/* A reservation of size 0 in the middle of the block: it ends the block (libfdt, Linux),
 * so the entry after it is not read. */
static void ref_build_rsv_size0(void *fdt)
{
	uint64_t rsv[] = {0x48000000, 0x1000, 0x49000000, 0, 0x4a000000, 0x1000};
	ref_begin(fdt, 2, 2, rsv, 3);
	ref_memory(fdt, 2, 2, 0x40000000, 0x10000000);
	ref_end(fdt, "sw-rsv-size0.dtb");
}

/* Twenty levels of nesting with string lists and empty properties. */
static void ref_build_deep(void *fdt)
{
	static const char compat[] = "amphi,deep\0amphi,nested\0simple-bus";
	ref_begin(fdt, 1, 1, NULL, 0);
	for (int d = 0; d < 20; d++) {
		char name[32];
		snprintf(name, sizeof(name), d % 2 ? "level%d@%x" : "level%d", d, d * 0x1000);
		REF(fdt_begin_node(fdt, name));
		REF(fdt_property(fdt, "compatible", compat, sizeof(compat)));
		REF(fdt_property(fdt, "empty", NULL, 0));
		REF(fdt_property_u32(fdt, "depth", (uint32_t)d));
		REF(fdt_property_u32(fdt, "#address-cells", 1));
		REF(fdt_property_u32(fdt, "#size-cells", 1));
	}
	for (int d = 0; d < 20; d++)
		REF(fdt_end_node(fdt));
	REF(fdt_begin_node(fdt, "memory"));
	REF(fdt_property_string(fdt, "device_type", "memory"));
	uint64_t pair[2] = {0x1000000, 0x2000000};
	ref_reg(fdt, 1, 1, pair, 1);
	REF(fdt_end_node(fdt));
	ref_end(fdt, "sw-deep.dtb");
}

/* xorshift32 for the random trees; the seed fixes each tree. */
static uint32_t ref_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A random subtree: random names, property names, lengths and bytes. */
static void ref_random_node(void *fdt, uint32_t *seed, int depth)
{
	static const char *const prop_names[] = {"compatible",
						 "reg",
						 "status",
						 "model",
						 "x",
						 "interrupts",
						 "a-much-longer-property-name",
						 "linux,phandle",
						 "#size-cells",
						 "device_type"};
	int nprops = (int)(ref_rand(seed) % 6);
	for (int i = 0; i < nprops; i++) {
		uint8_t val[64];
		int len = (int)(ref_rand(seed) % sizeof(val));
		for (int j = 0; j < len; j++)
			val[j] = (uint8_t)ref_rand(seed);
		char pname[48];
		snprintf(pname, sizeof(pname), "%s-%d", prop_names[ref_rand(seed) % 10], i);
		REF(fdt_property(fdt, pname, val, len));
	}
	int nchildren = depth >= 5 ? 0 : (int)(ref_rand(seed) % 4);
	for (int i = 0; i < nchildren; i++) {
		char name[48];
		if (ref_rand(seed) % 2)
			snprintf(name, sizeof(name), "node%d@%x", i, ref_rand(seed) & 0xffff);
		else
			snprintf(name, sizeof(name), "n%d", i);
		REF(fdt_begin_node(fdt, name));
		ref_random_node(fdt, seed, depth + 1);
		REF(fdt_end_node(fdt));
	}
}

/* Eight random trees, each with one memory node so boot info can be filled. */
static void ref_build_random(void *fdt)
{
	for (uint32_t k = 0; k < 8; k++) {
		uint32_t seed = 0x12345u + k * 7919u;
		uint64_t rsv[] = {0x1000, 0x1000};
		char name[32];
		ref_begin(fdt, 2, 2, rsv, (int)(k % 2));
		ref_random_node(fdt, &seed, 1);
		ref_memory(fdt, 2, 2, 0x40000000, 0x1000000u * (k + 1));
		snprintf(name, sizeof(name), "sw-random-%u.dtb", k);
		ref_end(fdt, name);
	}
}

/* Reads a whole file into a new buffer. */
static void *ref_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	char *buf = malloc(REF_BUF_SIZE);
	*len = fread(buf, 1, REF_BUF_SIZE, f);
	fclose(f);
	return buf;
}

/* Writes path.dump: reservations, then nodes with depth and properties in hex. */
static void ref_dump(const char *path)
{
	size_t len;
	char out[4096];
	void *fdt = ref_read(path, &len);
	REF(fdt_check_full(fdt, len));
	snprintf(out, sizeof(out), "%s.dump", path);
	FILE *f = fopen(out, "w");
	if (!f) {
		perror(out);
		exit(1);
	}
	for (int i = 0; i < fdt_num_mem_rsv(fdt); i++) {
		uint64_t base, size;
		REF(fdt_get_mem_rsv(fdt, i, &base, &size));
		fprintf(f, "rsv %llx %llx\n", (unsigned long long)base, (unsigned long long)size);
	}
	int depth = 0;
	for (int node = 0; node >= 0 && depth >= 0; node = fdt_next_node(fdt, node, &depth)) {
		fprintf(f, "node %d %s\n", depth, fdt_get_name(fdt, node, NULL));
		int prop;
		fdt_for_each_property_offset(prop, fdt, node)
		{
			const char *name;
			int plen;
			const uint8_t *val = fdt_getprop_by_offset(fdt, prop, &name, &plen);
			fprintf(f, "prop %s %d ", name, plen);
			for (int i = 0; i < plen; i++)
				fprintf(f, "%02x", val[i]);
			fprintf(f, "\n");
		}
	}
	fclose(f);
	free(fdt);
}

int main(int argc, char **argv)
{
	static const char *const generated[] = {
	    "sw-sim",	   "sw-cells1",	  "sw-many",	 "sw-many-reserved", "sw-deep",
	    "sw-random-0", "sw-random-1", "sw-random-2", "sw-random-3",	     "sw-random-4",
	    "sw-random-5", "sw-random-6", "sw-random-7", "sw-rsv-size0"};
	if (argc < 2) {
		fprintf(stderr, "usage: fdt_reference OUTDIR [blob.dtb...]\n");
		return 2;
	}
	ref_outdir = argv[1];
	void *fdt = malloc(REF_BUF_SIZE);
	ref_build_sim(fdt);
	ref_build_cells1(fdt);
	ref_build_many(fdt);
	ref_build_many_reserved(fdt);
	ref_build_deep(fdt);
	ref_build_rsv_size0(fdt);
	ref_build_random(fdt);
	free(fdt);
	for (size_t i = 0; i < sizeof(generated) / sizeof(generated[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.dtb", ref_outdir, generated[i]);
		ref_dump(path);
	}
	for (int i = 2; i < argc; i++)
		ref_dump(argv[i]);
	return 0;
}
