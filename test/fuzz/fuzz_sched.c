/*-------------------------------------------------------------------------
 *
 * fuzz_sched.c
 *	  libFuzzer harness for the send-window core (src/core/sched.c).
 *
 * The input bytes choose up to four synthetic zones (minute offsets with up
 * to four offset changes, like DST), a sequence window, weekdays, up to
 * three quiet rules with effective dates and a due time.  Everything is
 * minute-aligned, so a brute-force scan of every minute decides the answer
 * exactly; the harness checks: the result is >= due and within the horizon,
 * every zone is inside its window at the result, and no earlier minute is
 * (or, when nothing was found, no minute of the horizon is).
 *
 *-------------------------------------------------------------------------
 */
#include "core/sched_core.h"
#include "../unit/sched_zones.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN 60
#define HORIZON_DAYS 14

/* Reads bytes from the input, zeros once it runs out. */
typedef struct Bytes
{
	const uint8_t *p;
	size_t		n;
} Bytes;

/* Next byte of input, or 0. */
static unsigned
take(Bytes *b)
{
	if (b->n == 0)
		return 0;
	b->n--;
	return *b->p++;
}

/* Next 16-bit value of input. */
static unsigned
take16(Bytes *b)
{
	unsigned	hi = take(b);

	return (hi << 8) | take(b);
}

/* A minute of day 0..1440 from two bytes. */
static int32_t
take_minute(Bytes *b)
{
	return (int32_t) (take16(b) % 1441) * MIN;
}

/* A synthetic zone with offset changes around the due time. */
static void
make_zone(Bytes *b, TestZone *z, int64_t due)
{
	int64_t		at = due - 2 * 86400;

	z->base = ((int64_t) (take(b) % 113) - 56) * 15 * MIN;	/* -14h..+14h */
	z->nchanges = take(b) % 5;
	for (int i = 0; i < z->nchanges; i++)
	{
		at += (int64_t) (1 + take16(b) % (6 * 1440)) * MIN;		/* up to 6 days apart */
		z->at[i] = at;
		z->off[i] = z->base + ((int64_t) (take(b) % 9) - 4) * 30 * MIN;
	}
}

/* Are all zones inside at utc? */
static bool
inside_all(TestCtx *ctx, int nzones, int64_t utc)
{
	for (int z = 0; z < nzones; z++)
	{
		int64_t		next;
		int64_t		local = utc + tz_offset(&ctx->zones[z], utc, &next);
		int64_t		day = sq_floor_div(local, SQ_DAY_SECS);
		int32_t		sod = (int32_t) (local - day * SQ_DAY_SECS);
		SqSpan		spans[SQ_MAX_SPANS];
		int			n = sq_plan_day_spans(&ctx->plan, day, sq_weekday(day), spans);
		bool		in = false;

		for (int i = 0; i < n; i++)
			in |= (sod >= spans[i].start && sod < spans[i].end);
		if (!in)
			return false;
	}
	return true;
}

/* Abort with a message: libFuzzer records the input. */
static void
fail(const char *what, int64_t due, int64_t result)
{
	fprintf(stderr, "fuzz_sched: %s (due %lld, result %lld)\n", what,
			(long long) due, (long long) result);
	abort();
}

/* Check the answer against a scan of every minute. */
static void
check(TestCtx *ctx, int nzones, int64_t due, bool found, int64_t result)
{
	int64_t		limit = due + HORIZON_DAYS * (int64_t) SQ_DAY_SECS;
	int64_t		end = found ? result : limit + 1;
	int64_t		m = sq_floor_div(due + MIN - 1, MIN) * MIN;	/* first minute >= due */

	if (found && (result < due || result > limit))
		fail("result outside [due, due + horizon]", due, result);
	if (found && !inside_all(ctx, nzones, result))
		fail("result not inside every window", due, result);
	if (found && result > due && inside_all(ctx, nzones, due))
		fail("due was already inside", due, result);
	for (; m < end; m += MIN)
		if (inside_all(ctx, nzones, m))
			fail(found ? "an earlier minute is inside" : "none found but a minute is inside",
				 due, m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Bytes		b = {data, size};
	TestZone	zones[4];
	SqRule		rules[3];
	TestCtx		ctx;
	SqQuery		q;
	TsError		err;
	int64_t		result = 0;
	int64_t		due = tz_civil(2025, 1, 1, 0, 0) + (int64_t) take16(&b) * 2 * MIN;
	int			nzones = 1 + take(&b) % 4;
	bool		found;

	if (take(&b) & 1)
		due += take(&b) % MIN;	/* a due time off the minute */
	for (int z = 0; z < nzones; z++)
		make_zone(&b, &zones[z], due);
	ctx.zones = zones;
	ctx.plan.nwindow = sq_window_spans(take_minute(&b), take_minute(&b), ctx.plan.window);
	ctx.plan.days = (uint8_t) (take(&b) & 0x7F);
	ctx.plan.nrules = take(&b) % 4;
	ctx.plan.rules = rules;
	for (int i = 0; i < ctx.plan.nrules; i++)
	{
		int64_t		day0 = sq_floor_div(due, SQ_DAY_SECS);
		int32_t		s = take_minute(&b);
		int32_t		e = take_minute(&b);

		rules[i].days = (uint8_t) (take(&b) & 0x7F);
		rules[i].closed = (take(&b) % 4) == 0;
		rules[i].start = s < e ? s : e;
		rules[i].end = s < e ? e : s;
		if (rules[i].start == rules[i].end)
			rules[i].end = rules[i].start == SQ_DAY_SECS ? SQ_DAY_SECS : rules[i].start + MIN;
		if (rules[i].start == SQ_DAY_SECS)
			rules[i].start -= MIN;
		rules[i].from_day = day0 + (int64_t) (take(&b) % 20) - 5;
		rules[i].to_day = (take(&b) & 1) ? INT64_MAX : rules[i].from_day + take(&b) % 10;
	}
	q.nzones = nzones;
	q.horizon_days = HORIZON_DAYS;
	q.to_local = tz_to_local;
	q.day_spans = tz_day_spans;
	q.ctx = &ctx;
	found = sq_next_send(&q, due, &result, &err);
	if (!found && err.code != SQ_OK)
		fail(err.message, due, 0);
	check(&ctx, nzones, due, found, result);
	if (found)
	{
		/* the window open at result: when does it close? */
		int64_t		limit = result + (int64_t) (take16(&b) % 36001);
		int64_t		close = -1;
		int64_t		m = sq_floor_div(result + MIN - 1, MIN) * MIN;

		if (limit > due + HORIZON_DAYS * (int64_t) SQ_DAY_SECS)
			limit = due + HORIZON_DAYS * (int64_t) SQ_DAY_SECS;
		if (limit < result)
			limit = result;
		if (!sq_window_close(&q, result, limit, &close, &err))
			fail(err.message, result, 0);
		if (close < result || close > limit || (close == result && limit > result))
			fail("window close outside (result, limit]", result, close);
		for (; m < close; m += MIN)
			if (!inside_all(&ctx, nzones, m))
				fail("a minute before the close is outside", result, m);
		if (close < limit && inside_all(&ctx, nzones, close))
			fail("the window is still open at its close", result, close);
	}
	return 0;
}
