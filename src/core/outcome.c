/*-------------------------------------------------------------------------
 *
 * outcome.c
 *	  Pure core: what a provider's answer means for the message (SPEC
 *	  section 6 "Outcomes", PROVIDERS.md error table), the provider JSON the
 *	  worker reads (create response, error body, Twilio list page) and the
 *	  Retry-After header.
 *
 * The one rule that matters most: anything that may have been processed by
 * the provider is TS_OUT_AMBIGUOUS (reconcile before any resend); only what
 * certainly was not is TS_OUT_RETRY.  No server dependency; allocation only
 * through ts_alloc; the JSON scanning itself is in pjson.c.
 *
 *-------------------------------------------------------------------------
 */
#include "outcome.h"
#include "pjson.h"

#include <stdio.h>
#include <string.h>

#define LIST_MAX_MESSAGES 5000	/* PageSize is at most 1000 */
#define RETRY_AFTER_MAX_S 86400

/* ---- error codes ---------------------------------------------------------- */

typedef struct CodeClass
{
	int			code;
	TsOutcome	outcome;
	int			retry_limit;	/* for TS_OUT_UNREACHABLE: how many resends */
} CodeClass;

/* Twilio codes (PROVIDERS.md table; create-time and delivery-report codes). */
static const CodeClass twilio_codes[] = {
	{20429, TS_OUT_RETRY, 0}, {14107, TS_OUT_RETRY, 0},
	{21611, TS_OUT_RETRY, 0}, {30001, TS_OUT_RETRY, 0},
	{30022, TS_OUT_RETRY, 0}, {30023, TS_OUT_RETRY, 0},
	{20500, TS_OUT_AMBIGUOUS, 0}, {20503, TS_OUT_AMBIGUOUS, 0},
	{20003, TS_OUT_AUTH, 0}, {20005, TS_OUT_AUTH, 0},
	{21211, TS_OUT_INVALID, 0}, {30005, TS_OUT_INVALID, 0},
	{21610, TS_OUT_OPTED_OUT, 0}, {30004, TS_OUT_OPTED_OUT, 0},
	{21614, TS_OUT_LANDLINE, 0}, {21635, TS_OUT_LANDLINE, 0}, {30006, TS_OUT_LANDLINE, 0},
	{30003, TS_OUT_UNREACHABLE, 3}, {30008, TS_OUT_UNREACHABLE, 1},
	{30007, TS_OUT_ERROR, 0}, {21617, TS_OUT_ERROR, 0}, {21612, TS_OUT_ERROR, 0},
	{30036, TS_OUT_ERROR, 0},
	{21408, TS_OUT_CONFIG, 0}, {21606, TS_OUT_CONFIG, 0}, {21212, TS_OUT_CONFIG, 0},
	{21659, TS_OUT_CONFIG, 0}, {20404, TS_OUT_CONFIG, 0},
	{30032, TS_OUT_CONFIG, 0}, {30034, TS_OUT_CONFIG, 0},
	{0, TS_OUT_ERROR, 0}
};

/* Telnyx codes (API errors 1xxxx, messaging 4xxxx). */
static const CodeClass telnyx_codes[] = {
	{10011, TS_OUT_RETRY, 0}, {40011, TS_OUT_RETRY, 0},
	{10007, TS_OUT_AMBIGUOUS, 0}, {10008, TS_OUT_AMBIGUOUS, 0},
	{10009, TS_OUT_AUTH, 0},
	{10002, TS_OUT_INVALID, 0}, {10016, TS_OUT_INVALID, 0},
	{40012, TS_OUT_INVALID, 0}, {40310, TS_OUT_INVALID, 0},
	{40300, TS_OUT_OPTED_OUT, 0},
	{40001, TS_OUT_LANDLINE, 0},
	{40006, TS_OUT_UNREACHABLE, 3}, {40004, TS_OUT_UNREACHABLE, 1},
	{40002, TS_OUT_ERROR, 0}, {40003, TS_OUT_ERROR, 0}, {40015, TS_OUT_ERROR, 0},
	{10010, TS_OUT_CONFIG, 0}, {40013, TS_OUT_CONFIG, 0}, {40305, TS_OUT_CONFIG, 0},
	{0, TS_OUT_ERROR, 0}
};

/* The provider's code table entry for code, or NULL when the code is not listed. */
static const CodeClass *
code_lookup(const char *provider, int code)
{
	const CodeClass *t;

	if (provider == NULL || code == 0)
		return NULL;
	t = strcmp(provider, "telnyx") == 0 ? telnyx_codes : twilio_codes;
	for (; t->code != 0; t++)
		if (t->code == code)
			return t;
	return NULL;
}

