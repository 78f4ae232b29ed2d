/*-------------------------------------------------------------------------
 *
 * http.c
 *	  The provider transport of the dispatch worker: one curl multi handle,
 *	  a pool of slots (easy handles with their buffers), and the send batch:
 *	  creates run concurrently, each answer classified by the outcome core
 *	  (core/outcome.h).  Reconciliation list pages (http_lookup.c) run in
 *	  the same multi handle at the same time.
 *
 * One TsHttp per process (never in shared memory).  The multi handle's
 * connection cache keeps provider connections alive across batches; slots
 * are reused request after request; all of it lives in a private memory
 * context under TopMemoryContext.
 *
 * Must not: touch SPI, snapshots or transactions; call CHECK_FOR_INTERRUPTS;
 * sleep except in curl_multi_poll (at most HTTP_POLL_MS at a time, so the
 * caller's interrupted() is asked often).  curl callbacks must not ereport
 * or palloc in a way that can throw (they run inside libcurl: a longjmp out
 * of them would corrupt it), so they only copy bytes and allocate with
 * MCXT_ALLOC_NO_OOM.
 *
 * The safety rule: a failed create counts as TS_TR_NOT_CONNECTED only when
 * curl wrote not one byte of the request (CURLINFO_REQUEST_SIZE == 0) and
 * failed in a phase before sending (DNS, connect, connect timeout, TLS, bad
 * URL); anything else that fails is TS_TR_AFTER_SEND and gets reconciled.
 * A create abandoned at shutdown follows the same rule.
 *
 * Text that reaches a column (error texts, provider ids, statuses) passes
 * http_clean_text: valid UTF-8 (or ASCII for a database in another encoding),
 * cut at a character boundary.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "http_int.h"

#define SLOTS_MAX 1024
#define RESP_INITIAL 4096
#define RESPONSE_MAX (64 * 1024 * 1024)	/* well under MaxAllocSize: write_cb must not throw */

static bool curl_ready = false;

/* Used when the caller passes no configuration. */
static const TsHttpConfig default_config = {16, 5000, 30000, 65536};

/* ---- curl callbacks: copy bytes only, never throw ------------------------ */

/* Collect the response body, up to resp_max bytes. */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	HttpSlot   *s = userdata;
	size_t		n = size * nmemb;

	if (s->resp_len + n > s->resp_max)
	{
		s->resp_bad = true;
		return 0;				/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (s->resp_len + n + 1 > s->resp_cap)
	{
		size_t		cap = Max(s->resp_cap * 2, s->resp_len + n + 1);
		char	   *p;

		cap = Min(cap, s->resp_max + 1);
		p = MemoryContextAllocExtended(s->cxt, cap, MCXT_ALLOC_NO_OOM);
		if (p == NULL)
		{
			s->resp_bad = true;
			return 0;
		}
		memcpy(p, s->resp, s->resp_len);
		pfree(s->resp);
		s->resp = p;
		s->resp_cap = cap;
	}
	memcpy(s->resp + s->resp_len, ptr, n);
	s->resp_len += n;
	s->resp[s->resp_len] = '\0';
	return n;
}

/* Watch response headers for Retry-After (a new status line resets it). */
static size_t
header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	HttpSlot   *s = userdata;
	size_t		n = size * nitems;
	char		val[64];

	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0)
		s->retry_after_ms = -1;
	else if (n > 12 && pg_strncasecmp(buf, "Retry-After:", 12) == 0)
	{
		size_t		vn = n - 12;

		if (vn < sizeof(val))
		{
			memcpy(val, buf + 12, vn);
			val[vn] = '\0';
			s->retry_after_ms = outcome_retry_after_ms(val);
		}
	}
	return n;
}

/* ---- state ------------------------------------------------------------------ */

