/*-------------------------------------------------------------------------
 *
 * ratelimit.c
 *	  Token buckets per sender and per account (messages per second), kept
 *	  in the worker process.  The claim takes no more messages per sender
 *	  and per account than their buckets hold, so claimed rows never sit in
 *	  'sending' waiting for a token.
 *
 * Process-local state only; a restarted worker starts with full buckets.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

typedef struct Bucket
{
	int			key;			/* sender id, or -account id */
	int			account_key;	/* for senders: -account id */
	double		rate;			/* tokens per second */
	double		tokens;
	TimestampTz refilled_at;
	bool		seen;			/* still configured at the last refresh */
} Bucket;

static HTAB *buckets = NULL;

/* The bucket table, created on first use in TopMemoryContext. */
static HTAB *
bucket_table(void)
{
	HASHCTL		ctl;

	if (buckets)
		return buckets;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int);
	ctl.entrysize = sizeof(Bucket);
	ctl.hcxt = TopMemoryContext;
	buckets = hash_create("textseq rate buckets", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return buckets;
}

/* Refill a bucket for the time elapsed; capacity is one second of rate (at least 1). */
static void
refill(Bucket *b, TimestampTz now)
{
	double		cap = Max(b->rate, 1.0);
	double		secs = (double) (now - b->refilled_at) / USECS_PER_SEC;

	if (secs > 0)
		b->tokens = Min(cap, b->tokens + secs * b->rate);
	b->refilled_at = now;
}

/* Create or update one bucket from the configured rate. */
static void
upsert(int key, int account_key, double rate, TimestampTz now)
{
	bool		found;
	Bucket	   *b = hash_search(bucket_table(), &key, HASH_ENTER, &found);

	if (!found)
	{
		b->tokens = Max(rate, 1.0);
		b->refilled_at = now;
	}
	b->rate = rate;
	b->account_key = account_key;
	b->seen = true;
	refill(b, now);
}

/* Reload rates of senders and accounts (transaction open; connects SPI itself). */
void
ts_rate_refresh(void)
{
	TimestampTz now = GetCurrentTimestamp();
	HASH_SEQ_STATUS seq;
	Bucket	   *b;

	hash_seq_init(&seq, bucket_table());
	while ((b = hash_seq_search(&seq)) != NULL)
		b->seen = false;
	SPI_connect();
	SPI_execute("SELECT -a.id, 0, a.messages_per_second::float8 FROM textseq.account a"
				" UNION ALL SELECT s.id, -s.account_id, s.messages_per_second::float8"
				" FROM textseq.sender s WHERE s.active", true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		n1,
					n2,
					n3;
		int			key = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &n1));
		int			acct = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &n2));
		double		rate = DatumGetFloat8(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &n3));

		upsert(key, acct, rate, now);
	}
	SPI_finish();
	hash_seq_init(&seq, bucket_table());
	while ((b = hash_seq_search(&seq)) != NULL)
		if (!b->seen)
			hash_search(bucket_table(), &b->key, HASH_REMOVE, NULL);
}

/* {"s": {"<sender id>": n, ...}, "a": {"<account id>": n, ...}} for the claim. */
char *
ts_rate_budgets_json(int batch_size)
{
	StringInfoData s;
	StringInfoData a;
	HASH_SEQ_STATUS seq;
	Bucket	   *b;

	initStringInfo(&s);
	initStringInfo(&a);
	hash_seq_init(&seq, bucket_table());
	while ((b = hash_seq_search(&seq)) != NULL)
	{
		StringInfo	out = b->key < 0 ? &a : &s;
		int			n = (int) Min((double) batch_size, b->tokens);

		appendStringInfo(out, "%s\"%d\":%d", out->len ? "," : "", abs(b->key), Max(n, 0));
	}
	return psprintf("{\"s\":{%s},\"a\":{%s}}", s.data, a.data);
}

/* Take one token per claimed message from its sender's and its account's bucket. */
void
ts_rate_consume(TsBatch *batch)
{
	for (int i = 0; i < batch->n; i++)
	{
		int			key = batch->sender_ids[i];
		Bucket	   *b = hash_search(bucket_table(), &key, HASH_FIND, NULL);

		if (b == NULL)
			continue;
		b->tokens -= 1.0;
		key = b->account_key;
		b = hash_search(bucket_table(), &key, HASH_FIND, NULL);
		if (b)
			b->tokens -= 1.0;
	}
}

/* Milliseconds until the emptiest-but-refilling bucket holds a whole token again. */
long
ts_rate_ms_until_token(void)
{
	HASH_SEQ_STATUS seq;
	Bucket	   *b;
	double		best = -1.0;

	hash_seq_init(&seq, bucket_table());
	while ((b = hash_seq_search(&seq)) != NULL)
		if (b->tokens < 1.0 && b->rate > 0)
		{
			double		ms = (1.0 - b->tokens) / b->rate * 1000.0;

			best = best < 0 ? ms : Min(best, ms);
		}
	/* no bucket is empty: the round only decided skips, so look again at once */
	return best < 0 ? 1 : (long) Max(best, 1.0);
}
