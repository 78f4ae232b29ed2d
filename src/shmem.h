/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  State shared by the SQL side and the dispatch workers: one slot per
 *	  database served, the launcher's latch, and the commit-time wake-up.
 *
 * Locking: TsShared->mutex (a spinlock) guards every field of every slot
 * except the pg_atomic counters, which are updated without it.  Slots hold
 * only shared-memory-safe data: names, pids, timestamps, counters and a
 * pointer to the worker's PGPROC latch (which itself lives in shared
 * memory).  Process-local handles (curl, memory contexts) never go here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_SHMEM_H
#define TEXTSEQ_SHMEM_H

#include "postgres.h"

#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#define TS_MAX_DATABASES 16
#define TS_ERROR_LEN 256

typedef enum TsWorkerState
{
	TS_STATE_STOPPED = 0,
	TS_STATE_STARTING,
	TS_STATE_IDLE_NO_EXTENSION,
	TS_STATE_IDLE_DISABLED,
	TS_STATE_SLEEPING,
	TS_STATE_CLAIMING,
	TS_STATE_SENDING,
	TS_STATE_RECORDING,
	TS_STATE_RECONCILING
} TsWorkerState;

typedef struct TsWorkerSlot
{
	bool		in_use;
	char		dbname[NAMEDATALEN];
	Oid			dboid;			/* InvalidOid until the worker connected */
	pid_t		pid;			/* 0 when not running */
	Latch	   *latch;			/* the worker's PGPROC latch (shared memory) */
	TsWorkerState state;
	TimestampTz started_at;
	TimestampTz next_wake_at;	/* when the sleeping worker will look again */
	TimestampTz drop_requested_at;	/* DROP DATABASE seen: do not restart for a while */
	TimestampTz last_exit_at;
	int			quick_exits;	/* consecutive short lives, for restart backoff */
	int			in_flight;
	char		last_error[TS_ERROR_LEN];
	TimestampTz last_error_at;
	double		last_t_connect; /* curl phases of the last failed request */
	double		last_t_start;
	double		last_t_total;
	int64		minute_sent[60];	/* ring of per-second counts, index = second % 60 */
	int64		minute_errors[60];
	int64		ring_second;	/* the second the ring was last advanced to */
	pg_atomic_uint64 sent_total;
	pg_atomic_uint64 errors_total;
	pg_atomic_uint64 batches_total;
	pg_atomic_uint64 wakeups_total;
} TsWorkerSlot;

typedef struct TsShared
{
	slock_t		mutex;
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	TsWorkerSlot slots[TS_MAX_DATABASES];
} TsShared;

extern TsShared *ts_shared;

/* in shmem.c */
extern void ts_shmem_register(void);
extern TsWorkerSlot *ts_slot_for_db(Oid dboid);
extern void ts_slot_set_state(TsWorkerSlot *slot, TsWorkerState state);
extern void ts_slot_count(TsWorkerSlot *slot, int sent, int errors);
extern void ts_slot_error(TsWorkerSlot *slot, const char *msg, double t_connect, double t_start,
						  double t_total);
extern const char *ts_state_name(TsWorkerState state);
extern void ts_hooks_install(void);
extern void ts_wake_at_commit(TimestampTz due);

#endif							/* TEXTSEQ_SHMEM_H */
