/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The dispatch worker of one database: its main loop, error recovery
 *	  and sleep.
 *
 * Each round: claim (transaction) -> send (no transaction) -> record
 * (transaction).  Reconciliation of maybe_sent messages runs beside it: a
 * set is loaded in the claim's transaction and asked on the same HTTP loop
 * as the sends, or alone in short slices while nothing is due; what it
 * decides is written in a transaction of its own at the start of a round.
 * When nothing is due and nothing is being reconciled: sweep, and sleep
 * until the earliest due time (capped by textseq.max_sleep) or until a
 * commit of due work sets our latch.  SIGTERM ends a send batch or a
 * reconciliation at once (what is known is recorded first).  Errors (a bad
 * row, a dropped extension, DROP/TRUNCATE racing a batch) are reported and
 * the loop goes on after a short pause: the worker idles, it does not
 * crash-loop.
 *
 * Only one worker serves a database: a session lock of textseq's own
 * (fn/locks.c: no login can take it with pg_advisory_lock) guards it, so
 * crash recovery ('sending' -> 'maybe_sent') can never touch the rows of a
 * live worker.  Every lock wait of the worker is bounded by lock_timeout,
 * set from textseq.lock_timeout: work blocked by a lock someone holds is
 * deferred or retried, never waited on indefinitely.
 *
 * Bulk launches are expanded one chunk per round (expand.c), after the
 * sends of the round, so a million-lead launch never starves sending.
 *
 * Calls down into claim.c, send.c, record.c, reconcile.c, expand.c and xact.c; none of
 * them calls back up into this file.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include <setjmp.h>

#include "access/xact.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "storage/lmgr.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#define TS_SWEEP_INTERVAL_SECS 60
#define TS_DEFERRED_INTERVAL_SECS 1
#define TS_ERROR_PAUSE_MS 1000
#define TS_RECONCILE_SLICE_MS 250	/* idle queue: lookups alone this long, then look again */

static TsWorkerSlot *my_slot = NULL;
static TsHttp *http = NULL;
static TsBatch *unrecorded = NULL;	/* sent but not yet recorded (retry first) */
static MemoryContext unrecorded_cxt = NULL;
static Oid	recovered_ext = InvalidOid; /* extension instance already recovered */
static TimestampTz last_sweep = 0;
static TimestampTz last_deferred = 0;

/* on_shmem_exit: free our slot for the launcher. */
static void
worker_exit(int code, Datum arg)
{
	SpinLockAcquire(&ts_shared->mutex);
	my_slot->pid = 0;
	my_slot->latch = NULL;
	my_slot->state = TS_STATE_STOPPED;
	my_slot->in_flight = 0;
	my_slot->last_exit_at = GetCurrentTimestamp();
	SpinLockRelease(&ts_shared->mutex);
	if (http)
		ts_http_destroy(http);
	http = NULL;
}

/* Take the one-worker-per-database lock (held for the session); false if another worker has it. */
static bool
take_singleton_lock(void)
{
	bool		got;

	ts_xact_begin();
	got = ts_lock_acquire(TS_LOCK_WORKER, 0, true, true);
	ts_xact_commit();
	return got;
}

/* Session settings of the worker, again after every reload. */
static void
apply_session_settings(void)
{
	char		buf[32];

	/*
	 * The claim and record statements have large estimated costs but run in
	 * milliseconds; compiling them with LLVM took a fifth of the worker's CPU.
	 */
	SetConfigOption("jit", "off", PGC_USERSET, PGC_S_SESSION);
	/* no lock anyone holds may stall the worker: every wait is bounded */
	snprintf(buf, sizeof(buf), "%d", textseq_lock_timeout_ms);
	SetConfigOption("lock_timeout", buf, PGC_USERSET, PGC_S_SESSION);
}

/*
 * SIGTERM while a batch's outcomes are unrecorded: remember it, act on it
 * once they are recorded.  (Holding interrupts instead would also hold off
 * lock_timeout, and the record step's waits must stay bounded.)
 */
static void
sigterm_deferred_handler(SIGNAL_ARGS)
{
	int			save_errno = errno;

	ts_sigterm_deferred = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* From now on a SIGTERM waits until sigterm_defer_end(). */
static void
sigterm_defer_begin(void)
{
	pqsignal(SIGTERM, sigterm_deferred_handler);
}

/* Back to die() for SIGTERM; act on one that came meanwhile. */
static void
sigterm_defer_end(void)
{
	pqsignal(SIGTERM, die);
	if (ts_sigterm_deferred)
	{
		ts_sigterm_deferred = false;
		kill(MyProcPid, SIGTERM);
	}
}

/* Record a batch that was sent; on success forget it. */
static void
record_batch(TsBatch *b)
{
	ts_slot_set_state(my_slot, TS_STATE_RECORDING);
	if (OidIsValid(ts_xact_begin()))
		ts_dispatch_record(b, my_slot);
	else
		ereport(WARNING,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("textseq was dropped while %d messages were in flight; their outcomes are lost",
						b->n)));
	ts_xact_commit();
	unrecorded = NULL;
	MemoryContextReset(unrecorded_cxt);
}

