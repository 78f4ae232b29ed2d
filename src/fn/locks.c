/*-------------------------------------------------------------------------
 *
 * locks.c
 *	  textseq's own heavyweight locks: one dispatch worker per database,
 *	  the claim's per-phone buckets, and the per-provider-id lock that a
 *	  delivery report and the record of its send both take.
 *
 * The tags are advisory lock tags (database, key high, key low, field 4)
 * whose fourth field is TS_LOCK_FIELD4 + the key space.  pg_advisory_lock()
 * and its friends only ever put 1 or 2 there, so no login can take, hold or
 * wait on these locks by key; the SQL entry points are internal (EXECUTE
 * is revoked from PUBLIC and textseq_user, see 90_grants.sql).  Waits go
 * through the lock manager, so lock_timeout bounds them (the worker sets it
 * from textseq.lock_timeout) and the deadlock detector sees them; pg_locks
 * shows them as advisory locks with objsubid 29697-29699.
 *
 * Must not: take a lock a user can name, or wait outside the lock manager.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(textseq_lock_phones);
PG_FUNCTION_INFO_V1(textseq_lock_provider_ids);

/* Field 4 of our tags: the key space added to this (1 and 2 are pg_advisory_*'s). */
#define TS_LOCK_FIELD4	0x7400
/* The claim hashes phones into this many buckets: a batch needs at most this many locks. */
#define TS_PHONE_BUCKETS 4096

/* A key to lock and where it came from in the caller's array. */
typedef struct KeyAt
{
	uint64		key;
	int			index;
} KeyAt;

/* Our lock tag for a key in a key space. */
static void
ts_lock_tag(LOCKTAG *tag, TsLockSpace space, uint64 key)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) (key >> 32), (uint32) key,
						 TS_LOCK_FIELD4 + (uint16) space);
}

/*
 * Take one of our locks in ExclusiveLock mode, for the session or the
 * transaction.  With dont_wait, false when another backend holds it;
 * otherwise waits (bounded by lock_timeout) and returns true.
 */
bool
ts_lock_acquire(TsLockSpace space, uint64 key, bool session, bool dont_wait)
{
	LOCKTAG		tag;

	ts_lock_tag(&tag, space, key);
	return LockAcquire(&tag, ExclusiveLock, session, dont_wait) != LOCKACQUIRE_NOT_AVAIL;
}

/* qsort order of keys (then position, so equal keys keep their first). */
static int
key_cmp(const void *a, const void *b)
{
	const KeyAt *x = a;
	const KeyAt *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->index - y->index;
}

/*
 * The keys of a text[] argument, sorted and without repeats; NULL elements
 * are left out.  buckets > 0 hashes into that many buckets (32-bit hash),
 * otherwise the key is the 64-bit hash of the text.
 */
static KeyAt *
sorted_keys(ArrayType *arr, int buckets, int *nkeys)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			k = 0;
	KeyAt	   *keys;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	keys = palloc(sizeof(KeyAt) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		text	   *t;

		if (nulls[i])
			continue;
		t = DatumGetTextPP(elems[i]);
		keys[k].key = buckets > 0
			? (uint64) (hash_any((unsigned char *) VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)) % buckets)
			: DatumGetUInt64(hash_any_extended((unsigned char *) VARDATA_ANY(t),
											   VARSIZE_ANY_EXHDR(t), 0));
		keys[k++].index = i;
	}
	qsort(keys, k, sizeof(KeyAt), key_cmp);
	n = 0;
	for (int i = 0; i < k; i++)
		if (n == 0 || keys[n - 1].key != keys[i].key)
			keys[n++] = keys[i];
	*nkeys = n;
	return keys;
}

/*
 * textseq._lock_phones(phones text[]): the claim's per-phone locks until the
 * end of the transaction, hashed into buckets and taken in bucket order so
 * two claimers cannot deadlock.
 */
Datum
textseq_lock_phones(PG_FUNCTION_ARGS)
{
	int			n;
	KeyAt	   *keys = sorted_keys(PG_GETARG_ARRAYTYPE_P(0), TS_PHONE_BUCKETS, &n);

	for (int i = 0; i < n; i++)
		(void) ts_lock_acquire(TS_LOCK_PHONE, keys[i].key, false, false);
	PG_RETURN_VOID();
}

/*
 * textseq._lock_provider_ids(ids text[]): a lock per provider message id
 * until the end of the transaction, in key order.  The record step takes
 * them for the ids it stores, a delivery report for the id it reports, so
 * the later of two racing transactions sees what the earlier committed.
 */
Datum
textseq_lock_provider_ids(PG_FUNCTION_ARGS)
{
	int			n;
	KeyAt	   *keys = sorted_keys(PG_GETARG_ARRAYTYPE_P(0), 0, &n);

	for (int i = 0; i < n; i++)
		(void) ts_lock_acquire(TS_LOCK_PROVIDER_ID, keys[i].key, false, false);
	PG_RETURN_VOID();
}
