/*-------------------------------------------------------------------------
 *
 * outcome.h
 *	  Pure core: classify a provider's answer (or the lack of one) into what
 *	  the worker must do with the message, and parse the provider JSON that
 *	  the worker needs (create response, error body, message list page).
 *
 * No server dependency (see core.h).  Fuzzed standalone (test/fuzz/fuzz_outcome.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_OUTCOME_H
#define TEXTSEQ_OUTCOME_H

#include "core.h"

typedef enum TsOutcome
{
	TS_OUT_NOT_SENT = 0,		/* never attempted (interrupted): back to in_queue, no attempt */
	TS_OUT_ACCEPTED,			/* 2xx: outbox (dry_run: sent) with provider id */
	TS_OUT_RETRY,				/* certainly not processed (429/20429, 21611/30001, refused
								 * connection, DNS failure, connect timeout): in_queue after
								 * retry_after / backoff */
	TS_OUT_AMBIGUOUS,			/* may have been processed (timeout after sending, reset, 5xx,
								 * unreadable 2xx): maybe_sent, reconcile before any resend */
	TS_OUT_INVALID,				/* 21211, 30005 ...: omitted_invalid, phone marked invalid */
	TS_OUT_OPTED_OUT,			/* 21610, 30004: omitted_opted_out, phone opted out */
	TS_OUT_LANDLINE,			/* 21614, 21635, 30006: omitted_landline, phone marked landline */
	TS_OUT_UNREACHABLE,			/* 30003, 30008: retried a bounded number of times (see
								 * outcome_retry_limit), hours apart */
	TS_OUT_ERROR,				/* other permanent errors (30007 never retried, 21617 ...): error */
	TS_OUT_AUTH,				/* 401 / 20003: pause the account, keep the message queued */
	TS_OUT_CONFIG				/* 21408, 21606, 30032, 30034, 403 ...: error, with alert */
} TsOutcome;

typedef enum TsLookupResult
{
	TS_LOOKUP_PENDING = 0,		/* not decided yet (to be asked, being asked, or the asking
								 * was abandoned at shutdown): leave the message as it is */
	TS_LOOKUP_UNKNOWN,			/* could not find out: ask again later */
	TS_LOOKUP_FOUND,
	TS_LOOKUP_NOT_FOUND
} TsLookupResult;

/* What curl/the transport says happened, provider-independent. */
typedef enum TsTransport
{
	TS_TR_RESPONSE = 0,			/* a complete HTTP response was received */
	TS_TR_NOT_CONNECTED,		/* refused, DNS, connect timeout: request never left */
	TS_TR_AFTER_SEND			/* timeout / reset / partial response after the request may
								 * have been sent */
} TsTransport;

/*
 * Parsed essentials of a provider response.  Every string is valid UTF-8
 * (bytes that are not become U+FFFD) and cut at a character boundary to fit.
 */
typedef struct TsResponse
{
	int			error_code;		/* Twilio "code" / Telnyx errors[0].code, 0 if none */
	char		error_text[256];
	char		provider_id[72];	/* Twilio "sid" / Telnyx data.id */
	char		status[32];		/* provider status string, if present */
} TsResponse;

/*
 * Parse a create response body ("twilio" or "telnyx") into out.  Returns
 * false (and fills err) when the body is not the JSON expected; never reads
 * past len; never crashes on any bytes.
 */
extern bool outcome_parse_response(const char *provider, const char *body, size_t len,
								   TsResponse *out, TsError *err);

/*
 * Decide the outcome from transport, HTTP status and parsed body (resp may be
 * NULL when the body was unreadable).
 */
extern TsOutcome outcome_classify(const char *provider, TsTransport transport, int http_status,
								  const TsResponse *resp);

/* A Twilio list page: the messages it holds and the next page URI (strings valid UTF-8). */
typedef struct TsListedMessage
{
	char		sid[72];
	char		to[32];
	char		from[32];
	char		status[32];
	int64_t		date_created;	/* unix seconds from "date_created" (RFC 2822), 0 if unknown */
	char	   *body;			/* ts_alloc'd, NUL-terminated */
} TsListedMessage;

typedef struct TsListPage
{
	int			n;
	TsListedMessage *messages;	/* ts_alloc'd array */
	char	   *next_page_uri;	/* ts_alloc'd, NULL when last page */
} TsListPage;

/*
 * Parse a Twilio list page.  next_page_uri must be a path ("/2010-04-01/...")
 * on the same host, else the page is refused.  On failure page is left empty.
 */
extern bool outcome_parse_list_page(const char *body, size_t len, TsListPage *page, TsError *err);
extern void outcome_free_list_page(TsListPage *page);

/* A message reconciliation looks for in list pages, and what was found. */
typedef struct TsMatchKey
{
	const char *to;
	const char *from;			/* NULL or "" = any sender */
	const char *body;
	int64_t		claimed_at_unix;	/* listed messages created before this (less skew) never
									 * match; 0 = no limit */
	int			tag;			/* the caller's, e.g. an index */
	bool		found;
	char		sid[72];
	char		status[32];
} TsMatchKey;

/*
 * Match a list page against keys sorted by to (strcmp order).  A listed
 * message settles at most one key not yet found: same to, from (unless the
 * key has none) and body, created no earlier than the key's claim less
 * skew_s; among several such keys, the one claimed last.  A sid settles at
 * most one key (even when a page lists it twice), and a sid for which
 * taken(arg, sid) (optional) is true settles nothing: another message holds
 * it.  Returns how many keys this page settled.
 */
extern int	outcome_match_page(const TsListPage *page, TsMatchKey *keys, int n, int skew_s,
							   bool (*taken) (void *arg, const char *sid), void *arg);

/* Is every message on the page created before t (unix seconds), all dates known? */
extern bool outcome_page_older_than(const TsListPage *page, int64_t t);

/*
 * The outcome a provider error code means on its own (for delivery reports
 * and reconciliation; unknown codes are TS_OUT_ERROR), and how many resends
 * a TS_OUT_UNREACHABLE code allows (30003: 3, 30008: 1; 0 for other codes).
 */
extern TsOutcome outcome_classify_code(const char *provider, int error_code);
extern int	outcome_retry_limit(const char *provider, int error_code);

/* Unix seconds of an RFC 2822 date ("Thu, 24 Aug 2023 05:01:45 +0000"); 0 if malformed. */
extern int64_t outcome_rfc2822_time(const char *s, size_t len);

/* Parse a Retry-After header value (delta-seconds only, capped at a day); -1 if absent/bad. */
extern int	outcome_retry_after_ms(const char *value);

/* Human-readable name of an outcome, for logs and worker_status. */
extern const char *outcome_name(TsOutcome o);

#endif							/* TEXTSEQ_OUTCOME_H */
