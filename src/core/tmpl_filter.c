/*-------------------------------------------------------------------------
 *
 * tmpl_filter.c
 *	  The template filters and what each accepts: default, upcase,
 *	  downcase, capitalize, truncate, strip, append, prepend, replace.
 *
 * Each follows Liquid's (Ruby) semantics, working on characters, not
 * bytes.  A filter gets its input and arguments as values, writes its
 * result into the scratch space and charges it to the budget there; it
 * never keeps memory of its own and never calls back into the renderer.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* memmem */
#endif
#include "tmpl_int.h"

#include <string.h>

static const TmplFilterSpec filter_specs[] = {
	{"default", FILTER_DEFAULT, 0, 1, false, true},
	{"upcase", FILTER_UPCASE, 0, 0, false, false},
	{"downcase", FILTER_DOWNCASE, 0, 0, false, false},
	{"capitalize", FILTER_CAPITALIZE, 0, 0, false, false},
	{"truncate", FILTER_TRUNCATE, 0, 2, true, false},
	{"strip", FILTER_STRIP, 0, 0, false, false},
	{"append", FILTER_APPEND, 1, 1, false, false},
	{"prepend", FILTER_PREPEND, 1, 1, false, false},
	{"replace", FILTER_REPLACE, 1, 2, false, false},
};

/* The spec of the filter called name, or NULL when there is none. */
const TmplFilterSpec *
tmpl_filter_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(filter_specs) / sizeof(filter_specs[0]); i++)
		if (strlen(filter_specs[i].name) == len && memcmp(filter_specs[i].name, name, len) == 0)
			return &filter_specs[i];
	return NULL;
}

/* Make out a string value over b's bytes and charge them to the budget. */
static bool
string_from(TmplScratch *sc, const TsBuf *b, TmplValue *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = TMPL_STRING;
	out->str = b->data ? b->data : "";
	out->len = b->len;
	return tmpl_scratch_charge(sc, b->len);
}

/* Make out a string value over existing bytes (no copy). */
static void
string_over(const char *s, size_t n, TmplValue *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = TMPL_STRING;
	out->str = s;
	out->len = n;
}

/* Would appending more bytes to b pass the value limit?  Then fail the render. */
static bool
fits(TmplScratch *sc, const TsBuf *b, size_t more)
{
	return b->len + more <= TMPL_MAX_OUTPUT || tmpl_scratch_charge(sc, b->len + more);
}

/*
 * default: the argument (Liquid's default argument is "") when the input is
 * nil, false (unless allow_false) or empty; otherwise the input.
 */
static bool
filter_default(const TmplFilter *f, const TmplValue *in, const TmplValue *args,
			   bool allow_false, TmplValue *out)
{
	if (in->kind == TMPL_NIL || tmpl_value_empty(in) ||
		(!allow_false && in->kind == TMPL_BOOL && !in->boolean))
	{
		if (f->nargs >= 1)
			*out = args[0];
		else
			string_over("", 0, out);
	}
	else
		*out = *in;
	return true;
}

/* upcase, downcase, capitalize: Unicode case mapping by code point. */
static bool
filter_case(TmplScratch *sc, const TmplValue *in, int mode, TmplValue *out)
{
	const char *s;
	size_t		n;
	TsBuf	   *b = tmpl_scratch_take(sc, in);

	tmpl_value_text(in, &s, &n);
	tmpl_case_map(b, s, n, mode);
	return string_from(sc, b, out);
}

/* truncate: at most N characters, the ellipsis (default "...") included; nil stays nil. */
static bool
filter_truncate(TmplScratch *sc, const TmplFilter *f, const TmplValue *in,
				const TmplValue *args, TmplValue *out)
{
	long long	limit = 50;
	const char *s,
			   *ell = "...";
	size_t		n,
				elen = 3,
				keep;
	long long	room;
	TsBuf	   *b;

	if (in->kind == TMPL_NIL)
	{
		*out = *in;
		return true;
	}
	tmpl_value_text(in, &s, &n);
	string_over(s, n, out);
	if (f->nargs >= 1 && !tmpl_value_integer(&args[0], &limit))
		return true;			/* not an integer at run time: leave the text alone */
	if (f->nargs >= 2)
		tmpl_value_text(&args[1], &ell, &elen);
	if ((long long) tmpl_utf8_count(s, n) <= limit)
		return true;
	room = limit - (long long) tmpl_utf8_count(ell, elen);
	keep = tmpl_utf8_prefix(s, n, room > 0 ? (size_t) room : 0);
	b = tmpl_scratch_take(sc, in);
	if (!fits(sc, b, keep + elen))
		return false;
	tsbuf_append(b, s, keep);
	tsbuf_append(b, ell, elen);
	return string_from(sc, b, out);
}

