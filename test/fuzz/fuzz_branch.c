/*-------------------------------------------------------------------------
 *
 * fuzz_branch.c
 *	  libFuzzer harness of the conversation-branch core: arbitrary replies
 *	  and values never crash it, and the verdicts are consistent.
 *
 * Input: reply \0 value \0 value2 (missing parts are NULL).
 * Invariants checked (abort on violation):
 *	- any matches; less and greater never both match;
 *	- between is the same with its bounds swapped;
 *	- a numeric reply is between itself and itself, and never less or
 *	  greater than itself;
 *	- equals matches a list holding the reply itself (when the reply has
 *	  no comma, star or NUL and is not empty once trimmed).
 *
 *-------------------------------------------------------------------------
 */
#include "branch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) \
	do { if (!(cond)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); abort(); } } while (0)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *buf;
	char	   *reply;
	char	   *value = NULL;
	char	   *value2 = NULL;
	size_t		rlen;
	double		x;
	TsError		err;

	if (size > 2048)
		return 0;
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	reply = buf;
	rlen = strlen(reply);
	if (rlen < size)
	{
		value = reply + rlen + 1;
		if (value + strlen(value) < buf + size)
			value2 = value + strlen(value) + 1;
	}
	CHECK(branch_matches(BRANCH_ANY, reply, rlen, value, value2));
	CHECK(!(branch_matches(BRANCH_LESS, reply, rlen, value, value2) &&
			branch_matches(BRANCH_GREATER, reply, rlen, value, value2)));
	CHECK(branch_matches(BRANCH_BETWEEN, reply, rlen, value, value2) ==
		  branch_matches(BRANCH_BETWEEN, reply, rlen, value2, value));
	(void) branch_matches(BRANCH_EQUALS, reply, rlen, value, value2);
	for (int k = 0; k <= BRANCH_ANY; k++)
		(void) branch_check((BranchMatch) k, value, value2, &err);
	if (branch_number(reply, rlen, &x))
	{
		CHECK(branch_matches(BRANCH_BETWEEN, reply, rlen, reply, reply));
		CHECK(!branch_matches(BRANCH_LESS, reply, rlen, reply, NULL));
		CHECK(!branch_matches(BRANCH_GREATER, reply, rlen, reply, NULL));
	}
	if (rlen > 0 && strpbrk(reply, ",*") == NULL && strspn(reply, " \t\n\r\f\v.!?,;:\"'()") < rlen)
		CHECK(branch_matches(BRANCH_EQUALS, reply, rlen, reply, NULL));
	free(buf);
	return 0;
}
