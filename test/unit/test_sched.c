/*-------------------------------------------------------------------------
 *
 * test_sched.c
 *	  Unit tests of the send-window core (src/core/sched.c): windows, quiet
 *	  rules with effective dates, several zones, DST days.
 *
 * Zones are synthetic (sched_zones.h) with the real 2025 offsets and
 * change instants of the named IANA zones; the server tests (test/sql/
 * schedule.sql) repeat the key cases against the real zone database.
 *
 *-------------------------------------------------------------------------
 */
#include "core/sched_core.h"
#include "unit.h"
#include "sched_zones.h"

#define H 3600
#define ALL_DAYS 0x7F
#define MON_SAT 0x7E
#define SUNDAY 0x01
#define OPEN_END INT64_MAX

/* America/New_York around 2025: EST -5, EDT -4. */
static TestZone new_york = {-5 * H, 4,
	{1730613600 /* 2024-11-03 06:00Z */ , 1741503600 /* 2025-03-09 07:00Z */ ,
	 1762063200 /* 2025-11-02 06:00Z */ , 1772953200 /* 2026-03-08 07:00Z */ },
{-5 * H, -4 * H, -5 * H, -4 * H}};

/* America/Chicago in 2025: CST -6, CDT -5. */
static TestZone chicago = {-6 * H, 2,
	{1741507200 /* 2025-03-09 08:00Z */ , 1762066800 /* 2025-11-02 07:00Z */ },
{-5 * H, -6 * H}};

/* America/Boise and America/Los_Angeles in summer 2025: MDT -6, PDT -7. */
static TestZone boise = {-6 * H, 0, {0}, {0}};
static TestZone los_angeles = {-7 * H, 0, {0}, {0}};
static TestZone utc = {0, 0, {0}, {0}};
static TestZone plus12 = {12 * H, 0, {0}, {0}};

/* The rules as seeded in src/sql/23_schedule.sql (a subset). */
static const SqRule rules_us[] = {
	{ALL_DAYS, false, 8 * H, 21 * H, 8389, OPEN_END},	/* federal, 1992-12-20 */
};
static const SqRule rules_ms[] = {
	{ALL_DAYS, false, 8 * H, 21 * H, 8389, OPEN_END},
	{MON_SAT, false, 8 * H, 20 * H, 0, OPEN_END},
	{SUNDAY, true, 0, 0, 0, OPEN_END},
};
static const SqRule rules_tx[] = {
	{ALL_DAYS, false, 8 * H, 21 * H, 8389, OPEN_END},
	{MON_SAT, false, 9 * H, 21 * H, 0, OPEN_END},
	{SUNDAY, false, 12 * H, 21 * H, 0, OPEN_END},
};

/* The query of zones (up to 2) and rules with a sequence window, in ctx and zones. */
static void
make_query(SqQuery *q, TestCtx *ctx, TestZone *zones, TestZone *z1, TestZone *z2,
		   const SqRule *rules, int nrules, int ws, int we, int days)
{
	zones[0] = *z1;
	if (z2)
		zones[1] = *z2;
	ctx->zones = zones;
	ctx->plan.nwindow = sq_window_spans(ws, we, ctx->plan.window);
	ctx->plan.days = (uint8_t) days;
	ctx->plan.rules = rules;
	ctx->plan.nrules = nrules;
	q->nzones = z2 ? 2 : 1;
	q->horizon_days = 14;
	q->to_local = tz_to_local;
	q->day_spans = tz_day_spans;
	q->ctx = ctx;
}

/* Run the search for zones (up to 2) and rules with a sequence window. */
static int64_t
run(TestZone *z1, TestZone *z2, const SqRule *rules, int nrules,
	int ws, int we, int days, int64_t due, TsError *err)
{
	TestZone	zones[2];
	TestCtx		ctx;
	SqQuery		q;
	int64_t		result = -1;

	make_query(&q, &ctx, zones, z1, z2, rules, nrules, ws, we, days);
	if (!sq_next_send(&q, due, &result, err))
		return -1;
	return result;
}