/* Create the process-local HTTP state (curl multi handle, connection cache). */
TsHttp *
ts_http_create(void)
{
	MemoryContext cxt;
	TsHttp	   *h;

	if (!curl_ready)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			ereport(ERROR, (errcode(ERRCODE_SYSTEM_ERROR),
							errmsg("could not initialize libcurl")));
		curl_ready = true;
	}
	cxt = AllocSetContextCreate(TopMemoryContext, "textseq http", ALLOCSET_DEFAULT_SIZES);
	h = MemoryContextAllocZero(cxt, sizeof(TsHttp));
	h->cxt = cxt;
	h->ls.cxt = AllocSetContextCreate(cxt, "textseq lookups", ALLOCSET_DEFAULT_SIZES);
	h->slots = MemoryContextAllocZero(cxt, SLOTS_MAX * sizeof(HttpSlot));
	h->free_stack = MemoryContextAlloc(cxt, SLOTS_MAX * sizeof(int));
	h->multi = curl_multi_init();
	if (h->multi == NULL)
	{
		MemoryContextDelete(cxt);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("could not create a libcurl multi handle")));
	}
	return h;
}

/* Destroy the HTTP state: transfers in flight, easy handles, the multi handle, buffers. */
void
ts_http_destroy(TsHttp *h)
{
	if (h == NULL)
		return;
	for (int i = 0; i < h->nslots; i++)
	{
		if (h->slots[i].kind != SLOT_FREE)
			curl_multi_remove_handle(h->multi, h->slots[i].easy);
		curl_easy_cleanup(h->slots[i].easy);
	}
	curl_multi_cleanup(h->multi);
	MemoryContextDelete(h->cxt);
}

/* Make one slot: an easy handle and its reusable buffers. */
static void
slot_init(TsHttp *h, HttpSlot *s)
{
	MemoryContext old = MemoryContextSwitchTo(h->cxt);

	memset(s, 0, sizeof(*s));
	s->easy = curl_easy_init();
	if (s->easy == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("could not create a libcurl easy handle")));
	s->cxt = h->cxt;
	s->kind = SLOT_FREE;
	s->job = -1;
	initStringInfo(&s->url);
	initStringInfo(&s->body);
	initStringInfo(&s->auth);
	initStringInfo(&s->idem);
	s->resp = palloc(RESP_INITIAL);
	s->resp_cap = RESP_INITIAL;
	MemoryContextSwitchTo(old);
}

/*
 * Take max_in_flight from cfg: grow the slot pool to it and size the
 * connection cache.  A smaller value (SIGHUP) only limits what starts next.
 */
void
http_set_limit(TsHttp *h, const TsHttpConfig *cfg)
{
	int			want = cfg->max_in_flight < 1 ? 1 : Min(cfg->max_in_flight, SLOTS_MAX);

	h->limit = want;
	if (want <= h->nslots)
		return;
	while (h->nslots < want)
	{
		slot_init(h, &h->slots[h->nslots]);
		h->free_stack[h->nfree++] = h->nslots;
		h->nslots++;
	}
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long) Max(want, 8));
}

/* A free slot when fewer than limit transfers are in flight, else NULL. */
HttpSlot *
http_slot_take(TsHttp *h)
{
	if (h->active >= h->limit || h->nfree == 0)
		return NULL;
	return &h->slots[h->free_stack[--h->nfree]];
}

/* Put a set-up slot into the multi handle; false (slot back in the pool) if curl refuses. */
bool
http_slot_start(TsHttp *h, HttpSlot *s, HttpSlotKind kind, int job)
{
	if (curl_multi_add_handle(h->multi, s->easy) != CURLM_OK)
	{
		s->kind = SLOT_FREE;
		s->job = -1;
		h->free_stack[h->nfree++] = (int) (s - h->slots);
		return false;
	}
	s->kind = kind;
	s->job = job;
	h->active++;
	return true;
}

/* Take a running slot out of the multi handle and back into the pool. */
void
http_slot_release(TsHttp *h, HttpSlot *s)
{
	curl_multi_remove_handle(h->multi, s->easy);
	s->kind = SLOT_FREE;
	s->job = -1;
	h->free_stack[h->nfree++] = (int) (s - h->slots);
	h->active--;
}

/* ---- one request ------------------------------------------------------------ */

/* Reset a slot's easy handle and set what every request shares. */
void
http_slot_begin(HttpSlot *s, const TsHttpConfig *cfg, const char *url)
{
	CURL	   *e = s->easy;

	curl_easy_reset(e);
	s->resp_len = 0;
	s->resp[0] = '\0';
	s->resp_bad = false;
	s->resp_max = (size_t) Min(Max(cfg->max_response_bytes, 1024), RESPONSE_MAX);
	s->retry_after_ms = -1;
	s->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
					 (long) (cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 5000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
					 (long) (cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 30000));
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
}

