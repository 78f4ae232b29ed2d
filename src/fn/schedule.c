/*-------------------------------------------------------------------------
 *
 * schedule.c
 *	  Server glue of the send-window search: textseq.next_send_time(due,
 *	  zones, region, window...) and the quiet_rule cache behind it.
 *
 * Turns SQL arguments into an SqQuery for the pure core (core/sched.c):
 * zone names become pg_tz handles (cached per name), the quiet_rule rows
 * that apply to the region become SqRule entries (cached per backend,
 * dropped by a relcache callback when textseq.quiet_rule changes; the
 * table's statement trigger, textseq_schedule_rules_changed, raises that
 * invalidation for data changes, which do not raise one by themselves).
 * The per-call path runs no query: it is called per message by the claim.
 * A problem with one call's arguments (an unknown zone, too many zones, a
 * bad weekday, a failed search) is an ArgProblem: the public functions
 * raise it, the claim's _try_ forms return -infinity and _schedule_problem
 * tells why, so one bad phone row cannot fail a whole batch.
 *
 * Must not: do the window arithmetic itself (that is the core's), or
 * read tables on the per-call path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "core/sched_core.h"

PG_FUNCTION_INFO_V1(textseq_schedule_next_send);
PG_FUNCTION_INFO_V1(textseq_schedule_next_send_try);
PG_FUNCTION_INFO_V1(textseq_schedule_window_close);
PG_FUNCTION_INFO_V1(textseq_schedule_window_close_try);
PG_FUNCTION_INFO_V1(textseq_schedule_problem);
PG_FUNCTION_INFO_V1(textseq_schedule_zones_problem);
PG_FUNCTION_INFO_V1(textseq_schedule_rules_changed);

#define HORIZON_DAYS	14
#define UNIX_EPOCH_DAYS	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE))
#define UNIX_EPOCH_SECS	(UNIX_EPOCH_DAYS * SECS_PER_DAY)
#define TZ_SLOTS		64		/* zone-name cache, direct-mapped */
#define REGION_MEMO_MAX	128		/* regions whose rule lists are kept */

/* One quiet_rule row. */
typedef struct RuleRow
{
	char	   *region;
	SqRule		rule;
} RuleRow;

/* The rules that apply to one recipient region. */
typedef struct RegionRules
{
	char	   *region;			/* NULL = no region: no rules */
	SqRule	   *rules;
	int			nrules;
} RegionRules;

/* What is wrong with one call's arguments (sqlstate 0: nothing). */
typedef struct ArgProblem
{
	int			sqlstate;
	char		message[128];	/* short lower-case primary message */
	char		detail[320];	/* a full sentence */
} ArgProblem;

/* How a search ended. */
typedef enum SearchResult
{
	SEARCH_FOUND,				/* *out holds the instant */
	SEARCH_NONE,				/* the SQL result is NULL */
	SEARCH_PROBLEM				/* ArgProblem set */
} SearchResult;

/* A cached zone-name lookup. */
typedef struct TzSlot
{
	char		name[TZ_STRLEN_MAX + 1];
	pg_tz	   *tz;
} TzSlot;

/* Backend-local caches (no shared state, no locks). */
static MemoryContext rule_cxt = NULL;
static RuleRow *rule_rows = NULL;
static int	n_rule_rows = 0;
static RegionRules region_memo[REGION_MEMO_MAX];
static int	n_region_memo = 0;
static bool rules_valid = false;
static uint64 rules_inval_count = 0;
static Oid	rules_relid = InvalidOid;
static bool callback_registered = false;
static TzSlot tz_slots[TZ_SLOTS];

/* Relcache callback: drop the rule cache when quiet_rule (or everything) is invalidated. */
static void
rules_inval_cb(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == rules_relid)
	{
		rules_valid = false;
		rules_inval_count++;
	}
}

