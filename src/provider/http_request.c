/*-------------------------------------------------------------------------
 *
 * http_request.c
 *	  The bytes of provider requests: Twilio's form-encoded create, Telnyx's
 *	  JSON create, Twilio's list URL, and the local verdict on sends that
 *	  must not go out at all (dry_run, missing fields).
 *
 * Builds into StringInfos owned by the caller (the HTTP state's long-lived
 * context, reset per request so a warmed-up worker allocates nothing).
 * Must not do network I/O, must not touch SPI or transactions, and is never
 * called from a curl callback.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "http_int.h"

#define TWILIO_PATH "/2010-04-01/Accounts/"

/* Append s percent-encoded (RFC 3986 unreserved characters kept as they are). */
static void
append_pct(StringInfo b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~')
			appendStringInfoChar(b, (char) c);
		else
		{
			appendStringInfoChar(b, '%');
			appendStringInfoChar(b, hex[c >> 4]);
			appendStringInfoChar(b, hex[c & 15]);
		}
	}
}

/* Append one form field "key=value", with '&' before all but the first. */
static void
append_form(StringInfo b, const char *key, const char *val)
{
	if (b->len > 0)
		appendStringInfoChar(b, '&');
	appendStringInfoString(b, key);
	appendStringInfoChar(b, '=');
	append_pct(b, val);
}

/* Append s as a JSON string literal. */
static void
append_json_str(StringInfo b, const char *s)
{
	appendStringInfoChar(b, '"');
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
		{
			appendStringInfoChar(b, '\\');
			appendStringInfoChar(b, (char) c);
		}
		else if (c < 0x20)
			appendStringInfo(b, "\\u%04x", c);
		else
			appendStringInfoChar(b, (char) c);
	}
	appendStringInfoChar(b, '"');
}

/* Append base_url without its trailing slashes. */
static void
append_base(StringInfo b, const char *base)
{
	size_t		n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	appendBinaryStringInfo(b, base, (int) n);
}

/* The Messages.json collection URL of a Twilio account. */
static void
twilio_messages_url(StringInfo url, const TsAccount *acc)
{
	resetStringInfo(url);
	append_base(url, acc->base_url);
	appendStringInfoString(url, TWILIO_PATH);
	append_pct(url, acc->account_sid);
	appendStringInfoString(url, "/Messages.json");
}

/* Twilio create: URL and form body. */
void
http_build_twilio_send(const TsSend *s, StringInfo url, StringInfo body)
{
	const TsAccount *acc = s->account;
	int			i;

	twilio_messages_url(url, acc);
	resetStringInfo(body);
	append_form(body, "To", s->to);
	if (s->from && s->from[0])
		append_form(body, "From", s->from);
	else
		append_form(body, "MessagingServiceSid", s->messaging_service_sid);
	if (s->body)
		append_form(body, "Body", s->body);
	for (i = 0; i < s->n_media; i++)
		if (s->media_urls[i])
			append_form(body, "MediaUrl", s->media_urls[i]);
	if (acc->status_callback_url && acc->status_callback_url[0])
		append_form(body, "StatusCallback", acc->status_callback_url);
	if (s->validity_period >= 1 && s->validity_period <= 36000)
		appendStringInfo(body, "&ValidityPeriod=%d", s->validity_period);
}

/* Telnyx create: URL and JSON body. */
void
http_build_telnyx_send(const TsSend *s, StringInfo url, StringInfo body)
{
	const TsAccount *acc = s->account;
	int			i;
	bool		any = false;

	resetStringInfo(url);
	append_base(url, acc->base_url);
	appendStringInfoString(url, "/v2/messages");
	resetStringInfo(body);
	appendStringInfoString(body, "{\"to\":");
	append_json_str(body, s->to);
	if (s->from && s->from[0])
		appendStringInfoString(body, ",\"from\":");
	else
		appendStringInfoString(body, ",\"messaging_profile_id\":");
	append_json_str(body, (s->from && s->from[0]) ? s->from : s->messaging_service_sid);
	if (s->body)
	{
		appendStringInfoString(body, ",\"text\":");
		append_json_str(body, s->body);
	}
	for (i = 0; i < s->n_media; i++)
	{
		if (s->media_urls[i] == NULL)
			continue;
		appendStringInfoString(body, any ? "," : ",\"media_urls\":[");
		append_json_str(body, s->media_urls[i]);
		any = true;
	}
	if (any)
		appendStringInfoChar(body, ']');
	if (acc->status_callback_url && acc->status_callback_url[0])
	{
		appendStringInfoString(body, ",\"webhook_url\":");
		append_json_str(body, acc->status_callback_url);
	}
	appendStringInfoChar(body, '}');
}