/* Link the slot's header nodes (n of them) into a list for curl. */
struct curl_slist *
http_slot_headers(HttpSlot *s, const char *const *lines, int n)
{
	for (int i = 0; i < n; i++)
	{
		s->hdrs[i].data = (char *) lines[i];
		s->hdrs[i].next = (i + 1 < n) ? &s->hdrs[i + 1] : NULL;
	}
	return &s->hdrs[0];
}

/* curl read callback: hand out the slot's body once; only copies bytes. */
static size_t
read_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	HttpSlot   *s = (HttpSlot *) userdata;
	size_t		room = size * nitems;
	size_t		left = s->body.len - s->body_off;
	size_t		n = Min(room, left);

	memcpy(buf, s->body.data + s->body_off, n);
	s->body_off += n;
	return n;
}

/* Set up a create request on slot s for send d. */
static void
slot_setup_send(HttpSlot *s, const TsSend *d, const TsHttpConfig *cfg)
{
	const TsAccount *a = d->account;
	bool		telnyx = strcmp(a->provider, "telnyx") == 0;
	CURL	   *e = s->easy;
	struct curl_slist *hl;

	if (telnyx)
		http_build_telnyx_send(d, &s->url, &s->body);
	else
		http_build_twilio_send(d, &s->url, &s->body);
	http_slot_begin(s, cfg, s->url.data);
	if (telnyx)
	{
		const char *lines[5];

		resetStringInfo(&s->auth);
		appendStringInfo(&s->auth, "Authorization: Bearer %s", a->secret ? a->secret : "");
		resetStringInfo(&s->idem);
		if (d->idempotency_key && d->idempotency_key[0])
			appendStringInfo(&s->idem, "Idempotency-Key: %s", d->idempotency_key);
		else
			appendStringInfo(&s->idem, "Idempotency-Key: %lld", (long long) d->message_id);
		lines[0] = "Content-Type: application/json";
		lines[1] = "Accept: application/json";
		lines[2] = "Expect:";
		lines[3] = s->auth.data;
		lines[4] = s->idem.data;
		hl = http_slot_headers(s, lines, 5);
	}
	else
	{
		const char *lines[3] = {"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", "Expect:"};

		hl = http_slot_headers(s, lines, 3);
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, a->account_sid);
		curl_easy_setopt(e, CURLOPT_PASSWORD, a->secret ? a->secret : "");
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);

	/*
	 * The body goes through a read callback with no seek callback, never
	 * CURLOPT_POSTFIELDS: when a reused connection dies after the request
	 * went out, libcurl silently re-POSTs buffered POSTFIELDS on a fresh
	 * connection -- a second text if the provider had taken the first.
	 * Unable to rewind, it fails instead (CURLE_SEND_FAIL_REWIND), which
	 * counts as "may have been sent" and goes to reconciliation.
	 */
	s->body_off = 0;
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) s->body.len);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(e, CURLOPT_READDATA, s);
}

/*
 * Where the request got to.  Not connected needs both: curl wrote no byte of
 * the request, and it failed in a phase that comes before sending.
 */
static TsTransport
transport_of(const HttpSlot *s, CURLcode rc, double t_connect)
{
	long		request_size = -1;

	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && s->resp_bad))
		return TS_TR_RESPONSE;
	if (curl_easy_getinfo(s->easy, CURLINFO_REQUEST_SIZE, &request_size) != CURLE_OK ||
		request_size != 0)
		return TS_TR_AFTER_SEND;
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
		case CURLE_URL_MALFORMAT:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CERTPROBLEM:
			return TS_TR_NOT_CONNECTED;
		case CURLE_OPERATION_TIMEDOUT:
			return t_connect == 0.0 ? TS_TR_NOT_CONNECTED : TS_TR_AFTER_SEND;
		default:
			return TS_TR_AFTER_SEND;
	}
}

