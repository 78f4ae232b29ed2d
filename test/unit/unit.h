/*-------------------------------------------------------------------------
 *
 * unit.h
 *	  Minimal assertions for the pure cores' standalone unit tests.
 *
 * Each test program ends with UNIT_DONE(), which prints one summary line
 * "name: N passed, M failed" and returns non-zero when anything failed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_UNIT_H
#define TEXTSEQ_UNIT_H

#include <stdio.h>
#include <string.h>

static int	unit_passed;
static int	unit_failed;

#define UNIT_CHECK(cond, msg) \
	do { \
		if (cond) unit_passed++; \
		else { unit_failed++; fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, (msg)); } \
	} while (0)

#define UNIT_EQ_STR(a, b) \
	do { \
		const char *ua_ = (a), *ub_ = (b); \
		if (ua_ && ub_ && strcmp(ua_, ub_) == 0) unit_passed++; \
		else { unit_failed++; fprintf(stderr, "%s:%d: FAIL: \"%s\" != \"%s\"\n", __FILE__, __LINE__, ua_ ? ua_ : "(null)", ub_ ? ub_ : "(null)"); } \
	} while (0)

#define UNIT_EQ_INT(a, b) \
	do { \
		long long ua_ = (long long) (a), ub_ = (long long) (b); \
		if (ua_ == ub_) unit_passed++; \
		else { unit_failed++; fprintf(stderr, "%s:%d: FAIL: %lld != %lld (%s)\n", __FILE__, __LINE__, ua_, ub_, #a); } \
	} while (0)

#define UNIT_DONE() \
	do { \
		printf("%s: %d passed, %d failed\n", __FILE__, unit_passed, unit_failed); \
		return unit_failed ? 1 : 0; \
	} while (0)

#endif							/* TEXTSEQ_UNIT_H */
