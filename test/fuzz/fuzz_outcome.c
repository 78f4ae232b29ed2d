/*-------------------------------------------------------------------------
 *
 * fuzz_outcome.c
 *	  libFuzzer harness of the outcome core: arbitrary bytes as a Twilio
 *	  create response, a Telnyx create response and a Twilio list page, and
 *	  as a Retry-After value, with the invariants that must hold.
 *
 * Invariants checked (abort on violation):
 *	- every parsed string field is NUL-terminated inside its array, ids
 *	  never hold a NUL-cut or an over-long value;
 *	- a refused body leaves the response / page empty and its error has a
 *	  code and an offset inside the input;
 *	- classification always yields a defined outcome, a 2xx is accepted
 *	  only with a provider id, and a transport failure is never accepted;
 *	- a list page's next_page_uri is a path ("/..." but not "//...");
 *	- Retry-After is -1 or within 0..86,400,000 ms;
 *	- every string that comes out of a parse (ids, statuses, error texts,
 *	  listed numbers and bodies) is valid UTF-8, whatever bytes went in,
 *	  judged by a decoder written here, independent of the core's;
 *	- the core's own UTF-8 helpers agree with it: a copy is valid, fits,
 *	  keeps valid input unchanged when it fits, and never cuts a character;
 *	- matching a parsed page settles each key at most once, with a sid from
 *	  the page, and no sid twice.
 *
 *-------------------------------------------------------------------------
 */
#include "outcome.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) \
	do { if (!(cond)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); abort(); } } while (0)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is the string field NUL-terminated inside its array? */
#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

/*
 * Strict UTF-8 check, independent of src/core/utf8.c: decode each code point
 * and refuse overlongs, surrogates, values above U+10FFFF and cut sequences.
 */
static bool
utf8_ok(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *) p;
	size_t		i = 0;

	while (i < len)
	{
		unsigned	c = s[i];
		unsigned	cp;
		int			n;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (n == 0 || i + n > len)
			return false;
		cp = c & (0xFF >> (n + 1));
		for (int k = 1; k < n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
			cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}

#define UTF8(str) utf8_ok((str), strlen(str))

/* Parse and classify data as one provider's create response. */
static void
check_response(const char *provider, const char *data, size_t size)
{
	static const int statuses[] = {200, 201, 400, 401, 403, 404, 422, 429, 500, 503};
	TsResponse	r;
	TsError		err;
	bool		ok = outcome_parse_response(provider, data, size, &r, &err);
	size_t		i;

	CHECK(TERMINATED(r.provider_id) && TERMINATED(r.status) && TERMINATED(r.error_text));
	CHECK(UTF8(r.provider_id) && UTF8(r.status) && UTF8(r.error_text));
	if (!ok)
	{
		CHECK(err.code != 0 && err.offset >= 0 && (size_t) err.offset <= size);
		CHECK(r.provider_id[0] == '\0' && r.error_code == 0);
	}
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
	{
		TsOutcome	o = outcome_classify(provider, TS_TR_RESPONSE, statuses[i], ok ? &r : NULL);

		CHECK(o >= TS_OUT_NOT_SENT && o <= TS_OUT_CONFIG && o != TS_OUT_NOT_SENT);
		CHECK(o != TS_OUT_ACCEPTED || (statuses[i] < 300 && ok && r.provider_id[0] != '\0'));
		CHECK(statuses[i] != 429 || o == TS_OUT_RETRY);
		CHECK(statuses[i] < 500 || o == TS_OUT_AMBIGUOUS);
	}
	CHECK(outcome_classify(provider, TS_TR_AFTER_SEND, 201, ok ? &r : NULL) == TS_OUT_AMBIGUOUS);
	CHECK(outcome_classify(provider, TS_TR_NOT_CONNECTED, 0, NULL) == TS_OUT_RETRY);
	if (ok)
		(void) outcome_name(outcome_classify_code(provider, r.error_code));
}

/* Match a page against keys made from its own messages (each twice) and check the result. */
static void
check_match(const TsListPage *pg)
{
	int			n = pg->n < 8 ? pg->n : 8;
	TsMatchKey	keys[16];
	int			settled;
	int			found = 0;

	memset(keys, 0, sizeof(keys));
	for (int i = 0; i < n; i++)
		for (int c = 0; c < 2; c++)
		{
			TsMatchKey *k = &keys[2 * i + c];

			k->to = pg->messages[i].to;
			k->from = c ? NULL : pg->messages[i].from;
			k->body = pg->messages[i].body ? pg->messages[i].body : "";
			k->claimed_at_unix = c ? 0 : pg->messages[i].date_created;
		}
	/* sorted by to, as outcome_match_page requires (insertion sort) */
	for (int i = 1; i < 2 * n; i++)
		for (int j = i; j > 0 && strcmp(keys[j - 1].to, keys[j].to) > 0; j--)
		{
			TsMatchKey	t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	settled = outcome_match_page(pg, keys, 2 * n, 300, NULL, NULL);
	for (int i = 0; i < 2 * n; i++)
	{
		if (!keys[i].found)
			continue;
		found++;
		CHECK(TERMINATED(keys[i].sid) && keys[i].sid[0] != '\0' && UTF8(keys[i].sid));
		for (int j = 0; j < i; j++)
			CHECK(!keys[j].found || strcmp(keys[j].sid, keys[i].sid) != 0);
	}
	CHECK(settled == found && settled <= pg->n);
	CHECK(outcome_match_page(pg, keys, 2 * n, 300, NULL, NULL) >= 0);
}

/* The core's UTF-8 helpers against the independent check. */
static void
check_utf8_helpers(const char *data, size_t size)
{
	char		out[64];
	size_t		cap = 1 + (size % 63);
	size_t		n = ts_utf8_copy(out, cap, data, size, false);
	size_t		upto = memchr(data, '\0', size) ? strlen(data) : size;
	TsBuf		b;

	CHECK(n < cap && out[n] == '\0' && utf8_ok(out, n));
	CHECK(ts_utf8_valid(data, upto) == utf8_ok(data, upto));
	if (utf8_ok(data, upto) && upto < cap)
		CHECK(n == upto && memcmp(out, data, n) == 0);
	if (utf8_ok(data, upto) && upto >= cap)
		CHECK(memcmp(out, data, n) == 0 && n + 4 > cap - 1);
	n = ts_utf8_copy(out, cap, data, size, true);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char) out[i] < 0x80);
	tsbuf_init(&b);
	tsbuf_append_utf8(&b, data, size);
	CHECK(b.len == 0 || utf8_ok(b.data, b.len));
	CHECK(b.len <= 3 * size);
	tsbuf_free(&b);
}

