/*-------------------------------------------------------------------------
 *
 * record.c
 *	  Transaction 3 of a dispatch round: turn every send's outcome into a
 *	  status and write the whole batch with one textseq.record_results()
 *	  call; pause accounts whose credentials were refused.
 *
 * The outcome -> status mapping (SPEC section 6) lives here and only here.
 * Also the chore that completes what a record or claim deferred because a
 * row it needed was locked (textseq._apply_deferred).
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

/* One row of the arrays passed to record_results. */
typedef struct TsResultRow
{
	const char *status;
	const char *provider_id;	/* NULL if none */
	int			error_code;		/* 0 = NULL */
	const char *error_text;		/* NULL if none */
	TimestampTz retry_at;		/* 0 = NULL */
} TsResultRow;

/* Exponential backoff with jitter for a retry the provider did not process. */
static TimestampTz
backoff(TimestampTz now, int attempts, int retry_after_ms)
{
	int64		ms;

	if (retry_after_ms > 0)
		ms = retry_after_ms;
	else
		ms = 1000L << Min(Max(attempts - 1, 0), 8);	/* 1 s .. 256 s */
	ms = Min(ms, 3600 * 1000L);
	ms += (int64) (pg_prng_double(&pg_global_prng_state) * 1000.0);
	return now + ms * 1000;
}

/* The status (and retry time) an outcome gives a message. */
static TsResultRow
map_outcome(const TsSend *s, int attempts, TimestampTz now)
{
	TsResultRow r = {0};
	bool		telnyx = s->account && strcmp(s->account->provider, "telnyx") == 0;
	bool		dry = s->account && strcmp(s->account->provider, "dry_run") == 0;

	r.error_code = s->error_code;
	r.error_text = s->error_text[0] ? s->error_text : NULL;
	switch (s->outcome)
	{
		case TS_OUT_ACCEPTED:
			r.status = dry ? "sent" : "outbox";
			r.provider_id = s->provider_id[0] ? s->provider_id : NULL;
			r.error_code = 0;
			r.error_text = NULL;
			break;
		case TS_OUT_NOT_SENT:
		case TS_OUT_AUTH:
			r.status = "in_queue";
			r.retry_at = now;
			break;
		case TS_OUT_CONFIG:
			/*
			 * A lapsed registration or released number would fail every queued
			 * message alike: keep them queued and pause the account (below)
			 * with a visible reason, as for refused credentials.  Without an
			 * account (it vanished between load and claim) just try again.
			 */
			r.status = "in_queue";
			r.retry_at = now;
			break;
		case TS_OUT_RETRY:
			r.status = "in_queue";
			r.retry_at = backoff(now, attempts, s->retry_after_ms);
			break;
		case TS_OUT_AMBIGUOUS:
			/* Telnyx creates are idempotent by key: resend; Twilio: reconcile first */
			r.status = telnyx ? "in_queue" : "maybe_sent";
			r.retry_at = telnyx ? backoff(now, attempts, 0)
				: now + (int64) textseq_reconcile_after_s * USECS_PER_SEC;
			break;
		case TS_OUT_INVALID:
			r.status = "omitted_invalid";
			break;
		case TS_OUT_OPTED_OUT:
			r.status = "omitted_opted_out";
			break;
		case TS_OUT_LANDLINE:
			r.status = "omitted_landline";
			break;
		case TS_OUT_UNREACHABLE:
			/* 30003: textseq.unreachable_retries attempts; 30008 and the like: at most once more */
			r.status = attempts < Min(textseq_unreachable_retries,
									  outcome_retry_limit(s->account ? s->account->provider : "",
														  s->error_code))
				? "in_queue" : "error";
			r.retry_at = now + (int64) attempts * 3600 * USECS_PER_SEC;
			break;
		case TS_OUT_ERROR:
			r.status = "error";
			break;
	}
	return r;
}

/* Build a one-dimensional array Datum with NULLs where isnull says. */
static Datum
make_array(Datum *elems, bool *isnull, int n, Oid type)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, isnull, 1, dims, lbs, type, typlen,
											  typbyval, typalign));
}

