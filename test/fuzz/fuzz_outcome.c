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
 *	- Retry-After is -1 or within 0..86,400,000 ms.
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
		if (m->body)
			CHECK(strlen(m->body) <= size);
	}
	if (pg.next_page_uri)
		CHECK(pg.next_page_uri[0] == '/' && pg.next_page_uri[1] != '/');
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
	if (size < 64)
		check_retry_after(buf, size);
	free(buf);
	return 0;
}