/* The outcome a provider error code means on its own (unknown codes: error). */
TsOutcome
outcome_classify_code(const char *provider, int error_code)
{
	const CodeClass *c = code_lookup(provider, error_code);

	return c ? c->outcome : TS_OUT_ERROR;
}

/* How many times a TS_OUT_UNREACHABLE code may be retried (0 for other codes). */
int
outcome_retry_limit(const char *provider, int error_code)
{
	const CodeClass *c = code_lookup(provider, error_code);

	return c ? c->retry_limit : 0;
}

/* ---- classification ------------------------------------------------------- */

/* Outcome of an HTTP error status when the body gives no listed code. */
static TsOutcome
classify_status(int http_status)
{
	if (http_status == 401)
		return TS_OUT_AUTH;
	if (http_status == 403 || http_status == 404 || (http_status >= 300 && http_status < 400))
		return TS_OUT_CONFIG;
	if (http_status == 408 || http_status < 100 || http_status >= 500)
		return TS_OUT_AMBIGUOUS;
	return TS_OUT_ERROR;
}

/* Decide the outcome from transport, HTTP status and parsed body (resp may be NULL). */
TsOutcome
outcome_classify(const char *provider, TsTransport transport, int http_status,
				 const TsResponse *resp)
{
	const CodeClass *c;

	if (transport == TS_TR_NOT_CONNECTED)
		return TS_OUT_RETRY;
	if (transport != TS_TR_RESPONSE)
		return TS_OUT_AMBIGUOUS;
	if (http_status >= 200 && http_status < 300)
		return (resp != NULL && resp->provider_id[0] != '\0') ? TS_OUT_ACCEPTED : TS_OUT_AMBIGUOUS;
	if (http_status == 429)
		return TS_OUT_RETRY;
	if (http_status >= 500 || http_status < 100)
		return TS_OUT_AMBIGUOUS;
	if (http_status == 401)
		return TS_OUT_AUTH;
	c = resp ? code_lookup(provider, resp->error_code) : NULL;
	if (c != NULL)
		return c->outcome;
	return classify_status(http_status);
}

/* Human-readable name of an outcome, for logs and worker_status. */
const char *
outcome_name(TsOutcome o)
{
	switch (o)
	{
		case TS_OUT_NOT_SENT:
			return "not_sent";
		case TS_OUT_ACCEPTED:
			return "accepted";
		case TS_OUT_RETRY:
			return "retry";
		case TS_OUT_AMBIGUOUS:
			return "ambiguous";
		case TS_OUT_INVALID:
			return "invalid";
		case TS_OUT_OPTED_OUT:
			return "opted_out";
		case TS_OUT_LANDLINE:
			return "landline";
		case TS_OUT_UNREACHABLE:
			return "unreachable";
		case TS_OUT_ERROR:
			return "error";
		case TS_OUT_AUTH:
			return "auth";
		case TS_OUT_CONFIG:
			return "config";
	}
	return "unknown";
}

/* ---- Retry-After ------------------------------------------------------------ */

