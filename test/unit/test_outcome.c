/*-------------------------------------------------------------------------
 *
 * test_outcome.c
 *	  Unit tests of the outcome core (src/core/outcome.c, pjson.c): every
 *	  code of PROVIDERS.md's table and SPEC section 6 classified, transport
 *	  failures, Retry-After, and parsing of real-looking Twilio and Telnyx
 *	  bodies (escapes, \u sequences, surrogate pairs, hostile input, bytes
 *	  that are not UTF-8), and matching list pages to reconciled messages.
 *
 *-------------------------------------------------------------------------
 */
#include "outcome.h"
#include "pjson.h"
#include "unit.h"

#include <stdlib.h>

/* Twilio's create answer (201), as the API returns it. */
static const char twilio_201[] =
	"{\"account_sid\": \"AC0123456789abcdef0123456789abcdef\", \"api_version\": \"2010-04-01\", "
	"\"body\": \"Hi \\\"Ann\\\" \\u00e9\\ud83d\\ude00\\n\\/x\", \"date_created\": "
	"\"Thu, 24 Aug 2023 05:01:45 +0000\", \"date_sent\": null, \"direction\": \"outbound-api\", "
	"\"error_code\": null, \"error_message\": null, \"from\": \"+15017122661\", "
	"\"messaging_service_sid\": null, \"num_media\": \"0\", \"num_segments\": \"1\", "
	"\"price\": null, \"price_unit\": \"USD\", \"sid\": \"SM1f0e8ae6ade43cb3c0ce4525424e404f\", "
	"\"status\": \"queued\", \"subresource_uris\": {\"media\": \"/2010-04-01/Accounts/AC0123/"
	"Messages/SM1f/Media.json\"}, \"tags\": [1, 2.5e3, -0, true, false, {}], "
	"\"to\": \"+15558675310\", \"uri\": \"/2010-04-01/Accounts/AC0123/Messages/SM1f.json\"}";

/* Parse a Twilio body and classify it with the given HTTP status. */
static TsOutcome
twilio(int http, const char *body)
{
	TsResponse	r;
	TsError		err;
	bool		ok = outcome_parse_response("twilio", body, strlen(body), &r, &err);

	return outcome_classify("twilio", TS_TR_RESPONSE, http, ok ? &r : NULL);
}

/* A Twilio error body {"code":..} with the given HTTP status, classified. */
static TsOutcome
twilio_code(int http, int code)
{
	char		body[200];

	snprintf(body, sizeof(body), "{\"code\": %d, \"message\": \"m\", \"more_info\": "
			 "\"https://www.twilio.com/docs/errors/%d\", \"status\": %d}", code, code, http);
	return twilio(http, body);
}

/* A Telnyx error body with a string code and the given HTTP status, classified. */
static TsOutcome
telnyx_code(int http, int code)
{
	char		body[200];
	TsResponse	r;
	TsError		err;
	bool		ok;

	snprintf(body, sizeof(body), "{\"errors\":[{\"code\":\"%d\",\"title\":\"t\","
			 "\"detail\":\"d\"}]}", code);
	ok = outcome_parse_response("telnyx", body, strlen(body), &r, &err);
	return outcome_classify("telnyx", TS_TR_RESPONSE, http, ok ? &r : NULL);
}

