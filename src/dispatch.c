/*-------------------------------------------------------------------------
 *
 * dispatch.c
 *	  The three transactions around every send: claim (commit as
 *	  'sending'), send with no transaction open, record the outcomes in one
 *	  batched transaction.
 *
 * Must not: hold a transaction or snapshot across network I/O; put any
 * process-local pointer in shared memory; resend anything itself (a
 * message whose fate is unknown becomes maybe_sent and is reconciled).
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#define TWILIO_DEFAULT_URL "https://api.twilio.com"
#define TELNYX_DEFAULT_URL "https://api.telnyx.com"

/* Settings for the HTTP layer, read fresh each round (SIGHUP may change them). */
TsHttpConfig
ts_http_config(void)
{
	TsHttpConfig cfg;

	cfg.max_in_flight = textseq_max_in_flight;
	cfg.connect_timeout_ms = textseq_connect_timeout_ms;
	cfg.request_timeout_ms = textseq_request_timeout_ms;
	cfg.max_response_bytes = 256 * 1024;
	return cfg;
}

/* Column c of the current SPI row as a palloc'd C string, or NULL. */
static char *
spi_text(HeapTuple tup, int c)
{
	return SPI_getvalue(tup, SPI_tuptable->tupdesc, c);
}

/* Column c of the current SPI row as an int64 (0 when NULL). */
static int64
spi_int(HeapTuple tup, int c)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, c, &isnull);
	Oid			t = SPI_gettypeid(SPI_tuptable->tupdesc, c);

	if (isnull)
		return 0;
	return t == INT8OID ? DatumGetInt64(d) : DatumGetInt32(d);
}

/* Accounts not paused, with their secrets (inside a transaction, SPI connected). */
TsAccount *
ts_load_accounts(int *n)
{
	TsAccount  *accounts;
	MemoryContext old;

	SPI_execute("SELECT a.id, a.provider, a.base_url, a.account_sid, s.secret,"
				" a.status_callback_url"
				" FROM textseq.account a"
				" LEFT JOIN textseq.account_secret s ON s.account_id = a.id"
				" WHERE NOT a.paused ORDER BY a.id", true, 0);
	old = MemoryContextSwitchTo(ts_batch_cxt);
	*n = (int) SPI_processed;
	accounts = palloc0(sizeof(TsAccount) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TsAccount  *a = &accounts[i];

		a->id = (int) spi_int(tup, 1);
		strlcpy(a->provider, spi_text(tup, 2), sizeof(a->provider));
		a->base_url = spi_text(tup, 3);
		if (a->base_url == NULL)
			a->base_url = pstrdup(strcmp(a->provider, "telnyx") == 0 ?
								  TELNYX_DEFAULT_URL : TWILIO_DEFAULT_URL);
		a->account_sid = spi_text(tup, 4);
		a->secret = spi_text(tup, 5);
		a->status_callback_url = spi_text(tup, 6);
	}
	MemoryContextSwitchTo(old);
	return accounts;
}

/* The loaded account with this id, or NULL. */
const TsAccount *
ts_find_account(TsAccount *accounts, int n, int id)
{
	for (int i = 0; i < n; i++)
		if (accounts[i].id == id)
			return &accounts[i];
	return NULL;
}

/* Media URLs of a claimed row (a text[] column) as a C array. */
static void
spi_media(HeapTuple tup, int c, TsSend *s)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, c, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	const char **urls;

	s->n_media = 0;
	s->media_urls = NULL;
	if (isnull)
		return;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	urls = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			urls[s->n_media++] = TextDatumGetCString(elems[i]);
	s->media_urls = urls;
}

/* Fill one send from a claimed row. */
static void
fill_send(TsBatch *b, int i, HeapTuple tup, TimestampTz now)
{
	TsSend	   *s = &b->sends[i];
	bool		isnull;
	TimestampTz expires;
	int64		left;

	memset(s, 0, sizeof(*s));
	s->message_id = spi_int(tup, 1);
	s->account = ts_find_account(b->accounts, b->n_accounts, (int) spi_int(tup, 2));
	b->sender_ids[i] = (int) spi_int(tup, 4);
	s->to = spi_text(tup, 5);
	s->from = spi_text(tup, 6);
	s->messaging_service_sid = spi_text(tup, 7);
	s->body = spi_text(tup, 8);
	spi_media(tup, 9, s);
	b->attempts[i] = (int) spi_int(tup, 11);
	s->idempotency_key = spi_text(tup, 13);
	/* send_by: the earlier of its expiry and the close of its send window */
	expires = DatumGetTimestampTz(SPI_getbinval(tup, SPI_tuptable->tupdesc, 14, &isnull));
	left = isnull ? 36000 : (expires - now) / USECS_PER_SEC;
	s->validity_period = (int) Max(1, Min(36000, left));
}

/*
 * Transaction 1: claim up to batch_size due messages (commit as 'sending').
 * Returns NULL when the extension is absent or nothing was claimed.
 */
TsBatch *
ts_dispatch_claim(int batch_size, const char *budgets_json)
{
	TsBatch    *b = MemoryContextAllocZero(ts_batch_cxt, sizeof(TsBatch));
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	Datum		args[2];
	char		nulls[2] = {' ', budgets_json ? ' ' : 'n'};
	TimestampTz now = GetCurrentTimestamp();
	MemoryContext old;

	args[0] = Int32GetDatum(batch_size);
	args[1] = budgets_json ? CStringGetTextDatum(budgets_json) : (Datum) 0;
	SPI_connect();
	b->accounts = ts_load_accounts(&b->n_accounts);
	SPI_execute_with_args("SELECT * FROM textseq.claim($1, $2::jsonb)", 2, argtypes, args,
						  nulls, false, 0);
	old = MemoryContextSwitchTo(ts_batch_cxt);
	b->n = (int) SPI_processed;
	b->sends = palloc0(sizeof(TsSend) * Max(b->n, 1));
	b->sender_ids = palloc0(sizeof(int) * Max(b->n, 1));
	b->attempts = palloc0(sizeof(int) * Max(b->n, 1));
	for (int i = 0; i < b->n; i++)
		fill_send(b, i, SPI_tuptable->vals[i], now);
	MemoryContextSwitchTo(old);
	SPI_finish();
	return b;
}

/* Send a claimed batch.  No transaction is open here. */
void
ts_dispatch_send(TsHttp *http, TsBatch *batch, TsWorkerSlot *slot)
{
	TsHttpConfig cfg = ts_http_config();

	Assert(!IsTransactionState());
	SpinLockAcquire(&ts_shared->mutex);
	slot->in_flight = batch->n;
	SpinLockRelease(&ts_shared->mutex);
	ts_http_send_batch(http, batch->sends, batch->n, &cfg, NULL);
	SpinLockAcquire(&ts_shared->mutex);
	slot->in_flight = 0;
	SpinLockRelease(&ts_shared->mutex);
}
