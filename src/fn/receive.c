/*-------------------------------------------------------------------------
 *
 * receive.c
 *	  textseq.receive(): what happens when a lead texts back (SPEC 9,
 *	  docs/inbound.md), the common path in C.
 *
 * An inbound webhook calls receive() once per text, so its common path (a
 * plain reply, a conversation branch, a stop-on-reply drip finishing, or
 * nothing waiting) runs here on plans prepared once per backend, and the
 * rules it applies come from the pure cores (core/consent.h,
 * core/branch.h).  The rarer and heavier paths stay in PL/pgSQL next to
 * the schema they change (src/sql/76_inbound.sql): consent changes
 * (_receive_consent), saving a reply into a lead field (_save_reply), going
 * to another step (_queue_current, _advance) and keyword starts
 * (_receive_keyword).
 *
 * Order of work, as documented: the text is checked for a repeat of its
 * provider id, the phone row is found (or made), consent is honoured first,
 * then conversations waiting for a reply branch, stop-on-reply enrollments
 * finish, and a keyword may start a sequence.  The text is stored once, at
 * the end, with what was done (the table is append-only).
 *
 * The function is SECURITY DEFINER with search_path pinned; every name in
 * the SQL below is schema-qualified.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "core/branch.h"
#include "core/consent.h"

PG_FUNCTION_INFO_V1(textseq_receive);

/* The statements of the common path, prepared once per backend. */
typedef enum
{
	Q_LOOKUP,
	Q_SENDER,
	Q_NORMALIZE,
	Q_PHONE,
	Q_NEW_PHONE,
	Q_LEADS,
	Q_CONSENT,
	Q_ENROLLMENTS,
	Q_BRANCHES,
	Q_LEAD_FIELD,
	Q_TAG,
	Q_SAVE_REPLY,
	Q_RESPONDED,
	Q_RESPONDED_WAIT,
	Q_FINISH,
	Q_GOTO,
	Q_QUEUE,
	Q_HAS_NEXT,
	Q_ADVANCE,
	Q_NOTE,
	Q_HAS_KEYWORD,
	Q_KEYWORD,
	Q_STORE,
	Q_COUNT
} ReceiveQuery;

typedef struct
{
	const char *sql;
	int			nargs;
	Oid			types[10];
} QueryDef;

