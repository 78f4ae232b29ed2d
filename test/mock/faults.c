/*-------------------------------------------------------------------------
 *
 * faults.c
 *	  Fault rules of textseq-mock: parse specs, hold the current rule set,
 *	  pick the fault for a request.
 *
 *	  Spec: [to=+E164,][op=create|list|fetch|any,][text=PCT,]KIND[:ARG][@P]
 *	  P is a probability 0..1 (default 1) or #N (only the first N matching
 *	  requests).  Rules are tried in order; the first whose filters match
 *	  and whose probability or count fires decides the request; no rule
 *	  means a normal answer.  op defaults to create.  text= (percent-encoded,
 *	  so it may hold commas and any bytes, valid UTF-8 or not) replaces the
 *	  error message of the reply; it is not a filter.
 *
 *	  The set is immutable once published and swapped with one atomic store,
 *	  so matching takes no lock; replaced sets are kept (a handler may still
 *	  hold a rule's text) and freed at exit.  Must not build responses.
 *
 * test/mock/faults.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX 2048			/* room for a percent-encoded text= of ~600 bytes */
#define RULES_MAX 256

typedef struct Rule
{
	char		to[24];			/* "" = any number */
	unsigned	ops;
	FaultKind	kind;
	int			arg;
	double		prob;
	long		limit;			/* -1 = no #N limit */
	atomic_long used;
	char	   *spec;
	char	   *text;			/* decoded text=, or NULL */
} Rule;

typedef struct RuleSet
{
	struct RuleSet *retired_next;
	int			n;
	Rule		rules[];
} RuleSet;

static const char *const kind_names[FK_COUNT] = {
	"ok", "delay", "status", "accept_then_status", "error", "throttle",
	"reset", "accept_then_reset", "hang", "slow"
};

static _Atomic(RuleSet *) g_current;
static RuleSet *g_retired;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_cli_text;
static uint64_t g_seed = 0x9E3779B97F4A7C15ull;
static atomic_ulong g_thread_no;

/* the kind's name as used in specs and counters */
const char *
fault_kind_name(FaultKind k)
{
	return kind_names[k];
}

/* does this kind record the message before misbehaving? */
bool
fault_records(FaultKind k)
{
	return k == FK_OK || k == FK_DELAY || k == FK_ACCEPT_STATUS ||
		k == FK_ACCEPT_RESET || k == FK_HANG || k == FK_SLOW;
}

/* seed the per-thread generators (for reproducible probabilities) */
void
faults_seed(uint64_t seed)
{
	g_seed = seed ? seed : 1;
}

