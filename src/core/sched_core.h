/*-------------------------------------------------------------------------
 *
 * sched_core.h
 *	  Send-window search: the earliest instant at or after a due time at
 *	  which every candidate time zone of a recipient is inside its window.
 *
 * Pure core: no server dependency.  Time zones and windows come in through
 * two callbacks, so the same search runs in the server (pg_tz zones and
 * quiet_rule rows, src/schedule.c) and standalone (fixed-offset and
 * synthetic DST zones in the unit tests and the fuzzer).  It must not know
 * about SQL types, tables or time zone databases.
 *
 * Time: UTC instants and local wall-clock instants are int64 seconds since
 * 1970-01-01 00:00; a local day is floor(local / 86400), weekday 0 = Sunday.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_SCHED_CORE_H
#define TEXTSEQ_SCHED_CORE_H

#include "core.h"

#define SQ_DAY_SECS		86400
#define SQ_MAX_SPANS	4		/* allowed spans in one local day */
#define SQ_MAX_ZONES	64		/* candidate zones per recipient */
#define SQ_MAX_HORIZON	366		/* days */

/* Error codes of sq_next_send (TsError.code). */
typedef enum SqErrorCode
{
	SQ_OK = 0,
	SQ_ERR_ARGS,				/* bad zone count, horizon or due */
	SQ_ERR_ZONE,				/* to_local failed (instant out of range) */
	SQ_ERR_SPANS,				/* day_spans returned malformed spans */
	SQ_ERR_LIMIT				/* iteration bound hit (a bug if ever seen) */
} SqErrorCode;

/* An allowed span of a local day: seconds since local midnight, [start, end). */
typedef struct SqSpan
{
	int32_t		start;
	int32_t		end;
} SqSpan;

/*
 * Map a UTC instant to wall-clock local seconds in candidate zone `zone`, and
 * report the next UTC instant (> utc) at which the zone's offset may change
 * (INT64_MAX when never).  Until then local = utc + (local - utc) holds.
 * Returns false when the instant cannot be converted.
 */
typedef bool (*SqToLocalFn) (void *ctx, int zone, int64_t utc,
							 int64_t *local, int64_t *next_change);

/*
 * Fill `spans` with the allowed spans of local day `day` (weekday `wday`),
 * sorted, disjoint, each 0 <= start < end <= 86400; return their count
 * (0 = nothing allowed that day, at most SQ_MAX_SPANS).
 */
typedef int (*SqDaySpansFn) (void *ctx, int64_t day, int wday, SqSpan *spans);

typedef struct SqQuery
{
	int			nzones;			/* 1..SQ_MAX_ZONES */
	int			horizon_days;	/* give up past due + horizon (1..SQ_MAX_HORIZON) */
	SqToLocalFn to_local;
	SqDaySpansFn day_spans;
	void	   *ctx;
} SqQuery;

/*
 * Earliest t >= due, t <= due + horizon, at which every zone's local time is
 * inside that zone's allowed spans.  Returns true and sets *result when found;
 * false when there is none (err->code == SQ_OK) or on error (err->code set).
 */
extern bool sq_next_send(const SqQuery *q, int64_t due, int64_t *result,
						 TsError *err);

/*
 * Earliest instant c, t < c <= limit, at which some zone's local time is
 * outside that zone's allowed spans, for a t inside every zone's window (the
 * window closes at c); limit when the window stays open that long, t when
 * some zone is outside at t already.  Returns false on error (err->code set).
 * limit - t must not exceed the query's horizon.
 */
extern bool sq_window_close(const SqQuery *q, int64_t t, int64_t limit, int64_t *result,
							TsError *err);

/* Weekday (0 = Sunday) of a day number counted from 1970-01-01. */
extern int	sq_weekday(int64_t day);

/* Floor division for possibly negative seconds. */
extern int64_t sq_floor_div(int64_t a, int64_t b);

/*
 * Spans of a daily window [start, end) in seconds of day: start < end is one
 * span; start > end wraps midnight ([0, end) and [start, 86400)); start == end
 * is empty.  Returns the count.
 */
extern int	sq_window_spans(int32_t start, int32_t end, SqSpan *out);

/* Intersect span `b` into the set `set` (n spans) in place; returns the new count. */
extern int	sq_clip(SqSpan *set, int n, SqSpan b);

/*
 * A quiet-hours rule as the core sees it: on the listed weekdays of the local
 * dates from_day..to_day (inclusive), sending is allowed only inside
 * [start, end), or not at all when closed.
 */
typedef struct SqRule
{
	uint8_t		days;			/* bit w set = applies on weekday w */
	bool		closed;
	int32_t		start;			/* seconds of day, when not closed */
	int32_t		end;
	int64_t		from_day;		/* first local day in force */
	int64_t		to_day;			/* last local day in force; INT64_MAX = open */
} SqRule;

/* A recipient's plan: the sequence window on its weekdays, and the rules that apply. */
typedef struct SqPlan
{
	SqSpan		window[2];		/* from sq_window_spans */
	int			nwindow;
	uint8_t		days;			/* bit w set = the window is open on weekday w */
	const SqRule *rules;
	int			nrules;
} SqPlan;

/* Allowed spans of local day `day` under a plan (an SqDaySpansFn body). */
extern int	sq_plan_day_spans(const SqPlan *p, int64_t day, int wday, SqSpan *out);

#endif							/* TEXTSEQ_SCHED_CORE_H */