/*
 * Claim a batch (transaction 1).  Returns NULL when idle for a reason
 * (extension absent, disabled); sets *idle_state then.
 */
static TsBatch *
claim_batch(TsWorkerState *idle_state)
{
	TsBatch    *b = NULL;
	Oid			ext;

	ts_slot_set_state(my_slot, TS_STATE_CLAIMING);
	ext = ts_xact_begin();
	if (!OidIsValid(ext))
		*idle_state = TS_STATE_IDLE_NO_EXTENSION;
	else if (!textseq_enabled)
		*idle_state = TS_STATE_IDLE_DISABLED;
	else
	{
		if (ext != recovered_ext)
		{
			int			n = ts_recover_in_flight();

			if (n > 0)
				ereport(LOG,
						(errmsg("textseq worker found %d messages left in flight; they will be reconciled", n)));
			recovered_ext = ext;
		}
		ts_rate_refresh();
		b = ts_dispatch_claim(textseq_batch_size, ts_rate_budgets_json(textseq_batch_size));
		ts_rate_consume(b);
		(void) ts_reconcile_load(b->n == 0);
	}
	ts_xact_commit();
	if (b == NULL)
		ts_reconcile_forget(http);	/* idle for a reason: nothing to reconcile either */
	else
		ts_reconcile_start(http);
	return b;
}

/* Write what reconciliation has decided (a transaction of its own). */
static void
write_reconciled(void)
{
	if (!ts_reconcile_due_write())
		return;
	ts_slot_set_state(my_slot, TS_STATE_RECONCILING);
	if (OidIsValid(ts_xact_begin()))
		ts_reconcile_write(http);
	else
		ts_reconcile_forget(http);
	ts_xact_commit();
}

/* How long to sleep when no batch was claimed. */
static long
sleep_ms_after_idle_round(void)
{
	TimestampTz now;
	TimestampTz due;
	long		ms = textseq_max_sleep_ms;

	due = OidIsValid(ts_xact_begin()) ? ts_next_due() : 0;
	ts_xact_commit();
	now = GetCurrentTimestamp();
	if (due != 0)
	{
		if (due <= now)				/* due but not claimable: rate limits */
			ms = ts_rate_ms_until_token();
		else
			ms = Min(ms, (long) ((due - now + 999) / 1000));
	}
	return Max(ms, 1);
}

/* The periodic sweep (at most once a minute) and deferred work (once a second), idle or busy. */
static void
sweep_chore(void)
{
	TimestampTz now = GetCurrentTimestamp();

	/* enrollment moves and results that waited for a row another session held */
	if (now - last_deferred >= TS_DEFERRED_INTERVAL_SECS * USECS_PER_SEC)
	{
		if (OidIsValid(ts_xact_begin()))
			ts_apply_deferred();
		ts_xact_commit();
		last_deferred = now;
	}
	if (now - last_sweep >= TS_SWEEP_INTERVAL_SECS * USECS_PER_SEC)
	{
		if (OidIsValid(ts_xact_begin()))
			ts_sweep();
		ts_xact_commit();
		last_sweep = now;
	}
}

/* Sleep on the latch; publish when we will look again so commits know to wake us. */
static void
sleep_for(long ms, TsWorkerState state)
{
	SpinLockAcquire(&ts_shared->mutex);
	my_slot->state = state;
	my_slot->next_wake_at = GetCurrentTimestamp() + (int64) ms * 1000;
	SpinLockRelease(&ts_shared->mutex);
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms,
					 PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	SpinLockAcquire(&ts_shared->mutex);
	my_slot->next_wake_at = 0;	/* busy: any commit of due work wakes us again */
	SpinLockRelease(&ts_shared->mutex);
}

