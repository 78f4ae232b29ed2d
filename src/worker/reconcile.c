/*-------------------------------------------------------------------------
 *
 * reconcile.c
 *	  Messages whose fate is unknown: crash recovery at worker start
 *	  ('sending' rows of a dead worker become 'maybe_sent'), and
 *	  reconciliation of 'maybe_sent' messages against the provider's message
 *	  list before anything is resent.  Also the periodic sweep and the
 *	  earliest-due query that decides how long the worker sleeps.
 *
 * Reconciliation runs beside sending, never instead of it: a set of up to
 * RECONCILE_BATCH due maybe_sent messages is loaded in the claim's
 * transaction, asked on the transport's multi handle while later batches go
 * out (provider/http_lookup.c: one list call per sender settles many), and
 * what is decided is written in short transactions of its own as it comes.
 * The set (lookups, their accounts with secrets, strings) lives in its own
 * memory context until every lookup is decided and written, or the set is
 * forgotten (error, shutdown, extension gone, textseq.enabled off).
 *
 * Must not: resend a maybe_sent message unless the provider's list was read
 * completely and does not hold it (or the provider dedups by key: Telnyx);
 * hold a transaction open while the provider is asked.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#define RECONCILE_BATCH 1000	/* maybe_sent messages asked about in one set */
#define RECONCILE_LOOK_MS 1000	/* busy queue: look for due maybe_sent this often */
#define RECONCILE_WRITE_MS 500	/* while a set runs, write what is decided this often */
#define RECONCILE_STEP_MS 10	/* lookups alone: how long one step may wait */

/* The set being reconciled (worker-process memory). */
static MemoryContext set_cxt = NULL;
static TsLookup *set_l = NULL;
static int	set_n = 0;
static bool *set_written = NULL;	/* decided and written */
static int	set_left = 0;		/* lookups not yet written */
static bool set_started = false;	/* handed to the transport */
static bool last_full = false;	/* the last load filled the set: look again at once */
static TimestampTz last_look = 0;
static TimestampTz last_write = 0;

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

/* A copy of the loaded accounts in the set's memory (the round's is reset each round). */
static TsAccount *
copy_accounts(const TsAccount *src, int n)
{
	TsAccount  *a = palloc0(sizeof(TsAccount) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		a[i] = src[i];
		a[i].base_url = src[i].base_url ? pstrdup(src[i].base_url) : NULL;
		a[i].account_sid = src[i].account_sid ? pstrdup(src[i].account_sid) : NULL;
		a[i].secret = src[i].secret ? pstrdup(src[i].secret) : NULL;
		a[i].status_callback_url = src[i].status_callback_url ?
			pstrdup(src[i].status_callback_url) : NULL;
	}
	return a;
}

/*
 * Load up to RECONCILE_BATCH maybe_sent messages due for reconciliation into
 * the set (transaction open).  Only Twilio needs asking: a paused or removed
 * account waits (UNKNOWN), Telnyx dedups a resend by its key and dry_run
 * sends nothing (NOT_FOUND); the rest stay PENDING for the transport.
 */
static void
load_lookups(void)
{
	TsAccount  *loaded;
	TsAccount  *accounts;
	int			n_accounts;
	MemoryContext old;

	SPI_connect();
	loaded = ts_load_accounts(&n_accounts);
	SPI_execute("SELECT id, account_id, to_phone, from_number, body,"
				" extract(epoch FROM claimed_at)::int8"
				" FROM textseq._maybe_sent_due(" CppAsString2(RECONCILE_BATCH) ")", true, 0);
	old = MemoryContextSwitchTo(set_cxt);
	accounts = copy_accounts(loaded, n_accounts);
	set_n = (int) SPI_processed;
	set_l = palloc0(sizeof(TsLookup) * Max(set_n, 1));
	set_written = palloc0(sizeof(bool) * Max(set_n, 1));
	for (int i = 0; i < set_n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		TsLookup   *l = &set_l[i];
		bool		isnull;
		char	   *claimed;

		l->message_id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		l->account = ts_find_account(accounts, n_accounts,
									 DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull)));
		l->to = SPI_getvalue(tup, td, 3);
		l->from = SPI_getvalue(tup, td, 4);
		l->body = SPI_getvalue(tup, td, 5);
		claimed = SPI_getvalue(tup, td, 6);
		l->claimed_at_unix = claimed ? strtoll(claimed, NULL, 10) : 0;
		if (l->account == NULL)
			l->result = TS_LOOKUP_UNKNOWN;	/* paused or removed account: wait */
		else if (strcmp(l->account->provider, "twilio") != 0)
			l->result = TS_LOOKUP_NOT_FOUND;	/* telnyx dedups by key; dry_run sends nothing */
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	set_left = set_n;
	last_full = set_n == RECONCILE_BATCH;
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