/* Parse a Retry-After header value (delta-seconds only); -1 if absent/bad. */
int
outcome_retry_after_ms(const char *value)
{
	long		secs = 0;
	int			ndigits = 0;

	if (value == NULL)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	for (; *value >= '0' && *value <= '9'; value++, ndigits++)
		if (secs <= RETRY_AFTER_MAX_S)
			secs = secs * 10 + (*value - '0');
	while (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n')
		value++;
	if (ndigits == 0 || *value != '\0')
		return -1;
	if (secs > RETRY_AFTER_MAX_S)
		secs = RETRY_AFTER_MAX_S;
	return (int) (secs * 1000);
}

/* ---- create response ------------------------------------------------------ */

typedef struct RespCtx
{
	bool		telnyx;
	TsResponse *out;
	int			code;			/* Twilio "code" / Telnyx errors[0].code */
	int			code2;			/* Twilio "error_code" */
	bool		have_text;		/* error_text came from "message" / "detail" */
	bool		id_too_long;
} RespCtx;

/* Twilio: top-level members of a message resource or an error body. */
static void
twilio_member(RespCtx *c, PjEvent ev, const char *key, const char *val, size_t len)
{
	TsResponse *o = c->out;

	if (ev == PJ_STRING && strcmp(key, "sid") == 0)
	{
		c->id_too_long = len >= sizeof(o->provider_id);
		pj_copy(o->provider_id, c->id_too_long ? 1 : sizeof(o->provider_id), val, len);
	}
	else if (ev == PJ_STRING && strcmp(key, "status") == 0)
		pj_copy(o->status, sizeof(o->status), val, len);
	else if ((ev == PJ_NUMBER || ev == PJ_STRING) && strcmp(key, "code") == 0)
		(void) pj_int(val, len, &c->code);
	else if ((ev == PJ_NUMBER || ev == PJ_STRING) && strcmp(key, "error_code") == 0)
		(void) pj_int(val, len, &c->code2);
	else if (ev == PJ_STRING && strcmp(key, "message") == 0)
	{
		pj_copy(o->error_text, sizeof(o->error_text), val, len);
		c->have_text = true;
	}
	else if (ev == PJ_STRING && strcmp(key, "error_message") == 0 && !c->have_text)
		pj_copy(o->error_text, sizeof(o->error_text), val, len);
}

/* Telnyx: data.id, data.to[0].status, errors[0].code/detail/title. */
static void
telnyx_value(RespCtx *c, PjEvent ev, const PjFrame *st, int depth, const char *val, size_t len)
{
	TsResponse *o = c->out;

	if (depth == 2 && pj_key_is(st, depth, 0, "data") && pj_key_is(st, depth, 1, "id") &&
		ev == PJ_STRING)
	{
		c->id_too_long = len >= sizeof(o->provider_id);
		pj_copy(o->provider_id, c->id_too_long ? 1 : sizeof(o->provider_id), val, len);
	}
	else if (depth == 4 && ev == PJ_STRING && pj_key_is(st, depth, 0, "data") &&
			 pj_key_is(st, depth, 1, "to") && !st[2].is_object && st[2].index == 0 &&
			 pj_key_is(st, depth, 3, "status"))
		pj_copy(o->status, sizeof(o->status), val, len);
	else if (depth == 3 && pj_key_is(st, depth, 0, "errors") && !st[1].is_object &&
			 st[1].index == 0 && st[2].is_object && st[2].key_ok)
	{
		const char *k = st[2].key;

		if ((ev == PJ_STRING || ev == PJ_NUMBER) && strcmp(k, "code") == 0)
			(void) pj_int(val, len, &c->code);
		else if (ev == PJ_STRING && strcmp(k, "detail") == 0)
		{
			pj_copy(o->error_text, sizeof(o->error_text), val, len);
			c->have_text = true;
		}
		else if (ev == PJ_STRING && strcmp(k, "title") == 0 && !c->have_text)
			pj_copy(o->error_text, sizeof(o->error_text), val, len);
	}
}

/* Visitor for create responses. */
static bool
resp_visit(void *ctx, PjEvent ev, const PjFrame *st, int depth, const char *val, size_t len,
		   TsError *err)
{
	RespCtx    *c = ctx;

	if (depth == 0)
	{
		if (ev != PJ_OBJ_BEGIN && ev != PJ_OBJ_END)
			ts_error_set(err, PJ_ERR_VISITOR, NULL, 0, 0, "response is not a JSON object");
		return ev == PJ_OBJ_BEGIN || ev == PJ_OBJ_END;
	}
	if (ev == PJ_OBJ_BEGIN || ev == PJ_OBJ_END || ev == PJ_ARR_BEGIN || ev == PJ_ARR_END)
		return true;
	if (c->telnyx)
		telnyx_value(c, ev, st, depth, val, len);
	else if (depth == 1 && st[0].key_ok)
		twilio_member(c, ev, st[0].key, val, len);
	return true;
}

/* Parse a create response body ("twilio" or "telnyx") into out. */
bool
outcome_parse_response(const char *provider, const char *body, size_t len,
					   TsResponse *out, TsError *err)
{
	RespCtx		c;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.telnyx = provider != NULL && strcmp(provider, "telnyx") == 0;
	c.out = out;
	if (!pj_scan(body, len, resp_visit, &c, err))
	{
		memset(out, 0, sizeof(*out));
		return false;
	}
	if (c.id_too_long)
	{
		memset(out, 0, sizeof(*out));
		ts_error_set(err, PJ_ERR_VISITOR, NULL, 0, 0, "provider message id is too long");
		return false;
	}
	out->error_code = c.code != 0 ? c.code : c.code2;
	return true;
}

/* ---- Twilio list page -------------------------------------------------------- */

typedef struct ListCtx
{
	TsListPage *page;
	int			cap;
	bool		in_messages;	/* inside the top-level "messages" array */
	bool		bad_next;
} ListCtx;

/* Start a new listed message (a new element of "messages"). */
static bool
list_new_message(ListCtx *c, TsError *err)
{
	TsListPage *pg = c->page;

	if (pg->n >= LIST_MAX_MESSAGES)
	{
		ts_error_set(err, PJ_ERR_VISITOR, NULL, 0, 0, "list page holds more than %d messages",
					 LIST_MAX_MESSAGES);
		return false;
	}
	if (pg->n == c->cap)
	{
		c->cap = c->cap ? c->cap * 2 : 16;
		pg->messages = pg->messages
			? ts_realloc(pg->messages, (size_t) c->cap * sizeof(TsListedMessage))
			: ts_alloc((size_t) c->cap * sizeof(TsListedMessage));
	}
	memset(&pg->messages[pg->n], 0, sizeof(TsListedMessage));
	pg->n++;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Unix seconds of an RFC 2822 date ("Thu, 24 Aug 2023 05:01:45 +0000"); 0 if malformed. */
int64_t
outcome_rfc2822_time(const char *s, size_t len)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char		buf[64];
	char		mon[4];
	char		zone[6];
	const char *p;
	int			d,
				y,
				hh,
				mi,
				ss,
				off = 0;

	if (s == NULL || len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = strchr(buf, ',');
	p = p ? p + 1 : buf;
	if (sscanf(p, "%2d %3s %4d %2d:%2d:%2d %5s", &d, mon, &y, &hh, &mi, &ss, zone) != 7)
		return 0;
	if (strlen(mon) != 3 || strstr(months, mon) == NULL || (strstr(months, mon) - months) % 3)
		return 0;
	if (d < 1 || d > 31 || y < 1970 || hh > 23 || mi > 59 || ss > 60 || hh < 0 || mi < 0 || ss < 0)
		return 0;
	if ((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 5 &&
		strspn(zone + 1, "0123456789") == 4)
		off = ((zone[1] - '0') * 10 + (zone[2] - '0')) * 3600 + ((zone[3] - '0') * 10 + (zone[4] - '0')) * 60;
	else if (strcmp(zone, "GMT") != 0 && strcmp(zone, "UT") != 0 && strcmp(zone, "UTC") != 0)
		return 0;
	if (zone[0] == '-')
		off = -off;
	return days_from_civil(y, (int) ((strstr(months, mon) - months) / 3) + 1, d) * 86400 +
		hh * 3600 + mi * 60 + ss - off;
}

/* Keep one member of a listed message. */
static void
list_member(TsListedMessage *m, const char *key, const char *val, size_t len)
{
	if (strcmp(key, "body") == 0)
	{
		if (m->body)
			ts_free(m->body);
		m->body = ts_alloc(len + 1);
		memcpy(m->body, val, len);
		m->body[len] = '\0';
	}
	else if (strcmp(key, "sid") == 0)
		pj_copy(m->sid, len < sizeof(m->sid) ? sizeof(m->sid) : 1, val, len);
	else if (strcmp(key, "to") == 0)
		pj_copy(m->to, len < sizeof(m->to) ? sizeof(m->to) : 1, val, len);
	else if (strcmp(key, "from") == 0)
		pj_copy(m->from, len < sizeof(m->from) ? sizeof(m->from) : 1, val, len);
	else if (strcmp(key, "status") == 0)
		pj_copy(m->status, sizeof(m->status), val, len);
	else if (strcmp(key, "date_created") == 0)
		m->date_created = outcome_rfc2822_time(val, len);
}

/* Keep the top-level next_page_uri (a relative URI, or null). */
static void
list_next_uri(ListCtx *c, PjEvent ev, const char *val, size_t len)
{
	TsListPage *pg = c->page;

	if (pg->next_page_uri)
		ts_free(pg->next_page_uri);
	pg->next_page_uri = NULL;
	c->bad_next = false;
	if (ev == PJ_NULL || (ev == PJ_STRING && len == 0))
		return;
	if (ev != PJ_STRING || val[0] != '/' || (len > 1 && val[1] == '/'))
	{
		c->bad_next = true;		/* only a path on the same host is followed */
		return;
	}
	pg->next_page_uri = ts_alloc(len + 1);
	memcpy(pg->next_page_uri, val, len);
	pg->next_page_uri[len] = '\0';
}

/* Visitor for list pages. */
static bool
list_visit(void *ctx, PjEvent ev, const PjFrame *st, int depth, const char *val, size_t len,
		   TsError *err)
{
	ListCtx    *c = ctx;

	if (depth == 0)
	{
		if (ev != PJ_OBJ_BEGIN && ev != PJ_OBJ_END)
			ts_error_set(err, PJ_ERR_VISITOR, NULL, 0, 0, "list page is not a JSON object");
		return ev == PJ_OBJ_BEGIN || ev == PJ_OBJ_END;
	}
	if (depth == 1 && pj_key_is(st, depth, 0, "messages"))
	{
		c->in_messages = ev == PJ_ARR_BEGIN;
		return true;
	}
	if (depth == 1 && pj_key_is(st, depth, 0, "next_page_uri"))
	{
		if (ev == PJ_STRING || ev == PJ_NULL)
			list_next_uri(c, ev, val, len);
		else if (ev == PJ_OBJ_BEGIN || ev == PJ_ARR_BEGIN)
			c->bad_next = true;
		return true;
	}
	if (c->in_messages && depth == 2 && ev == PJ_OBJ_BEGIN)
		return list_new_message(c, err);
	if (c->in_messages && depth == 3 && st[2].key_ok && ev == PJ_STRING && c->page->n > 0)
		list_member(&c->page->messages[c->page->n - 1], st[2].key, val, len);
	return true;
}

/* Parse a Twilio list page; on failure page is left empty. */
bool
outcome_parse_list_page(const char *body, size_t len, TsListPage *page, TsError *err)
{
	ListCtx		c;

	memset(page, 0, sizeof(*page));
	memset(&c, 0, sizeof(c));
	c.page = page;
	if (!pj_scan(body, len, list_visit, &c, err))
	{
		outcome_free_list_page(page);
		return false;
	}
	if (c.bad_next)
	{
		outcome_free_list_page(page);
		ts_error_set(err, PJ_ERR_VISITOR, NULL, 0, 0,
					 "next_page_uri is not a path on the provider's host");
		return false;
	}
	return true;
}

/* Free what a list page holds and leave it empty. */
void
outcome_free_list_page(TsListPage *page)
{
	int			i;

	for (i = 0; i < page->n; i++)
		if (page->messages[i].body)
			ts_free(page->messages[i].body);
	if (page->messages)
		ts_free(page->messages);
	if (page->next_page_uri)
		ts_free(page->next_page_uri);
	memset(page, 0, sizeof(*page));
}

/* ---- matching list pages to the messages reconciliation looks for ---------- */

/* First index of a key with to >= the given to (keys sorted by to). */
static int
first_key(const TsMatchKey *keys, int n, const char *to)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (strcmp(keys[mid].to, to) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Could this listed message be the one key k sent? */
static bool
listed_matches(const TsListedMessage *m, const TsMatchKey *k, int skew_s)
{
	if (m->body == NULL || strcmp(m->body, k->body) != 0)
		return false;
	if (k->from && k->from[0] && strcmp(m->from, k->from) != 0)
		return false;
	return m->date_created == 0 || k->claimed_at_unix <= 0 ||
		m->date_created >= k->claimed_at_unix - skew_s;
}

/* Has a key already been settled with this sid (a page that lists a sid twice)? */
static bool
sid_settled(const TsMatchKey *keys, int n, const char *sid)
{
	for (int k = 0; k < n; k++)
		if (keys[k].found && strcmp(keys[k].sid, sid) == 0)
			return true;
	return false;
}

/* Match a list page against keys sorted by to; returns how many it settled. */
int
outcome_match_page(const TsListPage *page, TsMatchKey *keys, int n, int skew_s,
				   bool (*taken) (void *arg, const char *sid), void *arg)
{
	int			settled = 0;

	for (int i = 0; i < page->n; i++)
	{
		const TsListedMessage *m = &page->messages[i];
		TsMatchKey *best = NULL;

		if (m->sid[0] == '\0' || m->to[0] == '\0')
			continue;
		for (int k = first_key(keys, n, m->to); k < n && strcmp(keys[k].to, m->to) == 0; k++)
			if (!keys[k].found && listed_matches(m, &keys[k], skew_s) &&
				(best == NULL || keys[k].claimed_at_unix > best->claimed_at_unix))
				best = &keys[k];
		if (best == NULL || sid_settled(keys, n, m->sid) || (taken && taken(arg, m->sid)))
			continue;
		best->found = true;
		pj_copy(best->sid, sizeof(best->sid), m->sid, strlen(m->sid));
		pj_copy(best->status, sizeof(best->status), m->status, strlen(m->status));
		settled++;
	}
	return settled;
}

/* Is every message on the page created before t, all dates known? */
bool
outcome_page_older_than(const TsListPage *page, int64_t t)
{
	if (page->n == 0)
		return false;
	for (int i = 0; i < page->n; i++)
		if (page->messages[i].date_created == 0 || page->messages[i].date_created >= t)
			return false;
	return true;
}
