/* String helpers of the kernel's own (not ISO C), built in every configuration. */
#include <amphi/string.h>

size_t kstrlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
