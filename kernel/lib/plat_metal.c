/*
 * The parts of plat.h that every bare-metal platform implements the same way. Built only
 * for metal targets: the hosted platform has a symbol table and memory checkers, and its
 * console is a terminal or a pipe, not a serial line.
 */
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/serial.h>

void serial_write(const char *buf, size_t n, void (*putc)(char c))
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			putc('\r');
		putc(buf[i]);
	}
}

/* No symbol table on metal: backtraces show raw addresses (addr2line on amphi.elf). */
int plat_symbolize(uintptr_t pc, char *buf, size_t len)
{
	(void)pc;
	(void)buf;
	(void)len;
	return -ENOSYS;
}

/* No memory checker runs on metal: the four hooks below do nothing. */
void plat_mem_alloc_hook(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* No-op on metal (see plat_mem_alloc_hook). */
void plat_mem_free_hook(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* No-op on metal (see plat_mem_alloc_hook). */
void plat_mem_noaccess(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* No-op on metal (see plat_mem_alloc_hook). */
void plat_mem_undefined(void *p, size_t n)
{
	(void)p;
	(void)n;
}
