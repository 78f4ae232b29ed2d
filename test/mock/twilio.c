/*-------------------------------------------------------------------------
 *
 * twilio.c
 *	  Twilio's Messages API (2010-04-01) as the mock serves it: routing under
 *	  /2010-04-01/Accounts/{AccountSid}/, the optional Basic-auth check,
 *	  create with Twilio's validation codes, fetch, and the JSON of a message
 *	  resource and of an error.
 *
 *	  Faults are matched on the To number after validation, so an invalid
 *	  request is rejected the same way whatever the fault set.  Listing is in
 *	  twilio_list.c.  Must not print per request.
 *
 * test/mock/twilio.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"
#include "apply.h"
#include "twilio.h"

#include <stdio.h>
#include <string.h>

#define ACCOUNT_MAX 64
#define BODY_MAX_CHARS 1600

/* {"code":..,"message":..,"more_info":..,"status":..} with that HTTP status */
void
twilio_error(Req *r, int http, int code, const char *message)
{
	Buf		   *b = &r->reply.body;

	buf_reset(b);
	buf_printf(b, "{\"code\":%d,\"message\":", code);
	buf_json_str(b, message);
	buf_printf(b, ",\"more_info\":\"https://www.twilio.com/docs/errors/%d\",\"status\":%d}",
			   code, http);
	reply_json(r, http);
}

/* one "key":"value" member (value may be NULL → null), with a leading comma */
static void
member(Buf *b, const char *key, const char *val)
{
	buf_printf(b, ",\"%s\":", key);
	buf_json_str(b, val);
}

/* the message resource, as create, fetch and list return it */
void
twilio_render_msg(Buf *b, const Msg *m)
{
	char		date[40];

	fmt_rfc2822(date, sizeof(date), m->created_us);
	buf_puts(b, "{\"account_sid\":");
	buf_json_str(b, m->account);
	buf_puts(b, ",\"api_version\":\"2010-04-01\"");
	member(b, "body", m->body ? m->body : "");
	member(b, "date_created", date);
	member(b, "date_sent", date);
	member(b, "date_updated", date);
	buf_puts(b, ",\"direction\":\"outbound-api\",\"error_code\":null,\"error_message\":null");
	member(b, "from", m->from);
	member(b, "messaging_service_sid", m->mss);
	buf_printf(b, ",\"num_media\":\"%d\",\"num_segments\":\"%d\"", m->nmedia, m->segments);
	buf_puts(b, ",\"price\":null,\"price_unit\":\"USD\"");
	member(b, "sid", m->sid);
	member(b, "status", m->status);
	buf_printf(b, ",\"subresource_uris\":{\"media\":\"%s%s/Messages/%s/Media.json\"}",
			   TWILIO_PREFIX, m->account, m->sid);
	member(b, "to", m->to);
	buf_printf(b, ",\"uri\":\"%s%s/Messages/%s.json\"}", TWILIO_PREFIX, m->account, m->sid);
}

