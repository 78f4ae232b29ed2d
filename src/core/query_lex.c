/*-------------------------------------------------------------------------
 *
 * query_lex.c
 *	  Tokenising smartlist queries: names, quoted strings with escapes,
 *	  numbers, dates and timestamps, operators and punctuation.
 *
 * The input has been checked to be UTF-8 without NUL bytes (query_parse.c).
 * Outside quotes only ASCII is meaningful: any other character comes back
 * as TK_BAD for the parser to report with what it expected there.  String
 * contents go into the query's arena, unescaped; they are data and never
 * become SQL text.
 *
 *-------------------------------------------------------------------------
 */
#include "query_int.h"

#include <stdio.h>
#include <string.h>

/* Whitespace between tokens. */
static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Letters and underscore start a name. */
static bool
is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Characters that may continue a name ('-' as in follow-up). */
static bool
is_name_char(unsigned char c)
{
	return is_name_start(c) || is_digit(c) || c == '-';
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Start lexing the query's source from its first byte. */
void
sq_lex_init(SqLexer *lx, SqQuery *q)
{
	lx->q = q;
	lx->pos = 0;
}

/* Record an error at offset of the query being lexed. */
static bool
lex_error(SqLexer *lx, TsError *err, int code, size_t offset, const char *msg)
{
	ts_error_set(err, code, lx->q->src, lx->q->len, offset, "%s", msg);
	return false;
}

/* Is tok the word (ASCII, case-insensitive)? */
bool
sq_word_is(const char *src, const SqToken *tok, const char *word)
{
	size_t		n = strlen(word);

	if (tok->kind != TK_NAME || tok->end - tok->offset != n)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) src[tok->offset + i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char) (c - 'A' + 'a');
		if (c != (unsigned char) word[i])
			return false;
	}
	return true;
}

/* The number of bytes of the UTF-8 character starting with c (1 for anything else). */
static size_t
utf8_width(unsigned char c)
{
	if (c >= 0xF0)
		return 4;
	if (c >= 0xE0)
		return 3;
	if (c >= 0xC0)
		return 2;
	return 1;
}

/*
 * At most ~40 bytes of s[0..n) fit for a message: never splitting a
 * character, control characters shown as '?', "..." when clipped.
 */
void
sq_excerpt(const char *s, size_t n, char *buf, size_t bufsz)
{
	size_t		i = 0;
	size_t		o = 0;
	size_t		room = bufsz > 44 ? 40 : (bufsz > 4 ? bufsz - 4 : 0);

	while (i < n)
	{
		unsigned char c = (unsigned char) s[i];
		size_t		w = utf8_width(c);

		if (i + w > n)
			w = n - i;
		if (o + w > room)
			break;
		if (c < 0x20 || c == 0x7F)
			buf[o++] = '?';
		else
		{
			memcpy(buf + o, s + i, w);
			o += w;
		}
		i += w;
	}
	if (i < n && o + 3 < bufsz)
	{
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o < bufsz ? o : bufsz - 1] = '\0';
}

