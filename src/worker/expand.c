/*-------------------------------------------------------------------------
 *
 * expand.c
 *	  The worker's expansion step: one chunk of a bulk launch's members
 *	  turned into enrollments and first messages, in a transaction of its
 *	  own (textseq._expand_bulks, src/sql/85_launch.sql).
 *
 * A launch only snapshots its members, in chunks of textseq.expand_chunk;
 * the worker expands them here, one chunk per call, so a million-lead launch
 * never holds one giant transaction and its progress is visible as it goes.
 * The chunk and the bulk's cursor commit together: a worker killed in the
 * middle redoes that chunk after its restart.  Must not: expand more than
 * one chunk per call (the loop calls it once per round, so sending is
 * never starved), or run inside another step's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "executor/spi.h"
#include "utils/backend_status.h"

/* Expand one chunk (a transaction of its own); true when there was bulk work. */
bool
ts_expand_step(void)
{
	int			n = 0;

	/* shown in pg_stat_activity while a chunk runs (a crash test aims at it) */
	pgstat_report_activity(STATE_RUNNING, "textseq: expanding a bulk launch");
	if (OidIsValid(ts_xact_begin()))
	{
		SPI_connect();
		if (SPI_execute("SELECT textseq._expand_bulks()", false, 1) == SPI_OK_SELECT && SPI_processed == 1)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			n = isnull ? 0 : DatumGetInt32(d);
		}
		SPI_finish();
	}
	ts_xact_commit();
	pgstat_report_activity(STATE_IDLE, NULL);
	return n > 0;
}