/*
 * Twilio list: the first page of an account's messages from one sender (to
 * NULL: every recipient, for reconciling many messages at once) or of one
 * To/From pair, newest first, 1000 a page.  No DateSent filter: a message
 * still queued at Twilio has no date_sent and would be missed, and a miss
 * means a resend.  Matching ignores messages created before the claim
 * (outcome_match_page).
 */
void
http_build_twilio_list(const TsAccount *a, const char *to, const char *from, StringInfo url)
{
	char		sep = '?';

	twilio_messages_url(url, a);
	if (to && to[0])
	{
		appendStringInfoString(url, "?To=");
		append_pct(url, to);
		sep = '&';
	}
	if (from && from[0])
	{
		appendStringInfo(url, "%cFrom=", sep);
		append_pct(url, from);
		sep = '&';
	}
	appendStringInfo(url, "%cPageSize=1000", sep);
}

/* A following list page: base URL plus the provider's next_page_uri (a path). */
void
http_build_next_page(const TsAccount *a, const char *next_page_uri, StringInfo url)
{
	resetStringInfo(url);
	append_base(url, a->base_url);
	appendStringInfoString(url, next_page_uri);
}

/* Fill a send's result fields for a verdict reached without the network. */
static bool
local(TsSend *s, TsOutcome o, const char *fmt,...)
	pg_attribute_printf(3, 4);

static bool
local(TsSend *s, TsOutcome o, const char *fmt,...)
{
	va_list		ap;

	s->outcome = o;
	va_start(ap, fmt);
	vsnprintf(s->error_text, sizeof(s->error_text), fmt, ap);
	va_end(ap);
	return true;
}

/*
 * Answer a send locally when it must not (or cannot) go to the network:
 * dry_run, and requests missing what the provider requires.  Returns true
 * when s's outcome is decided.
 */
bool
http_send_local(TsSend *s)
{
	const TsAccount *a = s->account;
	bool		twilio;

	if (a == NULL)
		return local(s, TS_OUT_CONFIG, "message %lld has no account", (long long) s->message_id);
	if (strcmp(a->provider, "dry_run") == 0)
	{
		s->outcome = TS_OUT_ACCEPTED;
		snprintf(s->provider_id, sizeof(s->provider_id), "dry-%lld", (long long) s->message_id);
		return true;
	}
	twilio = strcmp(a->provider, "twilio") == 0;
	if (!twilio && strcmp(a->provider, "telnyx") != 0)
		return local(s, TS_OUT_CONFIG, "account %d has unknown provider \"%.20s\"", a->id, a->provider);
	if (a->base_url == NULL || a->base_url[0] == '\0')
		return local(s, TS_OUT_RETRY, "account %d has no base_url (request not sent)", a->id);
	if (a->secret && strpbrk(a->secret, "\r\n") != NULL)
		return local(s, TS_OUT_CONFIG, "account %d has a line break in its secret", a->id);
	if (twilio && (a->account_sid == NULL || a->account_sid[0] == '\0'))
		return local(s, TS_OUT_CONFIG, "twilio account %d has no account_sid", a->id);
	if ((s->from == NULL || s->from[0] == '\0') &&
		(s->messaging_service_sid == NULL || s->messaging_service_sid[0] == '\0'))
		return local(s, TS_OUT_CONFIG, "message %lld has neither a From number nor a messaging service",
					 (long long) s->message_id);
	if (s->to == NULL || s->to[0] == '\0')
		return local(s, TS_OUT_ERROR, "message %lld has no To number", (long long) s->message_id);
	if ((s->body == NULL || s->body[0] == '\0') && s->n_media <= 0)
		return local(s, TS_OUT_ERROR, "message %lld has neither a body nor media", (long long) s->message_id);
	if (s->body && strlen(s->body) > HTTP_BODY_MAX)
		return local(s, TS_OUT_ERROR, "message body of %zu bytes is over the %d-byte limit",
					 strlen(s->body), HTTP_BODY_MAX);
	if (s->n_media > 10 || (s->n_media > 0 && s->media_urls == NULL))
		return local(s, TS_OUT_ERROR, "message %lld has %d media URLs (at most 10, none NULL)",
					 (long long) s->message_id, s->n_media);
	return false;
}
