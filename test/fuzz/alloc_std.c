/*-------------------------------------------------------------------------
 *
 * alloc_std.c
 *	  Standalone implementation of the pure cores' allocator (core/core.h)
 *	  for fuzzers and unit tests: malloc/free, aborting on exhaustion.
 *
 *-------------------------------------------------------------------------
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Abort on exhaustion: a standalone run has no error recovery to fall back on. */
static void *
must(void *p)
{
	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return p;
}

void *
ts_alloc(size_t size)
{
	return must(malloc(size ? size : 1));
}

void *
ts_alloc0(size_t size)
{
	return must(calloc(1, size ? size : 1));
}

void *
ts_realloc(void *ptr, size_t size)
{
	return must(realloc(ptr, size ? size : 1));
}

void
ts_free(void *ptr)
{
	free(ptr);
}

void
ts_check_stack(void)
{
}
