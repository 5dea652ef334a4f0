/* plat/io.h: reaching device registers. Drivers take a device's physical register range
 * from the device tree (or ACPI), map it here, and access it only through <amphi/mmio.h>. */
#pragma once

#include <amphi/types.h>

/* Makes the size bytes of device registers at physical address pa reachable and returns
 * the address to hand to the mmio_* accessors, or NULL when the range cannot be mapped.
 * The result is an opaque cookie: the hosted machine returns pa itself and routes each
 * access to its device models, so drivers must never dereference it directly. */
volatile void *plat_mmio_map(paddr_t pa, size_t size);
