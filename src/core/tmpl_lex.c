/*-------------------------------------------------------------------------
 *
 * tmpl_lex.c
 *	  Scanning templates: splitting literal text from {{ output }} and
 *	  {% tag %} markup (with whitespace control), skipping raw and comment
 *	  bodies, and tokenising the markup itself.
 *
 * Like Liquid, markup ends at the first "}}" or "%}" whatever quotes it
 * contains.  This file never allocates and never records errors: it
 * reports what it found and the parser (tmpl_parse.c) decides.
 *
 *-------------------------------------------------------------------------
 */
#include "tmpl_int.h"

#include <string.h>

#define NOT_FOUND ((size_t) -1)

/* Liquid's whitespace for trimming and between tokens (Ruby's \s). */
bool
tmpl_is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Letters and underscore start a name. */
static bool
is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Characters that may continue a name (Liquid allows '-' inside names). */
static bool
is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Offset of the next "{{" or "{%" at or after from, or len when none. */
static size_t
find_open(const char *src, size_t len, size_t from)
{
	while (from + 1 < len)
	{
		const char *p = memchr(src + from, '{', len - 1 - from);
		size_t		i;

		if (p == NULL)
			return len;
		i = (size_t) (p - src);
		if (src[i + 1] == '{' || src[i + 1] == '%')
			return i;
		from = i + 1;
	}
	return len;
}

/* Offset of the next c followed by '}' (the "}}" or "%}" closer), or NOT_FOUND. */
static size_t
find_close(const char *src, size_t len, size_t from, char c)
{
	while (from + 1 < len)
	{
		const char *p = memchr(src + from, c, len - 1 - from);
		size_t		i;

		if (p == NULL)
			return NOT_FOUND;
		i = (size_t) (p - src);
		if (src[i + 1] == '}')
			return i;
		from = i + 1;
	}
	return NOT_FOUND;
}

/* Offset of the next "{%" at or after from, or NOT_FOUND. */
static size_t
find_tag_open(const char *src, size_t len, size_t from)
{
	while (from + 1 < len)
	{
		size_t		i = find_open(src, len, from);

		if (i >= len)
			return NOT_FOUND;
		if (src[i + 1] == '%')
			return i;
		from = i + 1;
	}
	return NOT_FOUND;
}

/* Start scanning a template from its first byte. */
void
tmpl_scan_init(TmplScanner *s, const char *src, size_t len)
{
	s->src = src;
	s->len = len;
	s->pos = 0;
	s->trim_next = false;
}

/* Read one markup piece starting at s->pos, which holds "{{" or "{%". */
static void
scan_markup(TmplScanner *s, TmplPiece *p)
{
	const char *src = s->src;
	size_t		start = s->pos + 2;
	size_t		close;

	p->open = s->pos;
	p->type = src[s->pos + 1] == '{' ? SEG_OUTPUT : SEG_TAG;
	if (start < s->len && src[start] == '-')
		start++;
	close = find_close(src, s->len, start, p->type == SEG_OUTPUT ? '}' : '%');
	p->start = start;
	if (close == NOT_FOUND)
	{
		p->type = SEG_UNCLOSED;
		p->end = p->close_end = s->len;
		s->pos = s->len;
		return;
	}
	p->end = close;
	s->trim_next = false;
	if (close > start && src[close - 1] == '-')
	{
		p->end = close - 1;
		s->trim_next = true;
	}
	p->close_end = close + 2;
	s->pos = close + 2;
}

/*
 * Next piece: literal text (trimmed by neighbouring whitespace control),
 * markup, SEG_UNCLOSED for markup without its closer, or SEG_END.
 */
void
tmpl_scan_next(TmplScanner *s, TmplPiece *p)
{
	for (;;)
	{
		size_t		next,
					tstart,
					tend;

		if (s->pos >= s->len)
		{
			p->type = SEG_END;
			p->open = p->start = p->end = p->close_end = s->len;
			return;
		}
		if (s->pos + 1 < s->len && s->src[s->pos] == '{' &&
			(s->src[s->pos + 1] == '{' || s->src[s->pos + 1] == '%'))
		{
			scan_markup(s, p);
			return;
		}
		next = find_open(s->src, s->len, s->pos);
		tstart = s->pos;
		tend = next;
		if (s->trim_next)
			while (tstart < tend && tmpl_is_ws((unsigned char) s->src[tstart]))
				tstart++;
		s->trim_next = false;
		if (next + 2 < s->len && s->src[next + 2] == '-')
			while (tend > tstart && tmpl_is_ws((unsigned char) s->src[tend - 1]))
				tend--;
		s->pos = next;
		if (tend > tstart)
		{
			p->type = SEG_TEXT;
			p->open = p->start = tstart;
			p->end = p->close_end = tend;
			return;
		}
	}
}

/* Skip whitespace from i; return the first non-blank offset. */
static size_t
skip_ws(const char *src, size_t len, size_t i)
{
	while (i < len && tmpl_is_ws((unsigned char) src[i]))
		i++;
	return i;
}