/* Shorthand: one zone, default window 08:00-21:00 every day. */
static int64_t
run1(TestZone *z, const SqRule *rules, int nrules, int64_t due)
{
	TsError		err;

	return run(z, NULL, rules, nrules, 8 * H, 21 * H, ALL_DAYS, due, &err);
}

/* UTC instant of a New York wall time in summer 2025 (EDT). */
#define NY(y, m, d, hh, mm) (tz_civil(y, m, d, hh, mm) + 4 * H)
/* UTC instant of a Chicago wall time in summer 2025 (CDT). */
#define CHI(y, m, d, hh, mm) (tz_civil(y, m, d, hh, mm) + 5 * H)

/* Inside, before opening, after closing. */
static void
test_basic_window(void)
{
	/* 2025-06-04 is a Wednesday */
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, NY(2025, 6, 4, 12, 0) + 17), NY(2025, 6, 4, 12, 0) + 17);
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, NY(2025, 6, 4, 6, 30)), NY(2025, 6, 4, 8, 0));
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, NY(2025, 6, 4, 21, 30)), NY(2025, 6, 5, 8, 0));
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, NY(2025, 6, 4, 21, 0)), NY(2025, 6, 5, 8, 0));
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, NY(2025, 6, 4, 20, 59) + 59), NY(2025, 6, 4, 20, 59) + 59);
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, NY(2025, 6, 4, 8, 0)), NY(2025, 6, 4, 8, 0));
}

/* The sequence window narrows the federal one and skips weekdays. */
static void
test_sequence_window(void)
{
	TsError		err;
	int			weekdays = MON_SAT & ~0x40;		/* Mon-Fri */

	/* 10:00-16:00 Mon-Fri; due Friday 2025-06-06 17:00 -> Monday 10:00 */
	UNIT_EQ_INT(run(&new_york, NULL, rules_us, 1, 10 * H, 16 * H, weekdays,
					NY(2025, 6, 6, 17, 0), &err), NY(2025, 6, 9, 10, 0));
	/* a window reaching past 21:00 is still cut at 21:00 by the federal rule */
	UNIT_EQ_INT(run(&new_york, NULL, rules_us, 1, 18 * H, 23 * H, ALL_DAYS,
					NY(2025, 6, 4, 21, 5), &err), NY(2025, 6, 5, 18, 0));
	/* no weekdays at all: nothing within the horizon */
	UNIT_EQ_INT(run(&new_york, NULL, rules_us, 1, 8 * H, 21 * H, 0,
					NY(2025, 6, 4, 12, 0), &err), -1);
	UNIT_EQ_INT(err.code, SQ_OK);
}

/* Mississippi: 08:00-20:00 and nothing on Sundays. */
static void
test_closed_sunday(void)
{
	/* Saturday 2025-06-07 20:30 -> Monday 08:00 (Sunday closed) */
	UNIT_EQ_INT(run1(&chicago, rules_ms, 3, CHI(2025, 6, 7, 20, 30)), CHI(2025, 6, 9, 8, 0));
	UNIT_EQ_INT(run1(&chicago, rules_ms, 3, CHI(2025, 6, 8, 12, 0)), CHI(2025, 6, 9, 8, 0));
	UNIT_EQ_INT(run1(&chicago, rules_ms, 3, CHI(2025, 6, 7, 19, 59)), CHI(2025, 6, 7, 19, 59));
}

/* Texas: Sunday opens at noon, other days at 09:00. */
static void
test_texas_sunday(void)
{
	UNIT_EQ_INT(run1(&chicago, rules_tx, 3, CHI(2025, 6, 8, 10, 0)), CHI(2025, 6, 8, 12, 0));
	UNIT_EQ_INT(run1(&chicago, rules_tx, 3, CHI(2025, 6, 7, 21, 30)), CHI(2025, 6, 8, 12, 0));
	UNIT_EQ_INT(run1(&chicago, rules_tx, 3, CHI(2025, 6, 9, 8, 30)), CHI(2025, 6, 9, 9, 0));
}

