/*-------------------------------------------------------------------------
 *
 * tmpl_parse_value.c
 *	  Parsing values: literals, keywords, and paths with their steps,
 *	  .name and [ value ] (lead.first_name, lead["first name"],
 *	  lead.tags[0], lead[field]).
 *
 * Part of the parser (tmpl_parse.c parses tags, outputs, filters and
 * conditions, and calls tmpl_parse_operand for every value).  A bracketed
 * string or integer becomes a key or index now; a bracketed path is kept
 * for the renderer to look up.  Recursion through nested brackets stops
 * at TMPL_MAX_KEY_DEPTH.
 *
 *-------------------------------------------------------------------------
 */
#include "tmpl_int.h"

#include <string.h>

/* A path being parsed: its steps so far. */
typedef struct PathBuild
{
	TmplSeg		segs[TMPL_MAX_SEGMENTS];
	TmplOperand *keys[TMPL_MAX_SEGMENTS];
	int			nsegs;
	bool		dynamic;		/* some step is [path] */
	size_t		start;
} PathBuild;

/* Add one step to the path; false (with the problem recorded) past TMPL_MAX_SEGMENTS. */
static TmplSeg *
add_step(TmplParser *P, PathBuild *pb, TmplSegKind kind, const char *name, int len, size_t offset)
{
	TmplSeg    *seg;

	if (pb->nsegs >= TMPL_MAX_SEGMENTS)
	{
		tmpl_parse_problem(P, TMPL_ERR_TOO_DEEP, pb->start, "path has more than %d parts", TMPL_MAX_SEGMENTS);
		return NULL;
	}
	pb->keys[pb->nsegs] = NULL;
	seg = &pb->segs[pb->nsegs++];
	memset(seg, 0, sizeof(*seg));
	seg->kind = kind;
	seg->name = name;
	seg->len = len;
	seg->offset = offset;
	return seg;
}

/* Add the dot-separated names of a TK_PATH token (lead.first_name) as steps. */
static bool
add_names(TmplParser *P, PathBuild *pb, const TmplTok *tok)
{
	const char *s = P->src + tok->start;

	for (size_t i = 0, from = 0; i <= tok->len; i++)
	{
		if (i < tok->len && s[i] != '.')
			continue;
		if (add_step(P, pb, TMPL_SEG_NAME, s + from, (int) (i - from), tok->start + from) == NULL)
			return false;
		from = i + 1;
	}
	return true;
}

/*
 * Add the step written "[ value ]", its "[" already read.  A string is a
 * key and an integer an index, known now; a path is looked up at render.
 */
static bool
add_key(TmplParser *P, TmplLexer *L, PathBuild *pb, const TmplTok *open)
{
	TmplOperand *key = tmpl_arena_alloc(P->t, sizeof(TmplOperand));
	TmplSeg    *seg;
	TmplTok		t;
	long long	n;
	bool		ok;
	char		buf[48];

	if (P->key_depth >= TMPL_MAX_KEY_DEPTH)
	{
		tmpl_parse_problem(P, TMPL_ERR_TOO_DEEP, open->pos, "keys nested deeper than %d levels",
						   TMPL_MAX_KEY_DEPTH);
		return false;
	}
	tmpl_lex_peek(L, &t);
	P->key_depth++;
	ok = tmpl_parse_operand(P, L, key);
	P->key_depth--;
	if (!ok || (seg = add_step(P, pb, TMPL_SEG_EXPR, NULL, 0, t.pos)) == NULL)
		return false;
	if (key->kind == OPND_EMPTY || key->kind == OPND_BLANK)
	{
		key->kind = OPND_LITERAL;	/* outside a comparison Liquid reads them as "" */
		key->lit.kind = TMPL_STRING;
		key->lit.str = "";
	}
	if (key->kind == OPND_LITERAL && key->lit.kind == TMPL_STRING)
		seg->kind = TMPL_SEG_KEY;
	else if (key->kind == OPND_LITERAL && key->lit.kind == TMPL_NUMBER && tmpl_value_integer(&key->lit, &n))
		seg->kind = TMPL_SEG_INDEX, seg->index = n;
	seg->name = key->lit.str;
	seg->len = (int) key->lit.len;
	if (seg->kind == TMPL_SEG_EXPR)
	{
		pb->keys[pb->nsegs - 1] = key;
		pb->dynamic = true;
	}
	tmpl_lex_next(L, &t);
	if (t.type == TK_RBRACKET)
		return true;
	if (t.type == TK_BAD)
		tmpl_parse_bad_token(P, &t);
	else
		tmpl_parse_problem(P, TMPL_ERR_SYNTAX, t.pos, "expected \"]\", found %s", tmpl_parse_tok_text(P, &t, buf));
	return false;
}

