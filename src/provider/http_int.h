/*-------------------------------------------------------------------------
 *
 * http_int.h
 *	  Private interface of the provider transport: the process-local HTTP
 *	  state shared by the transport and sends (http.c), reconciliation
 *	  lookups (http_lookup.c) and the request builders (http_request.c).
 *	  Not for other callers: use provider.h.
 *
 * One curl multi handle runs both kinds of transfer at once: the sends of a
 * batch and the list pages of a reconciliation set, so recovery never stops
 * due messages from going out.  Every transfer occupies a slot; at most
 * `limit` (textseq.max_in_flight) are in flight, and list pages at most a
 * quarter of them, so sends always have room.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_HTTP_INT_H
#define TEXTSEQ_HTTP_INT_H

#include <curl/curl.h>

#include "lib/stringinfo.h"

#include "provider.h"

/* Message bodies longer than this (bytes) are refused without sending. */
#define HTTP_BODY_MAX (64 * 1024)

/* How long one step waits for curl when nothing finished. */
#define HTTP_POLL_MS 50

typedef enum HttpSlotKind
{
	SLOT_FREE = 0,				/* in the pool */
	SLOT_SEND,					/* a create of the send batch; job = index into sends */
	SLOT_LIST					/* a list page; job = index into the lookup set's jobs */
} HttpSlotKind;

/* An easy handle with its reusable buffers. */
typedef struct HttpSlot
{
	CURL	   *easy;
	MemoryContext cxt;
	HttpSlotKind kind;
	int			job;
	StringInfoData url;
	StringInfoData body;		/* request body (creates) */
	size_t		body_off;		/* how much of body read_cb has handed to curl */
	StringInfoData auth;		/* "Authorization: Bearer ..." (telnyx) */
	StringInfoData idem;		/* "Idempotency-Key: ..." (telnyx) */
	struct curl_slist hdrs[5];	/* our own nodes: no per-request malloc */
	char	   *resp;			/* response body, NUL-terminated */
	size_t		resp_len;
	size_t		resp_cap;
	size_t		resp_max;
	bool		resp_bad;		/* cut (too large) or out of memory */
	int			retry_after_ms; /* -1 = no Retry-After */
	char		errbuf[CURL_ERROR_SIZE];
} HttpSlot;

/*
 * One paging task of reconciliation.  A sender job lists one From of an
 * account (to == NULL) and may settle many messages; a pair job lists one
 * To/From pair for one message.
 */
typedef struct ListJob
{
	const TsAccount *account;
	const char *from;			/* NULL or "": no From filter */
	const char *to;				/* NULL: a sender job */
	TsMatchKey *keys;			/* sorted by to; tag = index into the set's lookups */
	int			nkeys;
	int			left;			/* keys not yet settled by this job */
	int64_t		oldest_claim;	/* earliest claimed_at_unix of its keys */
	int			pages;			/* pages read so far */
} ListJob;

/* The reconciliation set being asked (the caller's lookups). */
typedef struct LookupSet
{
	MemoryContext cxt;			/* jobs and keys; reset for every set */
	TsLookup   *lookups;		/* NULL when no set */
	int			n;
	int			undecided;		/* lookups still TS_LOOKUP_PENDING */
	ListJob    *jobs;
	int			njobs;
	int			capjobs;
	int			next;			/* first job not started */
	int			active;			/* list transfers in flight */
	TsHttpConfig cfg;
} LookupSet;

struct TsHttp
{
	MemoryContext cxt;
	CURLM	   *multi;
	HttpSlot   *slots;			/* SLOTS_MAX of them, made as needed */
	int			nslots;			/* slots made so far */
	int		   *free_stack;
	int			nfree;
	int			limit;			/* transfers in flight at most (max_in_flight) */
	int			active;			/* transfers in flight, sends and list pages */
	TsSend	   *sends;			/* the send batch being run, or NULL */
	int			nsends;
	int			send_active;
	const TsHttpConfig *send_cfg;
	LookupSet	ls;
};

/* in http.c: the slot pool, one curl step, text that goes into columns */
extern void http_set_limit(TsHttp *h, const TsHttpConfig *cfg);
extern HttpSlot *http_slot_take(TsHttp *h);
extern bool http_slot_start(TsHttp *h, HttpSlot *s, HttpSlotKind kind, int job);
extern void http_slot_release(TsHttp *h, HttpSlot *s);
extern void http_slot_begin(HttpSlot *s, const TsHttpConfig *cfg, const char *url);
extern struct curl_slist *http_slot_headers(HttpSlot *s, const char *const *lines, int n);
extern bool http_step(TsHttp *h, int wait_ms);
extern void http_clean_text(char *s, size_t size);

/* in http_lookup.c: reconciliation list pages */
extern void http_lookup_done(TsHttp *h, HttpSlot *s, CURLcode rc);
extern void http_lookups_feed(TsHttp *h);

/* in http_request.c */
extern bool http_send_local(TsSend *s);
extern void http_build_twilio_send(const TsSend *s, StringInfo url, StringInfo body);
extern void http_build_telnyx_send(const TsSend *s, StringInfo url, StringInfo body);
extern void http_build_twilio_list(const TsAccount *a, const char *to, const char *from,
								   StringInfo url);
extern void http_build_next_page(const TsAccount *a, const char *next_page_uri, StringInfo url);

#endif							/* TEXTSEQ_HTTP_INT_H */