/* Pause an account whose credentials the provider refused, with a visible reason. */
static void
pause_account(const TsSend *s)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		args[2];
	char		reason[400];

	snprintf(reason, sizeof(reason), "%s (HTTP %d, code %d): %s",
			 s->outcome == TS_OUT_AUTH ? "provider refused the credentials"
			 : "provider refused the account's configuration",
			 s->http_status, s->error_code, s->error_text);
	args[0] = Int32GetDatum(s->account->id);
	args[1] = CStringGetTextDatum(reason);
	SPI_execute_with_args("UPDATE textseq.account SET paused = true, paused_reason = $2,"
						  " paused_at = now() WHERE id = $1 AND NOT paused",
						  2, types, args, NULL, false, 0);
	ereport(WARNING,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("textseq paused provider account %d", s->account->id),
			 errdetail("%s", reason),
			 errhint("Fix the account, then UPDATE textseq.account SET paused = false.")));
}

/* Count and remember what went wrong in this batch, for worker_status. */
static void
note_errors(TsBatch *b, TsWorkerSlot *slot)
{
	int			sent = 0;
	int			errors = 0;

	for (int i = 0; i < b->n; i++)
	{
		const TsSend *s = &b->sends[i];
		char		msg[TS_ERROR_LEN];

		if (s->outcome == TS_OUT_ACCEPTED)
		{
			sent++;
			continue;
		}
		if (s->outcome == TS_OUT_NOT_SENT)
			continue;
		errors++;
		snprintf(msg, sizeof(msg), "%s: message %lld, HTTP %d, code %d, curl %d: %s",
				 outcome_name(s->outcome), (long long) s->message_id, s->http_status,
				 s->error_code, s->curl_code, s->error_text);
		ts_slot_error(slot, msg, s->t_connect, s->t_start, s->t_total);
	}
	ts_slot_count(slot, sent, errors);
}

/* Transaction 3: record every outcome of the batch (caller opens and commits). */
void
ts_dispatch_record(TsBatch *b, TsWorkerSlot *slot)
{
	TimestampTz now = GetCurrentTimestamp();
	Datum	   *ids = palloc(sizeof(Datum) * b->n);
	Datum	   *st = palloc(sizeof(Datum) * b->n);
	Datum	   *pid = palloc0(sizeof(Datum) * b->n);
	Datum	   *code = palloc0(sizeof(Datum) * b->n);
	Datum	   *txt = palloc0(sizeof(Datum) * b->n);
	Datum	   *retry = palloc0(sizeof(Datum) * b->n);
	bool	   *pid_n = palloc(sizeof(bool) * b->n);
	bool	   *code_n = palloc(sizeof(bool) * b->n);
	bool	   *txt_n = palloc(sizeof(bool) * b->n);
	bool	   *retry_n = palloc(sizeof(bool) * b->n);
	Oid			types[6] = {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID,
	TEXTARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		args[6];

	SPI_connect();
	for (int i = 0; i < b->n; i++)
	{
		TsResultRow r = map_outcome(&b->sends[i], b->attempts[i], now);

		ids[i] = Int64GetDatum(b->sends[i].message_id);
		st[i] = CStringGetTextDatum(r.status);
		pid_n[i] = r.provider_id == NULL;
		pid[i] = pid_n[i] ? (Datum) 0 : CStringGetTextDatum(r.provider_id);
		code_n[i] = r.error_code == 0;
		code[i] = Int32GetDatum(r.error_code);
		txt_n[i] = r.error_text == NULL;
		txt[i] = txt_n[i] ? (Datum) 0 : CStringGetTextDatum(r.error_text);
		retry_n[i] = r.retry_at == 0;
		retry[i] = TimestampTzGetDatum(r.retry_at);
		if ((b->sends[i].outcome == TS_OUT_AUTH || b->sends[i].outcome == TS_OUT_CONFIG) &&
			b->sends[i].account)
			pause_account(&b->sends[i]);
	}
	args[0] = make_array(ids, NULL, b->n, INT8OID);
	args[1] = make_array(st, NULL, b->n, TEXTOID);
	args[2] = make_array(pid, pid_n, b->n, TEXTOID);
	args[3] = make_array(code, code_n, b->n, INT4OID);
	args[4] = make_array(txt, txt_n, b->n, TEXTOID);
	args[5] = make_array(retry, retry_n, b->n, TIMESTAMPTZOID);
	SPI_execute_with_args("SELECT textseq.record_results($1, $2::textseq.message_status[],"
						  " $3, $4, $5, $6)", 6, types, args, NULL, false, 0);
	SPI_finish();
	note_errors(b, slot);
}

/* Complete deferred results and enrollment moves whose rows are free now (transaction open). */
void
ts_apply_deferred(void)
{
	SPI_connect();
	SPI_execute("SELECT textseq._apply_deferred()", false, 0);
	SPI_finish();
}
