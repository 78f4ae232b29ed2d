/*-------------------------------------------------------------------------
 *
 * send.c
 *	  Step 2 of a dispatch round: hand a claimed batch to the provider
 *	  layer with no transaction open, and show it as in flight.
 *
 * Must not: open a transaction or snapshot, or resend anything itself (a
 * message whose fate is unknown becomes maybe_sent and is reconciled).
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "access/xact.h"

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
