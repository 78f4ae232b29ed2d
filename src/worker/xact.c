/*-------------------------------------------------------------------------
 *
 * xact.c
 *	  The short transactions every worker step runs in (claim, record,
 *	  reconcile, sweep), and the per-round memory they fill.
 *
 * Sits below the worker loop and its steps: it calls none of them, so the
 * steps depend on it and not on each other or on the loop.
 * Must not: leave a snapshot or transaction open on return from commit.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "access/xact.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "pgstat.h"
#include "storage/lmgr.h"
#include "utils/snapmgr.h"

MemoryContext ts_batch_cxt = NULL;

/*
 * Start a short transaction with a snapshot, holding a share lock on the
 * extension object.  DROP EXTENSION locks that object before any table, so
 * it waits for at most this one transaction instead of deadlocking with it
 * table by table.  Returns the extension's OID, or InvalidOid when it is not
 * installed (or was dropped while we waited for the lock).
 */
Oid
ts_xact_begin(void)
{
	Oid			ext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	ext = get_extension_oid("textseq", true);
	if (OidIsValid(ext))
	{
		LockDatabaseObject(ExtensionRelationId, ext, 0, AccessShareLock);
		if (get_extension_oid("textseq", true) != ext)
			ext = InvalidOid;
	}
	PushActiveSnapshot(GetTransactionSnapshot());
	return ext;
}

/* Commit it and report statistics. */
void
ts_xact_commit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
}
