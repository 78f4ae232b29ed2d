/*-------------------------------------------------------------------------
 *
 * query_int.h
 *	  Internals of the smartlist query core shared by its files: tokens,
 *	  the tree, and the arena it lives in.  Not for the glue.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_QUERY_INT_H
#define TEXTSEQ_QUERY_INT_H

#include "query.h"

/* ---- tokens (query_lex.c) ------------------------------------------------ */

typedef enum SqTok
{
	TK_EOF = 0,
	TK_NAME,					/* letters, digits, _ and -, starting with a letter or _ */
	TK_STRING,					/* '...' or "..." (escapes undone) */
	TK_NUMBER,					/* -12, 3.50 */
	TK_DATE,					/* 2024-01-31 */
	TK_TIMESTAMP,				/* 2024-01-31T10:00:00Z */
	TK_DOT,
	TK_LPAREN,
	TK_RPAREN,
	TK_COMMA,
	TK_EQ,						/* = */
	TK_NE,						/* != or <> */
	TK_LT,
	TK_LE,
	TK_GT,
	TK_GE,
	TK_CONTAINS,				/* ~ */
	TK_NOT_CONTAINS,			/* !~ */
	TK_BAD						/* a character that starts no token (the parser reports it) */
} SqTok;

typedef struct SqToken
{
	SqTok		kind;
	size_t		offset;			/* where it starts in the source */
	size_t		end;			/* just past it */
	char	   *text;			/* TK_STRING: the unescaped text, in the arena */
	size_t		len;			/* TK_STRING: its length */
} SqToken;

typedef struct SqLexer
{
	struct SqQuery *q;			/* source and arena */
	size_t		pos;
} SqLexer;

extern void sq_lex_init(SqLexer *lx, struct SqQuery *q);
extern bool sq_lex_next(SqLexer *lx, SqToken *tok, TsError *err);
extern bool sq_word_is(const char *src, const SqToken *tok, const char *word);
extern void sq_describe(const char *src, size_t len, const SqToken *tok, char *buf, size_t bufsz);
extern void sq_excerpt(const char *s, size_t n, char *buf, size_t bufsz);

/* ---- the tree ------------------------------------------------------------ */

typedef enum SqNodeKind
{
	SQ_AND,
	SQ_OR,
	SQ_NOT,
	SQ_PRED
} SqNodeKind;

typedef enum SqOp
{
	SQ_OP_EQ,
	SQ_OP_NE,
	SQ_OP_LT,
	SQ_OP_LE,
	SQ_OP_GT,
	SQ_OP_GE,
	SQ_OP_CONTAINS,
	SQ_OP_NOT_CONTAINS,
	SQ_OP_IN,
	SQ_OP_NOT_IN,
	SQ_OP_EMPTY,
	SQ_OP_NOT_EMPTY
} SqOp;

typedef enum SqLitKind
{
	SQ_LIT_STRING,				/* quoted */
	SQ_LIT_WORD,				/* an unquoted word, taken as text */
	SQ_LIT_NUMBER,
	SQ_LIT_DATE,
	SQ_LIT_TIMESTAMP,
	SQ_LIT_BOOL
} SqLitKind;

typedef struct SqLit
{
	SqLitKind	kind;
	char	   *text;			/* NUL-terminated; booleans are "true"/"false" */
	size_t		len;
	size_t		offset;
} SqLit;

/* One part of a field name: lead, first_name, "first name". */
typedef struct SqSeg
{
	char	   *name;			/* NUL-terminated copy */
	size_t		len;
	bool		quoted;
	size_t		offset;
	size_t		end;			/* just past it in the source */
} SqSeg;

typedef struct SqNode
{
	SqNodeKind	kind;
	size_t		offset;
	/* SQ_AND, SQ_OR (two or more), SQ_NOT (one) */
	struct SqNode **kids;
	int			nkids;
	/* SQ_PRED */
	SqSeg	   *segs;
	int			nsegs;
	SqOp		op;
	size_t		op_offset;
	SqLit	   *lits;
	int			nlits;
} SqNode;

struct SqQuery
{
	char	   *src;			/* NUL-terminated copy of the source */
	size_t		len;
	SqNode	   *root;
	TsArena		arena;			/* everything of the tree lives here */
};

/* in query_tree.c */
extern SqQuery *sq_query_new(const char *src, size_t len);
extern void *sq_arena_alloc(SqQuery *q, size_t size);
extern char *sq_arena_strdup(SqQuery *q, const char *s, size_t len);
extern const char *sq_op_text(SqOp op);

#endif							/* TEXTSEQ_QUERY_INT_H */
