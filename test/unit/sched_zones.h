/*-------------------------------------------------------------------------
 *
 * sched_zones.h
 *	  Synthetic time zones for the schedule core's unit test and fuzzer:
 *	  a base UTC offset plus a list of (instant, new offset) changes.
 *
 * Test-only: stands in for the server's pg_tz zones; must not be linked
 * into the extension.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_SCHED_ZONES_H
#define TEXTSEQ_SCHED_ZONES_H

#include "core/sched_core.h"

#define TZ_MAX_CHANGES 16

typedef struct TestZone
{
	int64_t		base;					/* offset before the first change */
	int			nchanges;
	int64_t		at[TZ_MAX_CHANGES];		/* UTC instants, ascending */
	int64_t		off[TZ_MAX_CHANGES];	/* offset from that instant on */
} TestZone;

typedef struct TestCtx
{
	TestZone   *zones;
	SqPlan		plan;
} TestCtx;

/* Offset at utc and the next change after it. */
static inline int64_t
tz_offset(const TestZone *z, int64_t utc, int64_t *next)
{
	int64_t		off = z->base;

	*next = INT64_MAX;
	for (int i = 0; i < z->nchanges; i++)
	{
		if (z->at[i] <= utc)
			off = z->off[i];
		else
		{
			*next = z->at[i];
			break;
		}
	}
	return off;
}

/* SqToLocalFn over TestCtx. */
static inline bool
tz_to_local(void *ctx, int zone, int64_t utc, int64_t *local, int64_t *next)
{
	TestCtx    *c = ctx;

	*local = utc + tz_offset(&c->zones[zone], utc, next);
	return true;
}

/* SqDaySpansFn over TestCtx. */
static inline int
tz_day_spans(void *ctx, int64_t day, int wday, SqSpan *spans)
{
	TestCtx    *c = ctx;

	return sq_plan_day_spans(&c->plan, day, wday, spans);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's formula). */
static inline int64_t
tz_days(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Seconds since the epoch of a civil date and time (UTC, or local wall clock). */
static inline int64_t
tz_civil(int64_t y, int m, int d, int hh, int mm)
{
	return tz_days(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

#endif							/* TEXTSEQ_SCHED_ZONES_H */
