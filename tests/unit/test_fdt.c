/*
 * Unit tests of the kernel's FDT reader (kernel/fdt/fdt.c, fdt_boot.c), built with ASan and
 * UBSan. Blobs come from dtc (the .dts files in tests/fdt) and from libfdt's sequential-write API
 * (fdt_reference.c), which also dumps how libfdt reads each blob; the reader must read
 * them the same way. Then every blob is truncated and corrupted in many ways: each call
 * must return an error or a valid result, and the sanitizers catch any read outside the
 * exactly-sized copy.
 */
#include "unit.h"

#include <errno.h> /* the Linux values, as in <amphi/errno.h> */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/fdt.h>

#ifndef FDT_TEST_DIR
#error "FDT_TEST_DIR must name the directory of the compiled test blobs"
#endif

static const char *const blob_names[] = {
    "board",	   "cells32",	  "nomemory",	      "sw-sim",
    "sw-cells1",   "sw-many",	  "sw-many-reserved", "sw-deep",
    "sw-random-0", "sw-random-1", "sw-random-2",      "sw-random-3",
    "sw-random-4", "sw-random-5", "sw-random-6",      "sw-random-7",
    "sw-rsv-size0",
};

/* Reads FDT_TEST_DIR/name+suffix into a new exactly-sized buffer (NUL-terminated copy
 * when text). Returns NULL when it cannot be read. */
static uint8_t *read_file(const char *name, const char *suffix, size_t *len, bool text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s%s", FDT_TEST_DIR, name, suffix);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + (text ? 1 : 0) + (n == 0));
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	} else if (text) {
		buf[n] = '\0';
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Appends formatted text to a growing string. */
static void appendf(char **s, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void appendf(char **s, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*s + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return;
		}
		*cap *= 2;
		*s = realloc(*s, *cap);
	}
}

/* The dump fdt_reference writes, produced with the kernel's reader. NULL on a read error. */
static char *dump_with_kernel_reader(const struct fdt *f)
{
	size_t len = 0, cap = 4096;
	char *s = malloc(cap);
	s[0] = '\0';
	uint64_t base, size;
	int err;
	for (unsigned i = 0; (err = fdt_get_memreserve(f, i, &base, &size)) == 0; i++)
		appendf(&s, &len, &cap, "rsv %llx %llx\n", (unsigned long long)base,
			(unsigned long long)size);
	int depth = -1, node;
	for (node = fdt_next_node(f, -1, &depth); node >= 0;
	     node = fdt_next_node(f, node, &depth)) {
		const char *name, *pname;
		const void *val;
		uint32_t plen;
		if (fdt_node_name(f, node, &name) != 0)
			goto fail;
		appendf(&s, &len, &cap, "node %d %s\n", depth, name);
		for (unsigned i = 0;
		     (err = fdt_get_prop_by_index(f, node, i, &pname, &val, &plen)) == 0; i++) {
			appendf(&s, &len, &cap, "prop %s %u ", pname, plen);
			for (uint32_t j = 0; j < plen; j++)
				appendf(&s, &len, &cap, "%02x", ((const uint8_t *)val)[j]);
			appendf(&s, &len, &cap, "\n");
		}
		if (err != -ENOENT)
			goto fail;
	}
	if (node != -ENOENT)
		goto fail;
	return s;
fail:
	free(s);
	return NULL;
}

static void test_reads_like_libfdt(void)
{
	for (size_t i = 0; i < sizeof(blob_names) / sizeof(blob_names[0]); i++) {
		size_t len, dlen;
		struct fdt f;
		uint8_t *blob = read_file(blob_names[i], ".dtb", &len, false);
		char *want = (char *)read_file(blob_names[i], ".dtb.dump", &dlen, true);
		CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
		CU_ASSERT_PTR_NOT_NULL_FATAL(want);
		CU_ASSERT_EQUAL_FATAL(fdt_open(&f, blob, len), 0);
		char *got = dump_with_kernel_reader(&f);
		CU_ASSERT_PTR_NOT_NULL(got);
		if (got && strcmp(got, want) != 0) {
			printf("    # %s: the kernel reader disagrees with libfdt\n",
			       blob_names[i]);
			CU_FAIL("dump differs from libfdt's");
		}
		free(got);
		free(want);
		free(blob);
	}
}

/* Opens blob name and fills a fresh boot_info; returns fdt_fill_boot_info's result. */
static int fill(const char *name, struct boot_info *info, uint8_t **blob)
{
	size_t len;
	struct fdt f;
	memset(info, 0, sizeof(*info));
	*blob = read_file(name, ".dtb", &len, false);
	if (!*blob || fdt_open(&f, *blob, len) != 0)
		return -999;
	return fdt_fill_boot_info(&f, info);
}

