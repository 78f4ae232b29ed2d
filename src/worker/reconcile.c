/*-------------------------------------------------------------------------
 *
 * reconcile.c
 *	  Messages whose fate is unknown: crash recovery at worker start
 *	  ('sending' rows of a dead worker become 'maybe_sent'), and
 *	  reconciliation of 'maybe_sent' messages against the provider's message
 *	  list before anything is resent.  Also the periodic sweep and the
 *	  earliest-due query that decides how long the worker sleeps.
 *
 * Must not: resend a maybe_sent message unless the provider's list was read
 * completely and does not hold it (or the provider dedups by key: Telnyx).
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#define RECONCILE_BATCH 50

/* Run one statement returning a single int8/int4 column (transaction open). */
static int64
spi_scalar(const char *sql)
{
	int64		v = 0;
	bool		isnull = true;
	Datum		d;

	SPI_connect();
	SPI_execute(sql, false, 1);
	if (SPI_processed == 1)
	{
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
			v = SPI_gettypeid(SPI_tuptable->tupdesc, 1) == INT8OID ? DatumGetInt64(d)
				: SPI_gettypeid(SPI_tuptable->tupdesc, 1) == TIMESTAMPTZOID ? DatumGetTimestampTz(d)
				: DatumGetInt32(d);
	}
	SPI_finish();
	return isnull ? -1 : v;
}

/* At worker start: 'sending' rows left by a dead worker become 'maybe_sent'. */
int
ts_recover_in_flight(void)
{
	return (int) spi_scalar("SELECT textseq._recover_in_flight()");
}

/* The periodic sweep (delivery_unknown, bulk completion). */
void
ts_sweep(void)
{
	(void) spi_scalar("SELECT textseq.sweep()");
}

/* The earliest time anything needs the worker, or 0 when nothing waits. */
TimestampTz
ts_next_due(void)
{
	int64		v = spi_scalar("SELECT textseq._next_due()");

	return v < 0 ? 0 : (TimestampTz) v;
}

/* Load up to RECONCILE_BATCH maybe_sent messages due for reconciliation. */
static TsLookup *
load_lookups(int *n, TsAccount **accounts, int *n_accounts)
{
	TsLookup   *l;
	MemoryContext old;

	SPI_connect();
	*accounts = ts_load_accounts(n_accounts);
	SPI_execute("SELECT id, account_id, to_phone, from_number, body,"
				" extract(epoch FROM claimed_at)::int8"
				" FROM textseq._maybe_sent_due(" CppAsString2(RECONCILE_BATCH) ")", true, 0);
	old = MemoryContextSwitchTo(ts_batch_cxt);
	*n = (int) SPI_processed;
	l = palloc0(sizeof(TsLookup) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *claimed;

		l[i].message_id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		l[i].account = ts_find_account(*accounts, *n_accounts,
									   DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull)));
		l[i].to = SPI_getvalue(tup, td, 3);
		l[i].from = SPI_getvalue(tup, td, 4);
		l[i].body = SPI_getvalue(tup, td, 5);
		claimed = SPI_getvalue(tup, td, 6);
		l[i].claimed_at_unix = claimed ? strtoll(claimed, NULL, 10) : 0;
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	return l;
}

/* Ask the provider (no transaction open).  Only Twilio needs asking. */
static void
ask_provider(TsHttp *http, TsLookup *l, int n)
{
	TsHttpConfig cfg = ts_http_config();

	for (int i = 0; i < n; i++)
	{
		if (l[i].account == NULL)
			l[i].result = TS_LOOKUP_UNKNOWN;	/* paused or removed account: wait */
		else if (strcmp(l[i].account->provider, "twilio") != 0)
			l[i].result = TS_LOOKUP_NOT_FOUND;	/* telnyx dedups by key; dry_run sends nothing */
		else
			ts_http_lookup_batch(http, &l[i], 1, &cfg);
	}
}

/* The statement that writes what one lookup found. */
static void
lookup_sql(StringInfo sql, const TsLookup *l)
{
	resetStringInfo(sql);
	if (l->result == TS_LOOKUP_FOUND)
		/*
		 * A sid another message already holds is not this one's (an identical
		 * text sent just before, with duplicate blocking off): ask again later
		 * rather than guess; never resend.
		 */
		appendStringInfo(sql, "SELECT CASE WHEN EXISTS (SELECT 1 FROM textseq.message"
						 " WHERE provider_id = %s) THEN textseq._reconcile_later(%lld)::text"
						 " ELSE textseq.record_results(ARRAY[%lld::int8],"
						 " ARRAY['outbox']::textseq.message_status[], ARRAY[%s])::text END",
						 quote_literal_cstr(l->provider_id), (long long) l->message_id,
						 (long long) l->message_id, quote_literal_cstr(l->provider_id));
	else if (l->result == TS_LOOKUP_NOT_FOUND)
		appendStringInfo(sql, "SELECT textseq.record_results(ARRAY[%lld::int8],"
						 " ARRAY['in_queue']::textseq.message_status[])",
						 (long long) l->message_id);
	else
		appendStringInfo(sql, "SELECT textseq._reconcile_later(%lld)", (long long) l->message_id);
}

/*
 * Run one statement in its own subtransaction (SPI connected); false, with
 * the error logged, when it failed.  Errors of the database rather than of
 * the row (no space, shutdown...) are raised again: the round fails.
 */
static bool
run_apart(const char *sql, int64 message_id)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		SPI_execute(sql, false, 0);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		int			class;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		class = ERRCODE_TO_CATEGORY(edata->sqlerrcode);
		if (class == ERRCODE_INSUFFICIENT_RESOURCES || class == ERRCODE_OPERATOR_INTERVENTION ||
			class == ERRCODE_SYSTEM_ERROR || class == ERRCODE_CONNECTION_EXCEPTION)
			ReThrowError(edata);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("textseq could not apply the reconciliation of message %lld", (long long) message_id),
				 errdetail("%s", edata->message)));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return ok;
}

/*
 * Write what reconciliation found (transaction open).  Each lookup is
 * written in its own subtransaction: one that fails (a row locked past
 * lock_timeout, a bad row) is asked again later, and the rest still land.
 */
static void
apply_lookups(TsLookup *l, int n)
{
	StringInfoData sql;

	initStringInfo(&sql);
	SPI_connect();
	for (int i = 0; i < n; i++)
	{
		lookup_sql(&sql, &l[i]);
		if (!run_apart(sql.data, l[i].message_id) && l[i].result != TS_LOOKUP_UNKNOWN)
		{
			/* not written: back off like an unanswered lookup, so it cannot hog the head */
			resetStringInfo(&sql);
			appendStringInfo(&sql, "SELECT textseq._reconcile_later(%lld)", (long long) l[i].message_id);
			(void) run_apart(sql.data, l[i].message_id);
		}
	}
	SPI_finish();
}

/*
 * One reconciliation round: load (transaction), ask the provider (no
 * transaction), apply (transaction).  Returns how many were looked at.
 */
int
ts_reconcile_round(TsHttp *http, TsWorkerSlot *slot)
{
	TsLookup   *l;
	TsAccount  *accounts;
	int			n_accounts;
	int			n;

	if (!OidIsValid(ts_xact_begin()))
	{
		ts_xact_commit();
		return 0;
	}
	l = load_lookups(&n, &accounts, &n_accounts);
	ts_xact_commit();
	if (n == 0)
		return 0;
	ts_slot_set_state(slot, TS_STATE_RECONCILING);
	ask_provider(http, l, n);
	if (OidIsValid(ts_xact_begin()))
		apply_lookups(l, n);
	ts_xact_commit();
	return n;
}
