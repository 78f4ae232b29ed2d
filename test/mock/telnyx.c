/*-------------------------------------------------------------------------
 *
 * telnyx.c
 *	  Telnyx's Messages API v2 as the mock serves it: POST /v2/messages
 *	  (JSON, optional Bearer check, Idempotency-Key replay) and
 *	  GET /v2/messages/{id}.
 *
 *	  An Idempotency-Key seen before returns the original message and is not
 *	  recorded again, even when the first attempt was answered with a fault
 *	  after recording it (accept_then_*, hang): that is what makes a Telnyx
 *	  retry safe.  Rejections use Telnyx's {"errors":[...]} shape; injected
 *	  error:CODE answers 422, Telnyx's status for a refused message.
 *	  Must not print per request.
 *
 * test/mock/telnyx.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"
#include "apply.h"

#include <stdio.h>
#include <string.h>

/* {"errors":[{"code":"..","title":..,"detail":..}]} with that HTTP status */
static void
telnyx_error_raw(Req *r, int http, const char *code, const char *title, const char *detail)
{
	Buf		   *b = &r->reply.body;

	buf_reset(b);
	buf_puts(b, "{\"errors\":[{\"code\":");
	buf_json_str(b, code);
	buf_puts(b, ",\"title\":");
	buf_json_str(b, title);
	buf_puts(b, ",\"detail\":");
	buf_json_str(b, detail);
	buf_puts(b, "}]}");
	reply_json(r, http);
}

/* the ErrWriter for faults: Telnyx codes for 5xx and 429, 400 becomes 422 */
static void
telnyx_error(Req *r, int http, int code, const char *message)
{
	char		c[16];

	if (http >= 500)
	{
		telnyx_error_raw(r, http, "10007", "Unexpected error", message);
		return;
	}
	if (http == 429)
	{
		telnyx_error_raw(r, http, "10011", "Too many requests", message);
		return;
	}
	snprintf(c, sizeof(c), "%d", code);
	telnyx_error_raw(r, http == 400 ? 422 : http, c, message, message);
}

/* the "data" object of a message */
static void
render(Buf *b, const Msg *m)
{
	char		ts[40];
	int			i;

	fmt_iso_us(ts, sizeof(ts), m->created_us);
	buf_puts(b, "{\"data\":{\"record_type\":\"message\",\"direction\":\"outbound\",\"id\":");
	buf_json_str(b, m->sid);
	buf_printf(b, ",\"type\":\"%s\",\"messaging_profile_id\":", m->nmedia ? "MMS" : "SMS");
	buf_json_str(b, m->mss);
	buf_puts(b, ",\"from\":{\"phone_number\":");
	buf_json_str(b, m->from);
	buf_puts(b, ",\"carrier\":\"Telnyx\",\"line_type\":\"VoIP\"},\"to\":[{\"phone_number\":");
	buf_json_str(b, m->to);
	buf_puts(b, ",\"status\":");
	buf_json_str(b, m->status);
	buf_puts(b, ",\"carrier\":\"T-Mobile USA\",\"line_type\":\"Wireless\"}],\"text\":");
	buf_json_str(b, m->body ? m->body : "");
	buf_puts(b, ",\"media\":[");
	for (i = 0; i < m->nmedia; i++)
	{
		buf_puts(b, i ? ",{\"url\":" : "{\"url\":");
		buf_json_str(b, m->media[i]);
		buf_puts(b, "}");
	}
	buf_puts(b, "],\"webhook_url\":");
	buf_json_str(b, m->status_cb);
	buf_printf(b, ",\"encoding\":\"%s\",\"parts\":%d,\"tags\":[],\"cost\":null,"
			   "\"received_at\":\"%s\",\"sent_at\":null,\"completed_at\":null,"
			   "\"valid_until\":null,\"errors\":[]}}",
			   m->ucs2 ? "UCS-2" : "GSM-7", m->segments, ts);
}

