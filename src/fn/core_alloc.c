/*-------------------------------------------------------------------------
 *
 * core_alloc.c
 *	  Server implementation of the pure cores' allocator (core/core.h):
 *	  palloc in the caller's memory context, and the server stack check.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "core/core.h"

/* Allocate in CurrentMemoryContext; huge requests are allowed up to MaxAllocHugeSize. */
void *
ts_alloc(size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE);
}

/* Zeroed allocation in CurrentMemoryContext. */
void *
ts_alloc0(size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* Grow or shrink a chunk allocated by ts_alloc. */
void *
ts_realloc(void *ptr, size_t size)
{
	return repalloc_huge(ptr, size);
}

/* Free a chunk allocated by ts_alloc. */
void
ts_free(void *ptr)
{
	if (ptr)
		pfree(ptr);
}

/* Throw the server's stack-depth error before recursion overruns the stack. */
void
ts_check_stack(void)
{
	check_stack_depth();
}
