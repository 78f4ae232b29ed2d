/*-------------------------------------------------------------------------
 *
 * test_consent.c
 *	  Unit tests of the consent core: keywords, phrases, fillers, and the
 *	  mentions that must never count.
 *
 *-------------------------------------------------------------------------
 */
#include "consent.h"

#include "unit.h"

/* Classify a NUL-terminated body. */
static ConsentKind
kind(const char *body)
{
	return consent_classify(body, strlen(body), NULL);
}

#define IS(body, k) \
	do { \
		ConsentKind got_ = kind(body); \
		if (got_ == (k)) unit_passed++; \
		else { unit_failed++; fprintf(stderr, "%s:%d: FAIL: \"%s\" gave %s, expected %s\n", __FILE__, __LINE__, (body), consent_kind_name(got_), consent_kind_name(k)); } \
	} while (0)

static void
test_carrier_keywords(void)
{
	const char *out[] = {"STOP", "stop", "Stop", "sToP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END",
		"QUIT", "REVOKE", "OPTOUT", "  stop  ", "\tSTOP\n", "STOP!", "stop.", "...stop...", "\"STOP\"",
		"(stop)", "STOP!!!", "¡STOP!", "STOP 🛑", "🛑STOP🛑", "STOP\u00a0", "\u201cSTOP\u201d", NULL};

	for (int i = 0; out[i]; i++)
		IS(out[i], CONSENT_OPT_OUT);
	IS("START", CONSENT_OPT_IN);
	IS("unstop", CONSENT_OPT_IN);
	IS("Yes", CONSENT_OPT_IN);
	IS("YES!", CONSENT_OPT_IN);
	IS("HELP", CONSENT_HELP);
	IS("info?", CONSENT_HELP);
	IS("Help!", CONSENT_HELP);
}

static void
test_phrases(void)
{
	const char *out[] = {"Stop. Thank you", "STOP PLEASE", "please remove me", "unsubscribe me",
		"stop texting me", "Stop texting me!", "please stop texting me", "Please unsubscribe",
		"stop it", "STOP NOW", "Stop, thanks", "stop stop stop", "Remove me from your list please",
		"take me off your list", "opt out", "opt-out", "Opt me out", "Don't text me",
		"don\u2019t text me", "Do not contact me", "no more texts", "leave me alone", "remove",
		"Stop sending me messages", "quit texting me", "OK stop", "hi, please stop, thank you!",
		"STOP - thanks", "Stop thank u", NULL};

	for (int i = 0; out[i]; i++)
		IS(out[i], CONSENT_OPT_OUT);
}

static void
test_mentions_do_not_count(void)
{
	const char *none[] = {"stopping by later", "don't stop", "Don't stop!", "I will stop by tomorrow",
		"can you stop by?", "the end", "what is the end date", "help me choose a plan",
		"I need help with my order", "yes I'm interested", "yes, 3pm works", "Where do I start?",
		"nonstop", "stopwatch", "bus stop", "please don't stop texting me", "stop by at 5",
		"cancel my 3pm appointment", "ok", "thanks", "Thank you", "", "   ", "!!!", "🛑", "STOP?? why",
		"remove the item", "ＳＴＯＰＰＩＮＧ", "Stoppen", "ALTO", "stop\u00e9", "s t o p", NULL};

	for (int i = 0; none[i]; i++)
		IS(none[i], CONSENT_NONE);
}

static void
test_folding_and_bytes(void)
{
	ConsentMatch m;

	IS("ＳＴＯＰ", CONSENT_OPT_OUT);	/* fullwidth */
	IS("\xff\xfeSTOP", CONSENT_OPT_OUT); /* invalid bytes are breaks */
	IS("ST\xffOP", CONSENT_NONE);
	IS("STOP\xe2\x80", CONSENT_OPT_OUT);	/* truncated sequence at the end */
	IS("one two three four five six seven eight nine ten eleven twelve thirteen", CONSENT_NONE);
	IS("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", CONSENT_NONE);
	UNIT_EQ_INT(consent_classify(NULL, 0, &m), CONSENT_NONE);
	UNIT_EQ_STR(m.rule, "");
	UNIT_EQ_INT(consent_classify("STOP", 2, NULL), CONSENT_NONE);	/* "ST" */
	consent_classify("Please stop texting me, thanks!", 31, &m);
	UNIT_EQ_INT(m.kind, CONSENT_OPT_OUT);
	UNIT_EQ_STR(m.rule, "stop texting me");
	UNIT_CHECK(!m.is_keyword, "a phrase is not a keyword");
	consent_classify("Stop.", 5, &m);
	UNIT_EQ_STR(m.rule, "stop");
	UNIT_CHECK(m.is_keyword, "STOP is a keyword");
	UNIT_EQ_STR(consent_kind_name(CONSENT_OPT_IN), "opt_in");
	UNIT_EQ_STR(consent_kind_name(CONSENT_NONE), "none");
}

int
main(void)
{
	test_carrier_keywords();
	test_phrases();
	test_mentions_do_not_count();
	test_folding_and_bytes();
	UNIT_DONE();
}
