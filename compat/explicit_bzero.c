/*
 * explicit_bzero.c: fallback for systems without explicit_bzero(3).
 * Not a plain memset: the call goes through a volatile function pointer so
 * the compiler cannot prove it dead and remove it.
 */
#include "config.h"

#include <string.h>

void explicit_bzero(void *p, size_t n);

static void *(*volatile ldrt_memset)(void *, int, size_t) = memset;

void
explicit_bzero(void *p, size_t n)
{
	if (n > 0)
		ldrt_memset(p, 0, n);
}
