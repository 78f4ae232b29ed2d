/*-------------------------------------------------------------------------
 *
 * sched.c
 *	  Send-window search over several time zones (see sched_core.h).
 *
 * The search is exact, not sampled: for one zone, between the current
 * instant t and the zone's next offset change the local clock advances
 * one-for-one with UTC, so the next opening is reached by a plain local
 * delta; when the opening lies beyond an offset change, the search resumes
 * at the change and looks again (this is what makes DST days correct: a
 * window opening at 08:00 opens at 08:00 wall time on the day of the change,
 * and the repeated hour of a fall-back day is searched, not skipped).
 * Several zones are combined by moving t forward to each zone's next
 * allowed instant in turn until one full pass moves nothing.  Every step
 * moves t forward, and the number of steps is bounded.
 *
 * Must not: allocate, know about SQL or zone databases, or loop unbounded.
 *
 *-------------------------------------------------------------------------
 */
#include "sched_core.h"

#include <string.h>

/* Far from int64 overflow even after adding a horizon and a day's offset. */
#define SQ_MAX_ABS_TIME		((int64_t) 1 << 52)

/* Outcome of a one-zone search. */
typedef enum SqStep
{
	SQ_STEP_FOUND,
	SQ_STEP_NONE,
	SQ_STEP_ERROR
} SqStep;

/* Search state shared by the one-zone steps. */
typedef struct SqSearch
{
	const SqQuery *q;
	int64_t		limit;			/* latest acceptable instant */
	long		steps;			/* callback rounds left before SQ_ERR_LIMIT */
	TsError    *err;
} SqSearch;

/* Floor division for possibly negative seconds. */
int64_t
sq_floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Weekday (0 = Sunday) of a day number; 1970-01-01 was a Thursday. */
int
sq_weekday(int64_t day)
{
	int64_t		w = (day + 4) % 7;

	return (int) (w < 0 ? w + 7 : w);
}

/* Spans of a daily window; start > end wraps midnight, start == end is empty. */
int
sq_window_spans(int32_t start, int32_t end, SqSpan *out)
{
	int			n = 0;

	if (start < end)
	{
		out[0].start = start;
		out[0].end = end;
		return 1;
	}
	if (start == end)
		return 0;
	/* wrapping: the morning part first, to keep the spans sorted */
	if (end > 0)
	{
		out[n].start = 0;
		out[n++].end = end;
	}
	if (start < SQ_DAY_SECS)
	{
		out[n].start = start;
		out[n++].end = SQ_DAY_SECS;
	}
	return n;
}

/* Intersect span b into the sorted set in place; returns the new count. */
int
sq_clip(SqSpan *set, int n, SqSpan b)
{
	int			k = 0;

	for (int i = 0; i < n; i++)
	{
		int32_t		s = set[i].start > b.start ? set[i].start : b.start;
		int32_t		e = set[i].end < b.end ? set[i].end : b.end;

		if (s < e)
		{
			set[k].start = s;
			set[k].end = e;
			k++;
		}
	}
	return k;
}

/* A day's spans under a plan: the window on its weekdays, clipped by the rules in force. */
int
sq_plan_day_spans(const SqPlan *p, int64_t day, int wday, SqSpan *out)
{
	int			n;

	if (!(p->days & (1u << wday)))
		return 0;
	n = p->nwindow;
	memcpy(out, p->window, sizeof(SqSpan) * (size_t) n);
	for (int i = 0; i < p->nrules && n > 0; i++)
	{
		const SqRule *r = &p->rules[i];

		if (day < r->from_day || day > r->to_day || !(r->days & (1u << wday)))
			continue;
		if (r->closed)
			return 0;
		n = sq_clip(out, n, (SqSpan) {r->start, r->end});
	}
	return n;
}

/* Ask for one day's spans and check they are well formed. */
static int
get_spans(SqSearch *s, int64_t day, SqSpan *spans)
{
	int			n;

	memset(spans, 0, sizeof(SqSpan) * SQ_MAX_SPANS);
	n = s->q->day_spans(s->q->ctx, day, sq_weekday(day), spans);
	if (n < 0 || n > SQ_MAX_SPANS)
	{
		ts_error_set(s->err, SQ_ERR_SPANS, "", 0, 0,
					 "day %lld: %d spans returned", (long long) day, n);
		return -1;
	}
	for (int i = 0; i < n; i++)
	{
		if (spans[i].start < 0 || spans[i].end > SQ_DAY_SECS ||
			spans[i].start >= spans[i].end ||
			(i > 0 && spans[i].start < spans[i - 1].end))
		{
			ts_error_set(s->err, SQ_ERR_SPANS, "", 0, 0,
						 "day %lld: span %d is malformed", (long long) day, i + 1);
			return -1;
		}
	}
	return n;
}

