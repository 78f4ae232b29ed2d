/*-------------------------------------------------------------------------
 *
 * tmpl_parse.c
 *	  Building a template's tree from its pieces and tokens, and collecting
 *	  every problem (syntax, unknown tags and filters, bad filter arguments,
 *	  nesting) with its position.
 *
 * The parser recovers at the end of each {{ }} or {% %} so one pass reports
 * every problem; only markup that never closes, or nesting past
 * TMPL_MAX_DEPTH, stops it.  Filters are checked here, never at render.
 * Values (literals, paths) are parsed in tmpl_parse_value.c.
 *
 *-------------------------------------------------------------------------
 */
#include "tmpl_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which tag ended a block body. */
typedef enum EndKind
{
	END_NONE, END_ELSIF, END_ELSE, END_ENDIF, END_ENDUNLESS
} EndKind;

typedef struct Stop
{
	EndKind		kind;
	TmplPiece	piece;
	TmplLexer	lex;			/* positioned after the tag's name */
} Stop;

static TmplNode *parse_nodes(TmplParser *P, int depth, Stop *stop);

/* Record a problem at offset, keeping the list in source order. */
void
tmpl_parse_problem(TmplParser *P, int code, size_t offset, const char *fmt,...)
{
	TmplProblems *pr = P->problems;
	char		msg[200];
	va_list		ap;
	int			i;

	if (pr->count >= TMPL_MAX_PROBLEMS)
	{
		pr->truncated = true;
		P->fatal = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	i = pr->count;
	while (i > 0 && (size_t) pr->items[i - 1].offset > offset)
	{
		pr->items[i] = pr->items[i - 1];
		i--;
	}
	ts_error_set(&pr->items[i], code, P->src, P->len, offset, "%s", msg);
	pr->count++;
}

/* Copy at most 30 bytes of src[start..start+n) into buf (>= 40 bytes), never splitting a character. */
const char *
tmpl_parse_excerpt(const TmplParser *P, size_t start, size_t n, char *buf)
{
	size_t		cut;

	if (start > P->len)
		start = P->len;
	if (n > P->len - start)
		n = P->len - start;
	/* a token ending in a lead byte takes its continuation bytes along */
	while (start + n < P->len && n < 34 && ((unsigned char) P->src[start + n] & 0xC0) == 0x80)
		n++;
	cut = n > 30 ? 30 : n;
	while (cut > 0 && cut < n && ((unsigned char) P->src[start + cut] & 0xC0) == 0x80)
		cut--;
	memcpy(buf, P->src + start, cut);
	strcpy(buf + cut, cut < n ? "..." : "");
	return buf;
}

/* Describe a token for an error message: nothing, "name", or a string as written. */
const char *
tmpl_parse_tok_text(const TmplParser *P, const TmplTok *t, char *buf)
{
	if (t->type == TK_END)
		return "nothing";
	if (t->type == TK_STRING)
		return tmpl_parse_excerpt(P, t->pos, t->len + 2, buf);
	buf[0] = '"';
	tmpl_parse_excerpt(P, t->pos, t->len, buf + 1);
	strcat(buf, "\"");
	return buf;
}

/* Record a problem for a token the lexer rejected. */
void
tmpl_parse_bad_token(TmplParser *P, const TmplTok *t)
{
	char		buf[48];

	tmpl_parse_problem(P, TMPL_ERR_SYNTAX, t->pos, "%s at \"%s\"", t->bad,
					   tmpl_parse_excerpt(P, t->pos, t->len, buf));
}

/* Can this operand serve as truncate's length (a number, a quoted integer, or a path)? */
static bool
integer_operand(const TmplOperand *op)
{
	long long	n;

	if (op->kind == OPND_PATH)
		return true;
	if (op->kind != OPND_LITERAL)
		return false;
	return (op->lit.kind == TMPL_NUMBER || op->lit.kind == TMPL_STRING) &&
		tmpl_value_integer(&op->lit, &n);
}

/* Check a filter's argument count and kinds against its spec. */
static void
check_filter_args(TmplParser *P, const TmplFilterSpec *spec, const TmplFilter *f, size_t pos)
{
	if (f->nargs < spec->min_args || f->nargs > spec->max_args)
	{
		if (spec->max_args == 0)
			tmpl_parse_problem(P, TMPL_ERR_FILTER_ARG, pos, "filter \"%s\" takes no arguments", spec->name);
		else if (spec->min_args == 0 && spec->max_args == 1)
			tmpl_parse_problem(P, TMPL_ERR_FILTER_ARG, pos, "filter \"%s\" takes at most 1 argument", spec->name);
		else if (spec->min_args == spec->max_args)
			tmpl_parse_problem(P, TMPL_ERR_FILTER_ARG, pos, "filter \"%s\" takes exactly %d argument%s",
					spec->name, spec->min_args, spec->min_args == 1 ? "" : "s");
		else
			tmpl_parse_problem(P, TMPL_ERR_FILTER_ARG, pos, "filter \"%s\" takes %d to %d arguments",
					spec->name, spec->min_args, spec->max_args);
	}
	else if (spec->int_first && f->nargs >= 1 && !integer_operand(&f->args[0]))
		tmpl_parse_problem(P, TMPL_ERR_FILTER_ARG, pos, "filter \"%s\" needs an integer length", spec->name);
	else if (f->allow_false != NULL && f->nargs == 0)
		tmpl_parse_problem(P, TMPL_ERR_FILTER_ARG, pos, "filter \"%s\" needs a value before \"allow_false\"",
				spec->name);
}

/* Parse one keyword argument "name: value" of filter f. */
static bool
parse_option(TmplParser *P, TmplLexer *L, const TmplFilterSpec *spec, TmplFilter *f)
{
	TmplTok		name,
				colon;
	TmplOperand value;
	char		buf[48];

	tmpl_lex_next(L, &name);
	tmpl_lex_next(L, &colon);
	if (!tmpl_parse_operand(P, L, &value))
		return false;
	if (spec == NULL)
		return true;
	if (spec->allow_false && tmpl_tok_is(P->src, &name, "allow_false"))
	{
		f->allow_false = tmpl_arena_alloc(P->t, sizeof(TmplOperand));
		*f->allow_false = value;
		return true;
	}
	tmpl_parse_problem(P, TMPL_ERR_FILTER_ARG, name.pos, "filter \"%s\" has no option %s",
			spec->name, tmpl_parse_tok_text(P, &name, buf));
	return true;
}

/* Parse a filter's arguments after its ':' (positional and name: value). */
static bool
parse_filter_args(TmplParser *P, TmplLexer *L, const TmplFilterSpec *spec, TmplFilter *f)
{
	for (;;)
	{
		TmplLexer	ahead = *L;
		TmplTok		t1,
					t2;

		tmpl_lex_next(&ahead, &t1);
		tmpl_lex_next(&ahead, &t2);
		if (t1.type == TK_PATH && t2.type == TK_COLON)
		{
			if (!parse_option(P, L, spec, f))
				return false;
		}
		else
		{
			TmplOperand arg;

			if (!tmpl_parse_operand(P, L, &arg))
				return false;
			if (f->nargs < TMPL_FILTER_MAX_ARGS)
				f->args[f->nargs] = arg;
			f->nargs++;
		}
		tmpl_lex_peek(L, &t1);
		if (t1.type != TK_COMMA)
			return true;
		tmpl_lex_next(L, &t1);
	}
}

/*
 * Parse "name" or "name: args" after a '|' into *out.  Returns false when
 * the rest of the output cannot be parsed; *out stays NULL for an unknown
 * filter whose arguments were fine (so later filters are checked too).
 */
static bool
parse_filter(TmplParser *P, TmplLexer *L, TmplFilter **out)
{
	TmplTok		name,
				t;
	const TmplFilterSpec *spec;
	TmplFilter *f;
	char		buf[48];

	*out = NULL;
	tmpl_lex_next(L, &name);
	if (name.type != TK_PATH || memchr(P->src + name.start, '.', name.len) != NULL)
	{
		tmpl_parse_problem(P, TMPL_ERR_SYNTAX, name.pos, "expected a filter name after \"|\", found %s",
				tmpl_parse_tok_text(P, &name, buf));
		return false;
	}
	spec = tmpl_filter_lookup(P->src + name.start, name.len);
	if (spec == NULL)
		tmpl_parse_problem(P, TMPL_ERR_UNKNOWN_FILTER, name.pos, "unknown filter %s",
						   tmpl_parse_tok_text(P, &name, buf));
	f = tmpl_arena_alloc(P->t, sizeof(TmplFilter));
	tmpl_lex_peek(L, &t);
	if (t.type == TK_COLON)
	{
		tmpl_lex_next(L, &t);
		if (!parse_filter_args(P, L, spec, f))
			return false;
	}
	if (spec == NULL)
		return true;
	f->id = spec->id;
	check_filter_args(P, spec, f, name.pos);
	*out = f;
	return true;
}

/* Parse {{ value | filter ... }}; NULL when it has problems. */
static TmplNode *
parse_output(TmplParser *P, const TmplPiece *piece)
{
	TmplLexer	L;
	TmplTok		t;
	TmplNode   *node = tmpl_arena_alloc(P->t, sizeof(TmplNode));
	TmplFilter **tail = &node->filters;
	bool		ok = true;
	char		buf[48];

	node->type = NODE_OUTPUT;
	node->offset = piece->open;
	tmpl_lex_init(&L, P->src, piece->start, piece->end);
	tmpl_lex_peek(&L, &t);
	if (t.type == TK_END)
		return node;			/* {{ }} renders nothing, as in Liquid */
	if (!tmpl_parse_operand(P, &L, &node->expr))
		return NULL;
	for (tmpl_lex_next(&L, &t); t.type != TK_END; tmpl_lex_next(&L, &t))
	{
		TmplFilter *f;

		if (t.type != TK_PIPE)
		{
			tmpl_parse_problem(P, TMPL_ERR_SYNTAX, t.pos, "expected \"|\" or the end of the output, found %s",
					tmpl_parse_tok_text(P, &t, buf));
			return NULL;
		}
		if (!parse_filter(P, &L, &f))
			return NULL;
		if (f == NULL)
		{
			ok = false;
			continue;
		}
		*tail = f;
		tail = &f->next;
	}
	return ok ? node : NULL;
}

/* Parse a condition: value [op value] {and|or value [op value]}. */
static TmplCond *
parse_condition(TmplParser *P, TmplLexer *L, const char *tag, size_t pos)
{
	TmplCond   *head = NULL,
			  **tail = &head;
	TmplTok		t;
	char		buf[48];

	tmpl_lex_peek(L, &t);
	if (t.type == TK_END)
	{
		tmpl_parse_problem(P, TMPL_ERR_SYNTAX, pos, "\"%s\" needs a condition", tag);
		return NULL;
	}
	for (;;)
	{
		TmplCond   *c = tmpl_arena_alloc(P->t, sizeof(TmplCond));

		if (!tmpl_parse_operand(P, L, &c->left))
			return NULL;
		tmpl_lex_peek(L, &t);
		if (t.type == TK_CMP || tmpl_tok_is(P->src, &t, "contains"))
		{
			tmpl_lex_next(L, &t);
			c->cmp = t.type == TK_CMP ? t.cmp : CMP_CONTAINS;
			if (!tmpl_parse_operand(P, L, &c->right))
				return NULL;
		}
		*tail = c;
		tail = &c->next;
		tmpl_lex_next(L, &t);
		if (t.type == TK_END)
			return head;
		if (!tmpl_tok_is(P->src, &t, "and") && !tmpl_tok_is(P->src, &t, "or"))
		{
			if (t.type == TK_BAD)
				tmpl_parse_bad_token(P, &t);
			else
				tmpl_parse_problem(P, TMPL_ERR_SYNTAX, t.pos, "expected \"and\", \"or\" or the end of the tag, found %s",
						tmpl_parse_tok_text(P, &t, buf));
			return NULL;
		}
		c->join = P->src[t.start] == 'a' ? JOIN_AND : JOIN_OR;
	}
}

/* Complain when a tag that takes nothing has more after its name. */
static void
expect_no_args(TmplParser *P, TmplLexer *L, const char *tag)
{
	TmplTok		t;

	tmpl_lex_next(L, &t);
	if (t.type != TK_END)
		tmpl_parse_problem(P, TMPL_ERR_SYNTAX, t.pos, "\"%s\" takes no arguments", tag);
}

/* Add a new arm to an if node; returns it. */
static TmplBranch *
add_branch(TmplParser *P, TmplBranch ***tail)
{
	TmplBranch *b = tmpl_arena_alloc(P->t, sizeof(TmplBranch));

	**tail = b;
	*tail = &b->next;
	return b;
}

/* Parse {% if %} / {% unless %} through its arms to the matching end tag. */
static TmplNode *
parse_if(TmplParser *P, const TmplPiece *piece, TmplLexer *L, int depth, bool unless)
{
	const char *tag = unless ? "unless" : "if";
	TmplNode   *node = tmpl_arena_alloc(P->t, sizeof(TmplNode));
	TmplBranch **tail = &node->branches;
	TmplBranch *b;
	bool		seen_else = false;
	Stop		st;

	ts_check_stack();
	if (depth >= TMPL_MAX_DEPTH)
	{
		tmpl_parse_problem(P, TMPL_ERR_TOO_DEEP, piece->open, "blocks nested deeper than %d levels",
						   TMPL_MAX_DEPTH);
		P->fatal = true;
		return NULL;
	}
	node->type = NODE_IF;
	node->offset = piece->open;
	b = add_branch(P, &tail);
	b->negate = unless;
	b->cond = parse_condition(P, L, tag, piece->open);
	for (;;)
	{
		b->body = parse_nodes(P, depth + 1, &st);
		if (P->fatal)
			return node;
		switch (st.kind)
		{
			case END_NONE:
				tmpl_parse_problem(P, TMPL_ERR_SYNTAX, piece->open, "\"%s\" was never closed", tag);
				return node;
			case END_ENDIF:
			case END_ENDUNLESS:
				if ((st.kind == END_ENDUNLESS) != unless)
					tmpl_parse_problem(P, TMPL_ERR_SYNTAX, st.piece.open, "\"%s\" must be closed by \"end%s\"", tag, tag);
				expect_no_args(P, &st.lex, unless ? "endunless" : "endif");
				return node;
			case END_ELSIF:
				if (seen_else)
					tmpl_parse_problem(P, TMPL_ERR_SYNTAX, st.piece.open, "\"elsif\" after \"else\"");
				b = add_branch(P, &tail);
				b->cond = parse_condition(P, &st.lex, "elsif", st.piece.open);
				break;
			case END_ELSE:
				if (seen_else)
					tmpl_parse_problem(P, TMPL_ERR_SYNTAX, st.piece.open, "\"%s\" has more than one \"else\"", tag);
				expect_no_args(P, &st.lex, "else");
				seen_else = true;
				b = add_branch(P, &tail);
				break;
		}
	}
}

/* Append a text node for src[start..end). */
static TmplNode *
text_node(TmplParser *P, size_t start, size_t end)
{
	TmplNode   *node = tmpl_arena_alloc(P->t, sizeof(TmplNode));

	node->type = NODE_TEXT;
	node->offset = start;
	node->text = P->src + start;
	node->len = end - start;
	return node;
}

/* Handle {% raw %} and {% comment %}: their bodies are not markup. */
static TmplNode *
parse_verbatim(TmplParser *P, const TmplPiece *piece, TmplLexer *L, bool raw)
{
	TmplPiece	body;

	expect_no_args(P, L, raw ? "raw" : "comment");
	if (raw ? !tmpl_scan_raw(&P->scan, &body) : !tmpl_scan_comment(&P->scan))
	{
		tmpl_parse_problem(P, TMPL_ERR_SYNTAX, piece->open, "\"%s\" was never closed", raw ? "raw" : "comment");
		P->fatal = true;
		return NULL;
	}
	return raw && body.end > body.start ? text_node(P, body.start, body.end) : NULL;
}

/* Which block-ending tag (if any) is this name? */
static EndKind
end_kind(const TmplParser *P, const TmplTok *name)
{
	if (tmpl_tok_is(P->src, name, "elsif"))
		return END_ELSIF;
	if (tmpl_tok_is(P->src, name, "else"))
		return END_ELSE;
	if (tmpl_tok_is(P->src, name, "endif"))
		return END_ENDIF;
	if (tmpl_tok_is(P->src, name, "endunless"))
		return END_ENDUNLESS;
	return END_NONE;
}

/* Parse a {% tag %}; may fill *stop (returning true) when it ends the current block. */
static bool
parse_tag(TmplParser *P, const TmplPiece *piece, int depth, Stop *stop, TmplNode **out)
{
	TmplLexer	L;
	TmplTok		name;
	EndKind		ek;
	char		buf[48];

	*out = NULL;
	tmpl_lex_init(&L, P->src, piece->start, piece->end);
	tmpl_lex_next(&L, &name);
	if (name.type == TK_HASH)
		return false;			/* {% # inline comment %} */
	if (name.type != TK_PATH)
	{
		tmpl_parse_problem(P, TMPL_ERR_SYNTAX, name.type == TK_END ? piece->open : name.pos,
				"expected a tag name, found %s", tmpl_parse_tok_text(P, &name, buf));
		return false;
	}
	ek = end_kind(P, &name);
	if (ek != END_NONE)
	{
		if (depth == 0)
		{
			tmpl_parse_problem(P, TMPL_ERR_SYNTAX, piece->open, "unexpected %s outside \"if\" or \"unless\"",
					tmpl_parse_tok_text(P, &name, buf));
			return false;
		}
		stop->kind = ek;
		stop->piece = *piece;
		stop->lex = L;
		return true;
	}
	if (tmpl_tok_is(P->src, &name, "if") || tmpl_tok_is(P->src, &name, "unless"))
		*out = parse_if(P, piece, &L, depth, P->src[name.start] == 'u');
	else if (tmpl_tok_is(P->src, &name, "raw") || tmpl_tok_is(P->src, &name, "comment"))
		*out = parse_verbatim(P, piece, &L, P->src[name.start] == 'r');
	else if (tmpl_tok_is(P->src, &name, "endraw") || tmpl_tok_is(P->src, &name, "endcomment"))
		tmpl_parse_problem(P, TMPL_ERR_SYNTAX, piece->open, "unexpected %s", tmpl_parse_tok_text(P, &name, buf));
	else
		tmpl_parse_problem(P, TMPL_ERR_UNKNOWN_TAG, name.pos, "unknown tag %s", tmpl_parse_tok_text(P, &name, buf));
	return false;
}

/* Parse nodes until the end of input or a tag that ends the enclosing block. */
static TmplNode *
parse_nodes(TmplParser *P, int depth, Stop *stop)
{
	TmplNode   *head = NULL,
			  **tail = &head;
	TmplPiece	piece;

	stop->kind = END_NONE;
	while (!P->fatal)
	{
		TmplNode   *node = NULL;

		tmpl_scan_next(&P->scan, &piece);
		if (piece.type == SEG_END)
			break;
		if (piece.type == SEG_UNCLOSED)
		{
			tmpl_parse_problem(P, TMPL_ERR_SYNTAX, piece.open, "%s was never closed",
					P->src[piece.open + 1] == '{' ? "output \"{{\"" : "tag \"{%\"");
			P->fatal = true;
			break;
		}
		if (piece.type == SEG_TEXT)
			node = text_node(P, piece.start, piece.end);
		else if (piece.type == SEG_OUTPUT)
			node = parse_output(P, &piece);
		else if (parse_tag(P, &piece, depth, stop, &node))
			break;
		if (node != NULL)
		{
			*tail = node;
			tail = &node->next;
		}
	}
	return head;
}

/* Parse a template, recording every problem; always returns a (maybe partial) tree. */
Tmpl *
tmpl_parse_all(const char *src, size_t len, TmplProblems *problems)
{
	TmplParser		P;
	Stop		stop;

	memset(&P, 0, sizeof(P));
	P.t = tmpl_tree_new(src, len);
	P.src = P.t->src;
	P.len = len;
	P.problems = problems;
	problems->count = 0;
	problems->truncated = false;
	tmpl_scan_init(&P.scan, P.src, len);
	P.t->body = parse_nodes(&P, 0, &stop);
	return P.t;
}

/* Parse a template for rendering: NULL with the first problem in *err when it has any. */
Tmpl *
tmpl_parse(const char *src, size_t len, TsError *err)
{
	TmplProblems *problems = ts_alloc(sizeof(TmplProblems));
	Tmpl	   *t = tmpl_parse_all(src, len, problems);

	memset(err, 0, sizeof(*err));
	if (problems->count > 0)
	{
		*err = problems->items[0];
		tmpl_free(t);
		t = NULL;
	}
	ts_free(problems);
	return t;
}
