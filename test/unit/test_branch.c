/*-------------------------------------------------------------------------
 *
 * test_branch.c
 *	  Unit tests of the conversation-branch core: lists, contains, numbers,
 *	  non-numeric replies, configuration checks.
 *
 *-------------------------------------------------------------------------
 */
#include "branch.h"

#include "unit.h"

/* Whether a NUL-terminated reply matches. */
static bool
m(BranchMatch k, const char *reply, const char *v, const char *v2)
{
	return branch_matches(k, reply, strlen(reply), v, v2);
}

static void
test_equals(void)
{
	UNIT_CHECK(m(BRANCH_EQUALS, "yes", "yes", NULL), "exact");
	UNIT_CHECK(m(BRANCH_EQUALS, "YES", "yes", NULL), "case ignored");
	UNIT_CHECK(m(BRANCH_EQUALS, "  Yes!  ", "yes", NULL), "surrounding punctuation ignored");
	UNIT_CHECK(m(BRANCH_EQUALS, "y", "yes, y, yeah", NULL), "any item of the list");
	UNIT_CHECK(m(BRANCH_EQUALS, "Yeah.", "yes,y,yeah", NULL), "items without spaces");
	UNIT_CHECK(!m(BRANCH_EQUALS, "yes please", "yes", NULL), "equals is the whole reply");
	UNIT_CHECK(!m(BRANCH_EQUALS, "no", "yes, y", NULL), "not in the list");
	UNIT_CHECK(m(BRANCH_EQUALS, "Oh yes please", "*yes*", NULL), "contains");
	UNIT_CHECK(m(BRANCH_EQUALS, "YES!!", "no, *yes*", NULL), "contains, case ignored");
	UNIT_CHECK(m(BRANCH_EQUALS, "eyes", "*yes*", NULL), "contains is a substring test");
	UNIT_CHECK(m(BRANCH_EQUALS, "yesterday", "yes*", NULL), "a star at one end is contains too");
	UNIT_CHECK(!m(BRANCH_EQUALS, "anything", "*", NULL), "a lone star matches nothing");
	UNIT_CHECK(!m(BRANCH_EQUALS, "", "yes", NULL), "empty reply");
	UNIT_CHECK(!m(BRANCH_EQUALS, "", ",", NULL), "empty items never match");
	UNIT_CHECK(m(BRANCH_EQUALS, "ja, gerne", "*gerne*", NULL), "commas in the reply are fine");
	UNIT_CHECK(m(BRANCH_EQUALS, "Café", "café", NULL), "UTF-8 compares bytewise");
	UNIT_CHECK(!m(BRANCH_EQUALS, "yes", NULL, NULL), "NULL value never matches");
}

static void
test_numbers(void)
{
	double		d;

	UNIT_CHECK(m(BRANCH_LESS, "3", "5", NULL), "3 < 5");
	UNIT_CHECK(!m(BRANCH_LESS, "5", "5", NULL), "5 < 5 is false");
	UNIT_CHECK(m(BRANCH_GREATER, " 10 ", "9.5", NULL), "10 > 9.5");
	UNIT_CHECK(m(BRANCH_GREATER, "10.", "9", NULL), "a full stop after a number");
	UNIT_CHECK(m(BRANCH_LESS, "-2", "0", NULL), "negative");
	UNIT_CHECK(m(BRANCH_BETWEEN, "7", "5", "10"), "between");
	UNIT_CHECK(m(BRANCH_BETWEEN, "5", "5", "10"), "between includes the low end");
	UNIT_CHECK(m(BRANCH_BETWEEN, "10", "5", "10"), "between includes the high end");
	UNIT_CHECK(m(BRANCH_BETWEEN, "7", "10", "5"), "between in either order");
	UNIT_CHECK(!m(BRANCH_BETWEEN, "11", "5", "10"), "outside");
	UNIT_CHECK(!m(BRANCH_LESS, "three", "5", NULL), "a word is not a number");
	UNIT_CHECK(!m(BRANCH_GREATER, "12abc", "5", NULL), "trailing letters");
	UNIT_CHECK(!m(BRANCH_GREATER, "1e9", "5", NULL), "no exponents");
	UNIT_CHECK(!m(BRANCH_GREATER, "inf", "5", NULL), "no inf");
	UNIT_CHECK(!m(BRANCH_LESS, "nan", "5", NULL), "no nan");
	UNIT_CHECK(!m(BRANCH_LESS, "", "5", NULL), "empty reply");
	UNIT_CHECK(!m(BRANCH_LESS, ".", "5", NULL), "a dot alone");
	UNIT_CHECK(!m(BRANCH_LESS, "3", "abc", NULL), "a value that is not a number (a text lead field)");
	UNIT_CHECK(!m(BRANCH_BETWEEN, "3", "1", NULL), "between without value2");
	UNIT_CHECK(branch_number(" +4.25 ", 7, &d) && d == 4.25, "parse +4.25");
	UNIT_CHECK(branch_number(".5", 2, &d) && d == 0.5, "parse .5");
	UNIT_CHECK(!branch_number("1234567890123456789012345678901234567890123", 43, &d), "too long");
}

static void
test_any_and_config(void)
{
	BranchMatch k;
	TsError		err;

	UNIT_CHECK(m(BRANCH_ANY, "whatever", NULL, NULL), "any matches anything");
	UNIT_CHECK(branch_matches(BRANCH_ANY, NULL, 0, NULL, NULL), "any matches even no reply");
	UNIT_CHECK(branch_parse_kind("Between", &k) && k == BRANCH_BETWEEN, "parse kind");
	UNIT_CHECK(!branch_parse_kind("contains", &k), "unknown kind");
	UNIT_CHECK(!branch_parse_kind("equalsequalsequals", &k), "long kind");
	UNIT_CHECK(!branch_parse_kind(NULL, &k), "NULL kind");
	UNIT_CHECK(branch_check(BRANCH_EQUALS, "yes,no", NULL, &err), "equals ok");
	UNIT_CHECK(!branch_check(BRANCH_EQUALS, " , *", NULL, &err) && err.code == BRANCH_ERR_VALUE, "empty list");
	UNIT_CHECK(!branch_check(BRANCH_LESS, "ten", NULL, &err) && err.code == BRANCH_ERR_NUMBER, "less needs a number");
	UNIT_EQ_STR(err.message, "\"less\" needs a number in value");
	UNIT_CHECK(!branch_check(BRANCH_BETWEEN, "1", NULL, &err) && err.code == BRANCH_ERR_VALUE, "between needs value2");
	UNIT_CHECK(branch_check(BRANCH_BETWEEN, "1", "2", &err), "between ok");
	UNIT_CHECK(branch_check(BRANCH_ANY, NULL, NULL, &err), "any needs nothing");
}

int
main(void)
{
	test_equals();
	test_numbers();
	test_any_and_config();
	UNIT_DONE();
}