/* value of a form field, with "" treated as absent */
static const char *
field(const KvList *kv, const char *key)
{
	const char *v = kv_get(kv, key);

	return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* Twilio's validation of a create; true when an error reply was written */
static bool
create_invalid(Req *r, const KvList *kv)
{
	const char *to = field(kv, "To");
	const char *from = field(kv, "From");
	const char *body = field(kv, "Body");
	int			nmedia = kv_count(kv, "MediaUrl");
	char		msg[160];

	if (to == NULL)
		twilio_error(r, 400, 21604, "A 'To' phone number is required.");
	else if (!sms_is_e164(to))
	{
		snprintf(msg, sizeof(msg), "The 'To' number %.40s is not a valid phone number.", to);
		twilio_error(r, 400, 21211, msg);
	}
	else if (from == NULL && field(kv, "MessagingServiceSid") == NULL)
		twilio_error(r, 400, 21603, "A 'From' phone number is required.");
	else if (from != NULL && !sms_is_sender(from))
	{
		snprintf(msg, sizeof(msg), "The 'From' number %.40s is not a valid phone number, "
				 "shortcode, or alphanumeric sender ID.", from);
		twilio_error(r, 400, 21606, msg);
	}
	else if (body == NULL && nmedia == 0)
		twilio_error(r, 400, 21602, "Message body is required.");
	else if (body != NULL && sms_char_count(body) > BODY_MAX_CHARS)
		twilio_error(r, 400, 21617, "The concatenated message body exceeds the 1600 character limit.");
	else if (nmedia > MSG_MAX_MEDIA)
		twilio_error(r, 400, 21623, "The number of media files exceeds the limit of 10.");
	else
		return false;
	stat_inc(ST_REJECTED);
	return true;
}

/* the message to record from a validated form */
static void
fill_msg(Msg *m, const char **media, const KvList *kv, const char *account,
		 Req *r, const Fault *f)
{
	int			i;

	memset(m, 0, sizeof(*m));
	m->prov = PROV_TWILIO;
	m->account = account;
	m->to = field(kv, "To");
	m->from = field(kv, "From");
	m->mss = field(kv, "MessagingServiceSid");
	m->body = kv_get(kv, "Body");
	m->status_cb = field(kv, "StatusCallback");
	m->validity = field(kv, "ValidityPeriod");
	m->idem = req_header(r, "Idempotency-Key");
	m->fault = f ? f->spec : NULL;
	m->media = media;
	for (i = 0; i < kv->n; i++)
		if (strcmp(kv->items[i].key, "MediaUrl") == 0)
			m->media[m->nmedia++] = kv->items[i].val;
}

/* POST .../Messages.json */
static void
twilio_create(Req *r, const char *account)
{
	KvList		kv;
	Fault		f;
	bool		faulted,
				replayed;
	Msg			in;
	const char *media[MSG_MAX_MEDIA];
	const Msg  *m;

	if (kv_parse_form(r->in.p, &kv) < 0)
	{
		twilio_error(r, 400, 20001, "Too many parameters.");
		stat_inc(ST_REJECTED);
		return;
	}
	if (create_invalid(r, &kv))
		return;
	faulted = faults_match(OP_CREATE, field(&kv, "To"), &f);
	if (faulted && apply_pre(r, &f, twilio_error))
		return;
	fill_msg(&in, media, &kv, account, r, faulted ? &f : NULL);
	store_lock();
	m = store_accept(&in, &replayed);
	twilio_render_msg(&r->reply.body, m);
	dlr_enqueue(m);
	store_unlock();
	stat_inc(ST_ACCEPTED);
	reply_json(r, 201);
	if (faulted)
		apply_post(r, &f, twilio_error);
}

/* GET .../Messages/{Sid}.json */
static void
twilio_fetch(Req *r, const char *account, const char *sid)
{
	Fault		f;
	bool		faulted = faults_match(OP_FETCH, NULL, &f);
	bool		found;
	const Msg  *m;

	stat_inc(ST_FETCHES);
	if (faulted && apply_pre(r, &f, twilio_error))
		return;
	store_lock();
	m = store_find_sid(sid);
	found = m != NULL && m->prov == PROV_TWILIO && strcmp(m->account, account) == 0;
	if (found)
		twilio_render_msg(&r->reply.body, m);
	store_unlock();
	if (found)
		reply_json(r, 200);
	else
	{
		stat_inc(ST_NOT_FOUND);
		twilio_error(r, 404, 20404, "The requested resource was not found.");
	}
	if (faulted)
		apply_post(r, &f, twilio_error);
}

/* does the request carry the configured Basic credentials? */
static bool
auth_ok(Req *r)
{
	const char *h;

	if (g_cfg.auth_basic == NULL)
		return true;
	h = req_header(r, "Authorization");
	return h != NULL && strcmp(h, g_cfg.auth_basic) == 0;
}

/* split "AC.../rest" into account and the rest; false when malformed */
static bool
split_account(const char *path, char *account, const char **rest)
{
	const char *slash = strchr(path, '/');
	size_t		n = slash ? (size_t) (slash - path) : 0;

	if (n == 0 || n >= ACCOUNT_MAX)
		return false;
	memcpy(account, path, n);
	account[n] = '\0';
	*rest = slash + 1;
	return true;
}

/* copy "{Sid}" out of "Messages/{Sid}.json"; false when it is not that shape */
static bool
message_sid(const char *rest, char *sid, size_t size)
{
	size_t		n;

	if (strncmp(rest, "Messages/", 9) != 0)
		return false;
	rest += 9;
	n = strlen(rest);
	if (n <= 5 || n - 5 >= size || strcmp(rest + n - 5, ".json") != 0 ||
		memchr(rest, '/', n) != NULL)
		return false;
	memcpy(sid, rest, n - 5);
	sid[n - 5] = '\0';
	return true;
}

/* dispatch a request under /2010-04-01/Accounts/ */
void
twilio_route(Req *r, const char *path)
{
	char		account[ACCOUNT_MAX];
	char		sid[64];
	const char *rest;

	if (!split_account(path, account, &rest))
	{
		stat_inc(ST_NOT_FOUND);
		twilio_error(r, 404, 20404, "The requested resource was not found.");
		return;
	}
	if (!auth_ok(r))
	{
		stat_inc(ST_AUTH_FAILED);
		twilio_error(r, 401, 20003, "Authenticate");
		return;
	}
	if (strcmp(rest, "Messages.json") == 0 && r->is_post)
		twilio_create(r, account);
	else if (strcmp(rest, "Messages.json") == 0 && r->is_get)
		twilio_list(r, account);
	else if (message_sid(rest, sid, sizeof(sid)) && r->is_get)
		twilio_fetch(r, account, sid);
	else if (strcmp(rest, "Messages.json") == 0 || message_sid(rest, sid, sizeof(sid)))
		twilio_error(r, 405, 20004, "Method not allowed");
	else
	{
		stat_inc(ST_NOT_FOUND);
		twilio_error(r, 404, 20404, "The requested resource was not found.");
	}
}
