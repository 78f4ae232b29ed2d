/*-------------------------------------------------------------------------
 *
 * tmpl_value.c
 *	  Template values: how they print, which are truthy, empty or blank,
 *	  reading numbers and integers, Liquid's == and ordering, and the
 *	  scratch space with its byte budget that filters build new values in.
 *
 * The layer below both the renderer and the filters: it calls neither
 * (nor the parser), so a filter gets everything it needs as values and a
 * TmplScratch, never a way back into rendering.
 *
 *-------------------------------------------------------------------------
 */
#include "tmpl_int.h"

#include <stdlib.h>
#include <string.h>

/* How a value prints: nil as "", booleans as true/false, the rest as their text. */
void
tmpl_value_text(const TmplValue *v, const char **s, size_t *len)
{
	if (v->kind == TMPL_NIL)
		*s = "", *len = 0;
	else if (v->kind == TMPL_BOOL)
		*s = v->boolean ? "true" : "false", *len = v->boolean ? 4 : 5;
	else
		*s = v->str ? v->str : "", *len = v->str ? v->len : 0;
}

/* Liquid truthiness: only nil and false are false. */
bool
tmpl_value_truthy(const TmplValue *v)
{
	return !(v->kind == TMPL_NIL || (v->kind == TMPL_BOOL && !v->boolean));
}

/* Ruby's empty?: "" and empty arrays and objects (nil is not empty). */
bool
tmpl_value_empty(const TmplValue *v)
{
	if (v->kind == TMPL_STRING)
		return v->len == 0;
	if (v->kind == TMPL_ARRAY || v->kind == TMPL_OBJECT)
		return v->nitems == 0;
	return false;
}

/* blank: nil, false, empty, or a string of nothing but white space. */
bool
tmpl_value_blank(const TmplValue *v)
{
	if (!tmpl_value_truthy(v) || tmpl_value_empty(v))
		return true;
	if (v->kind != TMPL_STRING)
		return false;
	for (size_t i = 0; i < v->len;)
	{
		uint32_t	cp;

		i += tmpl_utf8_decode(v->str + i, v->len - i, &cp);
		if (!tmpl_is_uspace(cp))
			return false;
	}
	return true;
}

/* A number's text as a double (the text comes from a literal or the resolver). */
double
tmpl_value_number(const TmplValue *v)
{
	char		buf[64];
	char	   *copy = v->len < sizeof(buf) ? buf : ts_alloc(v->len + 1);
	double		d;

	memcpy(copy, v->str, v->len);
	copy[v->len] = '\0';
	d = strtod(copy, NULL);
	if (copy != buf)
		ts_free(copy);
	return d;
}

/* The value of c as a digit in base (-1 when it is none). */
static int
digit_value(char c, int base)
{
	int			d = c >= '0' && c <= '9' ? c - '0' :
		c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

	return d < base ? d : -1;
}

/* The base a Ruby integer string announces at *i ("0x", "0b", "0o", "0d", a leading 0); skips the prefix. */
static int
integer_base(const char *s, size_t len, size_t *i)
{
	char		c;

	if (*i + 1 >= len || s[*i] != '0')
		return 10;
	c = s[*i + 1];
	if (c == 'x' || c == 'X' || c == 'b' || c == 'B' || c == 'o' || c == 'O' || c == 'd' || c == 'D')
	{
		*i += 2;
		return c == 'x' || c == 'X' ? 16 : c == 'b' || c == 'B' ? 2 : c == 'o' || c == 'O' ? 8 : 10;
	}
	return 8;					/* "010" is octal, as in Ruby */
}

/*
 * Ruby's Integer(string): white space around, a sign, a base prefix, digits
 * with single underscores between them.  Saturates at +-10^15.
 */
static bool
string_integer(const char *s, size_t len, long long *out)
{
	size_t		i = 0;
	bool		neg = false;
	int			base;
	int			ndigits = 0;
	long long	n = 0;

	while (i < len && tmpl_is_ws((unsigned char) s[i]))
		i++;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	base = integer_base(s, len, &i);
	for (; i < len; i++)
	{
		int			d = digit_value(s[i], base);

		if (d < 0 && s[i] == '_' && ndigits > 0 && i + 1 < len && digit_value(s[i + 1], base) >= 0)
			continue;
		if (d < 0)
			break;
		if (n < 1000000000000000LL)
			n = n * base + d;
		ndigits++;
	}
	while (i < len && tmpl_is_ws((unsigned char) s[i]))
		i++;
	n = n > 1000000000000000LL ? 1000000000000000LL : n;
	*out = neg ? -n : n;
	return ndigits > 0 && i == len;
}

