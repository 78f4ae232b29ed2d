/*-------------------------------------------------------------------------
 *
 * pjson.h
 *	  Pure core: a small event-driven JSON scanner for the provider bodies
 *	  (Twilio and Telnyx create responses, error bodies, list pages).
 *
 * Iterative, never recursive: nesting is kept on a fixed stack of
 * PJ_MAX_DEPTH frames and deeper input is an error.  It never reads past
 * len and never allocates except through ts_alloc (core.h).  Strings are
 * decoded (escapes, \u sequences and surrogate pairs to UTF-8; \u0000 and
 * lone surrogates become U+FFFD so a decoded value never holds a NUL), and
 * raw bytes that are not UTF-8 become U+FFFD: every decoded string (and so
 * everything a caller copies out with pj_copy) is valid UTF-8.
 * It does not build a tree: the caller's visitor picks what it needs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_PJSON_H
#define TEXTSEQ_PJSON_H

#include "core.h"

#define PJ_MAX_DEPTH 32
#define PJ_KEY_MAX 40

typedef enum PjEvent
{
	PJ_OBJ_BEGIN,
	PJ_OBJ_END,
	PJ_ARR_BEGIN,
	PJ_ARR_END,
	PJ_STRING,					/* val/len: the decoded string (not NUL-terminated) */
	PJ_NUMBER,					/* val/len: the number's text as written */
	PJ_TRUE,
	PJ_FALSE,
	PJ_NULL
} PjEvent;

/* One enclosing container of the current value. */
typedef struct PjFrame
{
	bool		is_object;
	int			index;			/* element index (arrays) or member index (objects) */
	bool		key_ok;			/* key fits in key[] (longer keys match nothing) */
	char		key[PJ_KEY_MAX];	/* current member's key (objects) */
} PjFrame;

/*
 * Called for every value and container boundary.  stack[0..depth-1] are the
 * containers enclosing the value (for the BEGIN and END events: enclosing the container
 * itself).  Return false to stop the scan (it then fails with PJ_ERR_VISITOR
 * and the visitor's own message, if it set one in err).
 */
typedef bool (*PjVisit) (void *ctx, PjEvent ev, const PjFrame *stack, int depth,
						 const char *val, size_t len, TsError *err);

/* Error codes in TsError.code. */
#define PJ_ERR_SYNTAX	1
#define PJ_ERR_DEPTH	2
#define PJ_ERR_VISITOR	3

/* Scan body[0..len); true when it is one well-formed JSON value. */
extern bool pj_scan(const char *body, size_t len, PjVisit visit, void *ctx, TsError *err);

/* Is the frame at level a member named key?  (false for arrays) */
extern bool pj_key_is(const PjFrame *stack, int depth, int level, const char *key);

/* Digits-only integer (optionally negative, at most 9 digits) from a value; false otherwise. */
extern bool pj_int(const char *val, size_t len, int *out);

/* Copy val into dst (size bytes, NUL-terminated), cutting at a UTF-8 character boundary. */
extern void pj_copy(char *dst, size_t size, const char *val, size_t len);

#endif							/* TEXTSEQ_PJSON_H */
