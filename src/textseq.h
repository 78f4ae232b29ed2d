/*-------------------------------------------------------------------------
 *
 * textseq.h
 *	  Module header of textseq: an index of what lives where.
 *
 * Pure cores live in src/core (see core/core.h); everything declared here
 * is server glue.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_H
#define TEXTSEQ_H

#include "postgres.h"

#include "utils/timestamp.h"

/* in textseq.c: settings (GUCs) */
extern char *textseq_database;
extern bool textseq_enabled;
extern int	textseq_batch_size;
extern int	textseq_expand_chunk;
extern char *textseq_test_now;
extern char *textseq_default_region;

/* in textseq.c: whether pg_dump's filter on account_secret lets rows through */
extern bool textseq_dump_secrets;

/* in fn/redact.c: keep credentials out of the server log */
extern void ts_redact_install(void);

/* in fn/clock.c: the clock every rule reads (settable for tests) */
extern TimestampTz textseq_now(void);

/* in fn/segments.c: a text value as UTF-8 for the pure cores */
extern const char *ts_text_utf8(text *t, size_t *len);

/* in fn/status.c: the one place that knows which status changes are allowed */
typedef enum TsStatusKind
{
	TS_KIND_MESSAGE,
	TS_KIND_ENROLLMENT,
	TS_KIND_BULK
} TsStatusKind;

extern bool ts_status_allowed(TsStatusKind kind, const char *from, const char *to);

/* in fn/locks.c: textseq's own locks, out of reach of pg_advisory_lock() */
typedef enum TsLockSpace
{
	TS_LOCK_WORKER = 1,			/* one dispatch worker per database (session lock) */
	TS_LOCK_PHONE = 2,			/* the claim's per-phone buckets */
	TS_LOCK_PROVIDER_ID = 3		/* record step and delivery report of one provider id */
} TsLockSpace;

extern bool ts_lock_acquire(TsLockSpace space, uint64 key, bool session, bool dont_wait);

#endif							/* TEXTSEQ_H */
