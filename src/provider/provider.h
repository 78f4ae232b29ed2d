/*-------------------------------------------------------------------------
 *
 * provider.h
 *	  The provider layer of the dispatch worker: build provider requests,
 *	  run a batch of them over libcurl's multi interface with no transaction
 *	  open, and classify every response into an outcome.
 *
 * Process-local: a TsHttp (curl multi + easy handles, connection cache)
 * belongs to one worker process and never goes into shared memory.  Nothing
 * here touches SPI, snapshots or transactions; memory is palloc'd in the
 * caller's context (the worker resets it per batch).
 *
 * Outcome classification itself is a pure core (core/outcome.h) so that it is
 * fuzzed standalone.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_PROVIDER_H
#define TEXTSEQ_PROVIDER_H

#include "core/outcome.h"

/* Account data the worker loads (with the secret) before a batch. */
typedef struct TsAccount
{
	int			id;
	char		provider[16];	/* "twilio", "telnyx", "dry_run" */
	char	   *base_url;		/* e.g. https://api.twilio.com or http://127.0.0.1:PORT */
	char	   *account_sid;	/* twilio */
	char	   *secret;			/* twilio auth token / telnyx api key */
	char	   *status_callback_url;	/* optional */
} TsAccount;

/* One message to send, and what became of it. */
typedef struct TsSend
{
	/* in */
	int64_t		message_id;
	const TsAccount *account;
	const char *to;
	const char *from;			/* may be NULL when messaging_service_sid is set */
	const char *messaging_service_sid;
	const char *body;
	int			n_media;
	const char *const *media_urls;
	int			validity_period;	/* seconds, 1..36000 (twilio ValidityPeriod) */
	const char *idempotency_key;	/* telnyx Idempotency-Key (a stored UUID); NULL = message id */

	/* out */
	TsOutcome	outcome;		/* see core/outcome.h */
	char		provider_id[72];	/* SM.../UUID when accepted */
	int			error_code;		/* provider error code, 0 if none */
	char		error_text[256];
	int			retry_after_ms; /* for TS_OUT_RETRY: from Retry-After (capped at a
								 * day), else 0 */
	int			http_status;	/* 0 when no response */
	int			curl_code;		/* CURLcode, 0 = OK */
	double		t_connect;		/* phase timings in seconds (curl) */
	double		t_start;
	double		t_total;
} TsSend;

typedef struct TsHttpConfig
{
	int			max_in_flight;	/* concurrent requests */
	int			connect_timeout_ms;
	int			request_timeout_ms;
	int			max_response_bytes; /* larger responses are cut and treated as unreadable
									 * (at least 1024; list pages get at least 8 MB) */
} TsHttpConfig;

typedef struct TsHttp TsHttp;

/* Create/destroy the process-local HTTP state (curl multi handle, connection cache). */
extern TsHttp *ts_http_create(void);
extern void ts_http_destroy(TsHttp *h);

/*
 * Send n messages concurrently (at most cfg->max_in_flight at a time, reusing
 * connections), fill every TsSend's out fields, return when all are done.
 * Sends that cannot go out are answered locally without the network: no
 * account / unknown provider / no account_sid / no sender -> TS_OUT_CONFIG,
 * no base_url -> TS_OUT_RETRY, no To / no body and no media / body over
 * 64 kB / more than 10 media -> TS_OUT_ERROR, each with error_text.
 * A failure counts as "request not sent" (TS_OUT_RETRY) only when curl wrote
 * no byte of it and failed before sending (DNS, connect, connect timeout,
 * TLS, bad URL); every other failure is TS_OUT_AMBIGUOUS.
 * dry_run accounts are answered locally (TS_OUT_ACCEPTED, provider_id "dry-<id>").
 * Telnyx requests carry Idempotency-Key = message id.  Twilio requests carry
 * StatusCallback when the account has one, and ValidityPeriod.
 * Calls CHECK_FOR_INTERRUPTS-free code only; the caller's latch is not touched.
 * Lookups started with ts_http_lookups_start progress in the same loop.
 * interrupted (optional) is polled at least every HTTP step (50 ms); when it
 * returns true the batch ends at once: requests in flight are abandoned and
 * come back TS_OUT_NOT_SENT when curl wrote no byte of them, else as an
 * ambiguous answer (TS_OUT_AMBIGUOUS); requests not started come back
 * TS_OUT_NOT_SENT; the lookup set is abandoned (ts_http_lookups_abort).
 * Every text out field is valid UTF-8, cut at a character boundary.
 */
extern void ts_http_send_batch(TsHttp *h, TsSend *sends, int n, const TsHttpConfig *cfg,
							   bool (*interrupted) (void));

/* Reconciliation: what the provider has for one ambiguous message. */
typedef struct TsLookup
{
	/* in */
	int64_t		message_id;
	const TsAccount *account;
	const char *to;
	const char *from;
	const char *body;
	int64_t		claimed_at_unix; /* listed messages created before this (less skew) never match */

	/* out */
	TsLookupResult result;		/* FOUND / NOT_FOUND / UNKNOWN (could not ask) / PENDING */
	char		provider_id[72];
	char		provider_status[32];	/* provider's status string when found */
} TsLookup;

/*
 * Reconcile a set of ambiguous messages in the background of the transport
 * (no transaction may be open while it runs; lookups, accounts and strings
 * must stay valid until the set is finished or abandoned).  Twilio only:
 * - the messages of one From of an account (two or more) are settled together
 *   by listing that From (GET .../Messages.json?From=&PageSize=1000, no To, no
 *   DateSent filter: a message still queued has no date_sent), matching To,
 *   From and body; reading the last page settles the rest as NOT_FOUND.  When
 *   the sender's list runs past 10 pages, or a whole page predates the
 *   earliest claim (less 5 minutes of skew), the messages not found go on to
 *   a pair lookup each;
 * - a pair lookup lists To&From (following next_page_uri, at most 20 pages);
 * - a listed message matches when To, From and body are equal and it was
 *   created no earlier than 5 minutes before the claim; a sid another
 *   lookup of the set took is not taken twice;
 * - NOT_FOUND only when every page was read successfully; any failure
 *   (HTTP error, unreadable page, too many pages) is UNKNOWN.
 * Decided locally: no account -> UNKNOWN; dry_run -> NOT_FOUND (it never
 * sends); another provider -> UNKNOWN (Telnyx resends with its key instead);
 * missing base_url, account_sid, To or body -> UNKNOWN.  Only lookups whose
 * result is TS_LOOKUP_PENDING on entry are asked (the caller may decide others
 * itself); each keeps PENDING until decided, and a result once decided never
 * changes.  A previous set still running is abandoned.
 */
extern void ts_http_lookups_start(TsHttp *h, TsLookup *lookups, int n, const TsHttpConfig *cfg);

/* Run the lookups alone for one step (up to wait_ms); true while any is undecided. */
extern bool ts_http_lookups_step(TsHttp *h, int wait_ms);

/* True while a lookup of the current set is undecided. */
extern bool ts_http_lookups_busy(TsHttp *h);

/* Abandon the set: list transfers stop, undecided lookups stay PENDING. */
extern void ts_http_lookups_abort(TsHttp *h);

/*
 * Run a set to the end (the SQL probe textseq._provider_lookup).  interrupted
 * (optional) as for sends; lookups it leaves undecided become UNKNOWN.
 */
extern void ts_http_lookup_batch(TsHttp *h, TsLookup *lookups, int n, const TsHttpConfig *cfg,
								 bool (*interrupted) (void));

#endif							/* TEXTSEQ_PROVIDER_H */