/* value of a JSON string member, with "" treated as absent */
static const char *
field(const KvList *kv, const char *key)
{
	const char *v = kv_get(kv, key);

	return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* Telnyx-style validation; true when an error reply was written */
static bool
create_invalid(Req *r, const KvList *kv)
{
	const char *to = field(kv, "to");
	int			nmedia = kv_count(kv, "media_urls");

	if (to == NULL || !sms_is_e164(to))
		telnyx_error_raw(r, 422, "40310", "Invalid 'to' address",
						 "The 'to' address must be an E.164 phone number.");
	else if (field(kv, "from") == NULL && field(kv, "messaging_profile_id") == NULL)
		telnyx_error_raw(r, 422, "40305", "Invalid 'from' address",
						 "Either 'from' or 'messaging_profile_id' is required.");
	else if (field(kv, "text") == NULL && nmedia == 0)
		telnyx_error_raw(r, 422, "10015", "Bad Request",
						 "Either 'text' or 'media_urls' is required.");
	else if (nmedia > MSG_MAX_MEDIA)
		telnyx_error_raw(r, 422, "10015", "Bad Request", "At most 10 media_urls.");
	else
		return false;
	stat_inc(ST_REJECTED);
	return true;
}

/* the message to record from a validated request */
static void
fill_msg(Msg *m, const char **media, const KvList *kv, Req *r, const Fault *f)
{
	int			i;

	memset(m, 0, sizeof(*m));
	m->prov = PROV_TELNYX;
	m->to = field(kv, "to");
	m->from = field(kv, "from");
	m->mss = field(kv, "messaging_profile_id");
	m->body = kv_get(kv, "text");
	m->status_cb = field(kv, "webhook_url");
	m->idem = req_header(r, "Idempotency-Key");
	if (m->idem != NULL && m->idem[0] == '\0')
		m->idem = NULL;
	m->fault = f ? f->spec : NULL;
	m->media = media;
	for (i = 0; i < kv->n; i++)
		if (strcmp(kv->items[i].key, "media_urls") == 0)
			m->media[m->nmedia++] = kv->items[i].val;
}

/* POST /v2/messages */
static void
telnyx_create(Req *r)
{
	KvList		kv;
	const char *err = NULL;
	Fault		f;
	bool		faulted,
				replayed;
	Msg			in;
	const Msg  *m;
	const char *media[MSG_MAX_MEDIA];

	if (kv_parse_json(r->in.p, &kv, &err) < 0)
	{
		telnyx_error_raw(r, 400, "10015", "Bad Request", err);
		stat_inc(ST_REJECTED);
		return;
	}
	if (create_invalid(r, &kv))
		return;
	faulted = faults_match(OP_CREATE, field(&kv, "to"), &f);
	if (faulted && apply_pre(r, &f, telnyx_error))
		return;
	fill_msg(&in, media, &kv, r, faulted ? &f : NULL);
	store_lock();
	m = store_accept(&in, &replayed);
	render(&r->reply.body, m);
	store_unlock();
	stat_inc(replayed ? ST_REPLAYED : ST_ACCEPTED);
	reply_json(r, 200);
	if (faulted)
		apply_post(r, &f, telnyx_error);
}

/* GET /v2/messages/{id} */
static void
telnyx_fetch(Req *r, const char *id)
{
	const Msg  *m;
	bool		found;

	stat_inc(ST_FETCHES);
	store_lock();
	m = store_find_sid(id);
	found = m != NULL && m->prov == PROV_TELNYX;
	if (found)
		render(&r->reply.body, m);
	store_unlock();
	if (found)
		reply_json(r, 200);
	else
	{
		stat_inc(ST_NOT_FOUND);
		telnyx_error_raw(r, 404, "10005", "Resource not found", "No message with that id.");
	}
}

/* dispatch a request under /v2/messages */
void
telnyx_route(Req *r, const char *rest)
{
	const char *h = req_header(r, "Authorization");

	if (g_cfg.telnyx_bearer != NULL && (h == NULL || strcmp(h, g_cfg.telnyx_bearer) != 0))
	{
		stat_inc(ST_AUTH_FAILED);
		telnyx_error_raw(r, 401, "10009", "Authentication failed",
						 "The API key is missing or invalid.");
	}
	else if (rest[0] == '\0' && r->is_post)
		telnyx_create(r);
	else if (rest[0] == '/' && rest[1] != '\0' && strchr(rest + 1, '/') == NULL && r->is_get)
		telnyx_fetch(r, rest + 1);
	else
	{
		stat_inc(ST_NOT_FOUND);
		telnyx_error_raw(r, 404, "10005", "Resource not found", "No such route.");
	}
}
