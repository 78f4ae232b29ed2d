/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Counters of textseq-mock (requests, accepted, replayed, rejected,
 *	  faults by kind, delivery reports), rendered for GET /_mock/stats and
 *	  for the one-line summary printed at exit.
 *
 *	  Relaxed atomics: counters are read for reports, never to make
 *	  decisions, so no ordering is needed.  Must not print per request.
 *
 * test/mock/stats.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <stdio.h>
#include <string.h>

static const char *const stat_names[ST_COUNT] = {
	"requests", "accepted", "replayed", "rejected", "auth_failed", "not_found",
	"lists", "fetches", "dlr_queued", "dlr_posted", "dlr_failed"
};

static atomic_long g_stats[ST_COUNT];
static atomic_long g_faults[FK_COUNT];

/* count one event */
void
stat_inc(StatId id)
{
	atomic_fetch_add_explicit(&g_stats[id], 1, memory_order_relaxed);
}

/* count n events */
void
stat_add(StatId id, long n)
{
	atomic_fetch_add_explicit(&g_stats[id], n, memory_order_relaxed);
}

/* count one applied fault */
void
stat_fault(FaultKind k)
{
	atomic_fetch_add_explicit(&g_faults[k], 1, memory_order_relaxed);
}

/* zero every counter (POST /_mock/reset) */
void
stats_reset(void)
{
	int			i;

	for (i = 0; i < ST_COUNT; i++)
		atomic_store_explicit(&g_stats[i], 0, memory_order_relaxed);
	for (i = 0; i < FK_COUNT; i++)
		atomic_store_explicit(&g_faults[i], 0, memory_order_relaxed);
}

/* read a counter */
static long
get(atomic_long *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* {"requests":..,...,"messages":n,"faults":{"ok":..,...}} */
void
stats_to_json(Buf *b, long messages)
{
	int			i;

	buf_puts(b, "{");
	for (i = 0; i < ST_COUNT; i++)
		buf_printf(b, "\"%s\":%ld,", stat_names[i], get(&g_stats[i]));
	buf_printf(b, "\"messages\":%ld,\"faults\":{", messages);
	for (i = 0; i < FK_COUNT; i++)
		buf_printf(b, "%s\"%s\":%ld", i ? "," : "", fault_kind_name((FaultKind) i),
				   get(&g_faults[i]));
	buf_puts(b, "}}");
}

/* "requests=.. accepted=.. ... faults: status=2 reset=1" for stderr */
void
stats_summary(char *out, size_t size)
{
	size_t		n = 0;
	int			i;

	out[0] = '\0';
	for (i = 0; i < ST_COUNT && n < size; i++)
		n += (size_t) snprintf(out + n, size - n, "%s%s=%ld", i ? " " : "",
							   stat_names[i], get(&g_stats[i]));
	if (n < size)
		n += (size_t) snprintf(out + n, size - n, " faults:");
	for (i = 0; i < FK_COUNT && n < size; i++)
		if (get(&g_faults[i]) > 0)
			n += (size_t) snprintf(out + n, size - n, " %s=%ld",
								   fault_kind_name((FaultKind) i), get(&g_faults[i]));
}