/*
 * If a "{% name %}" tag (with optional dashes) begins at i, return the
 * offset just past it and whether it trims on either side; else NOT_FOUND.
 */
static size_t
match_tag(const char *src, size_t len, size_t i, const char *name,
		  bool *trim_left, bool *trim_right)
{
	size_t		n = strlen(name);
	size_t		j = i + 2;

	*trim_left = *trim_right = false;
	if (j < len && src[j] == '-')
	{
		*trim_left = true;
		j++;
	}
	j = skip_ws(src, len, j);
	if (len - j < n || memcmp(src + j, name, n) != 0)
		return NOT_FOUND;
	j = skip_ws(src, len, j + n);
	if (j < len && src[j] == '-')
	{
		*trim_right = true;
		j++;
	}
	if (j + 1 < len && src[j] == '%' && src[j + 1] == '}')
		return j + 2;
	return NOT_FOUND;
}

/*
 * After {% raw %}: the literal body up to {% endraw %}.  Returns false
 * (consuming everything) when endraw never comes.
 */
bool
tmpl_scan_raw(TmplScanner *s, TmplPiece *body)
{
	size_t		from = s->pos;

	for (;;)
	{
		size_t		i = find_tag_open(s->src, s->len, from);
		size_t		after;
		bool		tl,
					tr;

		if (i == NOT_FOUND)
		{
			s->pos = s->len;
			return false;
		}
		after = match_tag(s->src, s->len, i, "endraw", &tl, &tr);
		if (after != NOT_FOUND)
		{
			body->type = SEG_TEXT;
			body->start = s->pos;
			body->end = i;
			if (s->trim_next)
				body->start = skip_ws(s->src, i, body->start);
			if (tl)
				while (body->end > body->start &&
					   tmpl_is_ws((unsigned char) s->src[body->end - 1]))
					body->end--;
			s->pos = after;
			s->trim_next = tr;
			return true;
		}
		from = i + 2;
	}
}

/* The name of a tag whose "{%" is at i, as offset and length (0 when none). */
static size_t
tag_name_at(const char *src, size_t len, size_t i, size_t *name_len)
{
	size_t		j = i + 2;
	size_t		k;

	if (j < len && src[j] == '-')
		j++;
	j = skip_ws(src, len, j);
	k = j;
	while (k < len && is_name_char((unsigned char) src[k]))
		k++;
	*name_len = k - j;
	return j;
}

/*
 * After {% comment %}: skip to the matching {% endcomment %}, counting
 * nested comments and skipping raw bodies.  False when it never closes.
 */
bool
tmpl_scan_comment(TmplScanner *s)
{
	int			depth = 1;
	size_t		from = s->pos;

	while (depth > 0)
	{
		size_t		i = find_tag_open(s->src, s->len, from);
		size_t		nlen,
					name,
					close;

		if (i == NOT_FOUND)
			break;
		name = tag_name_at(s->src, s->len, i, &nlen);
		close = find_close(s->src, s->len, name, '%');
		if (close == NOT_FOUND)
			break;
		from = close + 2;
		if (nlen == 7 && memcmp(s->src + name, "comment", 7) == 0)
			depth++;
		else if (nlen == 10 && memcmp(s->src + name, "endcomment", 10) == 0)
			depth--;
		else if (nlen == 3 && memcmp(s->src + name, "raw", 3) == 0)
		{
			TmplPiece	body;

			s->pos = from;
			if (!tmpl_scan_raw(s, &body))
				return false;
			from = s->pos;
			continue;
		}
		if (depth == 0)
		{
			s->pos = from;
			s->trim_next = close > name && s->src[close - 1] == '-';
			return true;
		}
	}
	s->pos = s->len;
	return false;
}

/* Tokenise markup between start and end of src. */
void
tmpl_lex_init(TmplLexer *l, const char *src, size_t start, size_t end)
{
	l->src = src;
	l->pos = start;
	l->end = end;
}

/* Can c start a path segment after a "." (a name, or digits for an array index)? */
static bool
is_segment_start(unsigned char c)
{
	return is_name_char(c) && c != '-';
}

/*
 * A dotted run: name(.seg)*, where segments after a dot may start with a
 * digit.  A "." not followed by a segment is left for the next token
 * (TK_DOT): white space may stand around dots, as in Liquid.
 */
static void
lex_path(TmplLexer *l, TmplTok *t)
{
	const char *src = l->src;
	size_t		i = l->pos;

	for (;;)
	{
		while (i < l->end && is_name_char((unsigned char) src[i]))
			i++;
		if (i < l->end && src[i] == '?')
			i++;
		if (i + 1 < l->end && src[i] == '.' && is_segment_start((unsigned char) src[i + 1]))
		{
			i++;
			continue;
		}
		break;
	}
	t->len = i - t->start;
	l->pos = i;
}

