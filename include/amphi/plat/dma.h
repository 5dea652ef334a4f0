/* plat/dma.h: memory that devices reach by DMA. Memory from page_alloc and kmalloc is
 * DMA-able on every platform, coherent with the CPUs (no cache maintenance is needed); a
 * device is handed its bus address, which is not always the kernel's physical address. */
#pragma once

#include <amphi/types.h>

/* The bus address devices use for the len bytes of kernel memory at va in *bus. Returns
 * 0, or -EFAULT when devices cannot reach all of it (the hosted machine's kernel stacks
 * and image are host memory outside its RAM). */
int plat_dma_map(const void *va, size_t len, paddr_t *bus);
