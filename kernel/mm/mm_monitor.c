/* The monitor's view of kernel memory. */
#include <amphi/arch.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/monitor.h>

/* Prints the page allocator and kmalloc figures. */
static int monitor_mem(const char *arg)
{
	struct kmalloc_stats st;

	(void)arg;
	kmalloc_get_stats(&st);
	kprintf("pages: %zu free of %zu (%zu KiB free)\n", page_alloc_free_pages(),
		page_alloc_total_pages(), page_alloc_free_pages() * (PAGE_SIZE / 1024));
	kprintf("kmalloc: %zu objects, %zu bytes, %zu slab pages, %zu large pages\n", st.objects,
		st.bytes, st.slab_pages, st.large_pages);
	return MONITOR_STAY;
}
MONITOR_COMMAND(monitor_mem_cmd, "mem", "page allocator and kmalloc usage", monitor_mem);
