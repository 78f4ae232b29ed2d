/*-------------------------------------------------------------------------
 *
 * sms.c
 *	  The few SMS facts the mock's responses need: is a number E.164, is a
 *	  sender id plausible, how many characters and segments a body has
 *	  (GSM-7 160/153, else UCS-2 70/67 in UTF-16 units).
 *
 *	  This is a deliberately small approximation for realistic responses
 *	  (num_segments, parts, encoding); textseq's own segment counter lives in
 *	  src/core and is the one that must be exact.  Must not depend on HTTP.
 *
 * test/mock/sms.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <ctype.h>
#include <string.h>

/* non-ASCII code points of the GSM 03.38 basic table */
static const unsigned gsm_basic_hi[] = {
	0xA3, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0xD8, 0xF8, 0xC5, 0xE5,
	0x394, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E,
	0xC6, 0xE6, 0xDF, 0xC9, 0xA4, 0xA1, 0xC4, 0xD6, 0xD1, 0xDC, 0xA7, 0xBF,
	0xE4, 0xF6, 0xF1, 0xFC, 0xE0
};

/* "+" then 2..15 digits, the first not 0 */
bool
sms_is_e164(const char *s)
{
	size_t		n;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	for (n = 1; s[n]; n++)
		if (!isdigit((unsigned char) s[n]))
			return false;
	return n >= 3 && n <= 16;
}

/* an E.164 number, a short code (3-8 digits) or an alphanumeric id (<= 11) */
bool
sms_is_sender(const char *s)
{
	size_t		n = strlen(s),
				i;
	bool		letter = false,
				digits = true;

	if (sms_is_e164(s))
		return true;
	if (n == 0 || n > 11)
		return false;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (isalpha(c))
			letter = true, digits = false;
		else if (c == ' ' || c == '-' || c == '.')
			digits = false;
		else if (!isdigit(c))
			return false;
	}
	return digits ? (n >= 3 && n <= 8) : letter;
}

/* next code point of UTF-8 text at *s (invalid bytes count as U+FFFD) */
static unsigned
next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned	cp;
	int			extra,
				i;

	if (p[0] < 0x80)
		return *s = p + 1, p[0];
	if ((p[0] & 0xE0) == 0xC0)
		cp = p[0] & 0x1F, extra = 1;
	else if ((p[0] & 0xF0) == 0xE0)
		cp = p[0] & 0x0F, extra = 2;
	else if ((p[0] & 0xF8) == 0xF0)
		cp = p[0] & 0x07, extra = 3;
	else
		return *s = p + 1, 0xFFFD;
	for (i = 1; i <= extra; i++)
	{
		if ((p[i] & 0xC0) != 0x80)
			return *s = p + i, 0xFFFD;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	*s = p + extra + 1;
	return cp;
}

/* number of code points (Twilio's 1,600-character limit counts these) */
long
sms_char_count(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	long		n = 0;

	while (*p)
	{
		next_cp(&p);
		n++;
	}
	return n;
}

/* GSM-7 width of cp: 1 basic, 2 extension, 0 not representable */
static int
gsm_width(unsigned cp)
{
	size_t		i;

	if (cp == '\n' || cp == '\r' || (cp >= 0x20 && cp <= 0x5A && cp != 0x60) ||
		cp == '_' || (cp >= 'a' && cp <= 'z'))
		return 1;
	if (cp == '^' || cp == '{' || cp == '}' || cp == '\\' || cp == '[' ||
		cp == '~' || cp == ']' || cp == '|' || cp == 0x20AC || cp == 0x0C)
		return 2;
	for (i = 0; i < sizeof(gsm_basic_hi) / sizeof(gsm_basic_hi[0]); i++)
		if (gsm_basic_hi[i] == cp)
			return 1;
	return 0;
}

/* count units greedily into segments of per, never splitting a unit */
static int
pack(const char *s, bool ucs2, int single, int per)
{
	const unsigned char *p = (const unsigned char *) s;
	int			total = 0,
				segs = 1,
				used = 0;

	while (*p)
	{
		unsigned	cp = next_cp(&p);
		int			w = ucs2 ? (cp > 0xFFFF ? 2 : 1) : gsm_width(cp);

		total += w;
		if (used + w > per)
			segs++, used = 0;
		used += w;
	}
	return total <= single ? 1 : segs;
}

/* segments of a body; *ucs2 tells the encoding */
int
sms_segments(const char *s, bool *ucs2)
{
	const unsigned char *p = (const unsigned char *) s;

	*ucs2 = false;
	while (*p)
		if (gsm_width(next_cp(&p)) == 0)
		{
			*ucs2 = true;
			break;
		}
	return *ucs2 ? pack(s, true, 70, 67) : pack(s, false, 160, 153);
}
