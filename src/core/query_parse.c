/*-------------------------------------------------------------------------
 *
 * query_parse.c
 *	  Parsing smartlist queries into a tree: or of and of (not) predicates,
 *	  parentheses, and predicates "field op value", "field [not] in (...)",
 *	  "field is [not] empty".
 *
 * Recursive descent over one token of lookahead.  Recursion happens only
 * at "(" and "not", both counted against SQ_MAX_DEPTH; and/or chains are
 * loops that build one n-ary node.  The first problem stops the parse and
 * says what was expected where.  Fields are not interpreted here (that is
 * query_compile.c's job, once the schema is known).
 *
 *-------------------------------------------------------------------------
 */
#include "query_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct SqParser
{
	SqQuery    *q;
	SqLexer		lx;
	SqToken		tok;			/* the lookahead */
	TsError    *err;
	bool		failed;
} SqParser;

static SqNode *parse_or(SqParser *P, int depth);

static void fail(SqParser *P, int code, size_t offset, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* Record the first problem at offset; later ones are ignored. */
static void
fail(SqParser *P, int code, size_t offset, const char *fmt,...)
{
	char		msg[256];
	va_list		ap;

	if (P->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ts_error_set(P->err, code, P->q->src, P->q->len, offset, "%s", msg);
	P->failed = true;
}

/* Move to the next token; false once anything failed. */
static bool
advance(SqParser *P)
{
	if (P->failed)
		return false;
	if (!sq_lex_next(&P->lx, &P->tok, P->err))
		P->failed = true;
	return !P->failed;
}

/* "expected WHAT AFTER[, found TOKEN]" at the lookahead. */
static void
expected(SqParser *P, const char *what, const char *after)
{
	char		found[96];

	if (P->tok.kind == TK_EOF)
	{
		fail(P, SQ_ERR_SYNTAX, P->tok.offset, "expected %s%s%s", what, after[0] ? " after " : "", after);
		return;
	}
	sq_describe(P->q->src, P->q->len, &P->tok, found, sizeof(found));
	fail(P, SQ_ERR_SYNTAX, P->tok.offset, "expected %s%s%s, found %s",
		 what, after[0] ? " after " : "", after, found);
}

/* Words that cannot name a field or stand as an unquoted value. */
static bool
is_keyword(const SqParser *P, const SqToken *t)
{
	static const char *const words[] = {"and", "or", "not", "in", "is", "empty", "null"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (sq_word_is(P->q->src, t, words[i]))
			return true;
	return false;
}

static bool
at_word(const SqParser *P, const char *word)
{
	return sq_word_is(P->q->src, &P->tok, word);
}

/* A new node of kind at offset. */
static SqNode *
new_node(SqParser *P, SqNodeKind kind, size_t offset)
{
	SqNode	   *n = sq_arena_alloc(P->q, sizeof(SqNode));

	n->kind = kind;
	n->offset = offset;
	return n;
}

/* Append kid to an and/or node (arrays double; old ones stay in the arena). */
static void
add_kid(SqParser *P, SqNode *n, SqNode *kid, int *cap)
{
	if (n->nkids == *cap)
	{
		int			ncap = *cap ? *cap * 2 : 4;
		SqNode	  **kids = sq_arena_alloc(P->q, sizeof(SqNode *) * ncap);

		if (n->nkids > 0)
			memcpy(kids, n->kids, sizeof(SqNode *) * n->nkids);
		n->kids = kids;
		*cap = ncap;
	}
	n->kids[n->nkids++] = kid;
}

/* The field as written, for messages: lead.first_name, lead."first name". */
static void
field_text(SqParser *P, const SqNode *n, char *buf, size_t bufsz)
{
	sq_excerpt(P->q->src + n->offset, n->segs[n->nsegs - 1].end - n->offset, buf, bufsz);
}

/* One part of a field name: a name or a quoted string. */
static bool
parse_seg(SqParser *P, SqSeg *seg)
{
	memset(seg, 0, sizeof(*seg));
	seg->offset = P->tok.offset;
	seg->end = P->tok.end;
	if (P->tok.kind == TK_NAME)
	{
		seg->len = P->tok.end - P->tok.offset;
		seg->name = sq_arena_strdup(P->q, P->q->src + P->tok.offset, seg->len);
	}
	else
	{
		seg->name = P->tok.text;
		seg->len = P->tok.len;
		seg->quoted = true;
	}
	return advance(P);
}

/* field = name { "." ( name | string ) } */
static bool
parse_field(SqParser *P, SqNode *n)
{
	SqSeg		segs[8];
	int			nsegs = 0;

	if (P->tok.kind != TK_NAME || is_keyword(P, &P->tok) ||
		at_word(P, "true") || at_word(P, "false"))
	{
		expected(P, "a field such as lead.<column>, tag or phone", "");
		return false;
	}
	n->offset = P->tok.offset;
	if (!parse_seg(P, &segs[nsegs++]))
		return false;
	while (P->tok.kind == TK_DOT)
	{
		if (!advance(P))
			return false;
		if (P->tok.kind != TK_NAME && P->tok.kind != TK_STRING)
		{
			expected(P, "a name", "'.'");
			return false;
		}
		if (nsegs == (int) (sizeof(segs) / sizeof(segs[0])))
		{
			fail(P, SQ_ERR_UNKNOWN_FIELD, n->offset, "unknown field: too many parts");
			return false;
		}
		if (!parse_seg(P, &segs[nsegs++]))
			return false;
	}
	n->segs = sq_arena_alloc(P->q, sizeof(SqSeg) * nsegs);
	memcpy(n->segs, segs, sizeof(SqSeg) * nsegs);
	n->nsegs = nsegs;
	return true;
}

/* value = string | number | date | timestamp | true | false | word */
static bool
parse_value(SqParser *P, SqLit *lit, const char *after)
{
	SqToken    *t = &P->tok;

	lit->offset = t->offset;
	lit->len = t->end - t->offset;
	switch (t->kind)
	{
		case TK_STRING:
			lit->kind = SQ_LIT_STRING;
			lit->text = t->text;
			lit->len = t->len;
			return advance(P);
		case TK_NUMBER:
			lit->kind = SQ_LIT_NUMBER;
			break;
		case TK_DATE:
			lit->kind = SQ_LIT_DATE;
			break;
		case TK_TIMESTAMP:
			lit->kind = SQ_LIT_TIMESTAMP;
			break;
		case TK_NAME:
			if (at_word(P, "null"))
			{
				fail(P, SQ_ERR_SYNTAX, t->offset, "expected a value after %s; write is empty to match a missing value", after);
				return false;
			}
			if (is_keyword(P, t))
			{
				expected(P, "a value", after);
				return false;
			}
			lit->kind = (at_word(P, "true") || at_word(P, "false")) ? SQ_LIT_BOOL : SQ_LIT_WORD;
			break;
		default:
			expected(P, "a value", after);
			return false;
	}
	lit->text = sq_arena_strdup(P->q, P->q->src + t->offset, lit->len);
	if (lit->kind == SQ_LIT_BOOL)
	{
		for (size_t i = 0; i < lit->len; i++)
			if (lit->text[i] >= 'A' && lit->text[i] <= 'Z')
				lit->text[i] = (char) (lit->text[i] - 'A' + 'a');
	}
	return advance(P);
}

/* "(" value { "," value } ")" after in / not in. */
static bool
parse_list(SqParser *P, SqNode *n, const char *in)
{
	int			cap = 0;
	char		after[64];

	if (P->tok.kind != TK_LPAREN)
	{
		expected(P, "'('", in);
		return false;
	}
	snprintf(after, sizeof(after), "'('");
	for (;;)
	{
		if (!advance(P))
			return false;
		if (n->nlits == SQ_MAX_LIST)
		{
			fail(P, SQ_ERR_TOO_LONG, P->tok.offset, "more than %d values in one list", SQ_MAX_LIST);
			return false;
		}
		if (n->nlits == cap)
		{
			int			ncap = cap ? cap * 2 : 4;
			SqLit	   *lits = sq_arena_alloc(P->q, sizeof(SqLit) * ncap);

			if (n->nlits > 0)
				memcpy(lits, n->lits, sizeof(SqLit) * n->nlits);
			n->lits = lits;
			cap = ncap;
		}
		if (!parse_value(P, &n->lits[n->nlits++], after))
			return false;
		if (P->tok.kind == TK_RPAREN)
			return advance(P);
		if (P->tok.kind != TK_COMMA)
		{
			expected(P, "',' or ')'", "a value in the list");
			return false;
		}
		snprintf(after, sizeof(after), "','");
	}
}

/* The comparison operator of a token, or -1. */
static int
cmp_op(SqTok kind)
{
	switch (kind)
	{
		case TK_EQ: return SQ_OP_EQ;
		case TK_NE: return SQ_OP_NE;
		case TK_LT: return SQ_OP_LT;
		case TK_LE: return SQ_OP_LE;
		case TK_GT: return SQ_OP_GT;
		case TK_GE: return SQ_OP_GE;
		case TK_CONTAINS: return SQ_OP_CONTAINS;
		case TK_NOT_CONTAINS: return SQ_OP_NOT_CONTAINS;
		default: return -1;
	}
}

/* "is" [ "not" ] "empty" */
static bool
parse_is(SqParser *P, SqNode *n)
{
	n->op = SQ_OP_EMPTY;
	if (!advance(P))
		return false;
	if (at_word(P, "not"))
	{
		n->op = SQ_OP_NOT_EMPTY;
		if (!advance(P))
			return false;
	}
	if (!at_word(P, "empty"))
	{
		expected(P, "empty", n->op == SQ_OP_EMPTY ? "is" : "is not");
		return false;
	}
	return advance(P);
}

/* predicate = field ( op value | [ "not" ] "in" list | "is" [ "not" ] "empty" ) */
static SqNode *
parse_predicate(SqParser *P)
{
	SqNode	   *n = new_node(P, SQ_PRED, P->tok.offset);
	char		field[64];
	char		after[80];
	int			op;

	if (!parse_field(P, n))
		return NULL;
	field_text(P, n, field, sizeof(field));
	n->op_offset = P->tok.offset;
	if ((op = cmp_op(P->tok.kind)) >= 0)
	{
		n->op = (SqOp) op;
		snprintf(after, sizeof(after), "'%s'", sq_op_text(n->op));
		n->lits = sq_arena_alloc(P->q, sizeof(SqLit));
		n->nlits = 1;
		if (!advance(P) || !parse_value(P, &n->lits[0], after))
			return NULL;
		return n;
	}
	if (at_word(P, "is"))
		return parse_is(P, n) ? n : NULL;
	n->op = SQ_OP_IN;
	if (at_word(P, "not"))
	{
		n->op = SQ_OP_NOT_IN;
		if (!advance(P))
			return NULL;
		if (!at_word(P, "in"))
		{
			expected(P, "in", "not");
			return NULL;
		}
	}
	if (!at_word(P, "in"))
	{
		expected(P, "an operator (=, !=, <, <=, >, >=, ~, !~, in, is empty)", field);
		return NULL;
	}
	if (!advance(P) || !parse_list(P, n, n->op == SQ_OP_IN ? "in" : "not in"))
		return NULL;
	return n;
}

/* primary = "(" expr ")" | predicate */
static SqNode *
parse_primary(SqParser *P, int depth)
{
	SqNode	   *n;

	if (P->tok.kind != TK_LPAREN)
		return parse_predicate(P);
	if (depth >= SQ_MAX_DEPTH)
	{
		fail(P, SQ_ERR_TOO_DEEP, P->tok.offset, "nesting deeper than %d levels", SQ_MAX_DEPTH);
		return NULL;
	}
	if (!advance(P) || (n = parse_or(P, depth + 1)) == NULL)
		return NULL;
	if (P->tok.kind != TK_RPAREN)
	{
		expected(P, "and, or or ')'", "a condition");
		return NULL;
	}
	return advance(P) ? n : NULL;
}

/* not_expr = "not" not_expr | primary */
static SqNode *
parse_not(SqParser *P, int depth)
{
	SqNode	   *n;
	SqNode	   *kid;

	ts_check_stack();
	if (!at_word(P, "not"))
		return parse_primary(P, depth);
	if (depth >= SQ_MAX_DEPTH)
	{
		fail(P, SQ_ERR_TOO_DEEP, P->tok.offset, "nesting deeper than %d levels", SQ_MAX_DEPTH);
		return NULL;
	}
	n = new_node(P, SQ_NOT, P->tok.offset);
	if (!advance(P) || (kid = parse_not(P, depth + 1)) == NULL)
		return NULL;
	n->kids = sq_arena_alloc(P->q, sizeof(SqNode *));
	n->kids[0] = kid;
	n->nkids = 1;
	return n;
}

/* A chain of sub-expressions joined by word; one node, or the lone operand. */
static SqNode *
parse_chain(SqParser *P, int depth, const char *word, SqNodeKind kind)
{
	SqNode	   *first = (kind == SQ_OR) ? parse_chain(P, depth, "and", SQ_AND) : parse_not(P, depth);
	SqNode	   *n = NULL;
	int			cap = 0;

	if (first == NULL)
		return NULL;
	while (at_word(P, word))
	{
		SqNode	   *kid;

		if (n == NULL)
		{
			n = new_node(P, kind, first->offset);
			add_kid(P, n, first, &cap);
		}
		if (!advance(P))
			return NULL;
		kid = (kind == SQ_OR) ? parse_chain(P, depth, "and", SQ_AND) : parse_not(P, depth);
		if (kid == NULL)
			return NULL;
		add_kid(P, n, kid, &cap);
	}
	return n ? n : first;
}

/* expr = and_expr { "or" and_expr } ; and_expr = not_expr { "and" not_expr } */
static SqNode *
parse_or(SqParser *P, int depth)
{
	return parse_chain(P, depth, "or", SQ_OR);
}

/* The offset of the first ill-formed UTF-8 sequence (len if none). */
static size_t
invalid_utf8_at(const char *src, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = (unsigned char) src[i];
		size_t		w = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;

		if (i + w > len || !ts_utf8_valid(src + i, w))
			return i;
		i += w;
	}
	return len;
}

/* Reject what cannot be a query before lexing: too long, NUL bytes, bad UTF-8. */
static bool
check_input(const char *src, size_t len, TsError *err)
{
	const char *nul;

	if (len > SQ_MAX_INPUT)
	{
		ts_error_set(err, SQ_ERR_TOO_LONG, src, 0, 0,
					 "query longer than %d bytes", SQ_MAX_INPUT);
		err->line = 1;
		err->column = 1;
		return false;
	}
	if ((nul = memchr(src, '\0', len)) != NULL)
	{
		ts_error_set(err, SQ_ERR_SYNTAX, src, len, (size_t) (nul - src), "unexpected NUL byte");
		return false;
	}
	if (!ts_utf8_valid(src, len))
	{
		size_t		bad = invalid_utf8_at(src, len);

		ts_error_set(err, SQ_ERR_SYNTAX, src, bad, bad, "invalid UTF-8 byte sequence");
		return false;
	}
	return true;
}

/*
 * Parse a query.  Returns the tree, or NULL with err set (code, position
 * and what was expected).  The tree keeps its own copy of src.
 */
SqQuery *
sq_parse(const char *src, size_t len, TsError *err)
{
	SqParser	P;
	SqNode	   *root;

	memset(err, 0, sizeof(*err));
	if (!check_input(src, len, err))
		return NULL;
	memset(&P, 0, sizeof(P));
	P.q = sq_query_new(src, len);
	P.err = err;
	sq_lex_init(&P.lx, P.q);
	if (advance(&P))
	{
		if (P.tok.kind == TK_EOF)
			fail(&P, SQ_ERR_SYNTAX, 0, "empty query: expected a condition such as lead.bulkimport_id = 123");
		else if ((root = parse_or(&P, 0)) != NULL && P.tok.kind != TK_EOF)
			expected(&P, "and, or or the end of the query", "a condition");
		else
			P.q->root = root;
	}
	if (P.failed)
	{
		sq_free(P.q);
		return NULL;
	}
	return P.q;
}