static void test_boot_info_dtc_blobs(void)
{
	struct boot_info bi;
	uint8_t *blob;
	CU_ASSERT_EQUAL(fill("board", &bi, &blob), 0);
	CU_ASSERT_STRING_EQUAL(bi.cmdline, "ktest=all console=ttyAMA0");
	CU_ASSERT_PTR_EQUAL(bi.fdt, blob);
	CU_ASSERT_EQUAL(bi.ram_count, 3);
	CU_ASSERT_EQUAL(bi.ram[1].base, 0x100000000ull);
	CU_ASSERT_EQUAL(bi.ram[1].size, 0x10000000);
	CU_ASSERT_EQUAL(bi.reserved_count, 3);
	CU_ASSERT_EQUAL(bi.reserved[2].base, 0x40000000);
	free(blob);

	CU_ASSERT_EQUAL(fill("cells32", &bi, &blob), 0);
	CU_ASSERT_STRING_EQUAL(bi.cmdline, "");
	CU_ASSERT_EQUAL(bi.ram_count, 2);
	CU_ASSERT_EQUAL(bi.ram[0].size, 0x04000000);
	free(blob);

	CU_ASSERT_EQUAL(fill("nomemory", &bi, &blob), -ENOENT);
	free(blob);
}

static void test_boot_info_libfdt_blobs(void)
{
	struct boot_info bi;
	uint8_t *blob;
	CU_ASSERT_EQUAL(fill("sw-sim", &bi, &blob), 0);
	CU_ASSERT_STRING_EQUAL(bi.cmdline, "ktest=all seed=42");
	CU_ASSERT_EQUAL(bi.ram_count, 1);
	CU_ASSERT_EQUAL(bi.ram[0].base, 0);
	CU_ASSERT_EQUAL(bi.ram[0].size, 0x8000000);
	CU_ASSERT_EQUAL(bi.reserved_count, 1);
	CU_ASSERT_EQUAL(bi.reserved[0].base, 0x7000000);
	free(blob);

	CU_ASSERT_EQUAL(fill("sw-cells1", &bi, &blob), 0);
	CU_ASSERT_EQUAL(bi.ram_count, 2); /* the empty entry and the disabled node are skipped */
	CU_ASSERT_EQUAL(bi.ram[1].base, 0x90000000);
	CU_ASSERT_EQUAL(bi.reserved_count, 2); /* "dyn" has no reg */
	CU_ASSERT_EQUAL(bi.reserved[1].base, 0x80100000);
	CU_ASSERT_EQUAL(bi.reserved[1].size, 0x1000);
	free(blob);

	unit_console_reset();
	CU_ASSERT_EQUAL(fill("sw-many", &bi, &blob), 0);
	CU_ASSERT_EQUAL(bi.ram_count, PLAT_MAX_MEM_RANGES);
	CU_ASSERT_EQUAL(bi.ram[31].base, 0x100000000ull + 31 * 0x200000ull);
	CU_ASSERT_PTR_NOT_NULL(strstr(unit_console, "unused"));
	free(blob);

	/* a reservation past the table cannot be dropped: the whole fill fails */
	unit_console_reset();
	CU_ASSERT_EQUAL(fill("sw-many-reserved", &bi, &blob), -ENOSPC);
	CU_ASSERT_EQUAL(bi.reserved_count, PLAT_MAX_MEM_RANGES);
	CU_ASSERT_PTR_NOT_NULL(strstr(unit_console, "cannot keep"));
	free(blob);

	CU_ASSERT_EQUAL(fill("sw-deep", &bi, &blob), 0);
	CU_ASSERT_EQUAL(bi.ram_count, 1);
	CU_ASSERT_EQUAL(bi.ram[0].base, 0x1000000);
	free(blob);

	/* the entry of size 0 ends the reservation block: the one after it is not kept */
	CU_ASSERT_EQUAL(fill("sw-rsv-size0", &bi, &blob), 0);
	CU_ASSERT_EQUAL(bi.reserved_count, 1);
	CU_ASSERT_EQUAL(bi.reserved[0].base, 0x48000000);
	free(blob);

	for (unsigned k = 0; k < 8; k++) {
		char name[32];
		snprintf(name, sizeof(name), "sw-random-%u", k);
		CU_ASSERT_EQUAL(fill(name, &bi, &blob), 0);
		CU_ASSERT_EQUAL(bi.ram_count, 1);
		CU_ASSERT_EQUAL(bi.ram[0].size, 0x1000000ull * (k + 1));
		CU_ASSERT_EQUAL(bi.reserved_count, k % 2);
		free(blob);
	}
}