/* Fill a send's error_text for a transport failure. */
static void
transport_text(TsSend *d, const HttpSlot *s, TsTransport tr, CURLcode rc)
{
	const char *why = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);

	snprintf(d->error_text, sizeof(d->error_text), "%s: %s (curl %d)",
			 tr == TS_TR_NOT_CONNECTED ? "request not sent" : "request may have been sent",
			 why, (int) rc);
}

/* Classify a finished create and fill the send's result fields. */
static void
finish_send(HttpSlot *s, TsSend *d, CURLcode rc)
{
	const char *provider = d->account->provider;
	long		status = 0;
	TsTransport tr;
	TsResponse	resp;
	TsError		err;
	bool		readable = false;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(s->easy, CURLINFO_CONNECT_TIME, &d->t_connect);
	curl_easy_getinfo(s->easy, CURLINFO_STARTTRANSFER_TIME, &d->t_start);
	curl_easy_getinfo(s->easy, CURLINFO_TOTAL_TIME, &d->t_total);
	tr = transport_of(s, rc, d->t_connect);
	d->curl_code = (int) rc;
	d->http_status = tr == TS_TR_RESPONSE ? (int) status : 0;
	if (tr == TS_TR_RESPONSE && !s->resp_bad)
		readable = outcome_parse_response(provider, s->resp, s->resp_len, &resp, &err);
	d->outcome = outcome_classify(provider, tr, d->http_status, readable ? &resp : NULL);
	if (readable)
	{
		d->error_code = resp.error_code;
		strlcpy(d->error_text, resp.error_text, sizeof(d->error_text));
	}
	if (d->outcome == TS_OUT_ACCEPTED)
		strlcpy(d->provider_id, resp.provider_id, sizeof(d->provider_id));
	else if (tr != TS_TR_RESPONSE)
		transport_text(d, s, tr, rc);
	else if (s->resp_bad)
		snprintf(d->error_text, sizeof(d->error_text), "HTTP %d response over %zu bytes, not read",
				 d->http_status, s->resp_max);
	else if (!readable || (d->outcome == TS_OUT_AMBIGUOUS && d->error_text[0] == '\0'))
		snprintf(d->error_text, sizeof(d->error_text), "HTTP %d response not understood: %s",
				 d->http_status, readable ? "no message id" : err.message);
	if (d->outcome == TS_OUT_RETRY && s->retry_after_ms > 0)
		d->retry_after_ms = s->retry_after_ms;
}

/*
 * Make text from the provider or curl fit for a text column, in place:
 * valid UTF-8 (ill-formed bytes become U+FFFD) cut at a character boundary,
 * or plain ASCII ('?' for the rest) when the database encoding is neither
 * UTF-8 nor SQL_ASCII.  size is the buffer's, at most 256.
 */
void
http_clean_text(char *s, size_t size)
{
	char		tmp[256];
	int			enc = GetDatabaseEncoding();

	Assert(size <= sizeof(tmp));
	size = Min(size, sizeof(tmp));
	ts_utf8_copy(tmp, size, s, strnlen(s, size), enc != PG_UTF8 && enc != PG_SQL_ASCII);
	strlcpy(s, tmp, size);
}

/* Every text field of a finished send through http_clean_text. */
static void
clean_send(TsSend *d)
{
	http_clean_text(d->provider_id, sizeof(d->provider_id));
	http_clean_text(d->error_text, sizeof(d->error_text));
}

/*
 * A create abandoned at shutdown: not sent when curl wrote no byte of it,
 * else it may have reached the provider (the outcome rules decide what that
 * means: Twilio reconciles, Telnyx resends with its key).
 */
static void
abort_send(HttpSlot *s, TsSend *d)
{
	long		request_size = -1;
	curl_off_t	uploaded = -1;

	if (curl_easy_getinfo(s->easy, CURLINFO_REQUEST_SIZE, &request_size) == CURLE_OK &&
		curl_easy_getinfo(s->easy, CURLINFO_SIZE_UPLOAD_T, &uploaded) == CURLE_OK &&
		request_size == 0 && uploaded == 0)
	{
		d->outcome = TS_OUT_NOT_SENT;
		snprintf(d->error_text, sizeof(d->error_text),
				 "interrupted by shutdown before the request was sent");
		return;
	}
	d->outcome = outcome_classify(d->account->provider, TS_TR_AFTER_SEND, 0, NULL);
	snprintf(d->error_text, sizeof(d->error_text),
			 "interrupted by shutdown: request may have been sent");
}