/* Two zones: the window is their intersection; disjoint zones never open. */
static void
test_multi_zone(void)
{
	TsError		err;
	int64_t		boise_0830 = tz_civil(2025, 6, 4, 8, 30) + 6 * H;	/* = 07:30 PDT */

	UNIT_EQ_INT(run(&boise, &los_angeles, rules_us, 1, 8 * H, 21 * H, ALL_DAYS, boise_0830, &err),
				tz_civil(2025, 6, 4, 8, 0) + 7 * H);
	/* 20:30 MDT = 19:30 PDT: both inside */
	UNIT_EQ_INT(run(&boise, &los_angeles, rules_us, 1, 8 * H, 21 * H, ALL_DAYS,
					boise_0830 + 12 * H, &err), boise_0830 + 12 * H);
	/* 21:00 MDT: Boise closed -> next day 08:00 PDT */
	UNIT_EQ_INT(run(&boise, &los_angeles, rules_us, 1, 8 * H, 21 * H, ALL_DAYS,
					boise_0830 + 12 * H + 30 * 60, &err), tz_civil(2025, 6, 5, 8, 0) + 7 * H);
	/* order of zones does not matter */
	UNIT_EQ_INT(run(&los_angeles, &boise, rules_us, 1, 8 * H, 21 * H, ALL_DAYS, boise_0830, &err),
				tz_civil(2025, 6, 4, 8, 0) + 7 * H);
	/* UTC and UTC+12 with 08:00-10:00 windows never overlap */
	UNIT_EQ_INT(run(&utc, &plus12, NULL, 0, 8 * H, 10 * H, ALL_DAYS,
					tz_civil(2025, 6, 4, 0, 0), &err), -1);
	UNIT_EQ_INT(err.code, SQ_OK);
}

/* New York spring-forward day 2025-03-09 (02:00 EST -> 03:00 EDT). */
static void
test_dst_spring_forward(void)
{
	TsError		err;
	int64_t		due = tz_civil(2025, 3, 9, 0, 30) + 5 * H;	/* 00:30 EST */

	/* opens at 08:00 EDT = 12:00Z, not 09:00 EDT */
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, due), tz_civil(2025, 3, 9, 12, 0));
	/* a window opening inside the skipped hour opens when the clock jumps */
	UNIT_EQ_INT(run(&new_york, NULL, NULL, 0, 2 * H + 30 * 60, 21 * H, ALL_DAYS, due, &err),
				tz_civil(2025, 3, 9, 7, 0));
	/* the evening before closes at 21:00 EST (02:00Z) */
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, tz_civil(2025, 3, 9, 1, 59)),
				tz_civil(2025, 3, 9, 1, 59));
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, tz_civil(2025, 3, 9, 2, 0)),
				tz_civil(2025, 3, 9, 12, 0));
}

/* New York fall-back day 2025-11-02 (02:00 EDT -> 01:00 EST). */
static void
test_dst_fall_back(void)
{
	TsError		err;
	int64_t		due = tz_civil(2025, 11, 2, 0, 30) + 4 * H;		/* 00:30 EDT */

	UNIT_EQ_INT(run1(&new_york, rules_us, 1, due), tz_civil(2025, 11, 2, 13, 0));
	/* 01:15-01:20 window, due 01:30 EDT: the repeated hour opens again at 01:15 EST */
	UNIT_EQ_INT(run(&new_york, NULL, NULL, 0, H + 15 * 60, H + 20 * 60, ALL_DAYS,
					due + H, &err), tz_civil(2025, 11, 2, 6, 15));
	/* closing at 21:00 EST that evening */
	UNIT_EQ_INT(run1(&new_york, rules_us, 1, tz_civil(2025, 11, 3, 2, 0)),
				tz_civil(2025, 11, 3, 13, 0));
}