/*
 * Liquid's Utils.to_integer: an integer number (not 5.0: Ruby's Integer()
 * refuses a Float's text), or a string Ruby's Integer() reads.  False for
 * anything else (nil, booleans, "5.5", "abc").  Saturates at +-10^15.
 */
bool
tmpl_value_integer(const TmplValue *v, long long *out)
{
	size_t		i;
	long long	n = 0;

	if (v->kind == TMPL_STRING)
		return string_integer(v->str, v->len, out);
	if (v->kind != TMPL_NUMBER)
		return false;
	i = v->len > 0 && v->str[0] == '-' ? 1 : 0;
	if (i == v->len)
		return false;
	for (size_t k = i; k < v->len; k++)
	{
		if (v->str[k] < '0' || v->str[k] > '9')
			return false;		/* a decimal point: a Float to Ruby */
		if (n < 1000000000000000LL)
			n = n * 10 + (v->str[k] - '0');
	}
	n = n > 1000000000000000LL ? 1000000000000000LL : n;
	*out = i == 1 ? -n : n;
	return true;
}

/* Ruby ==: same kind and same value (1 == 1.0; "1" != 1). */
bool
tmpl_value_equal(const TmplValue *a, const TmplValue *b)
{
	const char *sa,
			   *sb;
	size_t		la,
				lb;

	if (a->kind != b->kind)
		return false;
	if (a->kind == TMPL_NIL)
		return true;
	if (a->kind == TMPL_BOOL)
		return a->boolean == b->boolean;
	if (a->kind == TMPL_NUMBER &&
		!(a->len == b->len && memcmp(a->str, b->str, a->len) == 0))
		return tmpl_value_number(a) == tmpl_value_number(b);
	if (a->kind == TMPL_ARRAY && a->items != NULL && b->items != NULL)
	{
		if (a->nitems != b->nitems)
			return false;
		for (int i = 0; i < a->nitems; i++)
			if (!tmpl_value_equal(&a->items[i], &b->items[i]))
				return false;
		return true;
	}
	tmpl_value_text(a, &sa, &la);
	tmpl_value_text(b, &sb, &lb);
	return la == lb && memcmp(sa, sb, la) == 0;
}

/* Order two numbers or two strings; false when Ruby could not compare them. */
bool
tmpl_value_order(const TmplValue *a, const TmplValue *b, int *ord)
{
	if (a->kind == TMPL_NUMBER && b->kind == TMPL_NUMBER)
	{
		double		x = tmpl_value_number(a),
					y = tmpl_value_number(b);

		if (x != x || y != y)
			return false;
		*ord = x < y ? -1 : x > y ? 1 : 0;
		return true;
	}
	if (a->kind == TMPL_STRING && b->kind == TMPL_STRING)
	{
		int			c = memcmp(a->str, b->str, a->len < b->len ? a->len : b->len);

		*ord = c != 0 ? c : a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
		return true;
	}
	return false;
}

/* Empty scratch space with a fresh budget. */
void
tmpl_scratch_init(TmplScratch *s)
{
	tsbuf_init(&s->buf[0]);
	tsbuf_init(&s->buf[1]);
	s->work = 0;
	s->over = TMPL_OVER_NONE;
}

/* Free the scratch buffers (the values built in them die with them). */
void
tmpl_scratch_free(TmplScratch *s)
{
	tsbuf_free(&s->buf[0]);
	tsbuf_free(&s->buf[1]);
}

/* The scratch buffer a filter may write into (emptied): never the one holding in. */
TsBuf *
tmpl_scratch_take(TmplScratch *s, const TmplValue *in)
{
	TsBuf	   *b = &s->buf[0];

	if (in->str != NULL && b->data != NULL &&
		in->str >= b->data && in->str <= b->data + b->len)
		b = &s->buf[1];
	b->len = 0;
	return b;
}

/* Account for bytes a filter produced; false (s->over says which limit) past a limit. */
bool
tmpl_scratch_charge(TmplScratch *s, size_t produced)
{
	if (produced > TMPL_MAX_OUTPUT)
	{
		s->over = TMPL_OVER_VALUE;
		return false;
	}
	s->work += produced;
	if (s->work > TMPL_MAX_WORK)
	{
		s->over = TMPL_OVER_WORK;
		return false;
	}
	return true;
}
