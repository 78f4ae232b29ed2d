/*-------------------------------------------------------------------------
 *
 * pjson.c
 *	  Pure core: the provider JSON scanner (see pjson.h).
 *
 * A loop over an explicit stack of containers, so hostile nesting costs a
 * bounded amount of stack and returns PJ_ERR_DEPTH.  Must not recurse, must
 * not read past the given length, must not keep pointers into the input
 * after returning, and must free its scratch buffers on every path.
 *
 *-------------------------------------------------------------------------
 */
#include "pjson.h"

#include <string.h>

typedef struct PjScan
{
	const char *s;
	size_t		len;
	size_t		pos;
	int			depth;
	PjFrame		stack[PJ_MAX_DEPTH];
	TsBuf		str;			/* decoded string scratch */
	PjVisit		visit;
	void	   *ctx;
	TsError    *err;
} PjScan;

/* Record a syntax (or depth) error at the current position; returns false. */
static bool
pj_fail(PjScan *p, int code, const char *what)
{
	ts_error_set(p->err, code, p->s, p->len, p->pos, "%s", what);
	return false;
}

/* Skip JSON whitespace. */
static void
pj_ws(PjScan *p)
{
	while (p->pos < p->len)
	{
		char		c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* Value of one hex digit, or -1. */
static int
pj_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read the 4 hex digits at pos into *cp; false if they are not there. */
static bool
pj_hex4(PjScan *p, size_t pos, unsigned *cp)
{
	unsigned	v = 0;
	int			i;

	if (pos + 4 > p->len)
		return false;
	for (i = 0; i < 4; i++)
	{
		int			h = pj_hex(p->s[pos + i]);

		if (h < 0)
			return false;
		v = (v << 4) | (unsigned) h;
	}
	*cp = v;
	return true;
}

/* Append code point cp as UTF-8. */
static void
pj_put_utf8(TsBuf *b, unsigned cp)
{
	char		u[4];

	if (cp < 0x80)
		tsbuf_appendc(b, (char) cp);
	else if (cp < 0x800)
	{
		u[0] = (char) (0xC0 | (cp >> 6));
		u[1] = (char) (0x80 | (cp & 0x3F));
		tsbuf_append(b, u, 2);
	}
	else if (cp < 0x10000)
	{
		u[0] = (char) (0xE0 | (cp >> 12));
		u[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char) (0x80 | (cp & 0x3F));
		tsbuf_append(b, u, 3);
	}
	else
	{
		u[0] = (char) (0xF0 | (cp >> 18));
		u[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char) (0x80 | (cp & 0x3F));
		tsbuf_append(b, u, 4);
	}
}

/* Decode a \u escape starting at the 'u' (pos); pairs surrogates; advances pos. */
static bool
pj_unicode_escape(PjScan *p)
{
	unsigned	cp,
				lo;

	if (!pj_hex4(p, p->pos + 1, &cp))
		return pj_fail(p, PJ_ERR_SYNTAX, "bad \\u escape in string");
	p->pos += 5;
	if (cp >= 0xD800 && cp <= 0xDBFF && p->pos + 1 < p->len &&
		p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u' &&
		pj_hex4(p, p->pos + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)
	{
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		p->pos += 6;
	}
	else if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;			/* never a NUL, never half a pair */
	pj_put_utf8(&p->str, cp);
	return true;
}

/* Decode one backslash escape at pos (the backslash); advances pos. */
static bool
pj_escape(PjScan *p)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	p->pos++;
	if (p->pos >= p->len)
		return pj_fail(p, PJ_ERR_SYNTAX, "unterminated string");
	if (p->s[p->pos] == 'u')
		return pj_unicode_escape(p);
	hit = p->s[p->pos] ? strchr(from, p->s[p->pos]) : NULL;
	if (hit == NULL)
		return pj_fail(p, PJ_ERR_SYNTAX, "bad escape in string");
	tsbuf_appendc(&p->str, to[hit - from]);
	p->pos++;
	return true;
}

/* Decode the string at pos (the opening quote) into p->str; advances past it. */
static bool
pj_string(PjScan *p)
{
	p->str.len = 0;
	tsbuf_append(&p->str, "", 0);
	p->pos++;
	for (;;)
	{
		size_t		run = p->pos;
		unsigned char high = 0;

		while (run < p->len && p->s[run] != '"' && p->s[run] != '\\' &&
			   (unsigned char) p->s[run] >= 0x20)
			high |= (unsigned char) p->s[run++];
		/* the run ends at an ASCII byte, so only ill-formed bytes are cut by it */
		if (high & 0x80)
			tsbuf_append_utf8(&p->str, p->s + p->pos, run - p->pos);
		else
			tsbuf_append(&p->str, p->s + p->pos, run - p->pos);
		p->pos = run;
		if (p->pos >= p->len)
			return pj_fail(p, PJ_ERR_SYNTAX, "unterminated string");
		if (p->s[p->pos] == '"')
		{
			p->pos++;
			return true;
		}
		if (p->s[p->pos] != '\\')
			return pj_fail(p, PJ_ERR_SYNTAX, "control character in string");
		if (!pj_escape(p))
			return false;
	}
}

/* Advance over a run of digits; returns how many. */
static size_t
pj_digits(PjScan *p)
{
	size_t		start = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos - start;
}

/* Check the JSON number grammar at pos; advances past it. */
static bool
pj_number(PjScan *p)
{
	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (pj_digits(p) == 0)
		return pj_fail(p, PJ_ERR_SYNTAX, "bad number");
	if (p->pos < p->len && p->s[p->pos] == '.')
	{
		p->pos++;
		if (pj_digits(p) == 0)
			return pj_fail(p, PJ_ERR_SYNTAX, "bad number fraction");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
	{
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (pj_digits(p) == 0)
			return pj_fail(p, PJ_ERR_SYNTAX, "bad number exponent");
	}
	return true;
}

/* Call the visitor; a refusal becomes PJ_ERR_VISITOR. */
static bool
pj_emit(PjScan *p, PjEvent ev, const char *val, size_t len)
{
	if (p->visit(p->ctx, ev, p->stack, p->depth, val, len, p->err))
		return true;
	if (p->err->code == 0)
		ts_error_set(p->err, PJ_ERR_VISITOR, p->s, p->len, p->pos, "unexpected JSON content");
	p->err->code = PJ_ERR_VISITOR;
	return false;
}

/* Parse a member key and its colon into the top frame. */
static bool
pj_key(PjScan *p)
{
	PjFrame    *f = &p->stack[p->depth - 1];

	pj_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != '"')
		return pj_fail(p, PJ_ERR_SYNTAX, "expected a member name");
	if (!pj_string(p))
		return false;
	f->key_ok = p->str.len < PJ_KEY_MAX;
	memcpy(f->key, p->str.data, f->key_ok ? p->str.len + 1 : 1);
	if (!f->key_ok)
		f->key[0] = '\0';
	pj_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ':')
		return pj_fail(p, PJ_ERR_SYNTAX, "expected ':' after member name");
	p->pos++;
	return true;
}

/* Open a container at pos; *empty tells whether it closed at once. */
static bool
pj_open(PjScan *p, bool is_object, bool *empty)
{
	PjFrame    *f;

	if (!pj_emit(p, is_object ? PJ_OBJ_BEGIN : PJ_ARR_BEGIN, NULL, 0))
		return false;
	if (p->depth >= PJ_MAX_DEPTH)
		return pj_fail(p, PJ_ERR_DEPTH, "JSON nested too deeply");
	f = &p->stack[p->depth++];
	f->is_object = is_object;
	f->index = 0;
	f->key_ok = false;
	f->key[0] = '\0';
	p->pos++;
	pj_ws(p);
	*empty = p->pos < p->len && p->s[p->pos] == (is_object ? '}' : ']');
	if (*empty)
		return true;
	return is_object ? pj_key(p) : true;
}

/* Scan the scalar at pos and report it. */
static bool
pj_scalar(PjScan *p)
{
	static const char *const words[] = {"true", "false", "null"};
	static const PjEvent events[] = {PJ_TRUE, PJ_FALSE, PJ_NULL};
	char		c = p->s[p->pos];
	size_t		start = p->pos;
	int			i;

	if (c == '"')
		return pj_string(p) && pj_emit(p, PJ_STRING, p->str.data, p->str.len);
	if (c == '-' || (c >= '0' && c <= '9'))
		return pj_number(p) && pj_emit(p, PJ_NUMBER, p->s + start, p->pos - start);
	for (i = 0; i < 3; i++)
	{
		size_t		n = strlen(words[i]);

		if (p->len - p->pos >= n && memcmp(p->s + p->pos, words[i], n) == 0)
		{
			p->pos += n;
			return pj_emit(p, events[i], NULL, 0);
		}
	}
	return pj_fail(p, PJ_ERR_SYNTAX, "expected a JSON value");
}

/*
 * After a value: close finished containers, step to the next element.
 * *done is set when the top-level value is complete.
 */
static bool
pj_after_value(PjScan *p, bool *done)
{
	for (;;)
	{
		PjFrame    *f;
		char		c;

		if (p->depth == 0)
		{
			*done = true;
			return true;
		}
		f = &p->stack[p->depth - 1];
		pj_ws(p);
		if (p->pos >= p->len)
			return pj_fail(p, PJ_ERR_SYNTAX, "unexpected end of JSON");
		c = p->s[p->pos++];
		if (c == ',')
		{
			f->index++;
			return f->is_object ? pj_key(p) : true;
		}
		if (c != (f->is_object ? '}' : ']'))
		{
			p->pos--;
			return pj_fail(p, PJ_ERR_SYNTAX, f->is_object ? "expected ',' or '}'" : "expected ',' or ']'");
		}
		p->depth--;
		if (!pj_emit(p, f->is_object ? PJ_OBJ_END : PJ_ARR_END, NULL, 0))
			return false;
	}
}

/* The scan loop: one value (or container opening) per iteration. */
static bool
pj_loop(PjScan *p)
{
	bool		done = false;

	while (!done)
	{
		char		c;

		pj_ws(p);
		if (p->pos >= p->len)
			return pj_fail(p, PJ_ERR_SYNTAX, "unexpected end of JSON");
		c = p->s[p->pos];
		if (c == '{' || c == '[')
		{
			bool		empty;

			if (!pj_open(p, c == '{', &empty))
				return false;
			if (!empty)
				continue;
			p->pos++;
			p->depth--;
			if (!pj_emit(p, c == '{' ? PJ_OBJ_END : PJ_ARR_END, NULL, 0))
				return false;
		}
		else if (!pj_scalar(p))
			return false;
		if (!pj_after_value(p, &done))
			return false;
	}
	pj_ws(p);
	if (p->pos != p->len)
		return pj_fail(p, PJ_ERR_SYNTAX, "unexpected content after JSON value");
	return true;
}

/* Scan body[0..len); true when it is one well-formed JSON value. */
bool
pj_scan(const char *body, size_t len, PjVisit visit, void *ctx, TsError *err)
{
	PjScan		p;
	bool		ok;

	memset(err, 0, sizeof(*err));
	err->offset = -1;
	if (body == NULL)
		len = 0;
	p.s = body ? body : "";
	p.len = len;
	p.pos = 0;
	p.depth = 0;
	p.visit = visit;
	p.ctx = ctx;
	p.err = err;
	tsbuf_init(&p.str);
	ok = pj_loop(&p);
	tsbuf_free(&p.str);
	return ok;
}

/* Is the frame at level a member named key?  (false for arrays) */
bool
pj_key_is(const PjFrame *stack, int depth, int level, const char *key)
{
	if (level < 0 || level >= depth)
		return false;
	return stack[level].is_object && stack[level].key_ok && strcmp(stack[level].key, key) == 0;
}

/* Digits-only integer (optionally negative, at most 9 digits) from a value; false otherwise. */
bool
pj_int(const char *val, size_t len, int *out)
{
	size_t		i = 0;
	int			v = 0;
	bool		neg = false;

	if (val == NULL || len == 0)
		return false;
	if (val[0] == '-')
	{
		neg = true;
		i = 1;
	}
	if (i == len || len - i > 9)
		return false;
	for (; i < len; i++)
	{
		if (val[i] < '0' || val[i] > '9')
			return false;
		v = v * 10 + (val[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

/* Copy val into dst (size bytes, NUL-terminated), cutting at a UTF-8 character boundary. */
void
pj_copy(char *dst, size_t size, const char *val, size_t len)
{
	if (size == 0)
		return;
	if (len >= size)
	{
		len = size - 1;
		while (len > 0 && ((unsigned char) val[len] & 0xC0) == 0x80)
			len--;
	}
	if (len > 0)
		memcpy(dst, val, len);
	dst[len] = '\0';
}