static const QueryDef queries[Q_COUNT] = {
	/*
	 * Everything the common path needs to know, in one statement: the
	 * sender ($1, as given), a text with this provider id ($3), the phone
	 * row and its leads ($2, as given), whether anything waits for a reply,
	 * whether the sender has keywords, and the new text's id.  Numbers not
	 * given as E.164 come as NULL and are looked up after normalising.
	 */
	[Q_LOOKUP] = {"SELECT s.id, s.account_id, d.id, d.result, p.opted_out, l.ids,"
		" EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = ANY(l.ids) AND e.status = 'pending'),"
		" EXISTS (SELECT 1 FROM textseq.keyword k WHERE k.sender_id = s.id),"
		" nextval('textseq.inbound_id_seq'::regclass)"
		" FROM (VALUES (1)) x (one)"
		" LEFT JOIN LATERAL (SELECT s.id, s.account_id FROM textseq.sender s"
		"  WHERE s.phone_number = $1 AND s.active ORDER BY s.id LIMIT 1) s ON true"
		" LEFT JOIN textseq.inbound d ON d.provider_id = $3 AND d.provider_id IS NOT NULL"
		" LEFT JOIN textseq.phone p ON p.e164 = $2"
		" CROSS JOIN LATERAL (SELECT coalesce(array_agg(DISTINCT c.lead_id ORDER BY c.lead_id), '{}') AS ids"
		"  FROM textseq.contact c WHERE c.phone = $2) l", 3, {TEXTOID, TEXTOID, TEXTOID}},
	[Q_SENDER] = {"SELECT s.id, s.account_id FROM textseq.sender s"
		" WHERE s.phone_number = $1 AND s.active ORDER BY s.id LIMIT 1", 1, {TEXTOID}},
	[Q_NORMALIZE] = {"SELECT textseq.try_normalize_phone($1, $2)", 2, {TEXTOID, TEXTOID}},
	[Q_PHONE] = {"SELECT p.opted_out FROM textseq.phone p WHERE p.e164 = $1", 1, {TEXTOID}},
	[Q_NEW_PHONE] = {"SELECT textseq._consent_phone($1, 'inbound')", 1, {TEXTOID}},
	[Q_LEADS] = {"SELECT coalesce(array_agg(DISTINCT c.lead_id ORDER BY c.lead_id), '{}')"
		" FROM textseq.contact c WHERE c.phone = $1", 1, {TEXTOID}},
	[Q_CONSENT] = {"SELECT textseq._receive_consent($1, $2, $3, $4, $5, $6, $7)", 7,
		{TEXTOID, TEXTOID, BOOLOID, TEXTOID, INT4OID, INT8OID, INT8ARRAYOID}},
	[Q_ENROLLMENTS] = {"SELECT e.id, e.lead_id, e.sequence_id, e.current_step,"
		" st.kind = 'wait_reply', q.stop_on_reply, q.note_conversations"
		" FROM textseq.enrollment e"
		" JOIN textseq.sequence q ON q.id = e.sequence_id"
		" LEFT JOIN textseq.step st ON st.sequence_id = e.sequence_id AND st.position = e.current_step"
		" WHERE e.lead_id = ANY($1) AND e.status = 'pending'"
		" ORDER BY e.id FOR UPDATE OF e", 1, {INT8ARRAYOID}},
	[Q_BRANCHES] = {"SELECT b.position, b.match, b.value, b.value2, b.tag, b.save_to,"
		" b.goto_step, b.finish FROM textseq.branch b"
		" WHERE b.sequence_id = $1 AND b.step = $2 ORDER BY b.position", 2, {INT8OID, INT4OID}},
	[Q_LEAD_FIELD] = {"SELECT textseq.lead_data(l) ->> $2 FROM textseq.lead l WHERE l.id = $1", 2,
		{INT8OID, TEXTOID}},
	/* _tag_leads() for one lead */
	[Q_TAG] = {"UPDATE textseq.lead l SET tags = l.tags || $2, updated_at = textseq.now()"
		" WHERE l.id = $1 AND NOT ($2 = ANY(l.tags))", 2, {INT8OID, TEXTOID}},
	[Q_SAVE_REPLY] = {"SELECT textseq._save_reply($1, $2, $3)", 3, {INT8OID, TEXTOID, TEXTOID}},
	[Q_RESPONDED] = {"UPDATE textseq.enrollment x SET responded_at = textseq.now() WHERE x.id = $1", 1,
		{INT8OID}},
	[Q_RESPONDED_WAIT] = {"UPDATE textseq.enrollment x SET responded_at = textseq.now(), wait_until = NULL"
		" WHERE x.id = $1", 1, {INT8OID}},
	/*
	 * _finish_enrollments() for one enrollment, with the reply's time, and
	 * its waiting messages canceled; whether it was pending
	 */
	[Q_FINISH] = {"WITH f AS (UPDATE textseq.enrollment x SET status = 'finished_responded',"
		" finished_at = textseq.now(), responded_at = textseq.now(), wait_until = NULL"
		" WHERE x.id = $1 AND x.status = 'pending' RETURNING x.id),"
		" c AS (UPDATE textseq.message m SET status = 'canceled', finished_at = textseq.now()"
		" WHERE m.enrollment_id = $1 AND m.status IN ('in_queue', 'held_quiet_hours', 'capped')"
		" AND EXISTS (SELECT FROM f) RETURNING m.id)"
		" SELECT EXISTS (SELECT FROM f), (SELECT count(*) FROM c)", 1, {INT8OID}},
	[Q_GOTO] = {"UPDATE textseq.enrollment x SET current_step = $2 WHERE x.id = $1", 2,
		{INT8OID, INT4OID}},
	[Q_QUEUE] = {"SELECT textseq._queue_current(ARRAY[$1], ARRAY[textseq.now()])", 1, {INT8OID}},
	[Q_HAS_NEXT] = {"SELECT EXISTS (SELECT 1 FROM textseq.step s"
		" WHERE s.sequence_id = $1 AND s.position > $2)", 2, {INT8OID, INT4OID}},
	[Q_ADVANCE] = {"SELECT textseq._advance_one($1, textseq.now())", 1, {INT8OID}},
	[Q_NOTE] = {"INSERT INTO textseq.lead_note (lead_id, at, enrollment_id, inbound_id, note)"
		" VALUES ($1, textseq.now(), $2, $3, 'Replied at step ' || $4 || ': ' || left($5, 1600))", 5,
		{INT8OID, INT8OID, INT8OID, INT4OID, TEXTOID}},
	[Q_HAS_KEYWORD] = {"SELECT 1 FROM textseq.keyword k WHERE k.sender_id = $1 LIMIT 1", 1, {INT4OID}},
	[Q_KEYWORD] = {"SELECT textseq._receive_keyword($1, $2, $3, $4)", 4,
		{TEXTOID, TEXTOID, INT4OID, INT8ARRAYOID}},
	[Q_STORE] = {"INSERT INTO textseq.inbound (id, received_at, from_phone, to_phone, body, media_urls,"
		" provider_id, account_id, sender_id, result) OVERRIDING SYSTEM VALUE"
		" VALUES ($1, coalesce($2, textseq.now()), $3, $4, $5, coalesce($6, '{}'), $7, $8, $9, $10)"
		" ON CONFLICT (provider_id) WHERE provider_id IS NOT NULL DO NOTHING", 10,
		{INT8OID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID, INT4OID, INT4OID,
		JSONBOID}},
};

