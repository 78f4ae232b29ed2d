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
PG_FUNCTION_INFO_V1(textseq_schedule_window_close);
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

/* Weekday bit mask of an int[] of 0..6; what names the array in messages. */
static uint8
days_mask(ArrayType *arr, const char *what)
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
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid weekday in %s", what),
					 errdetail("Element %d is %s; weekdays are 0 (Sunday) to 6 (Saturday).",
							   i + 1, nulls[i] ? "null" : psprintf("%d", d))));
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

	row->region = MemoryContextStrdup(rule_cxt, TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull)));
	r->days = days_mask(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 2, &isnull)), "quiet_rule.days");
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

/* Resolve the zones array into g->zones (deduplicated); returns the count. */
static int
resolve_zones(ArrayType *arr, GlueCtx *g)
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
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time zone \"%s\" not recognized", text_to_cstring(name)),
					 errdetail("Element %d of the zones array is not an IANA time zone name.", i + 1)));
		for (int j = 0; j < nz && !dup; j++)
			dup = (g->zones[j] == tz);
		if (dup)
			continue;
		if (nz == SQ_MAX_ZONES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many time zones"),
					 errdetail("Element %d is zone number %d; at most %d are allowed.",
							   i + 1, nz + 1, SQ_MAX_ZONES)));
		g->zones[nz++] = tz;
	}
	return nz;
}

/*
 * The search of arguments 2-6 (zones, region, window_start, window_end,
 * window_days) of next_send_time and window_closes_at; false when no zone
 * is known.
 */
static bool
search_from_args(FunctionCallInfo fcinfo, GlueCtx *g, SqQuery *q)
{
	RegionRules rr;

	q->nzones = resolve_zones(PG_GETARG_ARRAYTYPE_P(1), g);
	if (q->nzones == 0)
		return false;
	g->plan.nwindow = sq_window_spans(time_secs(PG_GETARG_TIMEADT(3), true),
									  time_secs(PG_GETARG_TIMEADT(4), false), g->plan.window);
	g->plan.days = days_mask(PG_GETARG_ARRAYTYPE_P(5), "window_days");
	rr = region_rules(PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)));
	g->plan.rules = rr.rules;
	g->plan.nrules = rr.nrules;
	q->horizon_days = HORIZON_DAYS;
	q->to_local = glue_to_local;
	q->day_spans = glue_day_spans;
	q->ctx = g;
	return true;
}

/* Raise a core error (none of them is the caller's mistake). */
static void
report_core_error(const TsError *err)
{
	ereport(ERROR,
			(errcode(err->code == SQ_ERR_ZONE ? ERRCODE_DATETIME_VALUE_OUT_OF_RANGE
					 : ERRCODE_INTERNAL_ERROR),
			 errmsg("send-window search failed"),
			 errdetail("The schedule core reported: %s.", err->message)));
}

/*
 * textseq.next_send_time(due, zones, region, window_start, window_end,
 * window_days): the earliest instant >= due inside the window in every zone,
 * or NULL when there is none within 14 days (or no zone is known).
 */
Datum
textseq_schedule_next_send(PG_FUNCTION_ARGS)
{
	TimestampTz due;
	GlueCtx		g;
	SqQuery		q;
	TsError		err;
	int64_t		due_secs;
	int64_t		result;

	for (int i = 0; i < 6; i++)
		if (i != 2 && PG_ARGISNULL(i))
			PG_RETURN_NULL();
	due = PG_GETARG_TIMESTAMPTZ(0);
	if (TIMESTAMP_NOT_FINITE(due))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("due time must be finite"),
				 errdetail("The first argument is %s.", TIMESTAMP_IS_NOBEGIN(due) ? "-infinity" : "infinity")));
	if (!search_from_args(fcinfo, &g, &q))
		PG_RETURN_NULL();
	due_secs = sq_floor_div(due, USECS_PER_SEC) + UNIX_EPOCH_SECS;
	if (!sq_next_send(&q, due_secs, &result, &err))
	{
		if (err.code != SQ_OK)
			report_core_error(&err);
		PG_RETURN_NULL();
	}
	if (result == due_secs)
		PG_RETURN_TIMESTAMPTZ(due);		/* inside already: keep the microseconds */
	if (result - UNIX_EPOCH_SECS > (END_TIMESTAMP / USECS_PER_SEC) - 1)
		PG_RETURN_NULL();		/* the opening lies past the end of timestamptz */
	PG_RETURN_TIMESTAMPTZ((TimestampTz) (result - UNIX_EPOCH_SECS) * USECS_PER_SEC);
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
 * textseq.window_closes_at(at, zones, region, window_start, window_end,
 * window_days, until): when the window that is open at `at` closes (the
 * first instant some zone is outside), capped at `until`; `at` when it is
 * not open at `at`; NULL when no zone is known.  The claim sends this to the
 * provider as the message's validity, so a queued text never goes out after
 * the window closes.
 */
Datum
textseq_schedule_window_close(PG_FUNCTION_ARGS)
{
	TimestampTz at;
	TimestampTz until;
	GlueCtx		g;
	SqQuery		q;
	TsError		err;
	int64_t		at_secs;
	int64_t		until_secs;
	int64_t		result;

	for (int i = 0; i < 7; i++)
		if (i != 2 && PG_ARGISNULL(i))
			PG_RETURN_NULL();
	at = PG_GETARG_TIMESTAMPTZ(0);
	until = PG_GETARG_TIMESTAMPTZ(6);
	if (TIMESTAMP_NOT_FINITE(at) || TIMESTAMP_NOT_FINITE(until))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("window close times must be finite")));
	if (until <= at)
		PG_RETURN_TIMESTAMPTZ(until);
	if (!search_from_args(fcinfo, &g, &q))
		PG_RETURN_NULL();
	at_secs = sq_floor_div(at, USECS_PER_SEC) + UNIX_EPOCH_SECS;
	until_secs = sq_floor_div(until, USECS_PER_SEC) + UNIX_EPOCH_SECS;
	if (until_secs - at_secs > (int64_t) HORIZON_DAYS * SQ_DAY_SECS)
		until_secs = at_secs + (int64_t) HORIZON_DAYS * SQ_DAY_SECS;
	if (!sq_window_close(&q, at_secs, until_secs, &result, &err))
		report_core_error(&err);
	if (result >= until_secs && until_secs - at_secs < (int64_t) HORIZON_DAYS * SQ_DAY_SECS)
		PG_RETURN_TIMESTAMPTZ(until);	/* open until then: keep the microseconds */
	if (result <= at_secs)
		PG_RETURN_TIMESTAMPTZ(at);
	PG_RETURN_TIMESTAMPTZ((TimestampTz) (result - UNIX_EPOCH_SECS) * USECS_PER_SEC);
}
