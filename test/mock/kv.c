/*-------------------------------------------------------------------------
 *
 * kv.c
 *	  Decode a request body into a flat list of key/value pairs: Twilio's
 *	  application/x-www-form-urlencoded forms and Telnyx's JSON objects.
 *
 *	  Decoding is done in place (every decoded string is no longer than its
 *	  encoding), so parsing a request allocates nothing; the list points into
 *	  the body buffer.  Repeated form keys and JSON arrays of strings both
 *	  become repeated keys.  JSON members that are not strings (numbers,
 *	  booleans, null, nested objects) are skipped: the mock needs none.
 *	  Must not know what the fields mean.
 *
 * test/mock/kv.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <string.h>

#define JSON_MAX_DEPTH 32

/* value of a hex digit, or -1 */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* percent-decode s[0..n) in place ('+' is a space); returns the NUL-terminated s */
static char *
url_decode(char *s, size_t n)
{
	size_t		i,
				o = 0;

	for (i = 0; i < n; i++)
	{
		if (s[i] == '+')
			s[o++] = ' ';
		else if (s[i] == '%' && i + 2 < n &&
				 hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0)
		{
			s[o++] = (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		else
			s[o++] = s[i];
	}
	s[o] = '\0';
	return s;
}

/* add a pair; -1 when the list is full */
static int
kv_add(KvList *out, const char *key, const char *val)
{
	if (out->n >= KV_MAX)
		return -1;
	out->items[out->n].key = key;
	out->items[out->n].val = val;
	out->n++;
	return 0;
}

/* parse a NUL-terminated form body in place; -1 when it has too many fields */
int
kv_parse_form(char *text, KvList *out)
{
	char	   *p = text;

	out->n = 0;
	while (*p)
	{
		char	   *amp = strchr(p, '&');
		char	   *end = amp ? amp : p + strlen(p);
		char	   *eq = memchr(p, '=', (size_t) (end - p));
		char	   *next = amp ? amp + 1 : end;

		if (end > p)
		{
			char	   *key = url_decode(p, (size_t) ((eq ? eq : end) - p));
			char	   *val = eq ? url_decode(eq + 1, (size_t) (end - eq - 1)) : (char *) "";

			if (kv_add(out, key, val) < 0)
				return -1;
		}
		p = next;
	}
	return 0;
}

/* first value of key, or NULL */
const char *
kv_get(const KvList *kv, const char *key)
{
	int			i;

	for (i = 0; i < kv->n; i++)
		if (strcmp(kv->items[i].key, key) == 0)
			return kv->items[i].val;
	return NULL;
}

/* number of values of key */
int
kv_count(const KvList *kv, const char *key)
{
	int			i,
				n = 0;

	for (i = 0; i < kv->n; i++)
		if (strcmp(kv->items[i].key, key) == 0)
			n++;
	return n;
}

/* ---- JSON ---- */

typedef struct JParser
{
	char	   *p;
	const char *err;
	KvList	   *out;
} JParser;

static int	json_value(JParser *j, const char *key, int depth);

/* skip JSON whitespace */
static void
json_ws(JParser *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

/* write code point cp as UTF-8 at *dst */
static void
put_utf8(char **dst, unsigned cp)
{
	char	   *d = *dst;

	if (cp < 0x80)
		*d++ = (char) cp;
	else if (cp < 0x800)
	{
		*d++ = (char) (0xC0 | (cp >> 6));
		*d++ = (char) (0x80 | (cp & 0x3F));
	}
	else if (cp < 0x10000)
	{
		*d++ = (char) (0xE0 | (cp >> 12));
		*d++ = (char) (0x80 | ((cp >> 6) & 0x3F));
		*d++ = (char) (0x80 | (cp & 0x3F));
	}
	else
	{
		*d++ = (char) (0xF0 | (cp >> 18));
		*d++ = (char) (0x80 | ((cp >> 12) & 0x3F));
		*d++ = (char) (0x80 | ((cp >> 6) & 0x3F));
		*d++ = (char) (0x80 | (cp & 0x3F));
	}
	*dst = d;
}

/* read 4 hex digits at s; -1 when malformed */
static long
hex4(const char *s)
{
	long		v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		int			h = hexval(s[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* decode the \u escape at j->p (just past the 'u') into *dst */
static int
json_unicode(JParser *j, char **dst)
{
	long		cp = hex4(j->p);

	if (cp < 0)
		return -1;
	j->p += 4;
	if (cp >= 0xD800 && cp <= 0xDBFF && j->p[0] == '\\' && j->p[1] == 'u')
	{
		long		lo = hex4(j->p + 2);

		if (lo >= 0xDC00 && lo <= 0xDFFF)
		{
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			j->p += 6;
		}
	}
	if (cp >= 0xD800 && cp <= 0xDFFF)
		cp = 0xFFFD;			/* lone surrogate */
	put_utf8(dst, (unsigned) cp);
	return 0;
}

/* decode the string at j->p (at its opening quote) in place; NULL on error */
static char *
json_string(JParser *j)
{
	char	   *start = ++j->p;
	char	   *dst = start;

	for (;;)
	{
		char		c = *j->p++;

		if (c == '"')
			break;
		if (c == '\0' || (unsigned char) c < 0x20)
			return j->err = "unterminated or invalid string", NULL;
		if (c != '\\')
		{
			*dst++ = c;
			continue;
		}
		c = *j->p++;
		switch (c)
		{
			case '"': case '\\': case '/': *dst++ = c; break;
			case 'b': *dst++ = '\b'; break;
			case 'f': *dst++ = '\f'; break;
			case 'n': *dst++ = '\n'; break;
			case 'r': *dst++ = '\r'; break;
			case 't': *dst++ = '\t'; break;
			case 'u':
				if (json_unicode(j, &dst) < 0)
					return j->err = "bad \\u escape", NULL;
				break;
			default:
				return j->err = "bad escape", NULL;
		}
	}
	*dst = '\0';
	return start;
}

/* skip a number or literal (true, false, null) */
static int
json_scalar(JParser *j)
{
	const char *s = j->p;

	while (*j->p && strchr("+-.0123456789eEtruefalsn", *j->p))
		j->p++;
	if (j->p == s)
		return j->err = "unexpected character", -1;
	return 0;
}

/* parse members of an object at j->p ('{'); top level records string members */
static int
json_object(JParser *j, int depth, bool record)
{
	j->p++;
	json_ws(j);
	if (*j->p == '}')
		return j->p++, 0;
	for (;;)
	{
		char	   *key;

		json_ws(j);
		if (*j->p != '"')
			return j->err = "expected a member name", -1;
		if ((key = json_string(j)) == NULL)
			return -1;
		json_ws(j);
		if (*j->p++ != ':')
			return j->err = "expected ':'", -1;
		if (json_value(j, record ? key : NULL, depth + 1) < 0)
			return -1;
		json_ws(j);
		if (*j->p == '}')
			return j->p++, 0;
		if (*j->p++ != ',')
			return j->err = "expected ',' or '}'", -1;
	}
}

/* parse an array at j->p ('['); string elements are recorded under key */
static int
json_array(JParser *j, const char *key, int depth)
{
	j->p++;
	json_ws(j);
	if (*j->p == ']')
		return j->p++, 0;
	for (;;)
	{
		if (json_value(j, key, depth + 1) < 0)
			return -1;
		json_ws(j);
		if (*j->p == ']')
			return j->p++, 0;
		if (*j->p++ != ',')
			return j->err = "expected ',' or ']'", -1;
	}
}

/* parse any value; strings under a non-NULL key are recorded */
static int
json_value(JParser *j, const char *key, int depth)
{
	json_ws(j);
	if (depth > JSON_MAX_DEPTH)
		return j->err = "nested too deeply", -1;
	if (*j->p == '{')
		return json_object(j, depth, false);
	if (*j->p == '[')
		return json_array(j, key, depth);
	if (*j->p == '"')
	{
		char	   *s = json_string(j);

		if (s == NULL)
			return -1;
		if (key != NULL && kv_add(j->out, key, s) < 0)
			return j->err = "too many members", -1;
		return 0;
	}
	return json_scalar(j);
}

/* parse a NUL-terminated JSON object in place; -1 with *err on failure */
int
kv_parse_json(char *text, KvList *out, const char **err)
{
	JParser		j = {text, NULL, out};

	out->n = 0;
	json_ws(&j);
	if (*j.p != '{')
	{
		*err = "the body must be a JSON object";
		return -1;
	}
	if (json_object(&j, 0, true) < 0)
	{
		*err = j.err;
		return -1;
	}
	json_ws(&j);
	if (*j.p != '\0')
	{
		*err = "trailing characters after the JSON object";
		return -1;
	}
	return 0;
}