/* Every Twilio code of PROVIDERS.md and SPEC 6. */
static void
test_twilio_table(void)
{
	UNIT_EQ_INT(twilio(201, twilio_201), TS_OUT_ACCEPTED);
	UNIT_EQ_INT(twilio(200, twilio_201), TS_OUT_ACCEPTED);
	UNIT_EQ_INT(twilio_code(429, 20429), TS_OUT_RETRY);
	UNIT_EQ_INT(twilio(429, "<html>slow down</html>"), TS_OUT_RETRY);
	UNIT_EQ_INT(twilio_code(400, 20429), TS_OUT_RETRY);
	UNIT_EQ_INT(twilio_code(500, 20500), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(twilio_code(503, 20503), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(twilio(502, "Bad Gateway"), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(twilio_code(401, 20003), TS_OUT_AUTH);
	UNIT_EQ_INT(twilio(401, ""), TS_OUT_AUTH);
	UNIT_EQ_INT(twilio_code(400, 21211), TS_OUT_INVALID);
	UNIT_EQ_INT(twilio_code(400, 30005), TS_OUT_INVALID);
	UNIT_EQ_INT(twilio_code(400, 21408), TS_OUT_CONFIG);
	UNIT_EQ_INT(twilio_code(400, 21610), TS_OUT_OPTED_OUT);
	UNIT_EQ_INT(twilio_code(400, 30004), TS_OUT_OPTED_OUT);
	UNIT_EQ_INT(twilio_code(400, 21611), TS_OUT_RETRY);
	UNIT_EQ_INT(twilio_code(400, 30001), TS_OUT_RETRY);
	UNIT_EQ_INT(twilio_code(400, 21612), TS_OUT_ERROR);
	UNIT_EQ_INT(twilio_code(400, 21614), TS_OUT_LANDLINE);
	UNIT_EQ_INT(twilio_code(400, 21635), TS_OUT_LANDLINE);
	UNIT_EQ_INT(twilio_code(400, 30006), TS_OUT_LANDLINE);
	UNIT_EQ_INT(twilio_code(400, 21617), TS_OUT_ERROR);
	UNIT_EQ_INT(twilio_code(400, 30003), TS_OUT_UNREACHABLE);
	UNIT_EQ_INT(twilio_code(400, 30007), TS_OUT_ERROR);
	UNIT_EQ_INT(twilio_code(400, 30008), TS_OUT_UNREACHABLE);
	UNIT_EQ_INT(twilio_code(400, 30022), TS_OUT_RETRY);
	UNIT_EQ_INT(twilio_code(400, 30023), TS_OUT_RETRY);
	UNIT_EQ_INT(twilio_code(400, 30032), TS_OUT_CONFIG);
	UNIT_EQ_INT(twilio_code(400, 30034), TS_OUT_CONFIG);
	UNIT_EQ_INT(twilio_code(400, 30036), TS_OUT_ERROR);
	UNIT_EQ_INT(twilio_code(400, 21606), TS_OUT_CONFIG);
	UNIT_EQ_INT(twilio_code(400, 21602), TS_OUT_ERROR);
	UNIT_EQ_INT(twilio_code(400, 99999), TS_OUT_ERROR);
	UNIT_EQ_INT(twilio(403, "{}"), TS_OUT_CONFIG);
	UNIT_EQ_INT(twilio_code(404, 20404), TS_OUT_CONFIG);
	UNIT_EQ_INT(twilio(301, ""), TS_OUT_CONFIG);
	UNIT_EQ_INT(twilio(400, "not json"), TS_OUT_ERROR);
	/* a 5xx wins over any code in its body: the request may have been processed */
	UNIT_EQ_INT(twilio_code(500, 21211), TS_OUT_AMBIGUOUS);
	/* 30008 is retried at most once, 30003 a bounded number of times */
	UNIT_EQ_INT(outcome_retry_limit("twilio", 30008), 1);
	UNIT_CHECK(outcome_retry_limit("twilio", 30003) > 1, "30003 is retried more than once");
	UNIT_EQ_INT(outcome_retry_limit("twilio", 30007), 0);
	UNIT_EQ_INT(outcome_classify_code("twilio", 30007), TS_OUT_ERROR);
	UNIT_EQ_INT(outcome_classify_code("twilio", 21610), TS_OUT_OPTED_OUT);
	UNIT_EQ_INT(outcome_classify_code("twilio", 0), TS_OUT_ERROR);
}

/* An unreadable or id-less 2xx may have been processed: ambiguous. */
static void
test_unreadable_2xx(void)
{
	UNIT_EQ_INT(twilio(201, ""), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(twilio(201, "{\"sid\": \"SM1\""), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(twilio(201, "{\"status\": \"queued\"}"), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(twilio(201, "[\"SM1\"]"), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(twilio(201, "{\"sid\": 12}"), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(outcome_classify("twilio", TS_TR_RESPONSE, 201, NULL), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(twilio(201, "{\"sid\": \"SM0123456789012345678901234567890123456789"
					   "012345678901234567890123456789\"}"), TS_OUT_AMBIGUOUS);
}

/* Transport failures: never left = retry; maybe left = ambiguous. */
static void
test_transport(void)
{
	UNIT_EQ_INT(outcome_classify("twilio", TS_TR_NOT_CONNECTED, 0, NULL), TS_OUT_RETRY);
	UNIT_EQ_INT(outcome_classify("telnyx", TS_TR_NOT_CONNECTED, 0, NULL), TS_OUT_RETRY);
	UNIT_EQ_INT(outcome_classify("twilio", TS_TR_AFTER_SEND, 0, NULL), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(outcome_classify("twilio", TS_TR_AFTER_SEND, 201, NULL), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(outcome_classify("telnyx", TS_TR_AFTER_SEND, 0, NULL), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(outcome_classify("twilio", TS_TR_RESPONSE, 0, NULL), TS_OUT_AMBIGUOUS);
	UNIT_EQ_STR(outcome_name(TS_OUT_AMBIGUOUS), "ambiguous");
	UNIT_EQ_STR(outcome_name(TS_OUT_NOT_SENT), "not_sent");
	UNIT_EQ_STR(outcome_name(TS_OUT_CONFIG), "config");
}

/* Telnyx: success, error shapes and its codes. */
static void
test_telnyx(void)
{
	const char *ok = "{\"data\":{\"record_type\":\"message\",\"direction\":\"outbound\","
		"\"id\":\"40317f33-0c0b-4a79-9b5c-1a2b3c4d5e6f\",\"type\":\"SMS\",\"from\":{"
		"\"phone_number\":\"+15550001111\",\"carrier\":\"Telnyx\",\"line_type\":\"VoIP\"},"
		"\"to\":[{\"phone_number\":\"+15550002222\",\"status\":\"queued\",\"carrier\":\"T-Mobile\","
		"\"line_type\":\"Wireless\"}],\"text\":\"Hello \\u2014 there\",\"media\":[],\"parts\":1}}";
	TsResponse	r;
	TsError		err;

	UNIT_CHECK(outcome_parse_response("telnyx", ok, strlen(ok), &r, &err), "telnyx 200 parses");
	UNIT_EQ_STR(r.provider_id, "40317f33-0c0b-4a79-9b5c-1a2b3c4d5e6f");
	UNIT_EQ_STR(r.status, "queued");
	UNIT_EQ_INT(outcome_classify("telnyx", TS_TR_RESPONSE, 200, &r), TS_OUT_ACCEPTED);
	UNIT_EQ_INT(telnyx_code(401, 10009), TS_OUT_AUTH);
	UNIT_EQ_INT(telnyx_code(403, 10010), TS_OUT_CONFIG);
	UNIT_EQ_INT(telnyx_code(429, 10011), TS_OUT_RETRY);
	UNIT_EQ_INT(telnyx_code(500, 10007), TS_OUT_AMBIGUOUS);
	UNIT_EQ_INT(telnyx_code(422, 40300), TS_OUT_OPTED_OUT);
	UNIT_EQ_INT(telnyx_code(422, 40310), TS_OUT_INVALID);
	UNIT_EQ_INT(telnyx_code(422, 10002), TS_OUT_INVALID);
	UNIT_EQ_INT(telnyx_code(422, 40001), TS_OUT_LANDLINE);
	UNIT_EQ_INT(telnyx_code(422, 40006), TS_OUT_UNREACHABLE);
	UNIT_EQ_INT(telnyx_code(422, 40003), TS_OUT_ERROR);
	UNIT_EQ_INT(telnyx_code(422, 12345), TS_OUT_ERROR);
	{
		const char *e = "{\"errors\":[{\"code\":10015,\"title\":\"Bad Request\"},"
			"{\"code\":\"40300\",\"detail\":\"second\"}]}";

		UNIT_CHECK(outcome_parse_response("telnyx", e, strlen(e), &r, &err), "errors parse");
		UNIT_EQ_INT(r.error_code, 10015);
		UNIT_EQ_STR(r.error_text, "Bad Request");
	}
}

/* Field extraction from Twilio bodies, with escapes decoded. */
static void
test_twilio_parse(void)
{
	TsResponse	r;
	TsError		err;
	const char *e = "{\"code\": 21211, \"message\": \"The 'To' number +1555 is not a valid "
		"phone number.\\tcaf\\u00E9\", \"more_info\": \"https://www.twilio.com/docs/errors/21211\", "
		"\"status\": 400}";

	UNIT_CHECK(outcome_parse_response("twilio", twilio_201, strlen(twilio_201), &r, &err),
			   "twilio 201 parses");
	UNIT_EQ_STR(r.provider_id, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
	UNIT_EQ_STR(r.status, "queued");
	UNIT_EQ_INT(r.error_code, 0);
	UNIT_CHECK(outcome_parse_response("twilio", e, strlen(e), &r, &err), "twilio 400 parses");
	UNIT_EQ_INT(r.error_code, 21211);
	UNIT_EQ_STR(r.error_text, "The 'To' number +1555 is not a valid phone number.\tcaf\xc3\xa9");
	e = "{\"sid\":\"SM9\",\"status\":\"failed\",\"error_code\":30007,\"error_message\":\"filtered\"}";
	UNIT_CHECK(outcome_parse_response("twilio", e, strlen(e), &r, &err), "error_code parses");
	UNIT_EQ_INT(r.error_code, 30007);
	UNIT_EQ_STR(r.error_text, "filtered");
	/* never reads past len: the same body cut short is refused */
	UNIT_CHECK(!outcome_parse_response("twilio", twilio_201, 40, &r, &err), "cut body refused");
	UNIT_CHECK(err.code != 0 && err.offset >= 0 && err.offset <= 40, "error position inside");
	UNIT_EQ_STR(r.provider_id, "");
}

/* JSON scanner edge cases: escapes, surrogates, depth, garbage. */
static void
test_json_edges(void)
{
	TsResponse	r;
	TsError		err;
	char		deep[200];
	int			i;
	static const char *const bad[] = {
		"", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\":01}",
		"{\"a\":1.}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":tru}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12G4\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\x01\"}", "{\"a\":1} x",
		"{\"a\":\"abc", "{'a':1}", "{\"a\":nul}", NULL
	};

	for (i = 0; bad[i]; i++)
		UNIT_CHECK(!outcome_parse_response("twilio", bad[i], strlen(bad[i]), &r, &err), bad[i]);
	UNIT_CHECK(!outcome_parse_response("twilio", NULL, 10, &r, &err), "NULL body refused");
	/* lone surrogates and \u0000 become U+FFFD; a pair becomes one 4-byte character */
	{
		const char *s = "{\"message\":\"a\\ud800b\\udc00c\\u0000d\\ud83d\\ude00\"}";

		UNIT_CHECK(outcome_parse_response("twilio", s, strlen(s), &r, &err), "surrogates parse");
		UNIT_EQ_STR(r.error_text, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd" "d\xf0\x9f\x98\x80");
	}
	/* nesting past the limit is an error, not a crash */
	memset(deep, '[', sizeof(deep));
	UNIT_CHECK(!outcome_parse_response("twilio", deep, sizeof(deep), &r, &err), "deep refused");
	/* long error text is cut at a character boundary */
	{
		char		body[700];
		int			n = snprintf(body, sizeof(body), "{\"message\":\"");

		for (i = 0; i < 200; i++)
			n += snprintf(body + n, sizeof(body) - n, "\xc3\xa9");
		snprintf(body + n, sizeof(body) - n, "\"}");
		UNIT_CHECK(outcome_parse_response("twilio", body, strlen(body), &r, &err), "long parses");
		UNIT_EQ_INT(strlen(r.error_text), 254);
	}
}

/* Retry-After: delta-seconds, capped; dates and junk refused. */
static void
test_retry_after(void)
{
	UNIT_EQ_INT(outcome_retry_after_ms("120"), 120000);
	UNIT_EQ_INT(outcome_retry_after_ms(" 0 \r\n"), 0);
	UNIT_EQ_INT(outcome_retry_after_ms("1"), 1000);
	UNIT_EQ_INT(outcome_retry_after_ms("99999999999999999999"), 86400000);
	UNIT_EQ_INT(outcome_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), -1);
	UNIT_EQ_INT(outcome_retry_after_ms("-5"), -1);
	UNIT_EQ_INT(outcome_retry_after_ms("1.5"), -1);
	UNIT_EQ_INT(outcome_retry_after_ms(""), -1);
	UNIT_EQ_INT(outcome_retry_after_ms(NULL), -1);
}

/* A Twilio list page: messages, bodies with escapes, next page. */
static void
test_list_page(void)
{
	const char *page1 = "{\"end\": 1, \"first_page_uri\": \"/2010-04-01/Accounts/AC1/Messages.json"
		"?To=%2B15558675310&PageSize=2&Page=0\", \"messages\": [{\"body\": \"Hi \\\"Bo\\\"\\n"
		"\\u00bfok?\", \"from\": \"+15017122661\", \"sid\": \"SMaaa\", \"status\": \"delivered\", "
		"\"date_created\": \"Thu, 24 Aug 2023 05:01:45 +0000\", \"to\": \"+15558675310\", \"subresource_uris\": {\"media\": \"/x\"}}, {\"body\": \"\", "
		"\"from\": \"+15017122661\", \"sid\": \"SMbbb\", \"status\": \"queued\", \"to\": "
		"\"+15558675310\"}], \"next_page_uri\": \"/2010-04-01/Accounts/AC1/Messages.json?To="
		"%2B15558675310&PageSize=2&Page=1&PageToken=PASMbbb\", \"page\": 0, \"page_size\": 2, "
		"\"previous_page_uri\": null, \"start\": 0, \"uri\": \"/x\"}";
	const char *last = "{\"messages\": [], \"next_page_uri\": null}";
	const char *evil = "{\"messages\": [], \"next_page_uri\": \"https://evil.example/steal\"}";
	const char *evil2 = "{\"messages\": [], \"next_page_uri\": \"//evil.example/steal\"}";
	TsListPage	pg;
	TsError		err;

	UNIT_CHECK(outcome_parse_list_page(page1, strlen(page1), &pg, &err), "page parses");
	UNIT_EQ_INT(pg.n, 2);
	if (pg.n == 2)
	{
		UNIT_EQ_STR(pg.messages[0].body, "Hi \"Bo\"\n\xc2\xbfok?");
		UNIT_EQ_STR(pg.messages[0].sid, "SMaaa");
		UNIT_EQ_STR(pg.messages[0].to, "+15558675310");
		UNIT_EQ_STR(pg.messages[0].from, "+15017122661");
		UNIT_EQ_STR(pg.messages[0].status, "delivered");
		UNIT_EQ_STR(pg.messages[1].body, "");
		UNIT_EQ_INT(pg.messages[0].date_created, 1692853305);
		UNIT_EQ_INT(pg.messages[1].date_created, 0);
	}
	UNIT_CHECK(pg.next_page_uri && strncmp(pg.next_page_uri, "/2010-04-01/", 12) == 0, "next uri");
	outcome_free_list_page(&pg);
	UNIT_CHECK(outcome_parse_list_page(last, strlen(last), &pg, &err), "last page parses");
	UNIT_CHECK(pg.n == 0 && pg.next_page_uri == NULL, "last page is empty and final");
	outcome_free_list_page(&pg);
	UNIT_CHECK(!outcome_parse_list_page(evil, strlen(evil), &pg, &err), "other host refused");
	UNIT_CHECK(!outcome_parse_list_page(evil2, strlen(evil2), &pg, &err), "network path refused");
	UNIT_CHECK(!outcome_parse_list_page("{\"messages\": [{\"body\": \"x\"}", 27, &pg, &err),
			   "cut page refused");
	UNIT_CHECK(pg.n == 0 && pg.messages == NULL, "refused page left empty");
	UNIT_CHECK(!outcome_parse_list_page("[]", 2, &pg, &err), "array refused");
}

/* RFC 2822 dates as Twilio writes them. */
static void
test_rfc2822(void)
{
	UNIT_EQ_INT(outcome_rfc2822_time("Thu, 24 Aug 2023 05:01:45 +0000", 31), 1692853305);
	UNIT_EQ_INT(outcome_rfc2822_time("Thu, 24 Aug 2023 07:01:45 +0200", 31), 1692853305);
	UNIT_EQ_INT(outcome_rfc2822_time("Thu, 01 Jan 1970 00:00:00 GMT", 29), 0);
	UNIT_EQ_INT(outcome_rfc2822_time("Tue, 29 Feb 2028 23:59:59 +0000", 31), 1835481599);
	UNIT_EQ_INT(outcome_rfc2822_time("Thu, 24 Foo 2023 05:01:45 +0000", 31), 0);
	UNIT_EQ_INT(outcome_rfc2822_time("Thu, 24 Aug 2023 05:01:45", 25), 0);
	UNIT_EQ_INT(outcome_rfc2822_time("yesterday", 9), 0);
	UNIT_EQ_INT(outcome_rfc2822_time(NULL, 0), 0);
}

/* Provider bytes that are not UTF-8 become U+FFFD; cuts fall between characters. */
static void
test_utf8_from_provider(void)
{
	TsResponse	r;
	TsError		err;
	TsListPage	pg;
	char		body[800];
	const char *bad = "{\"code\": 30007, \"message\": \"Bad \xff\xfe bytes \xc3 and a cut \xe2\x82\","
		" \"sid\": \"SM\xc0\xaf" "1\", \"status\": \"fa\xed\xa0\x80il\"}";
	const char *page = "{\"messages\": [{\"sid\": \"SM\xff\", \"to\": \"+1555\xe2\x82\", \"from\": "
		"\"+1\xf4\x90\x80\x80\", \"body\": \"hi \xf0\x9f\x98\", \"status\": \"sent\"}], "
		"\"next_page_uri\": null}";
	int			n;

	UNIT_CHECK(outcome_parse_response("twilio", bad, strlen(bad), &r, &err), "bad bytes parse");
	/* each maximal ill-formed subpart is one U+FFFD: FF, FE, C3, E2 82 */
	UNIT_EQ_STR(r.error_text, "Bad \xef\xbf\xbd\xef\xbf\xbd bytes \xef\xbf\xbd and a cut \xef\xbf\xbd");
	/* an overlong (C0 AF) is two, a surrogate (ED A0 80) three */
	UNIT_EQ_STR(r.provider_id, "SM\xef\xbf\xbd\xef\xbf\xbd" "1");
	UNIT_EQ_STR(r.status, "fa\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdil");
	UNIT_CHECK(ts_utf8_valid(r.error_text, strlen(r.error_text)) &&
			   ts_utf8_valid(r.provider_id, strlen(r.provider_id)) &&
			   ts_utf8_valid(r.status, strlen(r.status)), "every field valid UTF-8");
	UNIT_CHECK(outcome_parse_list_page(page, strlen(page), &pg, &err), "bad page parses");
	if (pg.n == 1)
	{
		UNIT_EQ_STR(pg.messages[0].sid, "SM\xef\xbf\xbd");
		UNIT_EQ_STR(pg.messages[0].to, "+1555\xef\xbf\xbd");
		UNIT_EQ_STR(pg.messages[0].from, "+1\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
		UNIT_EQ_STR(pg.messages[0].body, "hi \xef\xbf\xbd");
	}
	outcome_free_list_page(&pg);
	/* a 3-byte character across the 255-byte limit of error_text is left out whole */
	for (int pad = 252; pad <= 254; pad++)
	{
		n = snprintf(body, sizeof(body), "{\"message\": \"%.*s\xe2\x82\xac\xe2\x82\xac\"}", pad,
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		UNIT_CHECK(outcome_parse_response("twilio", body, (size_t) n, &r, &err), "long parses");
		UNIT_EQ_INT(strlen(r.error_text), pad == 252 ? 255 : pad);
		UNIT_CHECK(ts_utf8_valid(r.error_text, strlen(r.error_text)), "cut is valid UTF-8");
	}
}

/* The UTF-8 helpers the provider layer and the fuzzer rely on. */
static void
test_utf8_helpers(void)
{
	char		out[8];
	TsBuf		b;

	UNIT_CHECK(ts_utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10), "valid");
	UNIT_CHECK(!ts_utf8_valid("\xc3", 1), "cut sequence");
	UNIT_CHECK(!ts_utf8_valid("\xe0\x80\xaf", 3), "overlong");
	UNIT_CHECK(!ts_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF");
	UNIT_CHECK(!ts_utf8_valid("\xed\xbf\xbf", 3), "surrogate");
	UNIT_EQ_INT(ts_utf8_copy(out, sizeof(out), "ab\xe2\x82\xac\xe2\x82\xac", 8, false), 5);
	UNIT_EQ_STR(out, "ab\xe2\x82\xac");
	UNIT_EQ_INT(ts_utf8_copy(out, sizeof(out), "a\xff" "b", 3, false), 5);
	UNIT_EQ_STR(out, "a\xef\xbf\xbd" "b");
	UNIT_EQ_INT(ts_utf8_copy(out, sizeof(out), "\xff\xff\xff", 3, false), 6);
	UNIT_EQ_INT(ts_utf8_copy(out, sizeof(out), "a\xc3\xa9\xff\0zz", 7, true), 3);
	UNIT_EQ_STR(out, "a??");
	UNIT_EQ_INT(ts_utf8_copy(out, 1, "abc", 3, false), 0);
	UNIT_EQ_STR(out, "");
	tsbuf_init(&b);
	tsbuf_append_utf8(&b, "x\xe2\x82y\xf0\x9f\x98\x80", 8);
	UNIT_EQ_STR(b.data, "x\xef\xbf\xbdy\xf0\x9f\x98\x80");
	tsbuf_free(&b);
}

/* A listed message for the matching tests. */
static TsListedMessage
listed(const char *sid, const char *to, const char *from, const char *body, int64_t created)
{
	TsListedMessage m;

	memset(&m, 0, sizeof(m));
	snprintf(m.sid, sizeof(m.sid), "%s", sid);
	snprintf(m.to, sizeof(m.to), "%s", to);
	snprintf(m.from, sizeof(m.from), "%s", from);
	snprintf(m.status, sizeof(m.status), "sent");
	m.body = (char *) body;
	m.date_created = created;
	return m;
}

/* Refuse one sid, as if another message already held it. */
static bool
taken_sm3(void *arg, const char *sid)
{
	(void) arg;
	return strcmp(sid, "SM3") == 0;
}

/* One list page settles many messages of a sender: To, From, body, claim time, sids once. */
static void
test_match_page(void)
{
	TsListedMessage msgs[6];
	TsListPage	pg = {6, msgs, NULL};
	TsMatchKey	keys[5];

	memset(keys, 0, sizeof(keys));
	/* sorted by to; the two +1202 keys are the same text, claimed at 1000 and 2000 */
	keys[0] = (TsMatchKey) {"+1201", "+1999", "hi A", 1000, 0};
	keys[1] = (TsMatchKey) {"+1202", "+1999", "same", 1000, 1};
	keys[2] = (TsMatchKey) {"+1202", "+1999", "same", 2000, 2};
	keys[3] = (TsMatchKey) {"+1203", "+1999", "hi C", 5000, 3};
	keys[4] = (TsMatchKey) {"+1204", "+1999", "hi D", 1000, 4};
	/* newest first */
	msgs[0] = listed("SM1", "+1202", "+1999", "same", 2100);
	msgs[1] = listed("SM2", "+1201", "+1999", "other body", 2000);
	msgs[2] = listed("SM3", "+1204", "+1999", "hi D", 1900);
	msgs[3] = listed("SM4", "+1202", "+1999", "same", 1100);
	msgs[4] = listed("SM5", "+1203", "+1999", "hi C", 4000);	/* 1000 s before its claim */
	msgs[5] = listed("SM6", "+1201", "+1888", "hi A", 1500);	/* another sender */
	UNIT_EQ_INT(outcome_match_page(&pg, keys, 5, 300, taken_sm3, NULL), 2);
	UNIT_CHECK(!keys[0].found, "other body, other sender: no match");
	UNIT_CHECK(keys[2].found && strcmp(keys[2].sid, "SM1") == 0, "newest to the latest claim");
	UNIT_CHECK(keys[1].found && strcmp(keys[1].sid, "SM4") == 0, "the next to the other");
	UNIT_CHECK(!keys[3].found, "created before its claim less skew: not it");
	UNIT_CHECK(!keys[4].found, "a sid another message holds is not taken");
	/* a second pass over the same page finds nothing new: a sid settles one key */
	UNIT_EQ_INT(outcome_match_page(&pg, keys, 5, 300, NULL, NULL), 1);
	UNIT_CHECK(keys[4].found && strcmp(keys[4].sid, "SM3") == 0, "without the refusal it matches");
	UNIT_CHECK(!outcome_page_older_than(&pg, 2000), "not every message older");
	UNIT_CHECK(outcome_page_older_than(&pg, 5000), "every message older");
	msgs[1].date_created = 0;
	UNIT_CHECK(!outcome_page_older_than(&pg, 5000), "an unknown date is never older");
	/* a page that lists one sid twice settles one key with it, not two (found by fuzz_outcome) */
	memset(keys, 0, sizeof(keys));
	keys[0] = (TsMatchKey) {"+1202", "+1999", "same", 1000, 0};
	keys[1] = (TsMatchKey) {"+1202", "+1999", "same", 2000, 1};
	msgs[0] = listed("SM7", "+1202", "+1999", "same", 2100);
	msgs[1] = listed("SM7", "+1202", "+1999", "same", 2100);
	pg.n = 2;
	UNIT_EQ_INT(outcome_match_page(&pg, keys, 2, 300, NULL, NULL), 1);
	UNIT_CHECK(keys[1].found && !keys[0].found, "the repeated sid settles the latest claim only");
}

int
main(void)
{
	test_twilio_table();
	test_unreadable_2xx();
	test_transport();
	test_telnyx();
	test_twilio_parse();
	test_json_edges();
	test_retry_after();
	test_list_page();
	test_rfc2822();
	test_utf8_from_provider();
	test_utf8_helpers();
	test_match_page();
	UNIT_DONE();
}