/*
 * Is local second-of-day `sod` of `day` allowed?  If not, find the next
 * opening (a span start, in local seconds) no later than `last_local`.
 * Returns 1 = inside, 0 = opening found in *opening, -1 = none, -2 = error.
 */
static int
local_lookup(SqSearch *s, int64_t local, int64_t last_local, int64_t *opening)
{
	SqSpan		spans[SQ_MAX_SPANS];
	int64_t		day = sq_floor_div(local, SQ_DAY_SECS);
	int32_t		sod = (int32_t) (local - day * SQ_DAY_SECS);
	int			n = get_spans(s, day, spans);

	if (n < 0)
		return -2;
	for (int i = 0; i < n; i++)
	{
		if (sod >= spans[i].start && sod < spans[i].end)
			return 1;
		if (spans[i].start > sod)
		{
			*opening = day * SQ_DAY_SECS + spans[i].start;
			return *opening <= last_local ? 0 : -1;
		}
	}
	for (int64_t d = day + 1; d * SQ_DAY_SECS <= last_local; d++)
	{
		n = get_spans(s, d, spans);
		if (n < 0)
			return -2;
		if (n > 0)
		{
			*opening = d * SQ_DAY_SECS + spans[0].start;
			return *opening <= last_local ? 0 : -1;
		}
	}
	return -1;
}

/*
 * Local time of zone z at utc and the next instant its offset may change
 * (always > utc); false with s->err set when the zone cannot convert it.
 */
static bool
zone_local(SqSearch *s, int zone, int64_t utc, int64_t *local, int64_t *change)
{
	if (!s->q->to_local(s->q->ctx, zone, utc, local, change) ||
		*local - utc > SQ_DAY_SECS * 2 || utc - *local > SQ_DAY_SECS * 2)
	{
		ts_error_set(s->err, SQ_ERR_ZONE, "", 0, 0,
					 "time zone %d: cannot convert instant %lld",
					 zone + 1, (long long) utc);
		return false;
	}
	if (*change <= utc)			/* defensive: a change must lie ahead */
		*change = utc + 1;
	return true;
}

/* Earliest instant >= *t (and <= limit) at which zone z is inside; updates *t. */
static SqStep
zone_next(SqSearch *s, int zone, int64_t *t)
{
	int64_t		cur = *t;

	for (;;)
	{
		int64_t		local;
		int64_t		change;
		int64_t		opening = 0;
		int64_t		offset;
		int			r;

		if (--s->steps < 0)
		{
			ts_error_set(s->err, SQ_ERR_LIMIT, "", 0, 0,
						 "send-window search did not settle");
			return SQ_STEP_ERROR;
		}
		if (!zone_local(s, zone, cur, &local, &change))
			return SQ_STEP_ERROR;
		offset = local - cur;
		/* the last local instant worth looking at, allowing for later offsets */
		r = local_lookup(s, local, s->limit + offset + SQ_DAY_SECS * 2, &opening);
		if (r == 1)
		{
			*t = cur;
			return SQ_STEP_FOUND;
		}
		if (r == -2)
			return SQ_STEP_ERROR;
		if (r == -1)
			return SQ_STEP_NONE;
		/* the opening under the current offset, unless the offset changes first */
		cur = (opening - offset < change) ? opening - offset : change;
		if (cur > s->limit)
			return SQ_STEP_NONE;
	}
}

/* Check the query before searching. */
static bool
query_ok(const SqQuery *q, int64_t due, TsError *err)
{
	if (q->nzones < 1 || q->nzones > SQ_MAX_ZONES)
		ts_error_set(err, SQ_ERR_ARGS, "", 0, 0,
					 "%d time zones given, 1 to %d allowed", q->nzones, SQ_MAX_ZONES);
	else if (q->horizon_days < 1 || q->horizon_days > SQ_MAX_HORIZON)
		ts_error_set(err, SQ_ERR_ARGS, "", 0, 0,
					 "horizon of %d days, 1 to %d allowed", q->horizon_days, SQ_MAX_HORIZON);
	else if (due > SQ_MAX_ABS_TIME || due < -SQ_MAX_ABS_TIME)
		ts_error_set(err, SQ_ERR_ARGS, "", 0, 0, "due time out of range");
	else if (q->to_local == NULL || q->day_spans == NULL)
		ts_error_set(err, SQ_ERR_ARGS, "", 0, 0, "callbacks missing");
	else
		return true;
	return false;
}