/* Add the steps after the first: ".name" and "[ value ]", white space allowed around them. */
static bool
add_more_steps(TmplParser *P, TmplLexer *L, PathBuild *pb)
{
	for (;;)
	{
		TmplTok		t,
					name;
		char		buf[48];

		tmpl_lex_peek(L, &t);
		if (t.type != TK_LBRACKET && t.type != TK_DOT)
			return true;
		tmpl_lex_next(L, &t);
		if (t.type == TK_LBRACKET)
		{
			if (!add_key(P, L, pb, &t))
				return false;
			continue;
		}
		tmpl_lex_segments(L, &name);
		if (name.type != TK_PATH)
		{
			tmpl_parse_problem(P, TMPL_ERR_SYNTAX, pb->start, "a path cannot end with \".\" at \"%s\"",
					tmpl_parse_excerpt(P, pb->start, t.pos + 1 - pb->start, buf));
			return false;
		}
		if (!add_names(P, pb, &name))
			return false;
	}
}

/* Keep a parsed path in the template, listed among all paths in source order. */
static TmplPath *
keep_path(TmplParser *P, const PathBuild *pb, TmplPath **slot)
{
	TmplPath   *path = tmpl_arena_alloc(P->t, sizeof(TmplPath));

	path->segs = tmpl_arena_alloc(P->t, sizeof(TmplSeg) * pb->nsegs);
	memcpy(path->segs, pb->segs, sizeof(TmplSeg) * pb->nsegs);
	path->nsegs = pb->nsegs;
	path->offset = pb->start;
	if (pb->dynamic)
	{
		path->keys = tmpl_arena_alloc(P->t, sizeof(TmplOperand *) * pb->nsegs);
		memcpy(path->keys, pb->keys, sizeof(TmplOperand *) * pb->nsegs);
	}
	/* paths inside its brackets were listed already, after the slot it goes in */
	path->next_all = *slot;
	*slot = path;
	if (path->next_all == NULL)
		P->t->paths_tail = path;
	return path;
}

/* Is this name token a keyword literal (nil, null, true, false, empty, blank)?  Fills op. */
static bool
keyword_operand(TmplParser *P, const TmplTok *tok, TmplOperand *op)
{
	if (tmpl_tok_is(P->src, tok, "nil") || tmpl_tok_is(P->src, tok, "null"))
		op->lit.kind = TMPL_NIL;
	else if (tmpl_tok_is(P->src, tok, "true") || tmpl_tok_is(P->src, tok, "false"))
	{
		op->lit.kind = TMPL_BOOL;
		op->lit.boolean = P->src[tok->start] == 't';
	}
	else if (tmpl_tok_is(P->src, tok, "empty"))
		op->kind = OPND_EMPTY;
	else if (tmpl_tok_is(P->src, tok, "blank"))
		op->kind = OPND_BLANK;
	else
		return false;
	return true;
}

/*
 * A keyword, or a path starting with tok (a name or "["): lead.first_name,
 * lead["first name"], lead.tags[0], lead[field].x, ["lead"].x.
 */
static bool
parse_path(TmplParser *P, TmplLexer *L, const TmplTok *tok, TmplOperand *op)
{
	PathBuild	pb;
	TmplPath  **slot = P->t->paths_tail ? &P->t->paths_tail->next_all : &P->t->paths;
	TmplTok		next;
	bool		ok;

	tmpl_lex_peek(L, &next);
	if (tok->type == TK_PATH && next.type != TK_LBRACKET && next.type != TK_DOT &&
		keyword_operand(P, tok, op))
		return true;
	ts_check_stack();
	pb.nsegs = 0;
	pb.dynamic = false;
	pb.start = tok->pos;
	ok = tok->type == TK_PATH ? add_names(P, &pb, tok) : add_key(P, L, &pb, tok);
	if (!ok || !add_more_steps(P, L, &pb))
		return false;
	op->kind = OPND_PATH;
	op->path = keep_path(P, &pb, slot);
	return true;
}

/* Parse a value: a literal (string, number, nil, true, false, empty, blank) or a path. */
bool
tmpl_parse_operand(TmplParser *P, TmplLexer *L, TmplOperand *op)
{
	TmplTok		tok;
	char		buf[48];

	memset(op, 0, sizeof(*op));
	tmpl_lex_next(L, &tok);
	switch (tok.type)
	{
		case TK_PATH:
		case TK_LBRACKET:
			return parse_path(P, L, &tok, op);
		case TK_STRING:
		case TK_NUMBER:
			op->lit.kind = tok.type == TK_STRING ? TMPL_STRING : TMPL_NUMBER;
			op->lit.str = P->src + tok.start;
			op->lit.len = tok.len;
			return true;
		case TK_BAD:
			tmpl_parse_bad_token(P, &tok);
			return false;
		default:
			tmpl_parse_problem(P, TMPL_ERR_SYNTAX, tok.pos, "expected a value, found %s",
							   tmpl_parse_tok_text(P, &tok, buf));
			return false;
	}
}
