/*-------------------------------------------------------------------------
 *
 * monitor.c
 *	  textseq._worker_slots(): the shared state of the dispatch workers as
 *	  rows, for the textseq.worker_status view.
 *
 * Copies each slot under the spinlock, then builds tuples outside it.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "shmem.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(textseq_worker_slots);

#define SLOT_COLS 17

/* Sum of a per-second ring over the last minute. */
static int64
ring_sum(const int64 *ring, int64 ring_second, int64 now_s)
{
	int64		sum = 0;

	if (now_s - ring_second >= 60)
		return 0;
	for (int64 s = now_s - 59; s <= now_s; s++)
		if (s <= ring_second && s > ring_second - 60)
			sum += ring[s % 60];
	return sum;
}

/* NULL for a zero timestamp. */
static void
put_ts(Datum *v, bool *n, int i, TimestampTz t)
{
	n[i] = (t == 0);
	v[i] = TimestampTzGetDatum(t);
}

/* One row of the view from a copied slot. */
static void
slot_row(TsWorkerSlot *s, TsWorkerSlot *live, Datum *v, bool *n)
{
	int64		now_s = GetCurrentTimestamp() / USECS_PER_SEC;

	memset(n, 0, sizeof(bool) * SLOT_COLS);
	v[0] = CStringGetDatum(s->dbname);
	v[0] = DirectFunctionCall1(namein, v[0]);
	n[1] = s->pid == 0;
	v[1] = Int32GetDatum(s->pid);
	v[2] = CStringGetTextDatum(ts_state_name(s->state));
	put_ts(v, n, 3, s->started_at);
	put_ts(v, n, 4, s->next_wake_at);
	v[5] = Int32GetDatum(s->in_flight);
	v[6] = Int64GetDatum((int64) pg_atomic_read_u64(&live->sent_total));
	v[7] = Int64GetDatum((int64) pg_atomic_read_u64(&live->errors_total));
	v[8] = Int64GetDatum((int64) pg_atomic_read_u64(&live->batches_total));
	v[9] = Int64GetDatum((int64) pg_atomic_read_u64(&live->wakeups_total));
	v[10] = Int64GetDatum(ring_sum(s->minute_sent, s->ring_second, now_s));
	v[11] = Int64GetDatum(ring_sum(s->minute_errors, s->ring_second, now_s));
	n[12] = s->last_error[0] == '\0';
	v[12] = CStringGetTextDatum(s->last_error);
	put_ts(v, n, 13, s->last_error_at);
	n[14] = n[15] = n[16] = n[12];
	v[14] = Float8GetDatum(s->last_t_connect);
	v[15] = Float8GetDatum(s->last_t_start);
	v[16] = Float8GetDatum(s->last_t_total);
}

/* SQL: textseq._worker_slots() */
Datum
textseq_worker_slots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	if (ts_shared == NULL)
		return (Datum) 0;
	for (int i = 0; i < TS_MAX_DATABASES; i++)
	{
		TsWorkerSlot copy;
		Datum		values[SLOT_COLS];
		bool		nulls[SLOT_COLS];

		SpinLockAcquire(&ts_shared->mutex);
		memcpy(&copy, &ts_shared->slots[i], offsetof(TsWorkerSlot, sent_total));
		SpinLockRelease(&ts_shared->mutex);
		if (!copy.in_use)
			continue;
		slot_row(&copy, &ts_shared->slots[i], values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