/* Forget the set: stop asking, write nothing more (its messages stay maybe_sent). */
void
ts_reconcile_forget(TsHttp *http)
{
	if (set_started)
		ts_http_lookups_abort(http);
	set_started = false;
	set_l = NULL;
	set_written = NULL;
	set_n = set_left = 0;
	if (set_cxt != NULL)
		MemoryContextReset(set_cxt);
}

/* Is a set under way (loaded and not yet all written)? */
bool
ts_reconcile_busy(void)
{
	return set_n > 0;
}

/*
 * In the claim's transaction: load a set when none is under way and it is
 * time to look (the queue is idle, the last set was full, or a second has
 * passed).  Returns how many were loaded.
 */
int
ts_reconcile_load(bool idle)
{
	TimestampTz now = GetCurrentTimestamp();

	if (ts_reconcile_busy() ||
		(!idle && !last_full && now - last_look < RECONCILE_LOOK_MS * (int64) 1000))
		return 0;
	if (set_cxt == NULL)
		set_cxt = AllocSetContextCreate(TopMemoryContext, "textseq reconcile",
										ALLOCSET_DEFAULT_SIZES);
	last_look = now;
	load_lookups();
	if (set_n == 0)
		ts_reconcile_forget(NULL);
	return set_n;
}

/* After the claim's commit: hand the loaded set to the transport. */
void
ts_reconcile_start(TsHttp *http)
{
	TsHttpConfig cfg = ts_http_config();

	Assert(!IsTransactionState());
	if (!ts_reconcile_busy() || set_started)
		return;
	ts_http_lookups_start(http, set_l, set_n, &cfg);
	set_started = true;
	last_write = GetCurrentTimestamp();
}

/* Are decided results waiting to be written: all of the set, or some for a while? */
bool
ts_reconcile_due_write(void)
{
	int			decided = 0;

	for (int i = 0; i < set_n; i++)
		if (!set_written[i] && set_l[i].result != TS_LOOKUP_PENDING)
			decided++;
	if (decided == 0)
		return false;
	return decided == set_left ||
		GetCurrentTimestamp() - last_write >= RECONCILE_WRITE_MS * (int64) 1000;
}

/*
 * Write what is decided and not yet written (transaction open).  The set is
 * over when everything is written.
 */
void
ts_reconcile_write(TsHttp *http)
{
	TsLookup   *batch = palloc(sizeof(TsLookup) * Max(set_n, 1));
	int			n = 0;

	for (int i = 0; i < set_n; i++)
		if (!set_written[i] && set_l[i].result != TS_LOOKUP_PENDING)
			batch[n++] = set_l[i];
	if (n > 0)
		apply_lookups(batch, n);
	for (int i = 0; i < set_n; i++)
		if (!set_written[i] && set_l[i].result != TS_LOOKUP_PENDING)
		{
			set_written[i] = true;
			set_left--;
		}
	last_write = GetCurrentTimestamp();
	if (set_left == 0)
		ts_reconcile_forget(http);
}

/*
 * The queue is idle: let the lookups run alone for up to budget_ms, or until
 * new work arrives (the latch), results are due to be written, or shutdown
 * (then the set is abandoned and nothing more is written).
 */
void
ts_reconcile_run(TsHttp *http, int budget_ms, TsWorkerSlot *slot)
{
	TimestampTz end = GetCurrentTimestamp() + (int64) budget_ms * 1000;

	ts_slot_set_state(slot, TS_STATE_RECONCILING);
	while (ts_http_lookups_step(http, RECONCILE_STEP_MS))
	{
		if (ts_shutdown_pending())
		{
			ts_reconcile_forget(http);
			return;
		}
		if (MyLatch->is_set || ts_reconcile_due_write() || GetCurrentTimestamp() >= end)
			return;
	}
}