/* Ruby's strip: drop leading and trailing ASCII white space and NULs. */
static bool
filter_strip(const TmplValue *in, TmplValue *out)
{
	const char *s;
	size_t		n;

	tmpl_value_text(in, &s, &n);
	while (n > 0 && (tmpl_is_ws((unsigned char) s[0]) || s[0] == '\0'))
		s++, n--;
	while (n > 0 && (tmpl_is_ws((unsigned char) s[n - 1]) || s[n - 1] == '\0'))
		n--;
	string_over(s, n, out);
	return true;
}

/* append / prepend: join the input's text and the argument's text. */
static bool
filter_join(TmplScratch *sc, const TmplValue *in, const TmplValue *arg, bool before,
			TmplValue *out)
{
	const char *a,
			   *s;
	size_t		an,
				n;
	TsBuf	   *b = tmpl_scratch_take(sc, in);

	tmpl_value_text(in, &s, &n);
	tmpl_value_text(arg, &a, &an);
	if (!fits(sc, b, n + an))
		return false;
	tsbuf_append(b, before ? a : s, before ? an : n);
	tsbuf_append(b, before ? s : a, before ? n : an);
	return string_from(sc, b, out);
}

/* replace with an empty pattern: Ruby inserts the replacement around every character. */
static bool
replace_empty(TmplScratch *sc, TsBuf *b, const char *s, size_t n, const char *rep, size_t rn)
{
	for (size_t i = 0; i < n;)
	{
		uint32_t	cp;
		int			k = tmpl_utf8_decode(s + i, n - i, &cp);

		if (!fits(sc, b, rn + (size_t) k))
			return false;
		tsbuf_append(b, rep, rn);
		tsbuf_append(b, s + i, (size_t) k);
		i += (size_t) k;
	}
	if (!fits(sc, b, rn))
		return false;
	tsbuf_append(b, rep, rn);
	return true;
}

/* replace: every occurrence of the pattern by the replacement (default ""), literally. */
static bool
filter_replace(TmplScratch *sc, const TmplFilter *f, const TmplValue *in,
			   const TmplValue *args, TmplValue *out)
{
	const char *s,
			   *pat,
			   *rep = "";
	size_t		n,
				pn,
				rn = 0,
				i = 0;
	TsBuf	   *b = tmpl_scratch_take(sc, in);

	tmpl_value_text(in, &s, &n);
	tmpl_value_text(&args[0], &pat, &pn);
	if (f->nargs >= 2)
		tmpl_value_text(&args[1], &rep, &rn);
	tsbuf_append(b, "", 0);
	if (pn == 0)
	{
		if (!replace_empty(sc, b, s, n, rep, rn))
			return false;
		return string_from(sc, b, out);
	}
	while (i < n)
	{
		const char *hit = n - i >= pn ? memmem(s + i, n - i, pat, pn) : NULL;
		size_t		upto = hit ? (size_t) (hit - s) : n;

		if (!fits(sc, b, (upto - i) + (hit ? rn : 0)))
			return false;
		tsbuf_append(b, s + i, upto - i);
		if (hit == NULL)
			break;
		tsbuf_append(b, rep, rn);
		i = upto + pn;
	}
	return string_from(sc, b, out);
}

/* Apply one filter to in, giving out; false when a render limit was passed. */
bool
tmpl_filter_apply(TmplScratch *sc, const TmplFilter *f, const TmplValue *in,
				  const TmplValue *args, bool allow_false, TmplValue *out)
{
	switch (f->id)
	{
		case FILTER_DEFAULT:
			return filter_default(f, in, args, allow_false, out);
		case FILTER_UPCASE:
			return filter_case(sc, in, TMPL_CASE_UPPER, out);
		case FILTER_DOWNCASE:
			return filter_case(sc, in, TMPL_CASE_LOWER, out);
		case FILTER_CAPITALIZE:
			return filter_case(sc, in, TMPL_CASE_CAPITALIZE, out);
		case FILTER_TRUNCATE:
			return filter_truncate(sc, f, in, args, out);
		case FILTER_STRIP:
			return filter_strip(in, out);
		case FILTER_APPEND:
			return filter_join(sc, in, &args[0], false, out);
		case FILTER_PREPEND:
			return filter_join(sc, in, &args[0], true, out);
		case FILTER_REPLACE:
			return filter_replace(sc, f, in, args, out);
	}
	*out = *in;
	return true;
}
