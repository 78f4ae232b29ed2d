/*-------------------------------------------------------------------------
 *
 * send.c
 *	  Step 2 of a dispatch round: hand a claimed batch to the provider
 *	  layer with no transaction open, and show it as in flight.
 *
 * Must not: open a transaction or snapshot, or resend anything itself (a
 * message whose fate is unknown becomes maybe_sent and is reconciled).
 * A reconciliation set started before runs in the same loop.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "access/xact.h"
#include "miscadmin.h"

/*
 * Polled by the transport at least every 50 ms: SIGTERM (pg_terminate_backend,
 * a server shutdown) ends a batch or a reconciliation at once, even while the
 * interrupt is held off or SIGTERM deferred (worker.c) so that the outcomes
 * are recorded before we exit.
 */
volatile sig_atomic_t ts_sigterm_deferred = false;

bool
ts_shutdown_pending(void)
{
	return ProcDiePending || ts_sigterm_deferred;
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
	ts_http_send_batch(http, batch->sends, batch->n, &cfg, ts_shutdown_pending);
	SpinLockAcquire(&ts_shared->mutex);
	slot->in_flight = 0;
	SpinLockRelease(&ts_shared->mutex);
}
