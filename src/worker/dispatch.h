/*-------------------------------------------------------------------------
 *
 * dispatch.h
 *	  One dispatch round of a worker: claim (transaction 1), send with no
 *	  transaction open, record (transaction 3); plus reconciliation of
 *	  maybe_sent messages and the token buckets.  Worker-process only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_DISPATCH_H
#define TEXTSEQ_DISPATCH_H

#include "access/htup.h"

#include "provider/provider.h"
#include "worker.h"

/* A claimed batch: the sends and the accounts they use. */
typedef struct TsBatch
{
	int			n;
	TsSend	   *sends;
	int			n_accounts;
	TsAccount  *accounts;
	int		   *sender_ids;		/* per send, for the token buckets */
	int		   *attempts;		/* per send, as claimed */
} TsBatch;

/* in accounts.c: provider accounts, HTTP settings, SPI column helpers */
extern TsHttpConfig ts_http_config(void);
extern TsAccount *ts_load_accounts(int *n);
extern const TsAccount *ts_find_account(TsAccount *accounts, int n, int id);
extern char *ts_spi_text(HeapTuple tup, int c);
extern int64 ts_spi_int(HeapTuple tup, int c);

/* in claim.c, send.c, record.c: the three steps of a round */
extern TsBatch *ts_dispatch_claim(int batch_size, const char *budgets_json);
extern void ts_dispatch_send(TsHttp *http, TsBatch *batch, TsWorkerSlot *slot);
extern void ts_dispatch_record(TsBatch *batch, TsWorkerSlot *slot);
extern bool ts_shutdown_pending(void);
extern volatile sig_atomic_t ts_sigterm_deferred;	/* set by worker.c's deferred SIGTERM */
extern void ts_apply_deferred(void);

/*
 * in reconcile.c: crash recovery, the sweep, and reconciliation beside
 * sending -- load a set in the claim's transaction, start it after the
 * commit, let it run (with the sends, or alone when the queue is idle),
 * write what is decided in transactions of its own.
 */
extern int	ts_recover_in_flight(void);
extern void ts_sweep(void);
extern TimestampTz ts_next_due(void);
extern int	ts_reconcile_load(bool idle);
extern void ts_reconcile_start(TsHttp *http);
extern bool ts_reconcile_busy(void);
extern void ts_reconcile_run(TsHttp *http, int budget_ms, TsWorkerSlot *slot);
extern bool ts_reconcile_due_write(void);
extern void ts_reconcile_write(TsHttp *http);
extern void ts_reconcile_forget(TsHttp *http);

/* in expand.c: one chunk of a bulk launch's expansion (its own transaction) */
extern bool ts_expand_step(void);

/* in ratelimit.c */
extern void ts_rate_refresh(void);
extern char *ts_rate_budgets_json(int batch_size);
extern void ts_rate_consume(TsBatch *batch);
extern long ts_rate_ms_until_token(void);

/* in xact.c: per-round memory (reset every round) */
extern MemoryContext ts_batch_cxt;

/* in xact.c: a short transaction with a snapshot, and its commit */
extern Oid	ts_xact_begin(void);
extern void ts_xact_commit(void);

#endif							/* TEXTSEQ_DISPATCH_H */