/* ---- the loop ---------------------------------------------------------------- */

/* Completion of a create: classify it, free the slot. */
static void
send_done(TsHttp *h, HttpSlot *s, CURLcode rc)
{
	TsSend	   *d = &h->sends[s->job];

	finish_send(s, d, rc);
	clean_send(d);
	h->send_active--;
	http_slot_release(h, s);
}

/*
 * One step: let curl run, handle every finished transfer (creates and list
 * pages), and when none finished wait up to wait_ms for activity.  Returns
 * whether anything finished.
 */
bool
http_step(TsHttp *h, int wait_ms)
{
	int			running = 0;
	int			queued;
	bool		any = false;
	CURLMsg    *m;

	curl_multi_perform(h->multi, &running);
	while ((m = curl_multi_info_read(h->multi, &queued)) != NULL)
	{
		HttpSlot   *s = NULL;
		CURLcode	rc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &s);
		if (s == NULL || s->kind == SLOT_FREE)
			continue;
		if (s->kind == SLOT_SEND)
			send_done(h, s, rc);
		else
			http_lookup_done(h, s, rc);
		any = true;
	}
	if (!any && h->active > 0 && wait_ms > 0)
		curl_multi_poll(h->multi, NULL, 0, wait_ms, NULL);
	return any;
}

/* Clear a send's result fields. */
static void
send_clear(TsSend *d)
{
	d->outcome = TS_OUT_NOT_SENT;
	d->provider_id[0] = '\0';
	d->error_code = 0;
	d->error_text[0] = '\0';
	d->retry_after_ms = 0;
	d->http_status = 0;
	d->curl_code = 0;
	d->t_connect = d->t_start = d->t_total = 0;
}

/* Start sends from next on while slots are free; returns the new next. */
static int
start_sends(TsHttp *h, int next)
{
	while (next < h->nsends)
	{
		TsSend	   *d = &h->sends[next];
		HttpSlot   *s;

		if (!http_send_local(d))
		{
			if ((s = http_slot_take(h)) == NULL)
				break;
			slot_setup_send(s, d, h->send_cfg);
			if (http_slot_start(h, s, SLOT_SEND, next))
				h->send_active++;
			else
				snprintf(d->error_text, sizeof(d->error_text), "curl refused the request");
		}
		clean_send(d);
		next++;
	}
	return next;
}

/* Shutdown: abandon every create in flight. */
static void
abort_sends(TsHttp *h)
{
	for (int i = 0; i < h->nslots; i++)
	{
		HttpSlot   *s = &h->slots[i];

		if (s->kind != SLOT_SEND)
			continue;
		abort_send(s, &h->sends[s->job]);
		h->send_active--;
		http_slot_release(h, s);
	}
}

/*
 * Send n messages concurrently (at most cfg->max_in_flight at a time, list
 * pages of a reconciliation set included) and fill every TsSend's out
 * fields.  When interrupted() turns true everything in flight is abandoned.
 */
void
ts_http_send_batch(TsHttp *h, TsSend *sends, int n, const TsHttpConfig *cfg,
				   bool (*interrupted) (void))
{
	int			next = 0;

	if (h == NULL || sends == NULL || n <= 0)
		return;
	if (cfg == NULL)
		cfg = &default_config;
	http_set_limit(h, cfg);
	for (int i = 0; i < n; i++)
		send_clear(&sends[i]);
	h->sends = sends;
	h->nsends = n;
	h->send_active = 0;
	h->send_cfg = cfg;
	for (;;)
	{
		next = start_sends(h, next);
		http_lookups_feed(h);
		if (next >= n && h->send_active == 0)
			break;
		(void) http_step(h, HTTP_POLL_MS);
		if (interrupted != NULL && interrupted())
		{
			(void) http_step(h, 0);	/* what has finished meanwhile counts */
			abort_sends(h);
			ts_http_lookups_abort(h);
			break;
		}
	}
	for (int i = next; i < n; i++)
		snprintf(sends[i].error_text, sizeof(sends[i].error_text), "interrupted before sending");
	h->sends = NULL;
	h->nsends = 0;
}
