/*-------------------------------------------------------------------------
 *
 * textseq.c
 *	  Library entry point: refuses to load unless preloaded, defines the
 *	  textseq.* settings, installs the hooks (shared memory, wake-at-commit,
 *	  log redaction) and registers the launcher.
 *
 * The dispatch worker needs shared_preload_libraries, so a late load (by
 * CREATE EXTENSION in a server that does not preload us) is refused with a
 * hint instead of half working.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "worker/worker.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/datetime.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

char	   *textseq_database = NULL;
bool		textseq_enabled = true;
int			textseq_batch_size = 500;
char	   *textseq_test_now = NULL;
char	   *textseq_default_region = NULL;
int			textseq_max_in_flight = 64;
int			textseq_connect_timeout_ms = 5000;
int			textseq_request_timeout_ms = 15000;
int			textseq_max_sleep_ms = 10000;
int			textseq_reconcile_after_s = 20;
int			textseq_unreachable_retries = 3;
char	   *textseq_worker_role = NULL;
int			textseq_delivery_unknown_after_s = 72 * 3600;
int			textseq_bulk_done_after_s = 48 * 3600;
bool		textseq_dump_secrets = false;
int			textseq_lock_timeout_ms = 500;
int			textseq_expand_chunk = 10000;

void		_PG_init(void);

/* Check hook: textseq.test_now must be empty or a valid timestamptz. */
static bool
check_test_now(char **newval, void **extra, GucSource source)
{
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	int			tz;
	struct pg_tm tm;
	fsec_t		fsec;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (strlen(*newval) > 64 ||
		ParseDateTime(*newval, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf) != 0 ||
		DecodeDateTime(field, ftype, nf, &dtype, &tm, &fsec, &tz) != 0 || dtype != DTK_DATE)
	{
		GUC_check_errdetail("textseq.test_now must be empty or a timestamp with time zone.");
		return false;
	}
	return true;
}

/* Define every textseq.* setting. */
static void
define_settings(void)
{
	DefineCustomStringVariable("textseq.database",
							   "Databases the dispatch workers serve (comma-separated).",
							   NULL, &textseq_database, "postgres",
							   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("textseq.worker_role",
							   "Role the dispatch worker runs as (created by CREATE EXTENSION).",
							   NULL, &textseq_worker_role, "textseq_worker",
							   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.max_in_flight",
							"Provider requests in flight at once, per worker.",
							NULL, &textseq_max_in_flight, 64, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.connect_timeout",
							"Time allowed to connect to the provider.",
							NULL, &textseq_connect_timeout_ms, 5000, 100, 120000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.request_timeout",
							"Time allowed for a whole provider request.",
							NULL, &textseq_request_timeout_ms, 15000, 100, 600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.max_sleep",
							"Longest time the worker sleeps before looking at the queue again.",
							NULL, &textseq_max_sleep_ms, 10000, 10, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.reconcile_after",
							"Age of a maybe_sent message before it is reconciled with the provider.",
							NULL, &textseq_reconcile_after_s, 20, 0, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.unreachable_retries",
							"Attempts for a message whose handset is unreachable (30003).",
							NULL, &textseq_unreachable_retries, 3, 1, 10,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.delivery_unknown_after",
							"Age of an outbox message with no carrier receipt before it becomes delivery_unknown.",
							NULL, &textseq_delivery_unknown_after_s, 72 * 3600, 60, 365 * 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.bulk_done_after",
							"Time since a bulk's last send, with nothing of it waiting, before it is done.",
							NULL, &textseq_bulk_done_after_s, 48 * 3600, 0, 365 * 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.lock_timeout",
							"Longest the dispatch worker waits for any lock before it defers or retries that work.",
							NULL, &textseq_lock_timeout_ms, 500, 10, 600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomBoolVariable("textseq.enabled",
							 "Whether the dispatch worker sends messages.",
							 NULL, &textseq_enabled, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.batch_size",
							"Messages claimed per batch.",
							NULL, &textseq_batch_size, 500, 1, 5000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("textseq.expand_chunk",
							"Bulk members expanded into enrollments and messages per transaction.",
							NULL, &textseq_expand_chunk, 10000, 1, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("textseq.default_region",
							   "Region (ISO 3166 code) assumed for phone numbers written without a country code.",
							   NULL, &textseq_default_region, "US",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("textseq.dump_secrets",
							 "Whether pg_dump includes provider credentials (textseq.account_secret).",
							 "Set it for the dumping session only, e.g. PGOPTIONS='-c textseq.dump_secrets=on'.",
							 &textseq_dump_secrets, false,
							 PGC_USERSET, GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	DefineCustomStringVariable("textseq.test_now",
							   "Fixed clock for tests (superuser only); empty means the real clock.",
							   NULL, &textseq_test_now, "",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE, check_test_now, NULL, NULL);
}

/* Module load: only from shared_preload_libraries. */
void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("textseq must be loaded via shared_preload_libraries"),
				 errdetail("The dispatch worker is started by the postmaster, which only happens for preloaded libraries."),
				 errhint("Add textseq to shared_preload_libraries in postgresql.conf and restart the server.")));
	define_settings();
	MarkGUCPrefixReserved("textseq");
	ts_shmem_register();
	ts_hooks_install();
	ts_redact_install();
	ts_launcher_register();
}
