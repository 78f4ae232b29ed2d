/*-------------------------------------------------------------------------
 *
 * consent.c
 *	  Pure core: classify an inbound text as an opt-out, an opt-in, a help
 *	  request or an ordinary reply (see consent.h).
 *
 * The body is cut into words: ASCII letters and digits (lower-cased),
 * fullwidth ASCII folded to ASCII, apostrophes (' and the curly ones) kept
 * inside words.  Everything else that is punctuation, a space of any kind,
 * an emoji or a symbol separates words and is otherwise ignored.  Letters
 * of other scripts make a word that matches nothing, so a message in
 * another language is never mistaken for a keyword.  Polite fillers are
 * dropped from both ends, repeated words collapse ("stop stop"), and what
 * remains must equal a keyword or a phrase of the lists below.
 *
 * Must not: allocate (everything is on the stack), or read past len.
 *
 *-------------------------------------------------------------------------
 */
#include "consent.h"

#include <string.h>

#define WORD_MAX 24				/* longer words match nothing */
#define NOMATCH '\x01'			/* marks a word that can match no list entry */

typedef struct Words
{
	int			n;
	char		w[CONSENT_MAX_WORDS][WORD_MAX + 1];
} Words;

/* Carrier keywords: the whole message, one word. */
static const char *const opt_out_keywords[] = {
	"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", NULL
};
static const char *const opt_in_keywords[] = {"start", "unstop", "yes", NULL};
static const char *const help_keywords[] = {"help", "info", NULL};

/* Common phrasings of an opt-out (after fillers are dropped). */
static const char *const opt_out_phrases[] = {
	"stop it", "stop all", "stop now", "stop all texts", "stop all messages",
	"stop texting", "stop texting me", "stop text", "stop txt", "stop texts",
	"stop messaging", "stop messaging me", "stop messages", "stop msg",
	"stop sending", "stop sending me texts", "stop sending me messages", "stop sending texts",
	"stop sending messages", "stop sending me", "stop contacting me", "stop calling and texting me",
	"unsubscribe me", "please unsubscribe", "unsubscribe from this list", "unsubscribe from all",
	"remove me", "remove", "remove me from your list", "remove me from the list",
	"remove me from this list", "remove my number", "remove this number",
	"take me off", "take me off your list", "take me off the list", "take me off this list",
	"opt out", "opt me out", "opt-out",
	"do not text me", "don't text me", "dont text me", "do not text", "don't text",
	"do not contact me", "don't contact me", "dont contact me",
	"do not message me", "don't message me", "dont message me",
	"no more texts", "no more messages", "no more text messages", "no more",
	"leave me alone", "cancel subscription", "cancel texts", "end texts",
	"quit texting me", "quit texting", "quit messaging me",
	NULL
};

/* Dropped from the start of a message. */
static const char *const lead_fillers[] = {"please", "pls", "plz", "ok", "okay", "hi", "hello", "hey", NULL};

/* Dropped from the end (two-word fillers are matched as pairs). */
static const char *const tail_fillers[] = {
	"please", "pls", "plz", "thanks", "thank you", "thankyou", "thx", "ty", "thank u",
	"now", "asap", "immediately", "right now", "already", NULL
};

/* Decode one UTF-8 code point at s[*i]; invalid bytes decode to U+FFFD, one byte each. */
static uint32_t
next_cp(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	int			n;
	uint32_t	cp;

	if (c < 0x80)
	{
		(*i)++;
		return c;
	}
	n = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
	if (n < 0 || *i + (size_t) n >= len)
	{
		(*i)++;
		return 0xFFFD;
	}
	cp = c & (0x3F >> n);
	for (int k = 1; k <= n; k++)
	{
		unsigned char cc = s[*i + k];

		if ((cc & 0xC0) != 0x80)
		{
			(*i)++;
			return 0xFFFD;
		}
		cp = (cp << 6) | (cc & 0x3F);
	}
	*i += n + 1;
	return cp;
}