/* Seconds of day of a time value; round_up for window openings. */
static int32
time_secs(TimeADT t, bool round_up)
{
	int64		s = t / USECS_PER_SEC;

	if (round_up && t % USECS_PER_SEC != 0)
		s++;
	return (int32) Min(s, SQ_DAY_SECS);
}

/* Set a problem (the first one found wins). */
static void
problem_set(ArgProblem *p, int sqlstate, const char *message, const char *detail)
{
	if (p->sqlstate != 0)
		return;
	p->sqlstate = sqlstate;
	strlcpy(p->message, message, sizeof(p->message));
	strlcpy(p->detail, detail, sizeof(p->detail));
}

/* Raise a problem as an error. */
static void
problem_raise(const ArgProblem *p)
{
	ereport(ERROR,
			(errcode(p->sqlstate), errmsg("%s", p->message), errdetail("%s", p->detail)));
}

/* Weekday bit mask of an int[] of 0..6; what names the array in messages. */
static uint8
days_mask(ArrayType *arr, const char *what, ArgProblem *p)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	uint8		mask = 0;

	deconstruct_array(arr, INT4OID, 4, true, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		int32		d = nulls[i] ? -1 : DatumGetInt32(elems[i]);

		if (d < 0 || d > 6)
		{
			problem_set(p, ERRCODE_INVALID_PARAMETER_VALUE, psprintf("invalid weekday in %s", what),
						psprintf("Element %d is %s; weekdays are 0 (Sunday) to 6 (Saturday).",
								 i + 1, nulls[i] ? "null" : psprintf("%d", d)));
			return 0;
		}
		mask |= (uint8) (1u << d);
	}
	return mask;
}

/* Copy one SPI row of quiet_rule into rows[i] (in rule_cxt). */
static void
rule_from_tuple(HeapTuple tup, TupleDesc desc, RuleRow *row)
{
	bool		isnull;
	Datum		d;
	SqRule	   *r = &row->rule;

	ArgProblem	p = {0};

	row->region = MemoryContextStrdup(rule_cxt, TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull)));
	/* the table's CHECK keeps bad weekdays out; the rules are shared, so raise */
	r->days = days_mask(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 2, &isnull)), "quiet_rule.days", &p);
	if (p.sqlstate != 0)
		problem_raise(&p);
	d = SPI_getbinval(tup, desc, 3, &isnull);
	r->start = isnull ? 0 : time_secs(DatumGetTimeADT(d), true);
	d = SPI_getbinval(tup, desc, 4, &isnull);
	r->end = isnull ? SQ_DAY_SECS : time_secs(DatumGetTimeADT(d), false);
	r->closed = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull)) || r->start >= r->end;
	d = SPI_getbinval(tup, desc, 6, &isnull);
	r->from_day = DATE_NOT_FINITE(DatumGetDateADT(d)) ? INT64_MIN :
		(int64) DatumGetDateADT(d) + UNIX_EPOCH_DAYS;
	d = SPI_getbinval(tup, desc, 7, &isnull);
	r->to_day = (isnull || DATE_IS_NOEND(DatumGetDateADT(d))) ? INT64_MAX :
		(int64) DatumGetDateADT(d) + UNIX_EPOCH_DAYS;
}

