/*-------------------------------------------------------------------------
 *
 * query_tree.c
 *	  The arena a parsed query lives in, and printing the tree (for tests
 *	  and for reading what a query was understood as).
 *
 * Never frees single nodes: a tree is built once and freed once.
 *
 *-------------------------------------------------------------------------
 */
#include "query_int.h"

#include <string.h>

/* Allocate size zeroed bytes that live as long as the query. */
void *
sq_arena_alloc(SqQuery *q, size_t size)
{
	return ts_arena_alloc(&q->arena, size);
}

/* A NUL-terminated copy of s[0..len) in the arena. */
char *
sq_arena_strdup(SqQuery *q, const char *s, size_t len)
{
	char	   *p = sq_arena_alloc(q, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* A new, empty query holding its own NUL-terminated copy of the source. */
SqQuery *
sq_query_new(const char *src, size_t len)
{
	SqQuery    *q = ts_alloc0(sizeof(SqQuery));

	q->src = sq_arena_strdup(q, src, len);
	q->len = len;
	return q;
}

/* Free a query and everything in its arena; NULL is fine. */
void
sq_free(SqQuery *q)
{
	if (q == NULL)
		return;
	ts_arena_free(&q->arena);
	ts_free(q);
}

/* The source the query was parsed from. */
const char *
sq_source(const SqQuery *q, size_t *len)
{
	*len = q->len;
	return q->src;
}

/* How an operator is written. */
const char *
sq_op_text(SqOp op)
{
	static const char *const text[] = {
		"=", "!=", "<", "<=", ">", ">=", "~", "!~", "in", "not in", "is empty", "is not empty"
	};

	return text[op];
}

/* Append s with " and \ escaped, in double quotes. */
static void
dump_quoted(TsBuf *out, const char *s, size_t len)
{
	tsbuf_appendc(out, '"');
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '"' || s[i] == '\\')
			tsbuf_appendc(out, '\\');
		tsbuf_appendc(out, s[i]);
	}
	tsbuf_appendc(out, '"');
}

static void
dump_lit(TsBuf *out, const SqLit *l)
{
	static const char *const kind[] = {"", "word:", "number:", "date:", "timestamp:", "bool:"};

	if (l->kind == SQ_LIT_STRING)
		dump_quoted(out, l->text, l->len);
	else
	{
		tsbuf_appends(out, kind[l->kind]);
		tsbuf_append(out, l->text, l->len);
	}
}

static void
dump_node(TsBuf *out, const SqNode *n)
{
	static const char *const kind[] = {"and", "or", "not"};

	tsbuf_appendc(out, '(');
	if (n->kind != SQ_PRED)
	{
		tsbuf_appends(out, kind[n->kind]);
		for (int i = 0; i < n->nkids; i++)
		{
			tsbuf_appendc(out, ' ');
			dump_node(out, n->kids[i]);
		}
	}
	else
	{
		tsbuf_appends(out, sq_op_text(n->op));
		tsbuf_appendc(out, ' ');
		for (int i = 0; i < n->nsegs; i++)
		{
			if (i > 0)
				tsbuf_appendc(out, '.');
			if (n->segs[i].quoted)
				dump_quoted(out, n->segs[i].name, n->segs[i].len);
			else
				tsbuf_append(out, n->segs[i].name, n->segs[i].len);
		}
		for (int i = 0; i < n->nlits; i++)
		{
			tsbuf_appendc(out, ' ');
			dump_lit(out, &n->lits[i]);
		}
	}
	tsbuf_appendc(out, ')');
}

/*
 * The tree as an S-expression: (and (= lead.plan "gold") (in tag word:a
 * word:b)).  Strings are quoted; other values carry their kind.
 */
void
sq_dump(const SqQuery *q, TsBuf *out)
{
	if (q != NULL && q->root != NULL)
		dump_node(out, q->root);
}