/* What a code point is to the word splitter: a letter (folded), an apostrophe, or a break. */
static int
fold_cp(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return (int) (cp - 'A' + 'a');
	if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
		return (int) cp;
	if (cp == '\'' || cp == 0x2018 || cp == 0x2019 || cp == 0x02BC)
		return '\'';
	if (cp == '-')
		return '-';
	if (cp >= 0xFF21 && cp <= 0xFF3A)	/* fullwidth A-Z */
		return (int) (cp - 0xFF21 + 'a');
	if (cp >= 0xFF41 && cp <= 0xFF5A)	/* fullwidth a-z */
		return (int) (cp - 0xFF41 + 'a');
	if (cp >= 0xFF10 && cp <= 0xFF19)	/* fullwidth 0-9 */
		return (int) (cp - 0xFF10 + '0');
	if (cp < 0x80 || cp == 0xFFFD || (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
		(cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
		(cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
		(cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0xE0000 && cp <= 0xE007F))
		return 0;				/* punctuation, spaces, symbols, emoji: a break */
	return NOMATCH;				/* a letter of another script */
}

/* Append c to the current word, starting one if needed; false when too many words. */
static bool
word_add(Words *ws, bool *in_word, int c)
{
	char	   *w;
	size_t		l;

	if (!*in_word)
	{
		if (ws->n == CONSENT_MAX_WORDS)
			return false;
		ws->w[ws->n++][0] = '\0';
		*in_word = true;
	}
	w = ws->w[ws->n - 1];
	l = strlen(w);
	if (l == WORD_MAX)
	{
		w[0] = NOMATCH;			/* too long to be anything we know */
		return true;
	}
	w[l] = (char) c;
	w[l + 1] = '\0';
	return true;
}

/* Trim apostrophes and hyphens from both ends of the last word; drop it if nothing is left. */
static void
word_end(Words *ws, bool *in_word)
{
	char	   *w;
	size_t		l;
	size_t		start = 0;

	if (!*in_word)
		return;
	*in_word = false;
	w = ws->w[ws->n - 1];
	l = strlen(w);
	while (l > 0 && (w[l - 1] == '\'' || w[l - 1] == '-'))
		w[--l] = '\0';
	while (start < l && (w[start] == '\'' || w[start] == '-'))
		start++;
	memmove(w, w + start, l - start + 1);
	if (w[0] == '\0')
		ws->n--;
}

/* Split the body into words; false when it has more than CONSENT_MAX_WORDS. */
static bool
split_words(const char *body, size_t len, Words *ws)
{
	const unsigned char *s = (const unsigned char *) body;
	size_t		i = 0;
	bool		in_word = false;

	ws->n = 0;
	while (i < len)
	{
		int			c = fold_cp(next_cp(s, len, &i));

		if (c == 0)
			word_end(ws, &in_word);
		else if (!word_add(ws, &in_word, c))
			return false;
	}
	word_end(ws, &in_word);
	return true;
}

/* Whether words [from, from + k) spell the (space-separated) entry. */
static bool
words_equal(const Words *ws, int from, int k, const char *entry)
{
	const char *p = entry;

	for (int j = 0; j < k; j++)
	{
		size_t		l = strlen(ws->w[from + j]);

		if (strncmp(p, ws->w[from + j], l) != 0)
			return false;
		p += l;
		if (j < k - 1)
		{
			if (*p != ' ')
				return false;
			p++;
		}
	}
	return *p == '\0';
}

/* Number of words in a list entry. */
static int
entry_words(const char *entry)
{
	int			k = 1;

	for (const char *p = entry; *p; p++)
		k += *p == ' ';
	return k;
}

/* Drop fillers from both ends and collapse repeated words; returns [*from, *to). */
static void
strip_fillers(Words *ws, int *from, int *to)
{
	bool		changed = true;
	int			out = 0;

	/* "stop stop stop" means stop */
	for (int j = 0; j < ws->n; j++)
		if (out == 0 || strcmp(ws->w[out - 1], ws->w[j]) != 0)
			memmove(ws->w[out++], ws->w[j], WORD_MAX + 1);
	ws->n = out;
	*from = 0;
	*to = ws->n;
	while (changed && *from < *to)
	{
		changed = false;
		for (int f = 0; lead_fillers[f]; f++)
			if (words_equal(ws, *from, 1, lead_fillers[f]))
			{
				(*from)++;
				changed = true;
				break;
			}
		for (int f = 0; tail_fillers[f] && *from < *to; f++)
		{
			int			k = entry_words(tail_fillers[f]);

			if (*to - *from >= k && words_equal(ws, *to - k, k, tail_fillers[f]))
			{
				*to -= k;
				changed = true;
				break;
			}
		}
	}
}

/* The entry of list that words [from, to) spell, or NULL. */
static const char *
find_in(const char *const *list, const Words *ws, int from, int to)
{
	for (int e = 0; list[e]; e++)
		if (entry_words(list[e]) == to - from && words_equal(ws, from, to - from, list[e]))
			return list[e];
	return NULL;
}

ConsentKind
consent_classify(const char *body, size_t len, ConsentMatch *match)
{
	Words		ws;
	int			from;
	int			to;
	const char *hit;
	ConsentMatch m = {CONSENT_NONE, "", false};

	if (body != NULL && split_words(body, len, &ws))
	{
		strip_fillers(&ws, &from, &to);
		if (to - from == 1 && (hit = find_in(opt_out_keywords, &ws, from, to)) != NULL)
			m = (ConsentMatch) {CONSENT_OPT_OUT, hit, true};
		else if (to - from == 1 && (hit = find_in(opt_in_keywords, &ws, from, to)) != NULL)
			m = (ConsentMatch) {CONSENT_OPT_IN, hit, true};
		else if (to - from == 1 && (hit = find_in(help_keywords, &ws, from, to)) != NULL)
			m = (ConsentMatch) {CONSENT_HELP, hit, true};
		else if (to > from && (hit = find_in(opt_out_phrases, &ws, from, to)) != NULL)
			m = (ConsentMatch) {CONSENT_OPT_OUT, hit, false};
	}
	if (match)
		*match = m;
	return m.kind;
}

const char *
consent_kind_name(ConsentKind kind)
{
	switch (kind)
	{
		case CONSENT_OPT_OUT:
			return "opt_out";
		case CONSENT_OPT_IN:
			return "opt_in";
		case CONSENT_HELP:
			return "help";
		case CONSENT_NONE:
			break;
	}
	return "none";
}
