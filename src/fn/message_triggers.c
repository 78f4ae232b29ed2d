/*-------------------------------------------------------------------------
 *
 * message_triggers.c
 *	  The statement triggers on textseq.message, in C: bulk counts
 *	  (_bulk_count_messages, src/sql/65_bulk_stats.sql) and the worker's
 *	  wake-up for newly queued messages (_message_wake, 60_worker.sql).
 *
 * Every statement that writes messages (the claim, the record step, a
 * launch chunk, an inbound reply cancelling a waiting text) fires them, so
 * they read the transition tables directly instead of running a query over
 * them: a statement that touched no bulk's message costs one pass over its
 * rows and no SQL at all.  A statement that did writes one aggregated delta
 * row per (bulk, step, status) with one INSERT prepared once per backend.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "shmem.h"

PG_FUNCTION_INFO_V1(textseq_bulk_count_messages);
PG_FUNCTION_INFO_V1(textseq_message_wake);

/* The columns the triggers read, found by name in the table's descriptor. */
typedef struct
{
	AttrNumber	bulk_id;
	AttrNumber	step;
	AttrNumber	status;
	AttrNumber	sent_at;
	AttrNumber	run_at;
} MessageColumns;

static AttrNumber
column(TupleDesc d, const char *name)
{
	for (int i = 0; i < d->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(d, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return a->attnum;
	}
	elog(ERROR, "textseq: textseq.message has no column \"%s\"", name);
	return InvalidAttrNumber;	/* not reached */
}

static TriggerData *
statement_trigger(FunctionCallInfo fcinfo, const char *fn, MessageColumns *c)
{
	TriggerData *td;
	TupleDesc	d;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "%s: not called as a trigger", fn);
	td = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) || !TRIGGER_FIRED_AFTER(td->tg_event))
		elog(ERROR, "%s: must be an AFTER ... FOR EACH STATEMENT trigger", fn);
	d = RelationGetDescr(td->tg_relation);
	c->bulk_id = column(d, "bulk_id");
	c->step = column(d, "step");
	c->status = column(d, "status");
	c->sent_at = column(d, "sent_at");
	c->run_at = column(d, "run_at");
	return td;
}

/*
 * A reader of a transition table, with its own read pointer from the start
 * (other triggers of the statement read the same tuplestore).
 */
static TupleTableSlot *
transition_reader(Tuplestorestate *ts, TupleDesc d)
{
	int			ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);

	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	return MakeSingleTupleTableSlot(d, &TTSOpsMinimalTuple);
}

/* ---- bulk counts ------------------------------------------------------------------------ */

typedef struct
{
	int64		bulk_id;
	int32		step;
	bool		step_null;
	Oid			status;			/* enum value */
} CountKey;

typedef struct
{
	CountKey	key;			/* hash key: first */
	int64		n;
	TimestampTz sent_at;
	bool		sent;
} CountEntry;

