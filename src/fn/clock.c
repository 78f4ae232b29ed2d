/*-------------------------------------------------------------------------
 *
 * clock.c
 *	  textseq.now(): the clock every scheduling rule reads.
 *
 * Production reads the transaction start time.  Tests pin the clock with
 * the superuser-only setting textseq.test_now instead of sleeping.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(textseq_clock_now);

/* The current time as textseq sees it. */
TimestampTz
textseq_now(void)
{
	if (textseq_test_now != NULL && textseq_test_now[0] != '\0')
		return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
													   CStringGetDatum(textseq_test_now),
													   ObjectIdGetDatum(InvalidOid),
													   Int32GetDatum(-1)));
	return GetCurrentTransactionStartTimestamp();
}

/* SQL: textseq.now() */
Datum
textseq_clock_now(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(textseq_now());
}
