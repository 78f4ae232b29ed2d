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
extern char *textseq_test_now;
extern char *textseq_default_region;

/* in textseq.c: whether pg_dump's filter on account_secret lets rows through */
extern bool textseq_dump_secrets;

/* in fn/redact.c: keep credentials out of the server log */
extern void ts_redact_install(void);

/* in fn/clock.c: the clock every rule reads (settable for tests) */
extern TimestampTz textseq_now(void);

/* in fn/status.c: the one place that knows which status changes are allowed */
typedef enum TsStatusKind
{
	TS_KIND_MESSAGE,
	TS_KIND_ENROLLMENT,
	TS_KIND_BULK
} TsStatusKind;

extern bool ts_status_allowed(TsStatusKind kind, const char *from, const char *to);

#endif							/* TEXTSEQ_H */