/* Rules outside their effective dates are ignored. */
static void
test_effective_dates(void)
{
	SqRule		old[2] = {
		{ALL_DAYS, false, 8 * H, 21 * H, 8389, OPEN_END},
		{ALL_DAYS, false, 9 * H, 10 * H, 0, tz_days(2020, 12, 31)},	/* ended */
	};
	SqRule		future[2] = {
		{ALL_DAYS, false, 8 * H, 21 * H, 8389, OPEN_END},
		{ALL_DAYS, true, 0, 0, tz_days(2025, 6, 5), tz_days(2025, 6, 5)},	/* one closed day */
	};

	UNIT_EQ_INT(run1(&new_york, old, 2, NY(2025, 6, 4, 11, 0)), NY(2025, 6, 4, 11, 0));
	/* the closed day 2025-06-05 pushes 21:30 on the 4th to the 6th */
	UNIT_EQ_INT(run1(&new_york, future, 2, NY(2025, 6, 4, 21, 30)), NY(2025, 6, 6, 8, 0));
	UNIT_EQ_INT(run1(&new_york, future, 2, NY(2025, 6, 4, 20, 0)), NY(2025, 6, 4, 20, 0));
}

/* Span helpers: wrapping windows and clipping. */
static void
test_spans(void)
{
	SqSpan		s[SQ_MAX_SPANS];
	int			n = sq_window_spans(22 * H, 2 * H, s);

	UNIT_EQ_INT(n, 2);
	UNIT_EQ_INT(s[0].start, 0);
	UNIT_EQ_INT(s[0].end, 2 * H);
	UNIT_EQ_INT(s[1].start, 22 * H);
	UNIT_EQ_INT(sq_window_spans(5 * H, 5 * H, s), 0);
	UNIT_EQ_INT(sq_window_spans(0, SQ_DAY_SECS, s), 1);
	n = sq_window_spans(20 * H, 9 * H, s);
	n = sq_clip(s, n, (SqSpan) {8 * H, 21 * H});
	UNIT_EQ_INT(n, 2);
	UNIT_EQ_INT(s[0].start, 8 * H);
	UNIT_EQ_INT(s[0].end, 9 * H);
	UNIT_EQ_INT(s[1].start, 20 * H);
	UNIT_EQ_INT(s[1].end, 21 * H);
	UNIT_EQ_INT(sq_weekday(0), 4);
	UNIT_EQ_INT(sq_weekday(-1), 3);
	UNIT_EQ_INT(sq_weekday(tz_days(2025, 6, 8)), 0);
	UNIT_EQ_INT(sq_floor_div(-1, 86400), -1);
}

/* Callback misbehaviour and bad arguments are errors, not answers. */
static int	bad_spans(void *c, int64_t d, int w, SqSpan *s)
{
	s[0].start = 10;
	s[0].end = 5;
	return 1;
}
static bool no_local(void *c, int z, int64_t u, int64_t *l, int64_t *n)
{
	return false;
}

/* Errors. */
static void
test_errors(void)
{
	TestCtx		ctx = {&utc, {{{0, 0}}, 0, 0, NULL, 0}};
	SqQuery		q = {0, 14, tz_to_local, tz_day_spans, &ctx};
	TsError		err;
	int64_t		r;

	UNIT_CHECK(!sq_next_send(&q, 0, &r, &err) && err.code == SQ_ERR_ARGS, "no zones");
	q.nzones = 1;
	q.horizon_days = 0;
	UNIT_CHECK(!sq_next_send(&q, 0, &r, &err) && err.code == SQ_ERR_ARGS, "no horizon");
	q.horizon_days = 14;
	q.day_spans = bad_spans;
	UNIT_CHECK(!sq_next_send(&q, 0, &r, &err) && err.code == SQ_ERR_SPANS, "bad spans");
	q.day_spans = tz_day_spans;
	q.to_local = no_local;
	UNIT_CHECK(!sq_next_send(&q, 0, &r, &err) && err.code == SQ_ERR_ZONE, "bad zone");
	q.to_local = tz_to_local;
	UNIT_CHECK(!sq_next_send(&q, (int64_t) 1 << 60, &r, &err) && err.code == SQ_ERR_ARGS, "due range");
}