/* (Re)load every quiet_rule row into rule_cxt. */
static void
load_rules(void)
{
	uint64		inval_before;
	Oid			nsp;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(rules_inval_cb, (Datum) 0);
		callback_registered = true;
	}
	if (rule_cxt == NULL)
		rule_cxt = AllocSetContextCreate(TopMemoryContext, "textseq quiet rules",
										 ALLOCSET_SMALL_SIZES);
	rules_valid = false;
	MemoryContextReset(rule_cxt);
	rule_rows = NULL;
	n_rule_rows = 0;
	n_region_memo = 0;
	inval_before = rules_inval_count;
	nsp = get_namespace_oid("textseq", true);
	rules_relid = OidIsValid(nsp) ? get_relname_relid("quiet_rule", nsp) : InvalidOid;
	if (!OidIsValid(rules_relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table textseq.quiet_rule does not exist"),
				 errhint("Install the extension with CREATE EXTENSION textseq.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "textseq: SPI_connect failed");
	if (SPI_execute("SELECT region, days, local_start, local_end, closed, effective_from,"
					" effective_to FROM textseq.quiet_rule ORDER BY id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "textseq: reading textseq.quiet_rule failed");
	rule_rows = MemoryContextAllocZero(rule_cxt, sizeof(RuleRow) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
		rule_from_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, &rule_rows[i]);
	n_rule_rows = (int) SPI_processed;
	SPI_finish();
	/* an invalidation that arrived while reading means read again next time */
	rules_valid = (rules_inval_count == inval_before);
}

/* Does a rule for rule_region apply to a recipient in region ('US' covers 'US-FL')? */
static bool
region_applies(const char *rule_region, const char *region)
{
	size_t		n = strlen(rule_region);

	return strncmp(rule_region, region, n) == 0 &&
		(region[n] == '\0' || region[n] == '-');
}

/* Collect the rules for a region into cxt. */
static RegionRules
collect_rules(const char *region, MemoryContext cxt)
{
	RegionRules rr;

	rr.region = MemoryContextStrdup(cxt, region);
	rr.rules = MemoryContextAlloc(cxt, sizeof(SqRule) * (n_rule_rows + 1));
	rr.nrules = 0;
	for (int i = 0; i < n_rule_rows; i++)
		if (region_applies(rule_rows[i].region, region))
			rr.rules[rr.nrules++] = rule_rows[i].rule;
	return rr;
}

/* The rules for a region, from the per-region memo (loading the cache if stale). */
static RegionRules
region_rules(const char *region)
{
	RegionRules none = {NULL, NULL, 0};

	if (region == NULL)
		return none;
	if (!rules_valid)
		load_rules();
	for (int i = 0; i < n_region_memo; i++)
		if (strcmp(region_memo[i].region, region) == 0)
			return region_memo[i];
	if (n_region_memo < REGION_MEMO_MAX)
	{
		region_memo[n_region_memo] = collect_rules(region, rule_cxt);
		return region_memo[n_region_memo++];
	}
	return collect_rules(region, CurrentMemoryContext);
}

/* A zone by name, through the direct-mapped cache; NULL when unknown. */
static pg_tz *
zone_lookup(const char *name, size_t len)
{
	TzSlot	   *slot;
	pg_tz	   *tz;

	if (len == 0 || len > TZ_STRLEN_MAX)
		return NULL;
	slot = &tz_slots[hash_bytes((const unsigned char *) name, (int) len) % TZ_SLOTS];
	if (slot->tz != NULL && strlen(slot->name) == len && memcmp(slot->name, name, len) == 0)
		return slot->tz;
	memcpy(slot->name, name, len);
	slot->name[len] = '\0';
	tz = pg_tzset(slot->name);
	if (tz == NULL || !pg_tz_acceptable(tz))
	{
		slot->tz = NULL;
		return NULL;
	}
	slot->tz = tz;
	return tz;
}

/* Search context handed to the core's callbacks. */
typedef struct GlueCtx
{
	pg_tz	   *zones[SQ_MAX_ZONES];
	SqPlan		plan;
} GlueCtx;

/* SqToLocalFn: wall clock of a zone at a UTC instant, and its next offset change. */
static bool
glue_to_local(void *ctx, int zone, int64_t utc, int64_t *local, int64_t *next)
{
	GlueCtx    *g = ctx;
	pg_time_t	t = (pg_time_t) utc;
	pg_time_t	boundary;
	long int	before;
	long int	after;
	int			before_dst;
	int			after_dst;
	int			r;

	r = pg_next_dst_boundary(&t, &before, &before_dst, &boundary, &after, &after_dst,
							 g->zones[zone]);
	if (r < 0)
		return false;
	if (r == 0)
	{
		*local = utc + before;
		*next = INT64_MAX;
	}
	else if (boundary > t)
	{
		*local = utc + before;
		*next = boundary;
	}
	else
	{							/* a change exactly at t: its new offset holds */
		*local = utc + after;
		*next = utc + 1;
	}
	return true;
}

/* SqDaySpansFn: the plan's spans of a local day. */
static int
glue_day_spans(void *ctx, int64_t day, int wday, SqSpan *spans)
{
	return sq_plan_day_spans(&((GlueCtx *) ctx)->plan, day, wday, spans);
}

/* Resolve the zones array into zones[] (deduplicated); returns the count, -1 with a problem. */
static int
resolve_zones(ArrayType *arr, pg_tz **zones, ArgProblem *p)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			nz = 0;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		text	   *name;
		pg_tz	   *tz;
		bool		dup = false;

		if (nulls[i])
			continue;			/* an unknown zone among known ones adds nothing */
		name = DatumGetTextPP(elems[i]);
		tz = zone_lookup(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
		if (tz == NULL)
		{
			problem_set(p, ERRCODE_INVALID_PARAMETER_VALUE,
						psprintf("time zone \"%s\" not recognized",
								 pnstrdup(VARDATA_ANY(name), Min(VARSIZE_ANY_EXHDR(name), 64))),
						psprintf("Element %d of the zones array is not an IANA time zone name.", i + 1));
			return -1;
		}
		for (int j = 0; j < nz && !dup; j++)
			dup = (zones[j] == tz);
		if (dup)
			continue;
		if (nz == SQ_MAX_ZONES)
		{
			problem_set(p, ERRCODE_PROGRAM_LIMIT_EXCEEDED, "too many time zones",
						psprintf("Element %d is zone number %d; at most %d are allowed.",
								 i + 1, nz + 1, SQ_MAX_ZONES));
			return -1;
		}
		zones[nz++] = tz;
	}
	return nz;
}

/*
 * The search of arguments 2-6 (zones, region, window_start, window_end,
 * window_days) of next_send_time and window_closes_at: SEARCH_NONE when no
 * zone is known, SEARCH_PROBLEM when an argument is bad.
 */
static SearchResult
search_from_args(FunctionCallInfo fcinfo, GlueCtx *g, SqQuery *q, ArgProblem *p)
{
	RegionRules rr;

	q->nzones = resolve_zones(PG_GETARG_ARRAYTYPE_P(1), g->zones, p);
	if (q->nzones < 0)
		return SEARCH_PROBLEM;
	if (q->nzones == 0)
		return SEARCH_NONE;
	g->plan.nwindow = sq_window_spans(time_secs(PG_GETARG_TIMEADT(3), true),
									  time_secs(PG_GETARG_TIMEADT(4), false), g->plan.window);
	g->plan.days = days_mask(PG_GETARG_ARRAYTYPE_P(5), "window_days", p);
	if (p->sqlstate != 0)
		return SEARCH_PROBLEM;
	rr = region_rules(PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)));
	g->plan.rules = rr.rules;
	g->plan.nrules = rr.nrules;
	q->horizon_days = HORIZON_DAYS;
	q->to_local = glue_to_local;
	q->day_spans = glue_day_spans;
	q->ctx = g;
	return SEARCH_FOUND;
}

/* A core error as a problem (none of them is the caller's mistake). */
static void
core_problem(const TsError *err, ArgProblem *p)
{
	problem_set(p, err->code == SQ_ERR_ZONE ? ERRCODE_DATETIME_VALUE_OUT_OF_RANGE
				: ERRCODE_INTERNAL_ERROR, "send-window search failed",
				psprintf("The schedule core reported: %s.", err->message));
}

/*
 * The search of next_send_time: the earliest instant >= due inside the
 * window in every zone; SEARCH_NONE when there is none within 14 days (or
 * no zone is known).
 */
static SearchResult
next_send(FunctionCallInfo fcinfo, TimestampTz *out, ArgProblem *p)
{
	TimestampTz due;
	GlueCtx		g;
	SqQuery		q;
	TsError		err;
	int64_t		due_secs;
	int64_t		result;
	SearchResult r;

	for (int i = 0; i < 6; i++)
		if (i != 2 && PG_ARGISNULL(i))
			return SEARCH_NONE;
	due = PG_GETARG_TIMESTAMPTZ(0);
	if (TIMESTAMP_NOT_FINITE(due))
	{
		problem_set(p, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE, "due time must be finite",
					psprintf("The first argument is %s.", TIMESTAMP_IS_NOBEGIN(due) ? "-infinity" : "infinity"));
		return SEARCH_PROBLEM;
	}
	if ((r = search_from_args(fcinfo, &g, &q, p)) != SEARCH_FOUND)
		return r;
	due_secs = sq_floor_div(due, USECS_PER_SEC) + UNIX_EPOCH_SECS;
	if (!sq_next_send(&q, due_secs, &result, &err))
	{
		if (err.code == SQ_OK)
			return SEARCH_NONE;
		core_problem(&err, p);
		return SEARCH_PROBLEM;
	}
	if (result == due_secs)
		*out = due;				/* inside already: keep the microseconds */
	else if (result - UNIX_EPOCH_SECS > (END_TIMESTAMP / USECS_PER_SEC) - 1)
		return SEARCH_NONE;		/* the opening lies past the end of timestamptz */
	else
		*out = (TimestampTz) (result - UNIX_EPOCH_SECS) * USECS_PER_SEC;
	return SEARCH_FOUND;
}

/* The kind of search the SQL functions below run. */
typedef SearchResult (*SearchFn) (FunctionCallInfo fcinfo, TimestampTz *out, ArgProblem *p);

/*
 * A search as a SQL result: the instant found, NULL for none; a problem
 * raises its error, or (try_only: the claim's variants) gives -infinity.
 */
static Datum
search_result(FunctionCallInfo fcinfo, SearchFn search, bool try_only)
{
	ArgProblem	p = {0};
	TimestampTz out;

	switch (search(fcinfo, &out, &p))
	{
		case SEARCH_FOUND:
			PG_RETURN_TIMESTAMPTZ(out);
		case SEARCH_NONE:
			PG_RETURN_NULL();
		default:
			if (try_only)
				PG_RETURN_TIMESTAMPTZ(DT_NOBEGIN);
			problem_raise(&p);
	}
	PG_RETURN_NULL();			/* not reached */
}

/*
 * textseq.next_send_time(due, zones, region, window_start, window_end,
 * window_days): the earliest instant >= due inside the window in every zone,
 * or NULL when there is none within 14 days (or no zone is known).
 */
Datum
textseq_schedule_next_send(PG_FUNCTION_ARGS)
{
	return search_result(fcinfo, next_send, false);
}

/* textseq._try_next_send_time(...): next_send_time, but -infinity instead of an error. */
Datum
textseq_schedule_next_send_try(PG_FUNCTION_ARGS)
{
	return search_result(fcinfo, next_send, true);
}

/*
 * Statement trigger on textseq.quiet_rule: data changes raise no relcache
 * invalidation by themselves, so raise one (sent to every backend at commit,
 * applied locally at the next command) to drop the cached rules.
 */
Datum
textseq_schedule_rules_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("textseq_schedule_rules_changed must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}

/*
 * The search of window_closes_at: when the window that is open at `at`
 * closes (the first instant some zone is outside), capped at `until`; `at`
 * when it is not open at `at`; SEARCH_NONE when no zone is known.
 */
static SearchResult
window_close(FunctionCallInfo fcinfo, TimestampTz *out, ArgProblem *p)
{
	TimestampTz at;
	TimestampTz until;
	GlueCtx		g;
	SqQuery		q;
	TsError		err;
	int64_t		at_secs;
	int64_t		until_secs;
	int64_t		result;
	SearchResult r;

	for (int i = 0; i < 7; i++)
		if (i != 2 && PG_ARGISNULL(i))
			return SEARCH_NONE;
	at = PG_GETARG_TIMESTAMPTZ(0);
	until = PG_GETARG_TIMESTAMPTZ(6);
	if (TIMESTAMP_NOT_FINITE(at) || TIMESTAMP_NOT_FINITE(until))
	{
		problem_set(p, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE, "window close times must be finite",
					psprintf("The %s is infinite.", TIMESTAMP_NOT_FINITE(at) ? "start" : "cap"));
		return SEARCH_PROBLEM;
	}
	*out = until;
	if (until <= at)
		return SEARCH_FOUND;
	if ((r = search_from_args(fcinfo, &g, &q, p)) != SEARCH_FOUND)
		return r;
	at_secs = sq_floor_div(at, USECS_PER_SEC) + UNIX_EPOCH_SECS;
	until_secs = sq_floor_div(until, USECS_PER_SEC) + UNIX_EPOCH_SECS;
	if (until_secs - at_secs > (int64_t) HORIZON_DAYS * SQ_DAY_SECS)
		until_secs = at_secs + (int64_t) HORIZON_DAYS * SQ_DAY_SECS;
	if (!sq_window_close(&q, at_secs, until_secs, &result, &err))
	{
		core_problem(&err, p);
		return SEARCH_PROBLEM;
	}
	if (result >= until_secs && until_secs - at_secs < (int64_t) HORIZON_DAYS * SQ_DAY_SECS)
		*out = until;			/* open until then: keep the microseconds */
	else if (result <= at_secs)
		*out = at;
	else
		*out = (TimestampTz) (result - UNIX_EPOCH_SECS) * USECS_PER_SEC;
	return SEARCH_FOUND;
}

/*
 * textseq.window_closes_at(at, zones, region, window_start, window_end,
 * window_days, until): see window_close().  The claim sends this to the
 * provider as the message's validity, so a queued text never goes out after
 * the window closes.
 */
Datum
textseq_schedule_window_close(PG_FUNCTION_ARGS)
{
	return search_result(fcinfo, window_close, false);
}

/* textseq._try_window_closes_at(...): window_closes_at, but -infinity instead of an error. */
Datum
textseq_schedule_window_close_try(PG_FUNCTION_ARGS)
{
	return search_result(fcinfo, window_close, true);
}

/*
 * textseq._schedule_problem(at, zones, region, window_start, window_end,
 * window_days, until): why next_send_time(at, ...) (until NULL) or
 * window_closes_at(at, ..., until) fails ("<message>: <detail>"), or NULL
 * when it does not.
 */
Datum
textseq_schedule_problem(PG_FUNCTION_ARGS)
{
	ArgProblem	p = {0};
	TimestampTz out;
	SearchResult r = PG_ARGISNULL(6) ? next_send(fcinfo, &out, &p) : window_close(fcinfo, &out, &p);

	if (r != SEARCH_PROBLEM)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s: %s", p.message, p.detail)));
}

/*
 * textseq._zones_problem(zones text[]): why the claim could not use these
 * zones (a name it does not know, too many), or NULL; checked when a phone
 * row is written, with the same lookup the claim uses.
 */
Datum
textseq_schedule_zones_problem(PG_FUNCTION_ARGS)
{
	ArgProblem	p = {0};
	pg_tz	   *zones[SQ_MAX_ZONES];

	if (resolve_zones(PG_GETARG_ARRAYTYPE_P(0), zones, &p) >= 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s: %s", p.message, p.detail)));
}