static void test_appends_to_existing_ranges(void)
{
	size_t len;
	struct fdt f;
	struct boot_info bi = {0};
	uint8_t *blob = read_file("sw-sim", ".dtb", &len, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	bi.reserved[0] = (struct mem_range){0x200000, 0x100000}; /* e.g. the kernel image */
	bi.reserved_count = 1;
	CU_ASSERT_EQUAL_FATAL(fdt_open(&f, blob, len), 0);
	CU_ASSERT_EQUAL(fdt_fill_boot_info(&f, &bi), 0);
	CU_ASSERT_EQUAL(bi.reserved_count, 2);
	CU_ASSERT_EQUAL(bi.reserved[0].base, 0x200000);
	free(blob);
}

static void test_lookups(void)
{
	size_t len;
	struct fdt f;
	uint64_t base, size;
	const char *s;
	uint8_t *blob = read_file("board", ".dtb", &len, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(fdt_open(&f, blob, len), 0);

	int uart = fdt_find_compatible(&f, -1, "arm,pl011");
	CU_ASSERT(uart > 0);
	CU_ASSERT_EQUAL(fdt_stdout_node(&f), uart);
	CU_ASSERT_EQUAL(fdt_path_offset(&f, "serial0"), uart);
	CU_ASSERT_EQUAL(fdt_get_reg(&f, uart, 0, &base, &size), 0);
	CU_ASSERT_EQUAL(base, 0x09000000);
	CU_ASSERT_EQUAL(size, 0x1000);
	int psci = fdt_path_offset(&f, "/psci");
	CU_ASSERT_EQUAL(fdt_get_string(&f, psci, "method", &s), 0);
	CU_ASSERT_STRING_EQUAL(s, "hvc");
	CU_ASSERT_EQUAL(fdt_parent(&f, fdt_path_offset(&f, "/cpus/cpu@1")),
			fdt_path_offset(&f, "/cpus"));
	unsigned ac, sc;
	CU_ASSERT_EQUAL(fdt_reg_cells(&f, fdt_path_offset(&f, "/cpus/cpu@0"), &ac, &sc), 0);
	CU_ASSERT_EQUAL(ac, 1);
	CU_ASSERT_EQUAL(sc, 0);
	free(blob);
}

/* True when [p, p + n) lies inside [buf, buf + len). */
static bool inside(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	const uint8_t *b = p;
	return b >= buf && b <= buf + len && n <= (size_t)(buf + len - b);
}

/* Runs every entry point over a (possibly corrupt) blob and checks each result is an
 * error or plausible. Returns the number of implausible results. */
static unsigned exercise(const uint8_t *buf, size_t len)
{
	struct fdt f;
	unsigned bad = 0;
	if (fdt_open(&f, buf, len) != 0)
		return 0;
	struct boot_info bi = {0};
	int err = fdt_fill_boot_info(&f, &bi);
	if (err == 0) {
		bad += bi.ram_count == 0 || bi.ram_count > PLAT_MAX_MEM_RANGES;
		bad += bi.reserved_count > PLAT_MAX_MEM_RANGES;
		bad += bi.cmdline[0] && !inside(bi.cmdline, strlen(bi.cmdline) + 1, buf, len);
	} else {
		bad += err != -EINVAL && err != -ENOENT && err != -ENOSPC;
	}
	int depth = -1, node, count = 0;
	for (node = fdt_next_node(&f, -1, &depth); node >= 0 && count < 10000;
	     node = fdt_next_node(&f, node, &depth), count++) {
		const char *name, *pname;
		const void *val;
		uint32_t plen;
		uint64_t base, size;
		if (fdt_node_name(&f, node, &name) == 0)
			bad += !inside(name, strlen(name) + 1, buf, len);
		for (unsigned i = 0; fdt_get_prop_by_index(&f, node, i, &pname, &val, &plen) == 0;
		     i++)
			bad += !inside(val, plen, buf, len) ||
			       !inside(pname, strlen(pname) + 1, buf, len);
		if (count < 6 || count % 8 == 0) { /* linear scans: a sample keeps this quick */
			fdt_get_reg(&f, node, 0, &base, &size);
			fdt_parent(&f, node);
		}
		fdt_first_child(&f, node);
		fdt_next_sibling(&f, node);
		fdt_node_is_enabled(&f, node);
	}
	bad += count >= 10000; /* walks must end */
	fdt_find_compatible(&f, -1, "arm,pl011");
	fdt_path_offset(&f, "/soc/uart@9000000");
	fdt_path_offset(&f, "serial0/x");
	fdt_stdout_node(&f);
	return bad;
}

/* exercise() over a fresh exactly-sized copy of blob with a change applied by edit. */
static unsigned exercise_copy(const uint8_t *blob, size_t len, size_t keep,
			      void (*edit)(uint8_t *b, size_t n, void *arg), void *arg)
{
	uint8_t *copy = malloc(keep ? keep : 1);
	memcpy(copy, blob, keep);
	if (edit)
		edit(copy, keep, arg);
	unsigned bad = exercise(copy, keep);
	free(copy);
	(void)len;
	return bad;
}

/* Sets the header's totalsize to the buffer size, so a truncated blob gets past fdt_open. */
static void edit_fix_totalsize(uint8_t *b, size_t n, void *arg)
{
	(void)arg;
	if (n >= 8) {
		b[4] = (uint8_t)(n >> 24), b[5] = (uint8_t)(n >> 16);
		b[6] = (uint8_t)(n >> 8), b[7] = (uint8_t)n;
	}
}

/* XORs one byte: arg points at {offset, mask}. */
static void edit_xor(uint8_t *b, size_t n, void *arg)
{
	const size_t *om = arg;
	if (om[0] < n)
		b[om[0]] ^= (uint8_t)om[1];
}

static uint64_t fuzz_seed = 0x243f6a8885a308d3ull;

/* The next random number for the corruptions. */
static uint64_t fuzz_next(void)
{
	return unit_random(&fuzz_seed);
}

/* Writes 1..4 random bytes, or a random big-endian word at an aligned offset. */
static void edit_random(uint8_t *b, size_t n, void *arg)
{
	(void)arg;
	if (fuzz_next() % 2) {
		for (int k = (int)(fuzz_next() % 4); k >= 0; k--)
			b[fuzz_next() % n] = (uint8_t)fuzz_next();
	} else {
		static const uint32_t words[] = {
		    0, 1, 2, 3, 4, 9, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff, 0x10, 0x28};
		size_t off = (fuzz_next() % n) & ~(size_t)3;
		uint32_t w = fuzz_next() % 3 ? words[fuzz_next() % 12] : (uint32_t)fuzz_next();
		for (int i = 0; i < 4 && off + (size_t)i < n; i++)
			b[off + (size_t)i] = (uint8_t)(w >> (24 - 8 * i));
	}
}

static void test_truncation_at_every_length(void)
{
	for (size_t i = 0; i < sizeof(blob_names) / sizeof(blob_names[0]); i++) {
		size_t len;
		uint8_t *blob = read_file(blob_names[i], ".dtb", &len, false);
		CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
		for (size_t keep = 0; keep < len; keep++) {
			uint8_t *copy = malloc(keep ? keep : 1);
			memcpy(copy, blob, keep);
			struct fdt f;
			int err = fdt_open(&f, copy, keep);
			CU_ASSERT(err == -EINVAL || err == -E2BIG);
			free(copy);
			CU_ASSERT_EQUAL(exercise_copy(blob, len, keep, edit_fix_totalsize, NULL),
					0);
		}
		free(blob);
	}
}

static void test_every_byte_corrupted(void)
{
	static const size_t masks[] = {0xff, 0x01};
	for (size_t i = 0; i < sizeof(blob_names) / sizeof(blob_names[0]); i++) {
		size_t len;
		uint8_t *blob = read_file(blob_names[i], ".dtb", &len, false);
		CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
		unsigned bad = 0;
		for (size_t off = 0; off < len; off++)
			for (size_t m = 0; m < 2; m++) {
				size_t om[2] = {off, masks[m]};
				bad += exercise_copy(blob, len, len, edit_xor, om);
			}
		CU_ASSERT_EQUAL(bad, 0);
		free(blob);
	}
}

static void test_random_corruption(void)
{
	for (size_t i = 0; i < sizeof(blob_names) / sizeof(blob_names[0]); i++) {
		size_t len;
		uint8_t *blob = read_file(blob_names[i], ".dtb", &len, false);
		CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
		unsigned bad = 0;
		for (int iter = 0; iter < 1000; iter++)
			bad += exercise_copy(blob, len, len, edit_random, NULL);
		CU_ASSERT_EQUAL(bad, 0);
		free(blob);
	}
}

int unit_register(void)
{
	static CU_TestInfo reading[] = {
	    {"reads_like_libfdt", test_reads_like_libfdt},
	    {"lookups", test_lookups},
	    {"boot_info_dtc_blobs", test_boot_info_dtc_blobs},
	    {"boot_info_libfdt_blobs", test_boot_info_libfdt_blobs},
	    {"appends_to_existing_ranges", test_appends_to_existing_ranges},
	    CU_TEST_INFO_NULL,
	};
	static CU_TestInfo corrupt[] = {
	    {"truncation_at_every_length", test_truncation_at_every_length},
	    {"every_byte_corrupted", test_every_byte_corrupted},
	    {"random_corruption", test_random_corruption},
	    CU_TEST_INFO_NULL,
	};
	if (unit_add_suite("fdt_read", reading) || unit_add_suite("fdt_corrupt", corrupt))
		return -1;
	return 0;
}
