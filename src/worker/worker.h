/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  The launcher and the dispatch workers: their settings and entry
 *	  points.  Shared state is in shmem.h; the worker-internal API of one
 *	  dispatch round is in dispatch.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_WORKER_H
#define TEXTSEQ_WORKER_H

#include "postgres.h"

#include "shmem.h"

/* in textseq.c: worker settings */
extern int	textseq_max_in_flight;
extern int	textseq_connect_timeout_ms;
extern int	textseq_request_timeout_ms;
extern int	textseq_max_sleep_ms;
extern int	textseq_reconcile_after_s;
extern int	textseq_unreachable_retries;
extern int	textseq_lock_timeout_ms;
extern char *textseq_worker_role;

/* in launcher.c */
extern void ts_launcher_register(void);
PGDLLEXPORT void textseq_launcher_main(Datum arg);

/* in worker.c */
PGDLLEXPORT void textseq_worker_main(Datum arg);

#endif							/* TEXTSEQ_WORKER_H */