/* uniform double in [0,1) from a per-thread xorshift64* */
static double
rng_double(void)
{
	static __thread uint64_t state;

	if (state == 0)
		state = g_seed ^ ((atomic_fetch_add(&g_thread_no, 1) + 1) * 0xBF58476D1CE4E5B9ull);
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (double) ((state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

/* strict integer in [lo, hi]; -1 on failure */
static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* parse the "@P" suffix into prob / limit */
static int
parse_prob(const char *p, Rule *r, char *err, size_t errlen)
{
	char	   *end;

	if (p[0] == '#')
	{
		if (parse_int(p + 1, 0, 1000000000L, &r->limit) < 0)
			return snprintf(err, errlen, "bad count \"@%.40s\" (want @#N)", p), -1;
		return 0;
	}
	errno = 0;
	r->prob = strtod(p, &end);
	if (errno || end == p || *end || r->prob < 0 || r->prob > 1)
		return snprintf(err, errlen, "bad probability \"@%.40s\" (want 0..1)", p), -1;
	return 0;
}

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

/* percent-decode a text= value into a new string; NULL when a %XX is bad or decodes to NUL */
static char *
pct_decode(const char *s, size_t n)
{
	char	   *out = xmalloc(n + 1);
	size_t		i,
				o = 0;

	for (i = 0; i < n; i++)
	{
		if (s[i] != '%')
		{
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0 ||
			(hexval(s[i + 1]) | hexval(s[i + 2])) == 0)
		{
			free(out);
			return NULL;
		}
		out[o++] = (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
		i += 2;
	}
	out[o] = '\0';
	return out;
}

/* parse a "to=", "op=" or "text=" filter */
static int
parse_filter(const char *f, size_t n, Rule *r, char *err, size_t errlen)
{
	char		v[SPEC_MAX];

	if (strncmp(f, "text=", 5) == 0)
	{
		free(r->text);
		r->text = pct_decode(f + 5, n - 5);
		if (r->text == NULL)
			return snprintf(err, errlen, "bad percent-encoding in text="), -1;
		return 0;
	}
	memcpy(v, f + 3, n - 3);
	v[n - 3] = '\0';
	if (strncmp(f, "to=", 3) == 0)
	{
		if (!sms_is_e164(v))
			return snprintf(err, errlen, "\"%.40s\" is not an E.164 number", v), -1;
		strcpy(r->to, v);
		return 0;
	}
	if (strcmp(v, "create") == 0)
		r->ops = OP_CREATE;
	else if (strcmp(v, "list") == 0)
		r->ops = OP_LIST;
	else if (strcmp(v, "fetch") == 0)
		r->ops = OP_FETCH;
	else if (strcmp(v, "any") == 0)
		r->ops = OP_CREATE | OP_LIST | OP_FETCH;
	else
		return snprintf(err, errlen, "bad op \"%.40s\" (create, list, fetch, any)", v), -1;
	return 0;
}

/* check the argument of a kind and store it */
static int
parse_arg(FaultKind k, const char *arg, Rule *r, char *err, size_t errlen)
{
	long		v = 0;
	bool		needs = (k == FK_DELAY || k == FK_STATUS || k == FK_ACCEPT_STATUS ||
						 k == FK_ERROR || k == FK_SLOW);
	bool		takes = needs || k == FK_THROTTLE;
	long		lo = (k == FK_STATUS || k == FK_ACCEPT_STATUS) ? 500 : (k == FK_ERROR ? 1 : 0);
	long		hi = (k == FK_STATUS || k == FK_ACCEPT_STATUS) ? 599 : 99999999L;

	if (arg == NULL && needs)
		return snprintf(err, errlen, "%s needs an argument (%s:N)", kind_names[k], kind_names[k]), -1;
	if (arg != NULL && !takes)
		return snprintf(err, errlen, "%s takes no argument", kind_names[k]), -1;
	if (k == FK_THROTTLE && arg == NULL)
		v = 1;
	else if (arg != NULL && parse_int(arg, lo, hi, &v) < 0)
		return snprintf(err, errlen, "bad argument \"%.40s\" for %s (%ld..%ld)",
						arg, kind_names[k], lo, hi), -1;
	r->arg = (int) v;
	return 0;
}

/* parse KIND[:ARG][@P] */
static int
parse_kind(char *s, Rule *r, char *err, size_t errlen)
{
	char	   *at = strrchr(s, '@');
	char	   *colon;
	int			k;

	if (at != NULL)
	{
		*at = '\0';
		if (parse_prob(at + 1, r, err, errlen) < 0)
			return -1;
	}
	colon = strchr(s, ':');
	if (colon != NULL)
		*colon = '\0';
	for (k = 0; k < FK_COUNT; k++)
		if (strcmp(s, kind_names[k]) == 0)
			break;
	if (k == FK_COUNT)
		return snprintf(err, errlen, "unknown fault kind \"%.60s\"", s), -1;
	r->kind = (FaultKind) k;
	return parse_arg(r->kind, colon ? colon + 1 : NULL, r, err, errlen);
}

/* parse one spec into r; -1 with a message in err */
static int
parse_rule(const char *spec, Rule *r, char *err, size_t errlen)
{
	char		s[SPEC_MAX];
	char	   *p = s;

	if (strlen(spec) >= SPEC_MAX)
		return snprintf(err, errlen, "spec too long"), -1;
	strcpy(s, spec);
	memset(r, 0, sizeof(*r));
	r->ops = OP_CREATE;
	r->prob = 1.0;
	r->limit = -1;
	while (strncmp(p, "to=", 3) == 0 || strncmp(p, "op=", 3) == 0 ||
		   strncmp(p, "text=", 5) == 0)
	{
		char	   *comma = strchr(p, ',');

		if (comma == NULL || parse_filter(p, (size_t) (comma - p), r, err, errlen) < 0)
		{
			if (comma == NULL)
				snprintf(err, errlen, "a filter must be followed by \",KIND\"");
			free(r->text);
			r->text = NULL;
			return -1;
		}
		p = comma + 1;
	}
	if (parse_kind(p, r, err, errlen) < 0)
	{
		free(r->text);
		r->text = NULL;
		return -1;
	}
	r->spec = xstrdup(spec);
	return 0;
}

/* trim spaces around line[0..n) into out; returns out */
static char *
trim_line(const char *line, size_t n, char *out, size_t size)
{
	while (n > 0 && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, line, n);
	out[n] = '\0';
	return out;
}

/* free a set and its spec strings */
static void
set_free(RuleSet *s)
{
	int			i;

	for (i = 0; i < s->n; i++)
	{
		free(s->rules[i].spec);
		free(s->rules[i].text);
	}
	free(s);
}

/* parse text (one spec per line, '#' comments) into a new set; NULL on error */
static RuleSet *
set_parse(const char *text, char *err, size_t errlen)
{
	RuleSet    *s = xmalloc(sizeof(RuleSet) + RULES_MAX * sizeof(Rule));
	const char *p = text;
	int			lineno = 0;
	char		msg[256];

	s->n = 0;
	s->retired_next = NULL;
	while (p && *p)
	{
		const char *nl = strchr(p, '\n');
		size_t		n = nl ? (size_t) (nl - p) : strlen(p);
		char		line[SPEC_MAX + 1];

		lineno++;
		trim_line(p, n, line, sizeof(line));
		p = nl ? nl + 1 : NULL;
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (s->n == RULES_MAX || parse_rule(line, &s->rules[s->n], msg, sizeof(msg)) < 0)
		{
			snprintf(err, errlen, "line %d: %s", lineno,
					 s->n == RULES_MAX ? "too many rules" : msg);
			set_free(s);
			return NULL;
		}
		s->n++;
	}
	return s;
}

/* replace the current set by the rules in text; the old set is kept */
int
faults_replace(const char *text, char *err, size_t errlen)
{
	RuleSet    *s = set_parse(text, err, errlen);
	RuleSet    *old;

	if (s == NULL)
		return -1;
	pthread_mutex_lock(&g_lock);
	old = atomic_exchange(&g_current, s);
	if (old != NULL)
	{
		old->retired_next = g_retired;
		g_retired = old;
	}
	pthread_mutex_unlock(&g_lock);
	return 0;
}

/* add one --fault spec from the command line (before the server starts) */
int
faults_add_cli(const char *spec, char *err, size_t errlen)
{
	size_t		n = g_cli_text ? strlen(g_cli_text) : 0;
	char	   *text;

	if (strchr(spec, '\n') != NULL)
		return snprintf(err, errlen, "a spec cannot contain a newline"), -1;
	text = xmalloc(n + strlen(spec) + 2);
	snprintf(text, n + strlen(spec) + 2, "%s%s\n", g_cli_text ? g_cli_text : "", spec);
	if (faults_replace(text, err, errlen) < 0)
	{
		free(text);
		return -1;
	}
	free(g_cli_text);
	g_cli_text = text;
	return 0;
}

/* pick the fault for a request of kind op to number to; false = none */
bool
faults_match(unsigned op, const char *to, Fault *out)
{
	RuleSet    *s = atomic_load_explicit(&g_current, memory_order_acquire);
	int			i;

	if (s == NULL)
		return false;
	for (i = 0; i < s->n; i++)
	{
		Rule	   *r = &s->rules[i];

		if (!(r->ops & op) || (r->to[0] && (to == NULL || strcmp(r->to, to) != 0)))
			continue;
		if (r->limit >= 0)
		{
			if (atomic_fetch_add_explicit(&r->used, 1, memory_order_relaxed) >= r->limit)
				continue;
		}
		else if (r->prob < 1.0 && rng_double() >= r->prob)
			continue;
		out->kind = r->kind;
		out->arg = r->arg;
		out->spec = r->spec;
		out->text = r->text;
		return true;
	}
	return false;
}

/* the current specs as a JSON array */
void
faults_to_json(Buf *b)
{
	RuleSet    *s = atomic_load_explicit(&g_current, memory_order_acquire);
	int			i;

	buf_puts(b, "[");
	for (i = 0; s != NULL && i < s->n; i++)
	{
		if (i > 0)
			buf_puts(b, ",");
		buf_json_str(b, s->rules[i].spec);
	}
	buf_puts(b, "]");
}

/* free every set, current and retired (at exit, after the server stopped) */
void
faults_free_all(void)
{
	RuleSet    *s = atomic_exchange(&g_current, NULL);

	if (s != NULL)
		set_free(s);
	while ((s = g_retired) != NULL)
	{
		g_retired = s->retired_next;
		set_free(s);
	}
	free(g_cli_text);
	g_cli_text = NULL;
}
