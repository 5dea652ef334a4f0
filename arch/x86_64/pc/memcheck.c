/* Memory-checker hooks: there is no Valgrind or ASan on metal, so they do nothing. */
#include <amphi/plat.h>

/* No-op on metal. */
void plat_mem_alloc_hook(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* No-op on metal. */
void plat_mem_free_hook(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* No-op on metal. */
void plat_mem_noaccess(void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* No-op on metal. */
void plat_mem_undefined(void *p, size_t n)
{
	(void)p;
	(void)n;
}
