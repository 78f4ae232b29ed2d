/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared state of the launcher and the dispatch workers: allocation,
 *	  slot bookkeeping, waking a worker at commit, and the DROP DATABASE hook.
 *
 * Locking: ts_shared->mutex (spinlock) guards all slot fields except the
 * pg_atomic counters.  Never call anything that can error while holding it.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "shmem.h"

#include <signal.h>

#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_database.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

TsShared   *ts_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static object_access_hook_type prev_object_access_hook = NULL;

/* Backend-local: wake this database's worker when the transaction commits. */
static bool wake_at_commit = false;
static TimestampTz wake_due = 0;	/* earliest due time this transaction queued */
static bool xact_callback_registered = false;

PG_FUNCTION_INFO_V1(textseq_wake_worker);

/* shmem_request_hook: reserve the shared struct. */
static void
ts_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(TsShared)));
}

/* shmem_startup_hook: create or attach the shared struct. */
static void
ts_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ts_shared = ShmemInitStruct("textseq", sizeof(TsShared), &found);
	if (!found)
	{
		memset(ts_shared, 0, sizeof(TsShared));
		SpinLockInit(&ts_shared->mutex);
		for (int i = 0; i < TS_MAX_DATABASES; i++)
		{
			pg_atomic_init_u64(&ts_shared->slots[i].sent_total, 0);
			pg_atomic_init_u64(&ts_shared->slots[i].errors_total, 0);
			pg_atomic_init_u64(&ts_shared->slots[i].batches_total, 0);
			pg_atomic_init_u64(&ts_shared->slots[i].wakeups_total, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/* The slot of the worker serving a database, or NULL. */
TsWorkerSlot *
ts_slot_for_db(Oid dboid)
{
	TsWorkerSlot *found = NULL;

	if (ts_shared == NULL || !OidIsValid(dboid))
		return NULL;
	SpinLockAcquire(&ts_shared->mutex);
	for (int i = 0; i < TS_MAX_DATABASES && found == NULL; i++)
		if (ts_shared->slots[i].in_use && ts_shared->slots[i].dboid == dboid)
			found = &ts_shared->slots[i];
	SpinLockRelease(&ts_shared->mutex);
	return found;
}

/* Publish the worker's state. */
void
ts_slot_set_state(TsWorkerSlot *slot, TsWorkerState state)
{
	SpinLockAcquire(&ts_shared->mutex);
	slot->state = state;
	SpinLockRelease(&ts_shared->mutex);
}

/* Move the per-second ring forward to now, zeroing the seconds skipped. */
static void
ring_advance(TsWorkerSlot *slot, int64 now_s)
{
	int64		from = slot->ring_second;

	if (now_s - from >= 60 || from == 0)
	{
		memset(slot->minute_sent, 0, sizeof(slot->minute_sent));
		memset(slot->minute_errors, 0, sizeof(slot->minute_errors));
	}
	else
		for (int64 s = from + 1; s <= now_s; s++)
		{
			slot->minute_sent[s % 60] = 0;
			slot->minute_errors[s % 60] = 0;
		}
	slot->ring_second = now_s;
}

/* Count messages handed to the provider and errors, for worker_status. */
void
ts_slot_count(TsWorkerSlot *slot, int sent, int errors)
{
	int64		now_s = GetCurrentTimestamp() / USECS_PER_SEC;

	pg_atomic_fetch_add_u64(&slot->sent_total, sent);
	pg_atomic_fetch_add_u64(&slot->errors_total, errors);
	SpinLockAcquire(&ts_shared->mutex);
	ring_advance(slot, now_s);
	slot->minute_sent[now_s % 60] += sent;
	slot->minute_errors[now_s % 60] += errors;
	SpinLockRelease(&ts_shared->mutex);
}

/*
 * Copy msg into dst (TS_ERROR_LEN bytes) as text of the database encoding:
 * bytes that are not valid in it become U+FFFD (UTF-8) or '?', and the copy
 * ends before a character that does not fit whole, never inside one.
 */
static void
error_text_copy(char *dst, const char *msg)
{
	int			enc = GetDatabaseEncoding();
	const char *repl = enc == PG_UTF8 ? "\xEF\xBF\xBD" : "?";
	int			repl_len = (int) strlen(repl);
	int			left = (int) strnlen(msg, 4 * TS_ERROR_LEN);
	int			room = TS_ERROR_LEN - 1;
	int			o = 0;

	while (left > 0 && room > 0)
	{
		int			valid = pg_encoding_verifymbstr(enc, msg, left);
		int			take = pg_encoding_mbcliplen(enc, msg, valid, room);

		memcpy(dst + o, msg, take);
		o += take;
		room -= take;
		if (take < valid || valid == left || room < repl_len)
			break;
		memcpy(dst + o, repl, repl_len);	/* one invalid byte */
		o += repl_len;
		room -= repl_len;
		msg += valid + 1;
		left -= valid + 1;
	}
	dst[o] = '\0';
}

/* Remember the last error with its curl phase timings. */
void
ts_slot_error(TsWorkerSlot *slot, const char *msg, double t_connect, double t_start,
			  double t_total)
{
	char		text[TS_ERROR_LEN];

	error_text_copy(text, msg);
	SpinLockAcquire(&ts_shared->mutex);
	strlcpy(slot->last_error, text, TS_ERROR_LEN);
	slot->last_error_at = GetCurrentTimestamp();
	slot->last_t_connect = t_connect;
	slot->last_t_start = t_start;
	slot->last_t_total = t_total;
	SpinLockRelease(&ts_shared->mutex);
}

/* Name of a worker state, as textseq.worker_status shows it. */
const char *
ts_state_name(TsWorkerState state)
{
	switch (state)
	{
		case TS_STATE_STOPPED:
			return "stopped";
		case TS_STATE_STARTING:
			return "starting";
		case TS_STATE_IDLE_NO_EXTENSION:
			return "idle: extension not installed";
		case TS_STATE_IDLE_DISABLED:
			return "idle: textseq.enabled is off";
		case TS_STATE_SLEEPING:
			return "sleeping";
		case TS_STATE_CLAIMING:
			return "claiming";
		case TS_STATE_SENDING:
			return "sending";
		case TS_STATE_RECORDING:
			return "recording";
		case TS_STATE_RECONCILING:
			return "reconciling";
	}
	return "unknown";
}

/* At commit, set the latch of this database's worker if someone asked. */
static void
ts_xact_callback(XactEvent event, void *arg)
{
	TsWorkerSlot *slot;
	Latch	   *latch;

	if (!wake_at_commit)
		return;
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	wake_at_commit = false;
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT)
		return;
	slot = ts_slot_for_db(MyDatabaseId);
	if (slot == NULL)
		return;
	/*
	 * Decide now, against the wake-up the worker plans now: it may have gone
	 * back to sleep for longer since the rows were written.
	 */
	SpinLockAcquire(&ts_shared->mutex);
	latch = (slot->pid != 0 && (slot->next_wake_at == 0 || wake_due < slot->next_wake_at))
		? slot->latch : NULL;
	SpinLockRelease(&ts_shared->mutex);
	/* a latch outlives its process (it is in PGPROC); setting a stale one is harmless */
	if (latch != NULL)
	{
		SetLatch(latch);
		pg_atomic_fetch_add_u64(&slot->wakeups_total, 1);
	}
}

/*
 * Work due before the worker's planned wake-up wakes it when this
 * transaction commits (never before: it could not see the rows yet).  The
 * comparison is made at commit.
 */
void
ts_wake_at_commit(TimestampTz due)
{
	if (ts_slot_for_db(MyDatabaseId) == NULL)
		return;					/* no worker serves this database */
	if (!xact_callback_registered)
	{
		RegisterXactCallback(ts_xact_callback, NULL);
		xact_callback_registered = true;
	}
	if (!wake_at_commit || due < wake_due)
		wake_due = due;
	wake_at_commit = true;
}

/* SQL: textseq._wake_worker(due timestamptz) */
Datum
textseq_wake_worker(PG_FUNCTION_ARGS)
{
	ts_wake_at_commit(PG_ARGISNULL(0) ? 0 : PG_GETARG_TIMESTAMPTZ(0));
	PG_RETURN_VOID();
}

/*
 * object_access_hook: DROP DATABASE waits up to 5 s for other backends to
 * leave; tell the worker of that database to exit now, and the launcher not
 * to restart it for a while.
 */
static void
ts_object_access(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg)
{
	TimestampTz now = GetCurrentTimestamp();
	pid_t		pid = 0;

	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (access != OAT_DROP || classId != DatabaseRelationId || ts_shared == NULL)
		return;
	SpinLockAcquire(&ts_shared->mutex);
	for (int i = 0; i < TS_MAX_DATABASES; i++)
	{
		TsWorkerSlot *slot = &ts_shared->slots[i];

		if (slot->in_use && slot->dboid == objectId)
		{
			slot->drop_requested_at = now;
			pid = slot->pid;
		}
	}
	SpinLockRelease(&ts_shared->mutex);
	if (pid != 0)
		kill(pid, SIGTERM);
}

/* Install the shared-memory hooks (postmaster, from _PG_init). */
void
ts_shmem_register(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = ts_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = ts_shmem_startup;
}

/* Install the per-backend hooks (inherited by every backend). */
void
ts_hooks_install(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = ts_object_access;
}