static SPIPlanPtr plans[Q_COUNT];

/*
 * Run statement q with its arguments (NULL where isnull[i]); returns the
 * number of rows, the first of which is in SPI_tuptable.
 */
static uint64
run(ReceiveQuery q, const Datum *args, const bool *isnull)
{
	char		nulls[10];
	int			rc;

	if (plans[q] == NULL)
	{
		/*
		 * Generic plans: every statement looks rows up by key, and a custom
		 * plan per call (which the plan cache would keep choosing for the
		 * array arguments) costs more than the statement.
		 */
		SPIPlanPtr	p = SPI_prepare_cursor(queries[q].sql, queries[q].nargs, (Oid *) queries[q].types,
										   CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "textseq.receive: could not prepare \"%s\": %s", queries[q].sql,
				 SPI_result_code_string(SPI_result));
		plans[q] = p;
	}
	for (int i = 0; i < queries[q].nargs; i++)
		nulls[i] = isnull && isnull[i] ? 'n' : ' ';
	rc = SPI_execute_plan(plans[q], (Datum *) args, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "textseq.receive: \"%s\" failed: %s", queries[q].sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/* Column n (1-based) of the first result row; *isnull set. */
static Datum
col(int n, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, n, isnull);
}

/* The first column of a one-row result copied out of SPI's memory (NULL: none). */
static Datum
one_value(ReceiveQuery q, const Datum *args, const bool *argnull, bool *isnull)
{
	Datum		d;

	if (run(q, args, argnull) == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	d = col(1, isnull);
	if (*isnull)
		return (Datum) 0;
	return SPI_datumTransfer(d, SPI_tuptable->tupdesc->attrs[0].attbyval,
							 SPI_tuptable->tupdesc->attrs[0].attlen);
}

/* "+" and 1 to 15 digits: the form every stored number (phone, sender) has. */
static bool
looks_e164(const char *s)
{
	int			n = 0;

	if (*s++ != '+')
		return false;
	for (; *s; s++, n++)
		if (*s < '0' || *s > '9')
			return false;
	return n >= 1 && n <= 15;
}

/* The number in E.164 (libphonenumber), or NULL when it cannot be read. */
static char *
normalize(const char *raw, const char *region)
{
	Datum		args[2] = {CStringGetTextDatum(raw), CStringGetTextDatum(region)};
	bool		isnull;
	Datum		d = one_value(Q_NORMALIZE, args, NULL, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* The active sender with this number (lowest id); false when none. */
static bool
find_sender(const char *number, Datum *sender, Datum *account)
{
	Datum		arg = CStringGetTextDatum(number);
	bool		isnull;

	if (run(Q_SENDER, &arg, NULL) == 0)
		return false;
	*sender = col(1, &isnull);
	*account = col(2, &isnull);
	return true;
}

/* ---- the result, as JSON text (turned into jsonb once) ---------------------------- */

static void
json_key(StringInfo js, const char *key)
{
	if (js->len > 1)
		appendStringInfoChar(js, ',');
	escape_json(js, key);
	appendStringInfoChar(js, ':');
}

static void
json_str(StringInfo js, const char *key, const char *value)
{
	json_key(js, key);
	if (value)
		escape_json(js, value);
	else
		appendStringInfoString(js, "null");
}

static void
json_raw(StringInfo js, const char *key, const char *value)
{
	json_key(js, key);
	appendStringInfoString(js, value);
}

static Datum
json_end(StringInfo js)
{
	appendStringInfoChar(js, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(js->data));
}

/* A JSON array of bigints. */
static void
int8_list(StringInfo dst, const int64 *ids, int n)
{
	appendStringInfoChar(dst, '[');
	for (int i = 0; i < n; i++)
		appendStringInfo(dst, "%s" INT64_FORMAT, i ? "," : "", ids[i]);
	appendStringInfoChar(dst, ']');
}

/* ---- replies: conversations and stop on reply --------------------------------------- */

typedef struct
{
	int64		id;
	int64		lead_id;
	int64		sequence_id;
	int32		step;
	bool		waits;			/* at a wait_reply step */
	bool		stop_on_reply;
	bool		note;
} Waiting;

typedef struct
{
	int32		position;
	char	   *match;
	char	   *value;
	char	   *value2;
	char	   *tag;
	char	   *save_to;
	int32		goto_step;		/* 0: none */
	bool		finish;
} Branch;

/*
 * A branch value (database encoding) as the core reads it (UTF-8): a
 * literal, or lead.<field> read from the lead; NULL when absent.
 */
static const char *
branch_value(const char *v, int64 lead)
{
	Datum		args[2];
	bool		isnull;
	Datum		d;
	size_t		len;

	if (v == NULL)
		return NULL;
	if (strncmp(v, "lead.", 5) != 0)
		return pg_server_to_any(v, strlen(v), PG_UTF8);
	args[0] = Int64GetDatum(lead);
	args[1] = CStringGetTextDatum(v + 5);
	d = one_value(Q_LEAD_FIELD, args, NULL, &isnull);
	if (isnull)
		return NULL;
	v = ts_text_utf8(DatumGetTextPP(d), &len);
	return pnstrdup(v, len);
}

/* Finish one enrollment with a reply (finished_responded); whether it was pending. */
static bool
finish_responded(int64 enrollment)
{
	Datum		arg = Int64GetDatum(enrollment);
	bool		isnull;

	run(Q_FINISH, &arg, NULL);
	return DatumGetBool(col(1, &isnull));
}

/*
 * A reply to an enrollment waiting at a wait_reply step: the first branch
 * that matches applies its tag, saves the reply, then goes to its step,
 * finishes, or goes on to the next step (past the last one the conversation
 * ended with a reply).  Returns the branch position, 0 when none matched.
 */
static int32
apply_branch(const Waiting *e, text *reply)
{
	Datum		args[3] = {Int64GetDatum(e->sequence_id), Int32GetDatum(e->step)};
	uint64		n = run(Q_BRANCHES, args, NULL);
	Branch	   *all = palloc0(sizeof(Branch) * (n ? n : 1));
	const Branch *b = NULL;
	size_t		len;
	const char *utf8 = ts_text_utf8(reply, &len);
	bool		isnull;

	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		Datum		v;

		all[i].position = DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));
		all[i].match = SPI_getvalue(t, d, 2);
		all[i].value = SPI_getvalue(t, d, 3);
		all[i].value2 = SPI_getvalue(t, d, 4);
		all[i].tag = SPI_getvalue(t, d, 5);
		all[i].save_to = SPI_getvalue(t, d, 6);
		v = SPI_getbinval(t, d, 7, &isnull);
		all[i].goto_step = isnull ? 0 : DatumGetInt32(v);
		all[i].finish = DatumGetBool(SPI_getbinval(t, d, 8, &isnull));
	}
	for (uint64 i = 0; i < n && b == NULL; i++)
	{
		BranchMatch kind;

		if (!branch_parse_kind(all[i].match, &kind))
			continue;
		if (branch_matches(kind, utf8, len, branch_value(all[i].value, e->lead_id),
						   branch_value(all[i].value2, e->lead_id)))
			b = &all[i];
	}

	if (b && b->tag)
	{
		args[0] = Int64GetDatum(e->lead_id);
		args[1] = CStringGetTextDatum(b->tag);
		run(Q_TAG, args, NULL);
	}
	if (b && b->save_to)
	{
		args[0] = Int64GetDatum(e->lead_id);
		args[1] = CStringGetTextDatum(b->save_to);
		args[2] = PointerGetDatum(reply);
		run(Q_SAVE_REPLY, args, NULL);
	}
	args[0] = Int64GetDatum(e->id);
	if (b && b->finish)
		finish_responded(e->id);
	else if (b && b->goto_step)
	{
		run(Q_RESPONDED_WAIT, args, NULL);
		args[1] = Int32GetDatum(b->goto_step);
		run(Q_GOTO, args, NULL);
		run(Q_QUEUE, args, NULL);
	}
	else
	{
		bool		more;

		args[0] = Int64GetDatum(e->sequence_id);
		args[1] = Int32GetDatum(e->step);
		more = DatumGetBool(one_value(Q_HAS_NEXT, args, NULL, &isnull));
		args[0] = Int64GetDatum(e->id);
		if (!more)
			finish_responded(e->id);
		else
		{
			run(Q_RESPONDED_WAIT, args, NULL);
			run(Q_ADVANCE, args, NULL);
		}
	}
	return b ? b->position : 0;
}

/*
 * Route a reply to the pending enrollments of these leads (locked, in id
 * order): conversations branch, stop-on-reply enrollments finish, others
 * note that the lead replied.  Appends what it did to js; false when no
 * enrollment was waiting for it (keywords may then start one).
 */
static bool
route_reply(StringInfo js, text *body, int64 inbound, Datum leads)
{
	uint64		n = run(Q_ENROLLMENTS, &leads, NULL);
	Waiting    *w = palloc(sizeof(Waiting) * (n ? n : 1));
	int64	   *finished = palloc(sizeof(int64) * (n ? n : 1));
	int			nfinished = 0;
	StringInfoData branched;
	int			nbranched = 0;
	bool		isnull;

	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		Datum		waits;

		w[i].id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		w[i].lead_id = DatumGetInt64(SPI_getbinval(t, d, 2, &isnull));
		w[i].sequence_id = DatumGetInt64(SPI_getbinval(t, d, 3, &isnull));
		w[i].step = DatumGetInt32(SPI_getbinval(t, d, 4, &isnull));
		waits = SPI_getbinval(t, d, 5, &isnull);
		w[i].waits = !isnull && DatumGetBool(waits);
		w[i].stop_on_reply = DatumGetBool(SPI_getbinval(t, d, 6, &isnull));
		w[i].note = DatumGetBool(SPI_getbinval(t, d, 7, &isnull));
	}

	initStringInfo(&branched);
	appendStringInfoChar(&branched, '[');
	for (uint64 i = 0; i < n; i++)
	{
		Datum		arg = Int64GetDatum(w[i].id);

		if (w[i].waits)
		{
			int32		pos = apply_branch(&w[i], body);

			appendStringInfo(&branched, "%s{\"enrollment_id\":" INT64_FORMAT ",\"step\":%d,\"branch\":",
							 nbranched++ ? "," : "", w[i].id, w[i].step);
			if (pos)
				appendStringInfo(&branched, "%d}", pos);
			else
				appendStringInfoString(&branched, "null}");
		}
		else if (w[i].stop_on_reply)
		{
			if (finish_responded(w[i].id))
				finished[nfinished++] = w[i].id;
		}
		else
			run(Q_RESPONDED, &arg, NULL);
		if (w[i].note)
		{
			Datum		args[5] = {Int64GetDatum(w[i].lead_id), Int64GetDatum(w[i].id),
			Int64GetDatum(inbound), Int32GetDatum(w[i].step), PointerGetDatum(body)};

			run(Q_NOTE, args, NULL);
		}
	}
	appendStringInfoChar(&branched, ']');

	if (nbranched > 0)
	{
		StringInfoData ids;

		initStringInfo(&ids);
		int8_list(&ids, finished, nfinished);
		json_str(js, "action", "branch");
		json_raw(js, "branches", branched.data);
		json_raw(js, "finished_enrollment_ids", ids.data);
		return true;
	}
	if (nfinished > 0)
	{
		StringInfoData ids;

		initStringInfo(&ids);
		int8_list(&ids, finished, nfinished);
		json_str(js, "action", "finished");
		json_raw(js, "finished_enrollment_ids", ids.data);
		return true;
	}
	return false;
}

