/* The reference of bench/fuzz: libFuzzer with a target that does nothing, so its rate is
 * the engine's own ceiling on this machine. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data, (void)size;
	return 0;
}
