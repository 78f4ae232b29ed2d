/*-------------------------------------------------------------------------
 *
 * claim.c
 *	  Transaction 1 of a dispatch round: textseq.claim() locks due
 *	  messages, applies the pre-send gate, renders and commits them as
 *	  'sending'; this file turns its rows into the sends of a batch.
 *
 * Must not: send anything or keep the transaction open past the caller's
 * commit (the caller opens and commits).
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

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
	s->message_id = ts_spi_int(tup, 1);
	s->account = ts_find_account(b->accounts, b->n_accounts, (int) ts_spi_int(tup, 2));
	b->sender_ids[i] = (int) ts_spi_int(tup, 4);
	s->to = ts_spi_text(tup, 5);
	s->from = ts_spi_text(tup, 6);
	s->messaging_service_sid = ts_spi_text(tup, 7);
	s->body = ts_spi_text(tup, 8);
	spi_media(tup, 9, s);
	b->attempts[i] = (int) ts_spi_int(tup, 11);
	s->idempotency_key = ts_spi_text(tup, 13);
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