/* A number: -?digits(.digits)?, not run into a name. */
static void
lex_number(TmplLexer *l, TmplTok *t)
{
	const char *src = l->src;
	size_t		i = l->pos;

	if (src[i] == '-')
		i++;
	while (i < l->end && is_digit((unsigned char) src[i]))
		i++;
	if (i + 1 < l->end && src[i] == '.' && is_digit((unsigned char) src[i + 1]))
	{
		i++;
		while (i < l->end && is_digit((unsigned char) src[i]))
			i++;
	}
	if (i < l->end && (is_name_char((unsigned char) src[i]) || src[i] == '.'))
	{
		t->type = TK_BAD;
		t->bad = "malformed number";
		while (i < l->end && (is_name_char((unsigned char) src[i]) || src[i] == '.'))
			i++;
	}
	t->len = i - t->start;
	l->pos = i;
}

/* A quoted string, '...' or "...", without escapes (as in Liquid). */
static void
lex_string(TmplLexer *l, TmplTok *t)
{
	char		q = l->src[l->pos];
	const char *close = memchr(l->src + l->pos + 1, q, l->end - l->pos - 1);

	if (close == NULL)
	{
		t->type = TK_BAD;
		t->bad = "unterminated string";
		t->len = l->end - t->start;
		l->pos = l->end;
		return;
	}
	t->start = l->pos + 1;
	t->len = (size_t) (close - (l->src + t->start));
	l->pos = (size_t) (close - l->src) + 1;
}

/* A comparison operator at l->pos: ==, !=, <>, <, >, <=, >=. */
static void
lex_cmp(TmplLexer *l, TmplTok *t)
{
	char		c = l->src[l->pos];
	char		d = l->pos + 1 < l->end ? l->src[l->pos + 1] : '\0';
	size_t		n = 1;

	t->type = TK_CMP;
	if (c == '=' && d == '=')
		t->cmp = CMP_EQ, n = 2;
	else if (c == '!' && d == '=')
		t->cmp = CMP_NE, n = 2;
	else if (c == '<' && d == '>')
		t->cmp = CMP_NE, n = 2;
	else if (c == '<' && d == '=')
		t->cmp = CMP_LE, n = 2;
	else if (c == '>' && d == '=')
		t->cmp = CMP_GE, n = 2;
	else if (c == '<')
		t->cmp = CMP_LT;
	else if (c == '>')
		t->cmp = CMP_GT;
	else
	{
		t->type = TK_BAD;
		t->bad = "unexpected character";
	}
	l->pos += n;
	t->len = n;
}

/* The next token of the markup. */
void
tmpl_lex_next(TmplLexer *l, TmplTok *t)
{
	unsigned char c;

	while (l->pos < l->end && tmpl_is_ws((unsigned char) l->src[l->pos]))
		l->pos++;
	t->pos = t->start = l->pos;
	t->len = 0;
	t->cmp = CMP_NONE;
	t->bad = NULL;
	if (l->pos >= l->end)
	{
		t->type = TK_END;
		return;
	}
	c = (unsigned char) l->src[l->pos];
	if (is_name_start(c))
	{
		t->type = TK_PATH;
		lex_path(l, t);
	}
	else if (is_digit(c) ||
			 (c == '-' && l->pos + 1 < l->end && is_digit((unsigned char) l->src[l->pos + 1])))
	{
		t->type = TK_NUMBER;
		lex_number(l, t);
	}
	else if (c == '"' || c == '\'')
	{
		t->type = TK_STRING;
		lex_string(l, t);
	}
	else if (c == '|' || c == ':' || c == ',' || c == '#' || c == '.' || c == '[' || c == ']')
	{
		t->type = c == '|' ? TK_PIPE : c == ':' ? TK_COLON : c == ',' ? TK_COMMA :
			c == '#' ? TK_HASH : c == '.' ? TK_DOT : c == '[' ? TK_LBRACKET : TK_RBRACKET;
		t->len = 1;
		l->pos++;
	}
	else
		lex_cmp(l, t);
}

/*
 * The path segments after a ".": like tmpl_lex_next, but a run starting
 * with a digit is a path (lead.tags.0), not a number.
 */
void
tmpl_lex_segments(TmplLexer *l, TmplTok *t)
{
	while (l->pos < l->end && tmpl_is_ws((unsigned char) l->src[l->pos]))
		l->pos++;
	if (l->pos < l->end && is_segment_start((unsigned char) l->src[l->pos]))
	{
		t->type = TK_PATH;
		t->pos = t->start = l->pos;
		t->cmp = CMP_NONE;
		t->bad = NULL;
		lex_path(l, t);
		return;
	}
	tmpl_lex_next(l, t);
}

/* The next token without consuming it. */
void
tmpl_lex_peek(const TmplLexer *l, TmplTok *t)
{
	TmplLexer	copy = *l;

	tmpl_lex_next(&copy, t);
}

/* Is the token the bare name word (e.g. "and", "contains")? */
bool
tmpl_tok_is(const char *src, const TmplTok *t, const char *word)
{
	size_t		n = strlen(word);

	return t->type == TK_PATH && t->len == n && memcmp(src + t->start, word, n) == 0;
}