/* Add the rows of one transition table with bulk_id set, each counting sign. */
static HTAB *
count_rows(HTAB *h, Tuplestorestate *ts, TupleDesc d, const MessageColumns *c, int sign)
{
	TupleTableSlot *slot;

	if (ts == NULL)
		return h;
	slot = transition_reader(ts, d);
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		bool		isnull;
		Datum		bulk = slot_getattr(slot, c->bulk_id, &isnull);
		Datum		v;
		CountKey	key;
		CountEntry *e;
		bool		found;

		if (isnull)
			continue;
		if (h == NULL)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(CountKey);
			ctl.entrysize = sizeof(CountEntry);
			ctl.hcxt = CurrentMemoryContext;
			h = hash_create("textseq bulk counts", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		memset(&key, 0, sizeof(key));
		key.bulk_id = DatumGetInt64(bulk);
		v = slot_getattr(slot, c->step, &key.step_null);
		key.step = key.step_null ? 0 : DatumGetInt32(v);
		v = slot_getattr(slot, c->status, &isnull);
		key.status = isnull ? InvalidOid : DatumGetObjectId(v);
		e = hash_search(h, &key, HASH_ENTER, &found);
		if (!found)
		{
			e->n = 0;
			e->sent = false;
		}
		e->n += sign;
		if (sign > 0)
		{
			v = slot_getattr(slot, c->sent_at, &isnull);
			if (!isnull && (!e->sent || DatumGetTimestampTz(v) > e->sent_at))
			{
				e->sent_at = DatumGetTimestampTz(v);
				e->sent = true;
			}
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	return h;
}

static SPIPlanPtr insert_deltas;

/* One delta row per group that changed a count or saw a send. */
static void
write_deltas(HTAB *h)
{
	long		max = hash_get_num_entries(h);
	Datum	   *bulk = palloc(sizeof(Datum) * max),
			   *step = palloc(sizeof(Datum) * max),
			   *status = palloc(sizeof(Datum) * max),
			   *n = palloc(sizeof(Datum) * max),
			   *sent = palloc(sizeof(Datum) * max);
	bool	   *step_null = palloc(sizeof(bool) * max),
			   *status_null = palloc(sizeof(bool) * max),
			   *sent_null = palloc(sizeof(bool) * max);
	int			rows = 0;
	int			dims[1];
	int			lbs[1] = {1};
	Datum		args[5];
	HASH_SEQ_STATUS it;
	CountEntry *e;
	int			rc;

	hash_seq_init(&it, h);
	while ((e = hash_seq_search(&it)) != NULL)
	{
		if (e->n == 0 && !e->sent)
			continue;
		if (e->n > PG_INT32_MAX || e->n < PG_INT32_MIN)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("one statement changed more than %d messages of bulk " INT64_FORMAT,
							PG_INT32_MAX, e->key.bulk_id)));
		bulk[rows] = Int64GetDatum(e->key.bulk_id);
		step[rows] = Int32GetDatum(e->key.step);
		step_null[rows] = e->key.step_null;
		status_null[rows] = !OidIsValid(e->key.status);
		status[rows] = status_null[rows] ? (Datum) 0
			: CStringGetTextDatum(DatumGetCString(DirectFunctionCall1(enum_out, ObjectIdGetDatum(e->key.status))));
		n[rows] = Int32GetDatum((int32) e->n);
		sent[rows] = TimestampTzGetDatum(e->sent_at);
		sent_null[rows] = !e->sent;
		rows++;
	}
	if (rows == 0)
		return;

	dims[0] = rows;
	args[0] = PointerGetDatum(construct_md_array(bulk, NULL, 1, dims, lbs, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[1] = PointerGetDatum(construct_md_array(step, step_null, 1, dims, lbs, INT4OID, 4, true, TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_md_array(status, status_null, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_md_array(n, NULL, 1, dims, lbs, INT4OID, 4, true, TYPALIGN_INT));
	args[4] = PointerGetDatum(construct_md_array(sent, sent_null, 1, dims, lbs, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL,
												 TYPALIGN_DOUBLE));

	SPI_connect();
	if (insert_deltas == NULL)
	{
		/* every name qualified: the statement runs under the caller's search_path */
		Oid			types[5] = {INT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID};
		SPIPlanPtr	p = SPI_prepare("INSERT INTO textseq.bulk_count_delta (bulk_id, step, status, n, last_sent_at)"
									" SELECT u.b, u.s, u.st::textseq.message_status, u.n, u.t"
									" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
									" pg_catalog.unnest($4), pg_catalog.unnest($5)) AS u (b, s, st, n, t)", 5, types);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "textseq: could not prepare the bulk counts insert: %s",
				 SPI_result_code_string(SPI_result));
		insert_deltas = p;
	}
	rc = SPI_execute_plan(insert_deltas, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "textseq: bulk counts insert failed: %s", SPI_result_code_string(rc));
	SPI_finish();
}

/*
 * Statement trigger on textseq.message (INSERT, UPDATE, DELETE; transition
 * tables new_rows and/or old_rows): one delta row per (bulk, step, status)
 * the statement changed.  An UPDATE nets old rows (-1) against new rows
 * (+1), so rows whose status did not change add nothing; last_sent_at is the
 * latest send among the new rows.
 */
Datum
textseq_bulk_count_messages(PG_FUNCTION_ARGS)
{
	MessageColumns c;
	TriggerData *td = statement_trigger(fcinfo, "_bulk_count_messages", &c);
	TupleDesc	d = RelationGetDescr(td->tg_relation);
	HTAB	   *h = NULL;

	if (!TRIGGER_FIRED_BY_INSERT(td->tg_event))
		h = count_rows(h, td->tg_oldtable, d, &c, -1);
	if (!TRIGGER_FIRED_BY_DELETE(td->tg_event))
		h = count_rows(h, td->tg_newtable, d, &c, 1);
	if (h != NULL)
		write_deltas(h);
	return PointerGetDatum(NULL);
}

/* ---- the worker's wake-up --------------------------------------------------------------- */

/* The waiting statuses' enum values, for the status type they were read from. */
static Oid	waiting_type = InvalidOid;
static Oid	waiting[3];

static bool
is_waiting(Oid type, Oid value)
{
	if (type != waiting_type)
	{
		static const char *const names[3] = {"in_queue", "held_quiet_hours", "capped"};

		for (int i = 0; i < 3; i++)
			waiting[i] = DatumGetObjectId(DirectFunctionCall2(enum_in, CStringGetDatum(names[i]),
															  ObjectIdGetDatum(type)));
		waiting_type = type;
	}
	return value == waiting[0] || value == waiting[1] || value == waiting[2];
}

/*
 * Statement trigger AFTER INSERT on textseq.message (new_rows): newly
 * queued messages wake the worker at commit when due before its planned
 * wake-up.
 */
Datum
textseq_message_wake(PG_FUNCTION_ARGS)
{
	MessageColumns c;
	TriggerData *td = statement_trigger(fcinfo, "_message_wake", &c);
	TupleDesc	d = RelationGetDescr(td->tg_relation);
	Oid			type = TupleDescAttr(d, c.status - 1)->atttypid;
	TupleTableSlot *slot;
	bool		any = false;
	TimestampTz due = 0;

	if (td->tg_newtable == NULL)
		return PointerGetDatum(NULL);
	slot = transition_reader(td->tg_newtable, d);
	while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
	{
		bool		isnull;
		Datum		v = slot_getattr(slot, c.status, &isnull);
		TimestampTz at;

		if (isnull || !is_waiting(type, DatumGetObjectId(v)))
			continue;
		v = slot_getattr(slot, c.run_at, &isnull);
		at = isnull ? 0 : DatumGetTimestampTz(v);
		if (!any || at < due)
			due = at;
		any = true;
	}
	ExecDropSingleTupleTableSlot(slot);
	if (any)
		ts_wake_at_commit(due);
	return PointerGetDatum(NULL);
}