/* Earliest t in [due, due + horizon] inside every zone's window (see sched_core.h). */
bool
sq_next_send(const SqQuery *q, int64_t due, int64_t *result, TsError *err)
{
	SqSearch	s;
	int64_t		t = due;
	bool		moved;

	memset(err, 0, sizeof(*err));
	err->offset = -1;
	if (!query_ok(q, due, err))
		return false;
	s.q = q;
	s.limit = due + (int64_t) q->horizon_days * SQ_DAY_SECS;
	s.err = err;
	/* each round lands on an opening or an offset change; both are sparse */
	s.steps = 1000 + (long) q->nzones * (q->horizon_days + 3) * (SQ_MAX_SPANS + 1) * 8;
	do
	{
		moved = false;
		for (int z = 0; z < q->nzones; z++)
		{
			int64_t		before = t;
			SqStep		r = zone_next(&s, z, &t);

			if (r != SQ_STEP_FOUND)
				return false;
			if (t != before)
				moved = true;
		}
	} while (moved);
	*result = t;
	return true;
}

/*
 * End (exclusive, in local seconds) of the allowed run that contains local
 * instant `local`, following runs that go on past midnight into the next
 * day, up to `last_local`.  Returns 1 = inside (*end set), 0 = outside,
 * -2 = error.
 */
static int
local_run_end(SqSearch *s, int64_t local, int64_t last_local, int64_t *end)
{
	SqSpan		spans[SQ_MAX_SPANS];
	int64_t		day = sq_floor_div(local, SQ_DAY_SECS);
	int32_t		sod = (int32_t) (local - day * SQ_DAY_SECS);
	int			n = get_spans(s, day, spans);
	int			i;

	if (n < 0)
		return -2;
	for (i = 0; i < n; i++)
		if (sod >= spans[i].start && sod < spans[i].end)
			break;
	if (i == n)
		return 0;
	*end = day * SQ_DAY_SECS + spans[i].end;
	/* a run ending at midnight goes on when the next day opens at midnight */
	while (*end % SQ_DAY_SECS == 0 && *end <= last_local)
	{
		n = get_spans(s, sq_floor_div(*end, SQ_DAY_SECS), spans);
		if (n < 0)
			return -2;
		if (n == 0 || spans[0].start != 0)
			break;
		*end += spans[0].end;
	}
	return 1;
}

/* When zone z leaves its window after t (<= limit; t when outside at t). */
static bool
zone_close(SqSearch *s, int zone, int64_t t, int64_t *close)
{
	int64_t		cur = t;

	for (;;)
	{
		int64_t		local;
		int64_t		change;
		int64_t		offset;
		int64_t		end = 0;
		int			r;

		if (--s->steps < 0)
		{
			ts_error_set(s->err, SQ_ERR_LIMIT, "", 0, 0,
						 "send-window close search did not settle");
			return false;
		}
		if (!zone_local(s, zone, cur, &local, &change))
			return false;
		offset = local - cur;
		r = local_run_end(s, local, s->limit + offset + SQ_DAY_SECS * 2, &end);
		if (r == -2)
			return false;
		if (r == 0)
		{
			*close = cur;		/* outside here: closed already */
			return true;
		}
		/* the run's end under the current offset, unless the offset changes first */
		if (end - offset < change || change > s->limit)
		{
			*close = end - offset < s->limit ? end - offset : s->limit;
			return true;
		}
		cur = change;
	}
}

/* When the window that is open at t closes (see sched_core.h). */
bool
sq_window_close(const SqQuery *q, int64_t t, int64_t limit, int64_t *result, TsError *err)
{
	SqSearch	s;
	int64_t		best;

	memset(err, 0, sizeof(*err));
	err->offset = -1;
	if (!query_ok(q, t, err))
		return false;
	if (limit < t || limit - t > (int64_t) q->horizon_days * SQ_DAY_SECS)
	{
		ts_error_set(err, SQ_ERR_ARGS, "", 0, 0, "limit outside the horizon");
		return false;
	}
	s.q = q;
	s.limit = limit;
	s.err = err;
	s.steps = 1000 + (long) q->nzones * (q->horizon_days + 3) * (SQ_MAX_SPANS + 1) * 8;
	best = limit;
	for (int z = 0; z < q->nzones; z++)
	{
		int64_t		c;

		if (!zone_close(&s, z, t, &c))
			return false;
		if (c < best)
			best = c;
	}
	*result = best;
	return true;
}