/* When the window open at t closes, for zones (up to 2) and rules. */
static int64_t
run_close(TestZone *z1, TestZone *z2, const SqRule *rules, int nrules,
		  int ws, int we, int days, int64_t t, int64_t limit)
{
	TestZone	zones[2];
	TestCtx		ctx;
	SqQuery		q;
	TsError		err;
	int64_t		result = -1;

	make_query(&q, &ctx, zones, z1, z2, rules, nrules, ws, we, days);
	if (!sq_window_close(&q, t, limit, &result, &err))
		return -1;
	return result;
}

/* The close of an open window: its end, the earliest zone's, or the limit. */
static void
test_window_close(void)
{
	int64_t		t = NY(2025, 6, 4, 20, 0);

	UNIT_EQ_INT(run_close(&new_york, NULL, rules_us, 1, 8 * H, 21 * H, ALL_DAYS, t, t + 10 * H),
				NY(2025, 6, 4, 21, 0));
	/* the limit comes first */
	UNIT_EQ_INT(run_close(&new_york, NULL, rules_us, 1, 8 * H, 21 * H, ALL_DAYS, t, t + 600),
				t + 600);
	/* New York closes before Chicago */
	UNIT_EQ_INT(run_close(&chicago, &new_york, rules_us, 1, 8 * H, 21 * H, ALL_DAYS,
						  NY(2025, 6, 4, 20, 30), t + 10 * H), NY(2025, 6, 4, 21, 0));
	/* Mississippi closes at 20:00 Monday to Saturday */
	UNIT_EQ_INT(run_close(&chicago, NULL, rules_ms, 3, 8 * H, 21 * H, ALL_DAYS,
						  CHI(2025, 6, 4, 19, 0), CHI(2025, 6, 4, 23, 0)), CHI(2025, 6, 4, 20, 0));
	/* a whole-day window without rules stays open past midnight until the limit */
	UNIT_EQ_INT(run_close(&utc, NULL, NULL, 0, 0, SQ_DAY_SECS, ALL_DAYS,
						  tz_civil(2025, 6, 4, 23, 0), tz_civil(2025, 6, 5, 5, 0)),
				tz_civil(2025, 6, 5, 5, 0));
	/* ... but not into a day that is not in window_days (2025-06-05 is a Thursday) */
	UNIT_EQ_INT(run_close(&utc, NULL, NULL, 0, 0, SQ_DAY_SECS, ALL_DAYS & ~0x10,
						  tz_civil(2025, 6, 4, 23, 0), tz_civil(2025, 6, 5, 5, 0)),
				tz_civil(2025, 6, 5, 0, 0));
	/* outside at t: closed at t */
	UNIT_EQ_INT(run_close(&new_york, NULL, rules_us, 1, 8 * H, 21 * H, ALL_DAYS,
						  NY(2025, 6, 4, 22, 0), NY(2025, 6, 4, 23, 0)), NY(2025, 6, 4, 22, 0));
	/* a limit before t or past the horizon is an argument error */
	UNIT_EQ_INT(run_close(&new_york, NULL, rules_us, 1, 8 * H, 21 * H, ALL_DAYS, t, t - 1), -1);
	UNIT_EQ_INT(run_close(&new_york, NULL, rules_us, 1, 8 * H, 21 * H, ALL_DAYS, t, t + 15 * 86400), -1);
}

int
main(void)
{
	test_basic_window();
	test_sequence_window();
	test_closed_sunday();
	test_texas_sunday();
	test_multi_zone();
	test_dst_spring_forward();
	test_dst_fall_back();
	test_effective_dates();
	test_spans();
	test_errors();
	test_window_close();
	UNIT_DONE();
}
