/*-------------------------------------------------------------------------
 *
 * branch.c
 *	  Pure core: match a reply against a conversation branch (branch.h).
 *
 * Text comparisons ignore ASCII case and the whitespace and punctuation
 * around the reply ("Yes!" equals "yes"); list items are trimmed.  An item
 * with a '*' at either end matches when its inner text occurs anywhere in
 * the reply.  Numbers are plain decimals: an optional sign, digits, an
 * optional fraction; "1e3", "0x10", "12abc", "", "inf" and "nan" are not
 * numbers, so a non-numeric reply falls through to the next branch.
 *
 * Must not: allocate, or read past the lengths it is given.
 *
 *-------------------------------------------------------------------------
 */
#include "branch.h"

#include <stdlib.h>
#include <string.h>

#define NUMBER_MAX 40			/* longer strings are not numbers we compare */

/* ASCII lower case of one byte. */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* Whether a byte is trimmed from the ends of a reply. */
static bool
trimmed(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
		c == '.' || c == '!' || c == '?' || c == ',' || c == ';' || c == ':' || c == '"' ||
		c == '\'' || c == '(' || c == ')';
}

/* Narrow [*s, *s + *len) to its content without surrounding whitespace (and punctuation). */
static void
trim(const char **s, size_t *len, bool punctuation)
{
	while (*len > 0 && (punctuation ? trimmed(**s) : (**s == ' ' || **s == '\t')))
	{
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && (punctuation ? trimmed((*s)[*len - 1])
						: ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')))
		(*len)--;
}

bool
branch_parse_kind(const char *s, BranchMatch *kind)
{
	static const char *const names[] = {"equals", "less", "greater", "between", "any"};
	char		buf[16];
	size_t		n;

	if (s == NULL || (n = strlen(s)) >= sizeof(buf))
		return false;
	for (size_t i = 0; i <= n; i++)
		buf[i] = lower(s[i]);
	for (int k = 0; k < 5; k++)
		if (strcmp(buf, names[k]) == 0)
		{
			*kind = (BranchMatch) k;
			return true;
		}
	return false;
}

bool
branch_number(const char *s, size_t len, double *out)
{
	char		buf[NUMBER_MAX + 1];
	size_t		i = 0;
	bool		digits = false;

	trim(&s, &len, false);
	/* a reply may end a number with a full stop or so ("5." / "5!") */
	while (len > 0 && (s[len - 1] == '.' || s[len - 1] == '!' || s[len - 1] == '?'))
		len--;
	if (len == 0 || len > NUMBER_MAX)
		return false;
	if (s[i] == '+' || s[i] == '-')
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits = true;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits = true;
	if (i != len || !digits)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*out = strtod(buf, NULL);
	return true;
}

/* Whether needle (nlen) occurs in hay (hlen), ASCII case ignored. */
static bool
contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return true;
	for (size_t i = 0; i + nlen <= hlen; i++)
	{
		size_t		j = 0;

		while (j < nlen && lower(hay[i + j]) == lower(needle[j]))
			j++;
		if (j == nlen)
			return true;
	}
	return false;
}

/* Whether the trimmed reply matches one item of an equals list. */
static bool
item_matches(const char *reply, size_t rlen, const char *item, size_t ilen)
{
	bool		wild = false;

	trim(&item, &ilen, false);
	if (ilen > 0 && item[0] == '*')
		item++, ilen--, wild = true;
	if (ilen > 0 && item[ilen - 1] == '*')
		ilen--, wild = true;
	if (wild)
		return ilen > 0 && contains(reply, rlen, item, ilen);
	trim(&item, &ilen, true);
	if (ilen == 0 || ilen != rlen)
		return false;
	for (size_t i = 0; i < ilen; i++)
		if (lower(item[i]) != lower(reply[i]))
			return false;
	return true;
}

/* equals: any item of the comma-separated list. */
static bool
equals_any(const char *reply, size_t len, const char *list)
{
	const char *p = list;

	trim(&reply, &len, true);
	for (;;)
	{
		const char *comma = strchr(p, ',');
		size_t		ilen = comma ? (size_t) (comma - p) : strlen(p);

		if (item_matches(reply, len, p, ilen))
			return true;
		if (comma == NULL)
			return false;
		p = comma + 1;
	}
}

/* A value as a number; false when NULL or not a number. */
static bool
value_number(const char *v, double *out)
{
	return v != NULL && branch_number(v, strlen(v), out);
}

bool
branch_check(BranchMatch kind, const char *value, const char *value2, TsError *err)
{
	double		d;

	memset(err, 0, sizeof(*err));
	switch (kind)
	{
		case BRANCH_ANY:
			return true;
		case BRANCH_EQUALS:
			if (value == NULL || strspn(value, " \t,*") == strlen(value))
			{
				ts_error_set(err, BRANCH_ERR_VALUE, "", 0, 0, "\"equals\" needs a list of words");
				return false;
			}
			return true;
		case BRANCH_BETWEEN:
			if (!value_number(value2, &d))
			{
				ts_error_set(err, value2 ? BRANCH_ERR_NUMBER : BRANCH_ERR_VALUE, "", 0, 0,
							 "\"between\" needs a number in value2");
				return false;
			}
			/* FALLTHROUGH */
		case BRANCH_LESS:
		case BRANCH_GREATER:
			if (!value_number(value, &d))
			{
				ts_error_set(err, value ? BRANCH_ERR_NUMBER : BRANCH_ERR_VALUE, "", 0, 0,
							 "\"%s\" needs a number in value",
							 kind == BRANCH_LESS ? "less" : kind == BRANCH_GREATER ? "greater" : "between");
				return false;
			}
			return true;
	}
	ts_error_set(err, BRANCH_ERR_KIND, "", 0, 0, "unknown branch match");
	return false;
}

bool
branch_matches(BranchMatch kind, const char *reply, size_t len, const char *value,
			   const char *value2)
{
	double		x;
	double		a;
	double		b;

	if (kind == BRANCH_ANY)
		return true;
	if (reply == NULL || value == NULL)
		return false;
	if (kind == BRANCH_EQUALS)
		return equals_any(reply, len, value);
	if (!branch_number(reply, len, &x) || !value_number(value, &a))
		return false;
	if (kind == BRANCH_LESS)
		return x < a;
	if (kind == BRANCH_GREATER)
		return x > a;
	if (!value_number(value2, &b))
		return false;
	return a <= b ? (a <= x && x <= b) : (b <= x && x <= a);
}