/* One round of the loop. */
static void
worker_round(void)
{
	TsWorkerState idle = TS_STATE_SLEEPING;
	TsBatch    *b;
	MemoryContext swap;

	/* from here on a set latch means new work since this round looked */
	ResetLatch(MyLatch);
	MemoryContextReset(ts_batch_cxt);
	if (unrecorded)
	{
		sigterm_defer_begin();
		record_batch(unrecorded);
		sigterm_defer_end();
	}
	write_reconciled();
	b = claim_batch(&idle);
	if (b == NULL)
	{
		sleep_for(textseq_max_sleep_ms, idle);
		return;
	}
	if (b->n == 0)
	{
		if (ts_reconcile_busy())
		{
			ts_reconcile_run(http, TS_RECONCILE_SLICE_MS, my_slot);
			return;
		}
		sweep_chore();
		/* a bulk launch being expanded: one chunk, then look again at once */
		if (ts_expand_step())
			return;
		sleep_for(sleep_ms_after_idle_round(), TS_STATE_SLEEPING);
		return;
	}
	ts_slot_set_state(my_slot, TS_STATE_SENDING);
	/*
	 * A SIGTERM now must not throw away outcomes: the send stops at once
	 * (ts_shutdown_pending), and what is known is recorded before we exit.
	 * It is deferred rather than held off, so that lock_timeout can still
	 * end a wait of the record step.
	 */
	sigterm_defer_begin();
	HOLD_INTERRUPTS();
	ts_dispatch_send(http, b, my_slot);
	RESUME_INTERRUPTS();
	/* keep the outcomes until they are recorded, even across an error */
	unrecorded = b;
	swap = unrecorded_cxt;
	unrecorded_cxt = ts_batch_cxt;
	ts_batch_cxt = swap;
	record_batch(b);
	sigterm_defer_end();
	CHECK_FOR_INTERRUPTS();
	pg_atomic_fetch_add_u64(&my_slot->batches_total, 1);
	/* a queue that never empties must not starve the sweep, nor bulk expansion */
	sweep_chore();
	(void) ts_expand_step();
}

/* After an error: clean up like the server's own auxiliary processes do. */
static void
recover_from_error(void)
{
	ErrorData  *edata;

	HOLD_INTERRUPTS();
	error_context_stack = NULL;
	sigterm_defer_end();		/* a deferred SIGTERM ends the worker now (after this cleanup) */
	EmitErrorReport();
	MemoryContextSwitchTo(TopMemoryContext);
	edata = CopyErrorData();
	ts_slot_error(my_slot, edata->message ? edata->message : "unknown error", 0, 0, 0);
	FreeErrorData(edata);
	AbortOutOfAnyTransaction();
	MemoryContextSwitchTo(TopMemoryContext);
	FlushErrorState();
	/* transfers of an interrupted batch may still be attached: start clean */
	ts_reconcile_forget(http);
	ts_http_destroy(http);
	http = ts_http_create();
	InterruptHoldoffCount = 1;	/* drop any holdoff left by the failed round; released next */
	RESUME_INTERRUPTS();
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 TS_ERROR_PAUSE_MS, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
}

/* Publish our slot: pid, latch, database. */
static void
attach_slot(int idx)
{
	my_slot = &ts_shared->slots[idx];
	SpinLockAcquire(&ts_shared->mutex);
	my_slot->pid = MyProcPid;
	my_slot->latch = MyLatch;
	my_slot->dboid = MyDatabaseId;
	my_slot->state = TS_STATE_STARTING;
	my_slot->started_at = GetCurrentTimestamp();
	my_slot->next_wake_at = 0;
	SpinLockRelease(&ts_shared->mutex);
	before_shmem_exit(worker_exit, (Datum) 0);
}

/* Dispatch worker entry point; main_arg is the slot index. */
void
textseq_worker_main(Datum arg)
{
	int			idx = DatumGetInt32(arg);
	char		dbname[NAMEDATALEN];
	sigjmp_buf	local_sigjmp_buf;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	SpinLockAcquire(&ts_shared->mutex);
	strlcpy(dbname, ts_shared->slots[idx].dbname, NAMEDATALEN);
	SpinLockRelease(&ts_shared->mutex);
	BackgroundWorkerInitializeConnection(dbname, textseq_worker_role, 0);
	pgstat_report_appname("textseq worker");
	apply_session_settings();
	if (!take_singleton_lock())
	{
		ereport(LOG, (errmsg("another textseq worker already serves database \"%s\"", dbname)));
		proc_exit(0);
	}
	attach_slot(idx);
	ts_batch_cxt = AllocSetContextCreate(TopMemoryContext, "textseq batch", ALLOCSET_DEFAULT_SIZES);
	unrecorded_cxt = AllocSetContextCreate(TopMemoryContext, "textseq unrecorded", ALLOCSET_DEFAULT_SIZES);
	http = ts_http_create();

	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
		recover_from_error();
	PG_exception_stack = &local_sigjmp_buf;

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			apply_session_settings();
		}
		worker_round();
	}
}