/* The code point of the UTF-8 character at s (input known to be valid). */
static unsigned
code_point(const unsigned char *s, size_t w)
{
	unsigned	cp = (w == 1) ? s[0] : (unsigned) (s[0] & (0xFF >> (w + 1)));

	for (size_t i = 1; i < w; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	return cp;
}

/* How a token reads in a message: 'and', '(', a string, end of query. */
void
sq_describe(const char *src, size_t len, const SqToken *tok, char *buf, size_t bufsz)
{
	char		ex[64];

	if (tok->kind == TK_EOF)
		snprintf(buf, bufsz, "the end of the query");
	else if (tok->kind == TK_STRING)
		snprintf(buf, bufsz, "a quoted string");
	else if (tok->kind == TK_BAD)
	{
		const unsigned char *p = (const unsigned char *) src + tok->offset;
		size_t		w = utf8_width(*p);

		if (tok->offset + w > len)
			w = 1;
		if (*p < 0x20 || *p == 0x7F)
			snprintf(buf, bufsz, "the control character U+%04X", *p);
		else if (*p < 0x80)
			snprintf(buf, bufsz, "'%c'", *p);
		else
			snprintf(buf, bufsz, "'%.*s' (U+%04X)", (int) w, (const char *) p, code_point(p, w));
	}
	else
	{
		sq_excerpt(src + tok->offset, tok->end - tok->offset, ex, sizeof(ex));
		snprintf(buf, bufsz, "'%s'", ex);
	}
}

/* Find the closing quote of the string at lx->pos; its offset, or len if none. */
static size_t
string_end(const char *src, size_t len, size_t start)
{
	char		q = src[start];
	size_t		i = start + 1;

	while (i < len)
	{
		if (src[i] == '\\')
			i += 2;
		else if (src[i] == q && i + 1 < len && src[i + 1] == q)
			i += 2;
		else if (src[i] == q)
			return i;
		else
			i++;
	}
	return len;
}

/* Four hex digits at src[i..]; -1 when they are not there. */
static int
hex4(const char *src, size_t len, size_t i)
{
	int			v = 0;

	if (i + 4 > len)
		return -1;
	for (int k = 0; k < 4; k++)
	{
		int			h = hex_value((unsigned char) src[i + k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * A \u escape at src[i] (the backslash): its code point into *cp and the
 * bytes it used into *used, combining a surrogate pair.  False with err set.
 */
static bool
unicode_escape(SqLexer *lx, size_t i, unsigned *cp, size_t *used, TsError *err)
{
	const char *src = lx->q->src;
	size_t		len = lx->q->len;
	int			hi = hex4(src, len, i + 2);
	int			lo;

	if (hi < 0)
		return lex_error(lx, err, SQ_ERR_SYNTAX, i, "expected four hex digits after \\u");
	*used = 6;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return lex_error(lx, err, SQ_ERR_SYNTAX, i, "unpaired surrogate in \\u escape");
	if (hi >= 0xD800 && hi <= 0xDBFF)
	{
		if (i + 7 >= len || src[i + 6] != '\\' || src[i + 7] != 'u' ||
			(lo = hex4(src, len, i + 8)) < 0xDC00 || lo > 0xDFFF)
			return lex_error(lx, err, SQ_ERR_SYNTAX, i, "unpaired surrogate in \\u escape");
		*cp = 0x10000 + (((unsigned) hi - 0xD800) << 10) + ((unsigned) lo - 0xDC00);
		*used = 12;
		return true;
	}
	if (hi == 0)
		return lex_error(lx, err, SQ_ERR_VALUE, i, "\\u0000 is not allowed in a string");
	*cp = (unsigned) hi;
	return true;
}

/* The character a one-letter escape stands for, or -1 for an unknown escape. */
static int
simple_escape(char c)
{
	switch (c)
	{
		case '\\':
		case '\'':
		case '"':
		case '/':
			return c;
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
		case 'b':
			return '\b';
		case 'f':
			return '\f';
		default:
			return -1;
	}
}

/* A quoted string at lx->pos: its unescaped text into the arena. */
static bool
lex_string(SqLexer *lx, SqToken *tok, TsError *err)
{
	const char *src = lx->q->src;
	size_t		len = lx->q->len;
	size_t		start = lx->pos;
	size_t		end = string_end(src, len, start);
	char		q = src[start];
	char	   *out;
	size_t		o = 0;

	if (end >= len)
		return lex_error(lx, err, SQ_ERR_SYNTAX, start,
						 q == '\'' ? "unterminated string: expected a closing '"
						 : "unterminated string: expected a closing \"");
	out = sq_arena_alloc(lx->q, end - start);
	for (size_t i = start + 1; i < end;)
	{
		if (src[i] == '\\')
		{
			int			c = simple_escape(src[i + 1]);

			if (src[i + 1] == 'u')
			{
				unsigned	cp;
				size_t		used;

				if (!unicode_escape(lx, i, &cp, &used, err))
					return false;
				o += (size_t) ts_utf8_put(cp, out + o);
				i += used;
				continue;
			}
			if (c < 0)
				return lex_error(lx, err, SQ_ERR_SYNTAX, i,
								 "unknown escape in string: write \\\\ for a backslash");
			out[o++] = (char) c;
			i += 2;
		}
		else if (src[i] == q)
		{
			out[o++] = q;		/* a doubled quote */
			i += 2;
		}
		else
			out[o++] = src[i++];
	}
	out[o] = '\0';
	tok->kind = TK_STRING;
	tok->text = out;
	tok->len = o;
	lx->pos = end + 1;
	return true;
}

/* n digits at src[i..]; their value, or -1. */
static int
digits(const char *src, size_t len, size_t i, int n)
{
	int			v = 0;

	if (i + n > len)
		return -1;
	for (int k = 0; k < n; k++)
	{
		if (!is_digit((unsigned char) src[i + k]))
			return -1;
		v = v * 10 + (src[i + k] - '0');
	}
	return v;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool		leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return (m == 2 && leap) ? 29 : days[m - 1];
}

/* The time part after 'T' at src[i]: hh:mm[:ss[.f]]; its end, or 0. Ranges into *ok. */
static size_t
time_part(const char *src, size_t len, size_t i, bool *ok)
{
	int			h = digits(src, len, i, 2);
	int			mi = (i + 2 < len && src[i + 2] == ':') ? digits(src, len, i + 3, 2) : -1;
	int			s;

	if (h < 0 || mi < 0)
		return 0;
	*ok = *ok && h <= 23 && mi <= 59;
	i += 5;
	if (i < len && src[i] == ':')
	{
		if ((s = digits(src, len, i + 1, 2)) < 0)
			return 0;
		*ok = *ok && s <= 59;
		i += 3;
		if (i < len && src[i] == '.')
		{
			size_t		f = i + 1;

			while (f < len && is_digit((unsigned char) src[f]) && f - i <= 6)
				f++;
			if (f == i + 1)
				return 0;
			i = f;
		}
	}
	return i;
}

/* A zone at src[i] (Z, +hh, +hhmm, +hh:mm) or none; its end, or 0 when malformed. */
static size_t
zone_part(const char *src, size_t len, size_t i, bool *ok)
{
	int			h;
	int			m = 0;

	if (i >= len)
		return i;
	if (src[i] == 'Z' || src[i] == 'z')
		return i + 1;
	if (src[i] != '+' && src[i] != '-')
		return i;
	if ((h = digits(src, len, i + 1, 2)) < 0)
		return 0;
	i += 3;
	if (i < len && src[i] == ':')
	{
		if ((m = digits(src, len, i + 1, 2)) < 0)
			return 0;
		i += 3;
	}
	else if ((m = digits(src, len, i, 2)) >= 0)
		i += 2;
	else
		m = 0;
	*ok = *ok && h <= 15 && m <= 59;
	return i;
}

/*
 * A date or timestamp at lx->pos (known to start with four digits and '-'):
 * YYYY-MM-DD, optionally followed by Thh:mm[:ss[.ffffff]] and a zone.
 */
static bool
lex_date(SqLexer *lx, SqToken *tok, TsError *err)
{
	const char *src = lx->q->src;
	size_t		len = lx->q->len;
	size_t		start = lx->pos;
	int			y = digits(src, len, start, 4);
	int			m = (src[start + 4] == '-') ? digits(src, len, start + 5, 2) : -1;
	int			d = (m >= 0 && start + 7 < len && src[start + 7] == '-') ? digits(src, len, start + 8, 2) : -1;
	size_t		i = start + 10;
	bool		ok = true;
	char		msg[160];
	char		ex[64];

	tok->kind = TK_DATE;
	if (y < 0 || m < 0 || d < 0)
		i = 0;
	else if (i < len && (src[i] == 'T' || src[i] == 't'))
	{
		tok->kind = TK_TIMESTAMP;
		i = time_part(src, len, i + 1, &ok);
		if (i != 0)
			i = zone_part(src, len, i, &ok);
	}
	if (i == 0 || (i < len && (is_name_char((unsigned char) src[i]) || src[i] == '.' || src[i] == ':')))
		return lex_error(lx, err, SQ_ERR_DATE, start,
						 "malformed date: expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with an optional Z or +hh:mm");
	if (!ok || y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
	{
		sq_excerpt(src + start, i - start, ex, sizeof(ex));
		snprintf(msg, sizeof(msg), "date or time out of range: %s", ex);
		return lex_error(lx, err, SQ_ERR_DATE_RANGE, start, msg);
	}
	lx->pos = i;
	return true;
}

/* A number at lx->pos: -?digits(.digits)?, or a date when it reads YYYY-. */
static bool
lex_number(SqLexer *lx, SqToken *tok, TsError *err)
{
	const char *src = lx->q->src;
	size_t		len = lx->q->len;
	size_t		start = lx->pos;
	size_t		i = start;

	if (src[i] == '-')
		i++;
	while (i < len && is_digit((unsigned char) src[i]))
		i++;
	if (src[start] != '-' && i - start == 4 && i < len && src[i] == '-')
		return lex_date(lx, tok, err);
	if (i < len && src[i] == '.')
	{
		size_t		f = i + 1;

		while (f < len && is_digit((unsigned char) src[f]))
			f++;
		if (f == i + 1)
			return lex_error(lx, err, SQ_ERR_SYNTAX, start, "malformed number: expected digits after '.'");
		i = f;
	}
	if (i < len && (is_name_char((unsigned char) src[i]) || src[i] == '.'))
		return lex_error(lx, err, SQ_ERR_SYNTAX, start,
						 "malformed number: quote values that mix digits and letters");
	tok->kind = TK_NUMBER;
	lx->pos = i;
	return true;
}

/* Operators and punctuation at lx->pos; false when the character starts none. */
static bool
lex_symbol(SqLexer *lx, SqToken *tok)
{
	const char *src = lx->q->src;
	size_t		len = lx->q->len;
	size_t		i = lx->pos;
	char		c = src[i];
	char		n = (i + 1 < len) ? src[i + 1] : '\0';
	size_t		w = 1;

	switch (c)
	{
		case '(': tok->kind = TK_LPAREN; break;
		case ')': tok->kind = TK_RPAREN; break;
		case ',': tok->kind = TK_COMMA; break;
		case '.': tok->kind = TK_DOT; break;
		case '=': tok->kind = TK_EQ; w = (n == '=') ? 2 : 1; break;
		case '~': tok->kind = TK_CONTAINS; break;
		case '!':
			if (n != '=' && n != '~')
				return false;
			tok->kind = (n == '=') ? TK_NE : TK_NOT_CONTAINS;
			w = 2;
			break;
		case '<':
			tok->kind = (n == '=') ? TK_LE : (n == '>') ? TK_NE : TK_LT;
			w = (n == '=' || n == '>') ? 2 : 1;
			break;
		case '>':
			tok->kind = (n == '=') ? TK_GE : TK_GT;
			w = (n == '=') ? 2 : 1;
			break;
		default:
			return false;
	}
	lx->pos = i + w;
	return true;
}

/* The next token into *tok; false with err set for a malformed string, number or date. */
bool
sq_lex_next(SqLexer *lx, SqToken *tok, TsError *err)
{
	const char *src = lx->q->src;
	size_t		len = lx->q->len;
	unsigned char c;
	bool		ok = true;

	while (lx->pos < len && is_space((unsigned char) src[lx->pos]))
		lx->pos++;
	memset(tok, 0, sizeof(*tok));
	tok->offset = lx->pos;
	if (lx->pos >= len)
		tok->kind = TK_EOF;
	else if ((c = (unsigned char) src[lx->pos]) == '\'' || c == '"')
		ok = lex_string(lx, tok, err);
	else if (is_digit(c) || (c == '-' && lx->pos + 1 < len && is_digit((unsigned char) src[lx->pos + 1])))
		ok = lex_number(lx, tok, err);
	else if (is_name_start(c))
	{
		while (lx->pos < len && is_name_char((unsigned char) src[lx->pos]))
			lx->pos++;
		tok->kind = TK_NAME;
	}
	else if (!lex_symbol(lx, tok))
	{
		tok->kind = TK_BAD;
		lx->pos += utf8_width(c);
		if (lx->pos > len)
			lx->pos = len;
	}
	tok->end = lx->pos;
	return ok;
}
