/*-------------------------------------------------------------------------
 *
 * consent.h
 *	  Pure core: what an inbound text says about consent.  STOP and its
 *	  sister keywords, the common ways people phrase an opt-out, START/
 *	  UNSTOP/YES and HELP/INFO, each only as the whole message.
 *
 * Must not: match a mere mention ("stopping by later", "don't stop").
 * The lists are documented in docs/consent.md; keep the two in step.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_CONSENT_H
#define TEXTSEQ_CONSENT_H

#include "core.h"

typedef enum ConsentKind
{
	CONSENT_NONE = 0,			/* an ordinary reply */
	CONSENT_OPT_OUT,
	CONSENT_OPT_IN,
	CONSENT_HELP
} ConsentKind;

/* The longest message (in words, fillers included) that can be a phrase. */
#define CONSENT_MAX_WORDS 12

typedef struct ConsentMatch
{
	ConsentKind kind;
	/* the keyword or phrase matched, lower case, words joined by one space
	 * (static storage); "" for CONSENT_NONE */
	const char *rule;
	bool		is_keyword;		/* a single carrier keyword, not a phrase */
} ConsentMatch;

/*
 * Classify a message body (UTF-8, any bytes accepted).  Case, surrounding
 * whitespace and punctuation, emoji, and polite fillers before or after
 * ("please", "thank you", "now", ...) are ignored; what remains must be one
 * keyword or one listed phrase exactly.
 */
extern ConsentKind consent_classify(const char *body, size_t len, ConsentMatch *match);

/* "opt_out", "opt_in", "help" or "none". */
extern const char *consent_kind_name(ConsentKind kind);

#endif							/* TEXTSEQ_CONSENT_H */
