/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The textseq launcher: one static background worker that starts a
 *	  dispatch worker for every database named in textseq.database that
 *	  exists, and restarts it (with backoff) when it exits.
 *
 * Why a launcher: a worker connected to a database that does not exist
 * (yet) would crash-loop, and a worker the postmaster restarts on its own
 * would race DROP DATABASE.  The launcher connects to no database (shared
 * catalogs only), starts workers only for databases that exist and only
 * when the worker role exists, and holds back a worker whose database is
 * being dropped (see the object_access_hook in shmem.c).
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "worker.h"

#include <signal.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/varlena.h"

/* Restart policy: a worker that lived less than this is restarted with backoff. */
#define TS_QUICK_EXIT_SECS 10
#define TS_DROP_HOLD_SECS 30

static BackgroundWorkerHandle *handles[TS_MAX_DATABASES];
static TimestampTz restart_at[TS_MAX_DATABASES];

/* Register the launcher (postmaster, from _PG_init). */
void
ts_launcher_register(void)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 5;
	strlcpy(bgw.bgw_library_name, "textseq", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "textseq_launcher_main", BGW_MAXLEN);
	strlcpy(bgw.bgw_name, "textseq launcher", BGW_MAXLEN);
	strlcpy(bgw.bgw_type, "textseq launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&bgw);
}

/* Claim a slot for each configured database name (once, at launcher start). */
static void
assign_slots(void)
{
	char	   *raw = pstrdup(textseq_database ? textseq_database : "");
	List	   *names;
	ListCell   *lc;
	int			i = 0;

	if (!SplitIdentifierString(raw, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid list syntax in textseq.database")));
	/* A restarted launcher keeps the slots (and running workers) it finds. */
	SpinLockAcquire(&ts_shared->mutex);
	foreach(lc, names)
	{
		TsWorkerSlot *slot = &ts_shared->slots[i];

		if (i >= TS_MAX_DATABASES)
			break;
		if (!slot->in_use || strcmp(slot->dbname, (char *) lfirst(lc)) != 0)
		{
			memset(slot, 0, offsetof(TsWorkerSlot, sent_total));
			slot->in_use = true;
			strlcpy(slot->dbname, (char *) lfirst(lc), NAMEDATALEN);
		}
		i++;
	}
	SpinLockRelease(&ts_shared->mutex);
	if (list_length(names) > TS_MAX_DATABASES)
		ereport(WARNING,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("textseq serves at most %d databases; the rest are ignored",
						TS_MAX_DATABASES)));
}

/*
 * Scan a shared catalog for a name, without indexes: with no database
 * selected and no relcache init file yet (first start, after a crash), an
 * index lookup would need pg_class.  The autovacuum launcher does the same.
 */
static Oid
shared_catalog_lookup(Oid catalog, const char *name)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
	HeapTuple	tup;
	Oid			found = InvalidOid;

	while (!OidIsValid(found) && (tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		if (catalog == DatabaseRelationId)
		{
			Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

			if (strcmp(NameStr(db->datname), name) == 0 && db->datallowconn)
				found = db->oid;
		}
		else
		{
			Form_pg_authid role = (Form_pg_authid) GETSTRUCT(tup);

			if (strcmp(NameStr(role->rolname), name) == 0)
				found = role->oid;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* Does the database exist (accepting connections), and the worker role? */
static Oid
database_ready(const char *dbname)
{
	Oid			dboid;
	bool		role_ok;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	dboid = shared_catalog_lookup(DatabaseRelationId, dbname);
	role_ok = OidIsValid(shared_catalog_lookup(AuthIdRelationId, textseq_worker_role));
	CommitTransactionCommand();
	return role_ok ? dboid : InvalidOid;
}

/* Start the dispatch worker of slot i. */
static void
start_worker(int i)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw.bgw_library_name, "textseq", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "textseq_worker_main", BGW_MAXLEN);
	snprintf(bgw.bgw_name, BGW_MAXLEN, "textseq worker for %s", ts_shared->slots[i].dbname);
	strlcpy(bgw.bgw_type, "textseq worker", BGW_MAXLEN);
	bgw.bgw_main_arg = Int32GetDatum(i);
	bgw.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&bgw, &handles[i]))
	{
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the textseq worker for database \"%s\"",
						ts_shared->slots[i].dbname),
				 errhint("Raise max_worker_processes.")));
		handles[i] = NULL;
		restart_at[i] = GetCurrentTimestamp() + 10 * USECS_PER_SEC;
	}
}

/* Note a stopped worker and decide when it may start again. */
static void
reap_worker(int i, TimestampTz now)
{
	TsWorkerSlot *slot = &ts_shared->slots[i];
	bool		quick;
	int			backoff;

	pfree(handles[i]);
	handles[i] = NULL;
	SpinLockAcquire(&ts_shared->mutex);
	quick = slot->started_at == 0 ||
		now - slot->started_at < TS_QUICK_EXIT_SECS * USECS_PER_SEC;
	slot->quick_exits = quick ? Min(slot->quick_exits + 1, 6) : 0;
	backoff = slot->quick_exits == 0 ? 0 : (1 << slot->quick_exits);
	slot->pid = 0;
	slot->latch = NULL;
	SpinLockRelease(&ts_shared->mutex);
	restart_at[i] = now + (int64) backoff * USECS_PER_SEC;
}

/* One pass over the slots: reap stopped workers, start missing ones. */
static void
launcher_tick(void)
{
	TimestampTz now = GetCurrentTimestamp();

	for (int i = 0; i < TS_MAX_DATABASES; i++)
	{
		TsWorkerSlot *slot = &ts_shared->slots[i];
		pid_t		pid;
		TimestampTz dropped;
		Oid			dboid;
		Oid			ready;

		if (!slot->in_use)
			continue;
		if (handles[i] != NULL &&
			GetBackgroundWorkerPid(handles[i], &pid) == BGWH_STOPPED)
			reap_worker(i, now);
		if (handles[i] != NULL || now < restart_at[i])
			continue;
		SpinLockAcquire(&ts_shared->mutex);
		dropped = slot->drop_requested_at;
		dboid = slot->dboid;
		pid = slot->pid;
		SpinLockRelease(&ts_shared->mutex);
		/* a worker started by an earlier launcher may still be running */
		if (pid != 0 && kill(pid, 0) == 0)
			continue;
		ready = database_ready(slot->dbname);
		/* hold back while the database being dropped may still be there */
		if (dropped != 0 && now - dropped < TS_DROP_HOLD_SECS * USECS_PER_SEC &&
			(!OidIsValid(ready) || ready == dboid))
			continue;
		if (OidIsValid(ready))
			start_worker(i);
	}
}

/* Launcher entry point. */
void
textseq_launcher_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("textseq launcher");

	SpinLockAcquire(&ts_shared->mutex);
	ts_shared->launcher_pid = MyProcPid;
	ts_shared->launcher_latch = MyLatch;
	SpinLockRelease(&ts_shared->mutex);
	assign_slots();

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		launcher_tick();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