/* ---- receive ------------------------------------------------------------------------ */

/*
 * textseq.receive(from_phone text, to_phone text, body text, provider_id
 * text, received_at timestamptz, media_urls text[]) -> jsonb
 */
Datum
textseq_receive(PG_FUNCTION_ARGS)
{
	const char *region = textseq_default_region && textseq_default_region[0] ? textseq_default_region : "US";
	char	   *from_raw = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *to_raw = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	text	   *body = PG_ARGISNULL(2) ? cstring_to_text("") : PG_GETARG_TEXT_PP(2);
	char	   *provider_id = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *from_e164 = NULL;
	char	   *to_e164 = NULL;
	Datum		sender = 0,
				account = 0;
	bool		no_sender = true;
	bool		was_out = false;
	bool		known_phone = false;
	bool		waiting = true;		/* may an enrollment wait for a reply? */
	bool		keywords = true;	/* may the sender have keywords? */
	int64		inbound;
	Datum		leads = 0;
	Datum		first = 0;			/* what a PL/pgSQL path returned (jsonb) */
	Datum		res;
	Datum		args[10];
	bool		argnull[10];
	bool		isnull;
	StringInfoData js;

	/* (blank: spaces only, as btrim() sees it) */
	if (from_raw == NULL || strspn(from_raw, " ") == strlen(from_raw))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("an inbound text needs the sender's number")));
	if (provider_id && provider_id[0] == '\0')
		provider_id = NULL;

	SPI_connect();

	/* stored numbers are E.164: look them up as given first */
	memset(argnull, 0, sizeof(argnull));
	argnull[0] = to_raw == NULL || !looks_e164(to_raw);
	argnull[1] = !looks_e164(from_raw);
	argnull[2] = provider_id == NULL;
	args[0] = argnull[0] ? (Datum) 0 : CStringGetTextDatum(to_raw);
	args[1] = argnull[1] ? (Datum) 0 : CStringGetTextDatum(from_raw);
	args[2] = argnull[2] ? (Datum) 0 : CStringGetTextDatum(provider_id);
	run(Q_LOOKUP, args, argnull);
	inbound = DatumGetInt64(col(9, &isnull));

	/* a repeated webhook: what the first one did, once */
	col(3, &isnull);
	if (!isnull)
	{
		int64		id = DatumGetInt64(col(3, &isnull));
		Datum		done = col(4, &isnull);

		initStringInfo(&js);
		appendStringInfo(&js, "{\"inbound_id\":" INT64_FORMAT ",\"duplicate\":true", id);
		res = json_end(&js);
		if (!isnull)
			res = DirectFunctionCall2(jsonb_concat, done, res);
		res = SPI_datumTransfer(res, false, -1);
		SPI_finish();
		PG_RETURN_DATUM(res);
	}

	sender = col(1, &isnull);
	if (!isnull)
	{
		no_sender = false;
		account = col(2, &isnull);
		to_e164 = to_raw;
		keywords = DatumGetBool(col(8, &isnull));
	}
	col(5, &isnull);
	if (!isnull)
	{
		known_phone = true;
		from_e164 = from_raw;
		was_out = DatumGetBool(col(5, &isnull));
		leads = SPI_datumTransfer(col(6, &isnull), false, -1);
		waiting = DatumGetBool(col(7, &isnull));
	}

	/* the sender number texted, written another way */
	if (no_sender && to_raw && (to_e164 = normalize(to_raw, region)) != NULL &&
		strcmp(to_e164, to_raw) != 0)
		no_sender = !find_sender(to_e164, &sender, &account);

	/* the phone row (consent is per phone) of a number written another way, or new */
	if (!known_phone && (from_e164 = normalize(from_raw, region)) != NULL)
	{
		args[0] = CStringGetTextDatum(from_e164);
		if (strcmp(from_e164, from_raw) != 0 && run(Q_PHONE, args, NULL) > 0)
			was_out = DatumGetBool(col(1, &isnull));
		else
			run(Q_NEW_PHONE, args, NULL);
		leads = one_value(Q_LEADS, args, NULL, &isnull);
	}

	/* the row is written once, at the end, with what was done (append-only) */
	initStringInfo(&js);
	appendStringInfoChar(&js, '{');
	if (from_e164 == NULL)
	{
		json_str(&js, "action", "nothing");
		json_str(&js, "reason", "sender number not readable");
	}
	else
	{
		size_t		len;
		const char *utf8 = ts_text_utf8(body, &len);
		ConsentMatch m;
		ConsentKind verdict = consent_classify(utf8, len, &m);
		ArrayType  *ids = DatumGetArrayTypeP(leads);

		if (verdict == CONSENT_OPT_OUT || verdict == CONSENT_HELP ||
			(verdict == CONSENT_OPT_IN && was_out))
		{
			args[0] = CStringGetTextDatum(consent_kind_name(verdict));
			args[1] = CStringGetTextDatum(m.rule);	/* ASCII */
			args[2] = BoolGetDatum(m.is_keyword);
			args[3] = CStringGetTextDatum(from_e164);
			args[4] = sender;
			args[5] = Int64GetDatum(inbound);
			args[6] = leads;
			memset(argnull, 0, sizeof(argnull));
			argnull[4] = no_sender;
			first = one_value(Q_CONSENT, args, argnull, &isnull);
		}
		else if (was_out)
		{
			json_str(&js, "action", "nothing");
			json_str(&js, "reason", "opted out");
		}
		else if (!(waiting && route_reply(&js, body, inbound, leads)))
		{
			if (!no_sender && keywords && run(Q_HAS_KEYWORD, &sender, NULL) > 0)
			{
				args[0] = PointerGetDatum(body);
				args[1] = CStringGetTextDatum(from_e164);
				args[2] = sender;
				args[3] = leads;
				first = one_value(Q_KEYWORD, args, NULL, &isnull);
			}
			if (first == 0)
			{
				json_str(&js, "action", "nothing");
				json_str(&js, "reason", ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids)) == 0 ?
						 "unknown sender" : "no enrollment waiting");
			}
		}
		/* where it came from */
		json_str(&js, "phone", from_e164);
		json_raw(&js, "lead_ids", TextDatumGetCString(DirectFunctionCall1(array_to_json, leads)));
	}
	appendStringInfo(&js, ",\"inbound_id\":" INT64_FORMAT, inbound);
	res = json_end(&js);
	if (first != 0)
		res = DirectFunctionCall2(jsonb_concat, first, res);

	args[0] = Int64GetDatum(inbound);
	args[1] = PG_ARGISNULL(4) ? (Datum) 0 : PG_GETARG_DATUM(4);
	args[2] = CStringGetTextDatum(from_e164 ? from_e164 : from_raw);
	args[3] = (to_e164 || to_raw) ? CStringGetTextDatum(to_e164 ? to_e164 : to_raw) : (Datum) 0;
	args[4] = PointerGetDatum(body);
	args[5] = PG_ARGISNULL(5) ? (Datum) 0 : PG_GETARG_DATUM(5);
	args[6] = provider_id ? CStringGetTextDatum(provider_id) : (Datum) 0;
	args[7] = account;
	args[8] = sender;
	args[9] = res;
	memset(argnull, 0, sizeof(argnull));
	argnull[1] = PG_ARGISNULL(4);
	argnull[3] = !(to_e164 || to_raw);
	argnull[5] = PG_ARGISNULL(5);
	argnull[6] = provider_id == NULL;
	argnull[7] = argnull[8] = no_sender;
	if (run(Q_STORE, args, argnull) == 0)
		/* the same text, received by another session that committed meanwhile:
		 * undo this one's work; asked again, receive answers as a duplicate */
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("inbound text %s is being received by another session", provider_id),
				 errhint("Retry the call: it will answer as a duplicate.")));

	res = SPI_datumTransfer(res, false, -1);
	SPI_finish();
	PG_RETURN_DATUM(res);
}
