/* plat/memcheck.h: memory-checker hooks (Valgrind memcheck and ASan in the hosted build;
 * no-ops on metal). The kernel's allocators describe the state of their memory here. */
#pragma once

#include <amphi/types.h>

/* Marks [p, p+n) as allocated by an allocator: readable and writable, contents undefined. */
void plat_mem_alloc_hook(void *p, size_t n);

/* Marks [p, p+n) as freed by an allocator: any access is an error. Reports a double free
 * when the range is already marked free. */
void plat_mem_free_hook(void *p, size_t n);

/* Marks [p, p+n) as owned by an allocator but not handed out: any access is an error. */
void plat_mem_noaccess(void *p, size_t n);

/* Marks [p, p+n) as handed out below the object level (whole pages): accessible, undefined. */
void plat_mem_undefined(void *p, size_t n);
