/*-------------------------------------------------------------------------
 *
 * branch.h
 *	  Pure core: does a reply match a conversation branch (PlusThis-style
 *	  "equals any of", contains, less, greater, between, any)?
 *
 * The glue resolves `lead.<field>` values before calling; this core sees
 * only the reply and the branch's literal values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_BRANCH_H
#define TEXTSEQ_BRANCH_H

#include "core.h"

typedef enum BranchMatch
{
	BRANCH_EQUALS,				/* value: comma-separated list; *word* = contains */
	BRANCH_LESS,				/* reply < value (numbers) */
	BRANCH_GREATER,				/* reply > value */
	BRANCH_BETWEEN,				/* value <= reply <= value2 (either order) */
	BRANCH_ANY					/* always: the fallback */
} BranchMatch;

/* Error codes of branch_parse_kind / branch_check. */
enum
{
	BRANCH_OK = 0,
	BRANCH_ERR_KIND,			/* unknown match kind */
	BRANCH_ERR_VALUE,			/* a value the kind needs is missing or empty */
	BRANCH_ERR_NUMBER			/* a numeric kind's value is not a number */
};

/* Parse "equals", "less", "greater", "between", "any" (ASCII case ignored). */
extern bool branch_parse_kind(const char *s, BranchMatch *kind);

/*
 * Check a branch's configuration (at save time): equals needs a non-empty
 * list; less/greater need a number in value; between needs numbers in value
 * and value2.  value/value2 may be NULL.  Returns false with err filled.
 */
extern bool branch_check(BranchMatch kind, const char *value, const char *value2, TsError *err);

/*
 * Whether the reply (UTF-8, len bytes) matches.  Numeric kinds never match
 * a reply that is not a number (surrounding whitespace and a trailing
 * '.', '!' or '?' allowed), nor a value that is not one (a lead field that
 * holds text).  NULL values never match, except for BRANCH_ANY.
 */
extern bool branch_matches(BranchMatch kind, const char *reply, size_t len, const char *value,
						   const char *value2);

/* Parse a number as the numeric kinds read it; false when it is not one. */
extern bool branch_number(const char *s, size_t len, double *out);

#endif							/* TEXTSEQ_BRANCH_H */
