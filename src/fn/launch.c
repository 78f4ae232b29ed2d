/*-------------------------------------------------------------------------
 *
 * launch.c
 *	  textseq._snapshot_members(): a launch's lead set, read with the
 *	  caller's privileges, written as the bulk's members.
 *
 * textseq.launch() is SECURITY DEFINER (users may not write bulks,
 * members, enrollments or messages), yet the leads a launch reaches must be
 * the ones its caller may see: row-level security on the lead table (a
 * mapped CRM table, SPEC 11) must apply.  A definer function that took lead
 * ids from an invoker wrapper would let anyone pass any ids, so instead the
 * lead-set query itself runs here under the caller's user id -- the role
 * textseq._caller() reports -- and only the member inserts run as the
 * owner.  Every list is a smartlist query (launch turns a bulk import and
 * a relaunch into one), so the query language's compiler is the one place
 * that knows the lead relation.  The switch is a local user id change (as
 * REFRESH MATERIALIZED VIEW does), so nothing run as the caller can SET
 * ROLE its way back.
 * Must not: run anything but the fixed query below as the caller, nor be
 * granted to anyone (only definer functions call it).
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"

PG_FUNCTION_INFO_V1(textseq_launch_snapshot);

/*
 * The lead set: the leads of a smartlist query ($1) in id order.  Duplicates
 * (a lead relation whose key is not unique) are dropped while fetching: a
 * DISTINCT here hashed a million ids for three times the cost of the sort.
 */
#define LEAD_SET_SQL \
	"SELECT x.id FROM textseq.smartlist_leads($1) AS x(id) WHERE x.id IS NOT NULL ORDER BY 1"

/* Open the lead-set cursor (portal NULL), or fetch a chunk from it, as the caller (the session's role). */
static Portal
as_caller(Portal portal, Datum query, int chunk)
{
	Oid			saved_user;
	int			saved_sec;
	Oid			argtype = TEXTOID;
	volatile Portal result = portal;

	GetUserIdAndSecContext(&saved_user, &saved_sec);
	SetUserIdAndSecContext(GetOuterUserId(), saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		if (result == NULL)
			result = SPI_cursor_open_with_args(NULL, LEAD_SET_SQL, 1, &argtype, &query, NULL, false, 0);
		else
			SPI_cursor_fetch(result, true, chunk);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(saved_user, saved_sec);
	}
	PG_END_TRY();
	return result;
}

/*
 * The ids of the last fetch as a bigint[], without the ones equal to the id
 * before (the fetch is in id order; *last carries over between fetches);
 * NULL when all were duplicates.  NULL ids were filtered by the query.
 */
static ArrayType *
fetched_ids(int64 *last, bool *have_last, int *count)
{
	uint64		n = SPI_processed;
	Datum	   *ids = palloc(sizeof(Datum) * n);
	int			k = 0;

	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));

		if (*have_last && id == *last)
			continue;
		ids[k++] = Int64GetDatum(id);
		*last = id;
		*have_last = true;
	}
	*count = k;
	if (k == 0)
		return NULL;
	return construct_array(ids, k, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * SQL: textseq._snapshot_members(bulk bigint, query text, chunk int) -> bigint.
 * Stores the leads of the query in textseq.bulk_chunk, chunk ids a row
 * (numbered from 1; a chunk may be short by the duplicates dropped);
 * returns how many members.
 */
Datum
textseq_launch_snapshot(PG_FUNCTION_ARGS)
{
	int64		bulk = PG_GETARG_INT64(0);
	Datum		query = PG_GETARG_DATUM(1);
	int			chunk = PG_GETARG_INT32(2);
	Oid			instypes[3] = {INT8OID, INT4OID, INT8ARRAYOID};
	SPIPlanPtr	ins;
	Portal		portal;
	int64		total = 0;
	int32		n_chunks = 0;
	int64		last = 0;
	bool		have_last = false;

	if (chunk < 1)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("chunk size %d is out of range", chunk)));
	SPI_connect();
	ins = SPI_prepare("INSERT INTO textseq.bulk_chunk (bulk_id, chunk, lead_ids) VALUES ($1, $2, $3)",
					  3, instypes);
	if (ins == NULL)
		elog(ERROR, "textseq: could not prepare the member insert: %s", SPI_result_code_string(SPI_result));
	portal = as_caller(NULL, query, chunk);
	for (;;)
	{
		Datum		values[3];
		ArrayType  *ids;
		int			count;

		CHECK_FOR_INTERRUPTS();
		(void) as_caller(portal, query, chunk);
		if (SPI_processed == 0)
			break;
		ids = fetched_ids(&last, &have_last, &count);
		SPI_freetuptable(SPI_tuptable);
		if (ids == NULL)
			continue;
		values[0] = Int64GetDatum(bulk);
		values[1] = Int32GetDatum(++n_chunks);
		values[2] = PointerGetDatum(ids);
		total += count;
		if (SPI_execute_plan(ins, values, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "textseq: the member insert failed");
		pfree(DatumGetPointer(values[2]));
	}
	SPI_cursor_close(portal);
	SPI_finish();
	PG_RETURN_INT64(total);
}