/* Parse data as a Twilio list page. */
static void
check_list(const char *data, size_t size)
{
	TsListPage	pg;
	TsError		err;
	int			i;

	if (!outcome_parse_list_page(data, size, &pg, &err))
	{
		CHECK(pg.n == 0 && pg.messages == NULL && pg.next_page_uri == NULL);
		CHECK(err.code != 0);
		return;
	}
	CHECK(pg.n >= 0 && pg.n <= 5000);
	for (i = 0; i < pg.n; i++)
	{
		TsListedMessage *m = &pg.messages[i];

		CHECK(TERMINATED(m->sid) && TERMINATED(m->to) && TERMINATED(m->from) &&
			  TERMINATED(m->status));
		CHECK(UTF8(m->sid) && UTF8(m->to) && UTF8(m->from) && UTF8(m->status));
		if (m->body)
			CHECK(UTF8(m->body) && strlen(m->body) <= 3 * size);
	}
	if (pg.next_page_uri)
		CHECK(pg.next_page_uri[0] == '/' && pg.next_page_uri[1] != '/' && UTF8(pg.next_page_uri));
	check_match(&pg);
	outcome_free_list_page(&pg);
}

/* Retry-After on a NUL-terminated copy. */
static void
check_retry_after(const char *data, size_t size)
{
	char	   *s = malloc(size + 1);
	int			ms;

	memcpy(s, data, size);
	s[size] = '\0';
	ms = outcome_retry_after_ms(s);
	CHECK(ms == -1 || (ms >= 0 && ms <= 86400000));
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy with no terminator: reads past size are caught by ASan */
	char	   *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	check_response("twilio", buf, size);
	check_response("telnyx", buf, size);
	check_list(buf, size);
	check_utf8_helpers(buf, size);
	if (size < 64)
		check_retry_after(buf, size);
	free(buf);
	return 0;
}
