/*-------------------------------------------------------------------------
 *
 * test_tmpl.c
 *	  Unit tests of the template core (src/core/tmpl*.c), standalone:
 *	  Liquid semantics of outputs, filters and conditions, whitespace
 *	  control, Unicode, parse errors with positions, render limits.
 *
 * Uses a table-driven resolver instead of jsonb; must not need a server.
 *
 *-------------------------------------------------------------------------
 */
#include "core/tmpl.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* The test data: dotted path -> value. */
typedef struct Entry
{
	const char *path;
	TmplValue	value;
} Entry;

static const TmplValue tag_items[] = {
	{TMPL_STRING, false, "vip", 3, NULL, 0},
	{TMPL_NUMBER, false, "7", 1, NULL, 0},
};

static const TmplValue pair_items[] = {
	{TMPL_STRING, false, "x", 1, NULL, 0},
	{TMPL_STRING, false, "y", 1, NULL, 0},
};

static const TmplValue arr2_items[] = {
	{TMPL_ARRAY, false, "[\"x\", \"y\"]", 10, pair_items, 2},
	{TMPL_STRING, false, "zoë", 4, NULL, 0},
};

static const TmplValue objs_items[] = {
	{TMPL_OBJECT, false, "{\"k\": \"v\"}", 10, NULL, 1},
};

#define S(p, s) {p, {TMPL_STRING, false, s, sizeof(s) - 1, NULL, 0}}
#define N(p, s) {p, {TMPL_NUMBER, false, s, sizeof(s) - 1, NULL, 0}}
#define B(p, b) {p, {TMPL_BOOL, b, NULL, 0, NULL, 0}}

static const Entry data[] = {
	S("lead.first_name", "Ann"),
	S("lead.last_name", "O'Neil"),
	S("lead.company", ""),
	S("lead.city", "  Paris \n"),
	S("lead.blank_name", " \t  "),
	S("lead.greek", "αβγ"),
	S("lead.cyr", "иван"),
	S("lead.latin", "émile ß łódź"),
	S("lead.emoji", "😀😀😀😀"),
	N("lead.age", "42"),
	N("lead.score", "7.50"),
	B("lead.vip", true),
	B("lead.opted", false),
	{"lead.nothing", {TMPL_NIL, false, NULL, 0, NULL, 0}},
	{"lead.tags", {TMPL_ARRAY, false, "[\"vip\", 7]", 10, tag_items, 2}},
	{"lead.none", {TMPL_ARRAY, false, "[]", 2, NULL, 0}},
	{"lead", {TMPL_OBJECT, false, "{...}", 5, NULL, 14}},
	{"sender", {TMPL_OBJECT, false, "{...}", 5, NULL, 1}},
	S("sender.signature", "-- Bob"),
	N("n5", "5"),
	S("s5", "5"),
	N("f5", "5.0"),
	N("f55", "5.5"),
	S("s010", "010"),
	S("lead.first name", "Ann Marie"),
	S("lead.field", "first_name"),
	S("lead.fsp", "first name"),
	S("field", "first_name"),
	N("n1", "1"),
	N("neg1", "-1"),
	S("s1", "1"),
	S("lead.", "blank key"),	/* lead's key "" */
	N("lead.neg", "-4.25"),
	{"lead.arr2", {TMPL_ARRAY, false, "[[\"x\", \"y\"], \"zoë\"]", 20, arr2_items, 2}},
	{"lead.objs", {TMPL_ARRAY, false, "[{\"k\": \"v\"}]", 12, objs_items, 1}},
	S("lead.objs.0.k", "v"),
};

/* Is the step .<digits>? */
static bool
all_digits(const TmplSeg *seg)
{
	for (int i = 0; i < seg->len; i++)
		if (seg->name[i] < '0' || seg->name[i] > '9')
			return false;
	return seg->len > 0;
}

/*
 * Resolve step by step: names and keys look up the dotted path so far in
 * the table, indexes (and .<digits>) pick an element of an array's items.
 */
static bool
resolve(void *ctx, const TmplSeg *segs, int nsegs, TmplValue *out)
{
	char		path[256];
	size_t		len = 0;
	TmplValue	cur;

	(void) ctx;
	memset(&cur, 0, sizeof(cur));
	for (int i = 0; i < nsegs; i++)
	{
		const TmplSeg *sg = &segs[i];
		bool		found = false;

		if (i > 0 && cur.kind == TMPL_ARRAY &&
			(sg->kind == TMPL_SEG_INDEX || (sg->kind == TMPL_SEG_NAME && all_digits(sg))))
		{
			long long	k = sg->kind == TMPL_SEG_INDEX ? sg->index : atoll(sg->name);

			k = k < 0 ? k + cur.nitems : k;
			if (cur.items == NULL || k < 0 || k >= cur.nitems)
				return false;
			cur = cur.items[k];
			len += (size_t) snprintf(path + len, sizeof(path) - len, ".%lld", k);
			continue;
		}
		if (sg->kind == TMPL_SEG_INDEX || len + (size_t) sg->len + 2 > sizeof(path))
			return false;
		if (i > 0)
			path[len++] = '.';
		memcpy(path + len, sg->name, (size_t) sg->len);
		len += (size_t) sg->len;
		path[len] = '\0';
		for (size_t k = 0; k < sizeof(data) / sizeof(data[0]) && !found; k++)
			if (strcmp(data[k].path, path) == 0)
			{
				cur = data[k].value;
				found = true;
			}
		if (!found)
			return false;
	}
	*out = cur;
	return true;
}

/* A resolver where every path is the value ctx points to. */
static bool
one_value(void *ctx, const TmplSeg *segs, int nsegs, TmplValue *out)
{
	(void) segs;
	(void) nsegs;
	*out = *(const TmplValue *) ctx;
	return true;
}

static char result[4096];

/* Render src; returns the text, or "ERR <code> L:C <message>" on failure. */
static const char *
render(const char *src)
{
	TsError		err;
	Tmpl	   *t = tmpl_parse(src, strlen(src), &err);
	TsBuf		out;

	if (t == NULL)
	{
		snprintf(result, sizeof(result), "ERR %d %d:%d %s", err.code, err.line, err.column, err.message);
		return result;
	}
	tsbuf_init(&out);
	if (!tmpl_render(t, resolve, NULL, &out, &err))
		snprintf(result, sizeof(result), "ERR %d %d:%d %s", err.code, err.line, err.column, err.message);
	else
		snprintf(result, sizeof(result), "%s", out.data ? out.data : "");
	tsbuf_free(&out);
	tmpl_free(t);
	return result;
}

/* Outputs: paths, literals, nil/missing, booleans, numbers. */
static void
test_outputs(void)
{
	UNIT_EQ_STR(render("Hi {{ lead.first_name }}!"), "Hi Ann!");
	UNIT_EQ_STR(render("Hi {{lead.first_name}}!"), "Hi Ann!");
	UNIT_EQ_STR(render("[{{ lead.missing }}][{{ nope.x.y }}][{{ lead.nothing }}]"), "[][][]");
	UNIT_EQ_STR(render("{{ lead.vip }} {{ lead.opted }} {{ lead.age }} {{ lead.score }}"), "true false 42 7.50");
	UNIT_EQ_STR(render("{{ \"lit\" }}{{ 'q' }}{{ 12 }}{{ -3.5 }}{{ nil }}{{ true }}{{ }}"), "litq12-3.5true");
	UNIT_EQ_STR(render("{{ lead.tags }}"), "vip7");	/* an array prints as its elements */
	UNIT_EQ_STR(render("no markup at all"), "no markup at all");
	UNIT_EQ_STR(render(""), "");
	UNIT_EQ_STR(render("a { b } c %} d }}"), "a { b } c %} d }}");
	UNIT_EQ_STR(render("{{ lead.tags.size }} {{ lead.tags.first }} {{ lead.tags.last }} {{ lead.first_name.size }}"),
				"2 vip 7 3");
	UNIT_EQ_STR(render("{{ lead.emoji.size }}|{{ lead.none.first }}|{{ lead.age.size }}"), "4||");
}

/* An array prints as its elements one after the other, nested arrays too, nil as nothing (Variable#render_obj_to_output). */
static void
test_array_output(void)
{
	static const TmplValue with_nil[] = {
		{TMPL_STRING, false, "a", 1, NULL, 0},
		{TMPL_NIL, false, NULL, 0, NULL, 0},
		{TMPL_ARRAY, false, "[\"x\", \"y\"]", 10, pair_items, 2},
		{TMPL_BOOL, true, NULL, 0, NULL, 0},
		{TMPL_OBJECT, false, "{\"k\": \"v\"}", 10, NULL, 1},
	};
	const char *src = "[{{ a }}]";
	TmplValue	a = {TMPL_ARRAY, false, "[...]", 5, with_nil, 5};
	TsError		err;
	Tmpl	   *t = tmpl_parse(src, strlen(src), &err);
	TsBuf		out;

	UNIT_EQ_STR(render("[{{ lead.tags }}][{{ lead.none }}][{{ lead.arr2 }}][{{ lead.missing | default: lead.tags }}]"),
				"[vip7][][xyzoë][vip7]");
	/* filters take an array's text, as Liquid's filters take its inspect form */
	UNIT_EQ_STR(render("{{ lead.tags | append: '' }}|{{ lead.tags | upcase }}"), "[\"vip\", 7]|[\"VIP\", 7]");
	tsbuf_init(&out);
	UNIT_CHECK(tmpl_render(t, one_value, &a, &out, &err), "an array with nil, nested array, boolean and object renders");
	tsbuf_appendc(&out, '\0');
	UNIT_EQ_STR(out.data, "[axytrue{\"k\": \"v\"}]");
	tsbuf_free(&out);
	tmpl_free(t);
}

/* Filters with Liquid's semantics. */
static void
test_filters(void)
{
	UNIT_EQ_STR(render("{{ lead.company | default: \"your company\" }}"), "your company");
	UNIT_EQ_STR(render("{{ lead.missing | default: 'x' }}{{ lead.nothing | default: 'y' }}"), "xy");
	UNIT_EQ_STR(render("{{ lead.opted | default: 'z' }}{{ lead.opted | default: 'z', allow_false: true }}"), "zfalse");
	UNIT_EQ_STR(render("{{ lead.first_name | default: 'x' }}{{ lead.age | default: 1 }}"), "Ann42");
	UNIT_EQ_STR(render("{{ lead.none | default: 'e' }}{{ lead.city | default: 'c' }}"), "e  Paris \n");
	UNIT_EQ_STR(render("{{ lead.first_name | upcase }} {{ lead.first_name | downcase }}"), "ANN ann");
	UNIT_EQ_STR(render("{{ 'hELLO wORLD' | capitalize }}"), "Hello world");
	UNIT_EQ_STR(render("{{ lead.greek | upcase }}"), "ΑΒΓ");
	UNIT_EQ_STR(render("{{ lead.cyr | capitalize }}"), "Иван");
	UNIT_EQ_STR(render("{{ lead.latin | upcase }}"), "ÉMILE SS ŁÓDŹ");
	UNIT_EQ_STR(render("{{ 'ÉMILE ŁÓDŹ ИВ' | downcase }}"),
				"émile łódź ив");
	UNIT_EQ_STR(render("{{ 'șț ệ' | upcase }}"), "ȘȚ Ệ");
	UNIT_EQ_STR(render("{{ lead.city | strip }}|{{ lead.nothing | strip }}|"), "Paris||");
	UNIT_EQ_STR(render("{{ lead.first_name | append: '!' | prepend: 'Hi ' }}"), "Hi Ann!");
	UNIT_EQ_STR(render("{{ lead.missing | append: lead.age }}"), "42");
	UNIT_EQ_STR(render("{{ 'a-b-c' | replace: '-', '+' }}{{ 'a-b' | replace: '-' }}"), "a+b+cab");
	UNIT_EQ_STR(render("{{ 'ab' | replace: '', '.' }}"), ".a.b.");
	UNIT_EQ_STR(render("{{ 'éé' | replace: '', '|' }}"), "|é|é|");
	UNIT_EQ_STR(render("{{ lead.tags | size }}"), "ERR 3 1:16 unknown filter \"size\"");
}

/* Every filter on nil, missing, false, true, "" and numbers gives what Liquid 5 gives (never an error). */
static void
test_filters_on_nil_false_numbers(void)
{
	static const char *const cases[][2] = {
		{"lead.missing", "[][][][][][1][1][][d][]"},
		{"lead.nothing", "[][][][][][1][1][][d][]"},
		{"lead.opted", "[FALSE][false][False][false][...][false1][1false][fblse][d][]"},
		{"lead.vip", "[TRUE][true][True][true][...][true1][1true][true][true][true]"},
		{"lead.company", "[][][][][][1][1][][d][]"},
		{"lead.age", "[42][42][42][42][42][421][142][b2][42][42]"},
		{"lead.neg", "[-4.25][-4.25][-4.25][-4.25][...][-4.251][1-4.25][-b.25][-4.25][-4.25]"},
	};
	char		src[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const char *x = cases[i][0];
		const char *pat = strcmp(x, "lead.opted") == 0 ? "a" : "4";

		snprintf(src, sizeof(src),
				 "[{{ %s | upcase }}][{{ %s | downcase }}][{{ %s | capitalize }}][{{ %s | strip }}]"
				 "[{{ %s | truncate: 2 }}][{{ %s | append: 1 }}][{{ %s | prepend: 1 }}]"
				 "[{{ %s | replace: '%s', 'b' }}][{{ %s | default: 'd' }}][{{ %s | default }}]",
				 x, x, x, x, x, x, x, x, pat, x, x);
		UNIT_EQ_STR(render(src), cases[i][1]);
	}
}

/* default without an argument replaces nil, false and empty values by "" (Liquid's default_value = ''). */
static void
test_default_without_argument(void)
{
	UNIT_EQ_STR(render("[{{ lead.missing | default }}][{{ lead.opted | default }}][{{ lead.none | default }}]"), "[][][]");
	UNIT_EQ_STR(render("[{{ lead.first_name | default }}][{{ lead.age | default }}][{{ lead.vip | default }}]"), "[Ann][42][true]");
	UNIT_EQ_STR(render("{{ lead.opted | default | append: '!' }}"), "!");
	UNIT_EQ_STR(render("{{ lead.opted | default: allow_false: true }}"),
				"ERR 4 1:17 filter \"default\" needs a value before \"allow_false\"");
	UNIT_EQ_STR(render("{{ lead.opted | default: 'a', 'b' }}"), "ERR 4 1:17 filter \"default\" takes at most 1 argument");
}

/* Bracket access: lead["first name"], lead[field], lead.tags[0], as in Liquid's VariableLookup. */
static void
test_bracket_access(void)
{
	UNIT_EQ_STR(render("{{ lead[\"first name\"] }}|{{ lead['first_name'] }}|{{ lead[ 'first_name' ] }}|{{ lead ['first_name'] }}"),
				"Ann Marie|Ann|Ann|Ann");
	UNIT_EQ_STR(render("{{ lead[field] }}|{{ lead[lead.fsp] }}|{{ lead[lead['field']] }}|{{ ['lead'].first_name }}|{{ ['lead'][field] }}"),
				"Ann|Ann Marie|Ann|Ann|Ann");
	UNIT_EQ_STR(render("{{ lead.tags[0] }}|{{ lead.tags[1] }}|{{ lead.tags[-1] }}|{{ lead.tags[-2] }}|{{ lead.tags[2] }}|{{ lead.tags[-3] }}"),
				"vip|7|7|vip||");
	UNIT_EQ_STR(render("{{ lead.tags[n1] }}|{{ lead.tags[neg1] }}|{{ lead.tags[s1] }}|{{ lead.tags['1'] }}|{{ lead.tags[1.0] }}|{{ lead[1] }}"),
				"7|7||||");		/* a string is no index, 1.0 no integer, an index no key */
	UNIT_EQ_STR(render("[{{ lead[nil] }}][{{ lead[true] }}][{{ lead[lead.missing] }}][{{ [field] }}]"),
				"[][][][]");
	UNIT_EQ_STR(render("[{{ lead[empty] }}][{{ lead[blank] }}]"), "[blank key][blank key]");	/* the key "" */
	UNIT_EQ_STR(render("{{ lead.tags.size }}|{{ lead.tags['size'] }}|{{ lead.tags['first'] }}|{{ lead['tags'].size }}"), "2|||2");
	UNIT_EQ_STR(render("{{ lead . first_name }}|{{ lead. first_name }}|{{ lead['tags'] .size }}|{{ lead['tags'].0 }}"),
				"Ann|Ann|2|vip");
	UNIT_EQ_STR(render("{{ lead[field] | upcase }}|{{ lead.missing | default: lead['first name'] }}|{{ 'abcdef' | truncate: ['n5'] }}"),
				"ANN|Ann Marie|ab...");
	UNIT_EQ_STR(render("{% if lead['first name'] contains 'Marie' and lead.tags[0] == 'vip' %}a{% endif %}"
					   "{% if ['lead'] contains 'first name' %}b{% endif %}{% if lead[field] == blank %}c{% endif %}"), "ab");
}

/* Bracket syntax errors, with Liquid's strict parser refusing the same. */
static void
test_bracket_errors(void)
{
	TsBuf		b;

	UNIT_EQ_STR(render("{{ lead['a' }}"), "ERR 1 1:13 expected \"]\", found nothing");
	UNIT_EQ_STR(render("{{ lead['a' 'b'] }}"), "ERR 1 1:13 expected \"]\", found 'b'");
	UNIT_EQ_STR(render("{{ lead[] }}"), "ERR 1 1:9 expected a value, found \"]\"");
	UNIT_EQ_STR(render("{{ lead.['a'] }}"), "ERR 1 1:4 a path cannot end with \".\" at \"lead.\"");
	UNIT_EQ_STR(render("{{ lead['a']b }}"), "ERR 1 1:13 expected \"|\" or the end of the output, found \"b\"");
	UNIT_EQ_STR(render("{{ lead['a' | upcase] }}"), "ERR 1 1:13 expected \"]\", found \"|\"");
	UNIT_EQ_STR(render("{{ a[0][1][2][3][4][5][6][7][8][9][10][11][12][13][14][15] }}"),
				"ERR 5 1:4 path has more than 16 parts");
	tsbuf_init(&b);
	tsbuf_appends(&b, "{{ a");
	for (int i = 0; i < TMPL_MAX_KEY_DEPTH + 1; i++)
		tsbuf_appends(&b, "[a");
	for (int i = 0; i < TMPL_MAX_KEY_DEPTH + 1; i++)
		tsbuf_appends(&b, "]");
	tsbuf_appends(&b, " }}");
	UNIT_EQ_STR(render(b.data), "ERR 5 1:37 keys nested deeper than 16 levels");
	tsbuf_free(&b);
}

/* .first / .last of a string are its first / last character ("" for ""), as in Liquid's VariableLookup. */
static void
test_string_first_last(void)
{
	UNIT_EQ_STR(render("{{ lead.first_name.first }}|{{ lead.first_name.last }}|{{ lead.company.first }}|{{ lead.company.last }}|"),
				"A|n|||");
	UNIT_EQ_STR(render("{{ lead.emoji.last }}|{{ lead.greek.first | upcase }}|{{ lead.latin.last }}"), "😀|Α|ź");
	UNIT_EQ_STR(render("{% if lead.company.first %}a{% endif %}{% if lead.company.first == '' %}b{% endif %}"
					   "{% if lead.missing.first %}c{% endif %}"), "ab");	/* "" is no nil */
}

/* .size, .first and .last apply at any step, not only the last (Liquid walks the path step by step). */
static void
test_builtins_within_paths(void)
{
	UNIT_EQ_STR(render("{{ lead.tags.first.size }}|{{ lead.first_name.first.size }}|{{ lead.tags.last.size }}|{{ lead.tags.size.size }}|"),
				"3|1|||");	/* a number has no .size */
	UNIT_EQ_STR(render("{{ lead.arr2.first[1] }}|{{ lead.arr2.first.last }}|{{ lead.arr2[0].size }}|{{ lead.arr2.last.first }}|{{ lead.arr2.last.last }}"),
				"y|y|2|z|ë");
	UNIT_EQ_STR(render("{{ lead.objs.first.k }}|{{ lead.objs.last['k'] }}|{% if lead.objs.first contains 'k' %}has k{% endif %}"),
				"v|v|has k");
	UNIT_EQ_STR(render("[{{ lead.first }}][{{ lead.last }}][{{ lead.none.first }}][{{ lead.age.first }}]"), "[][][][]");
}

/* truncate: characters, the ellipsis counting toward N. */
static void
test_truncate(void)
{
	UNIT_EQ_STR(render("{{ 'Ground control to Major Tom.' | truncate: 20 }}"), "Ground control to...");
	UNIT_EQ_STR(render("{{ 'Ground control to Major Tom.' | truncate: 25, ', and so on' }}"), "Ground control, and so on");
	UNIT_EQ_STR(render("{{ 'Ground control to Major Tom.' | truncate: 20, '' }}"), "Ground control to Ma");
	UNIT_EQ_STR(render("{{ 'short' | truncate: 5 }}|{{ 'short' | truncate: 4 }}|{{ 'abc' | truncate: 2 }}"), "short|s...|...");
	UNIT_EQ_STR(render("{{ lead.emoji | truncate: 3, '' }}"), "😀😀😀");
	UNIT_EQ_STR(render("{{ lead.emoji | truncate: 3, '…' }}"), "😀😀…");
	UNIT_EQ_STR(render("{{ lead.nothing | truncate: 3 | default: 'nil stays nil' }}"), "nil stays nil");
	UNIT_EQ_STR(render("{{ 'abcdef' | truncate: n5 }}{{ 'abcdef' | truncate: s5 }}{{ 'abcdef' | truncate: '4' }}"),
				"ab...ab...a...");
	UNIT_EQ_STR(render("{{ 'abcdef' | truncate: lead.first_name }}"), "abcdef");
	UNIT_EQ_STR(render("{{ 'abcdef' | truncate: -1 }}"), "...");
}

/* truncate's length is read as Liquid's Utils.to_integer reads it: Ruby's Integer(). */
static void
test_truncate_length_as_ruby_integer(void)
{
	UNIT_EQ_STR(render("{{ 'abcdefghijklmnop' | truncate: '010' }}|{{ 'abcdefghijklmnop' | truncate: s010 }}"),
				"abcde...|abcde...");	/* a leading 0 is octal */
	UNIT_EQ_STR(render("{{ 'abcdefghijklmnop' | truncate: '0x08' }}|{{ 'abcdefghijklmnop' | truncate: '0b101' }}"
					   "|{{ 'abcdefghijklmnop' | truncate: ' 1_0 ' }}|{{ 'abcdefghijklmnop' | truncate: 010 }}"),
				"abcde...|ab...|abcdefg...|abcdefg...");	/* an unquoted 010 is ten */
	UNIT_EQ_STR(render("{{ 'abc' | truncate: 5.0 }}"), "ERR 4 1:12 filter \"truncate\" needs an integer length");
	UNIT_EQ_STR(render("{{ 'abc' | truncate: 2.5 }}"), "ERR 4 1:12 filter \"truncate\" needs an integer length");
	UNIT_EQ_STR(render("{{ 'abc' | truncate: '1__0' }}"), "ERR 4 1:12 filter \"truncate\" needs an integer length");
	UNIT_EQ_STR(render("{{ 'abcdefgh' | truncate: f5 }}|{{ 'abcdefgh' | truncate: f55 }}"), "abcdefgh|abcdefgh");
}

/* if / elsif / else / unless with Liquid's truthiness and comparisons. */
static void
test_conditions(void)
{
	UNIT_EQ_STR(render("{% if lead.first_name %}y{% else %}n{% endif %}"), "y");
	UNIT_EQ_STR(render("{% if lead.company %}y{% else %}n{% endif %}"), "y");	/* "" is truthy */
	UNIT_EQ_STR(render("{% if lead.missing %}y{% elsif lead.opted %}o{% else %}n{% endif %}"), "n");
	UNIT_EQ_STR(render("{% unless lead.vip %}a{% else %}b{% endunless %}"), "b");
	UNIT_EQ_STR(render("{% if lead.age == 42 %}a{% endif %}{% if lead.age == 42.0 %}b{% endif %}{% if lead.age == '42' %}c{% endif %}"), "ab");
	UNIT_EQ_STR(render("{% if lead.age > 40 and lead.age <= 42 %}a{% endif %}{% if lead.age < 5 %}b{% endif %}"), "a");
	UNIT_EQ_STR(render("{% if lead.first_name < 'Bob' %}a{% endif %}{% if lead.first_name > 5 %}b{% endif %}"), "a");
	UNIT_EQ_STR(render("{% if lead.first_name != 'Ann' %}a{% endif %}{% if lead.first_name <> 'Bob' %}b{% endif %}"), "b");
	UNIT_EQ_STR(render("{% if lead.first_name contains 'nn' %}a{% endif %}{% if lead.tags contains 'vip' %}b{% endif %}"
					   "{% if lead.tags contains 7 %}c{% endif %}{% if lead.tags contains '7' %}d{% endif %}"
					   "{% if lead contains 'first_name' %}e{% endif %}{% if lead contains 'zz' %}f{% endif %}"), "abce");
	UNIT_EQ_STR(render("{% if lead.missing contains 'a' %}a{% endif %}{% if lead.first_name contains nil %}b{% endif %}"), "");
	/* and/or group from the right: true or (false and false) */
	UNIT_EQ_STR(render("{% if true or false and false %}a{% endif %}{% if false and false or true %}b{% endif %}"), "a");
	UNIT_EQ_STR(render("{% if lead.nothing == nil %}a{% endif %}{% if lead.missing == nil %}b{% endif %}{% if nil == false %}c{% endif %}"), "ab");
	UNIT_EQ_STR(render("{% if lead.company == empty %}a{% endif %}{% if lead.nothing == empty %}b{% endif %}"
					   "{% if lead.none == empty %}c{% endif %}{% if lead.nothing != empty %}d{% endif %}"), "acd");
	UNIT_EQ_STR(render("{% if lead.company == blank %}a{% endif %}{% if lead.nothing == blank %}b{% endif %}"
					   "{% if lead.blank_name == blank %}c{% endif %}{% if lead.opted == blank %}d{% endif %}"
					   "{% if lead.first_name == blank %}e{% endif %}{% if blank == lead.missing %}f{% endif %}"), "abcdf");
	UNIT_EQ_STR(render("{% if lead.first_name %}{% if lead.vip %}{% unless lead.opted %}deep{% endunless %}{% endif %}{% endif %}"), "deep");
	UNIT_EQ_STR(render("{% if lead.score >= 7.5 %}a{% endif %}{% if lead.tags == lead.tags %}b{% endif %}"), "ab");
}

/* Whitespace control, comments and raw. */
static void
test_whitespace(void)
{
	UNIT_EQ_STR(render("a  \n {{- lead.first_name -}} \n  b"), "aAnnb");
	UNIT_EQ_STR(render("x\n{%- if true -%}\n  y\n{%- endif -%}\nz"), "xyz");
	UNIT_EQ_STR(render("a{% comment %} {{ not parsed {% if %} {% comment %}x{% endcomment %} {% endcomment %}b"), "ab");
	UNIT_EQ_STR(render("{% raw %}{{ lead.first_name }}{% if %}{% endraw %}"), "{{ lead.first_name }}{% if %}");
	UNIT_EQ_STR(render("a{% # an inline comment %}b"), "ab");
	UNIT_EQ_STR(render("{{-lead.first_name-}}"), "Ann");
}

/* Parse errors: codes, lines, columns, messages. */
static void
test_errors(void)
{
	UNIT_EQ_STR(render("Hi {{ lead.first_name"), "ERR 1 1:4 output \"{{\" was never closed");
	UNIT_EQ_STR(render("a\nb {% if x"), "ERR 1 2:3 tag \"{%\" was never closed");
	UNIT_EQ_STR(render("{% for x in y %}"), "ERR 2 1:4 unknown tag \"for\"");
	UNIT_EQ_STR(render("x{% endif %}"), "ERR 1 1:2 unexpected \"endif\" outside \"if\" or \"unless\"");
	UNIT_EQ_STR(render("\n  {% if a %}x"), "ERR 1 2:3 \"if\" was never closed");
	UNIT_EQ_STR(render("{% if %}{% endif %}"), "ERR 1 1:1 \"if\" needs a condition");
	UNIT_EQ_STR(render("{% if a %}{% endunless %}"), "ERR 1 1:11 \"if\" must be closed by \"endif\"");
	UNIT_EQ_STR(render("{{ x | upcasee }}"), "ERR 3 1:8 unknown filter \"upcasee\"");
	UNIT_EQ_STR(render("{{ x | truncate: 'abc' }}"), "ERR 4 1:8 filter \"truncate\" needs an integer length");
	UNIT_EQ_STR(render("{{ x | truncate: 1, 2, 3 }}"), "ERR 4 1:8 filter \"truncate\" takes 0 to 2 arguments");
	UNIT_EQ_STR(render("{{ x | upcase: 1 }}"), "ERR 4 1:8 filter \"upcase\" takes no arguments");
	UNIT_EQ_STR(render("{{ x | append }}"), "ERR 4 1:8 filter \"append\" takes exactly 1 argument");
	UNIT_EQ_STR(render("{{ x | default: 1, foo: 2 }}"), "ERR 4 1:20 filter \"default\" has no option \"foo\"");
	UNIT_EQ_STR(render("{{ 'abc }}"), "ERR 1 1:4 unterminated string at \"'abc \"");
	UNIT_EQ_STR(render("{{ lead. }}"), "ERR 1 1:4 a path cannot end with \".\" at \"lead.\"");
	UNIT_EQ_STR(render("{{ a b }}"), "ERR 1 1:6 expected \"|\" or the end of the output, found \"b\"");
	UNIT_EQ_STR(render("{% if a = b %}{% endif %}"), "ERR 1 1:9 unexpected character at \"=\"");
	UNIT_EQ_STR(render("{% if a %}{% else %}{% else %}{% endif %}"), "ERR 1 1:21 \"if\" has more than one \"else\"");
	UNIT_EQ_STR(render("{% if a %}{% else %}{% elsif b %}{% endif %}"), "ERR 1 1:21 \"elsif\" after \"else\"");
	UNIT_EQ_STR(render("{% comment %} never closed"), "ERR 1 1:1 \"comment\" was never closed");
	UNIT_EQ_STR(render("{% raw %} never closed"), "ERR 1 1:1 \"raw\" was never closed");
	UNIT_EQ_STR(render("éé {{ é }}"), "ERR 1 1:7 unexpected character at \"é\"");
	UNIT_EQ_STR(render("{{ a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q }}"), "ERR 5 1:4 path has more than 16 parts");
}

/* Every problem is reported, in source order. */
static void
test_all_problems(void)
{
	const char *src = "{{ a | nope }}\n{% bogus %}\n{{ b | upcase: 1 | zap }}\n{% endif %}";
	TmplProblems pr;
	Tmpl	   *t = tmpl_parse_all(src, strlen(src), &pr);

	UNIT_EQ_INT(pr.count, 5);
	UNIT_EQ_INT(pr.items[0].line, 1);
	UNIT_EQ_INT(pr.items[0].code, TMPL_ERR_UNKNOWN_FILTER);
	UNIT_EQ_INT(pr.items[1].code, TMPL_ERR_UNKNOWN_TAG);
	UNIT_EQ_INT(pr.items[2].code, TMPL_ERR_FILTER_ARG);
	UNIT_EQ_INT(pr.items[3].code, TMPL_ERR_UNKNOWN_FILTER);
	UNIT_EQ_INT(pr.items[3].column, 20);
	UNIT_EQ_INT(pr.items[4].line, 4);
	tmpl_free(t);
}

/* Collect paths for template_check. */
static void
count_path(void *ctx, const TmplSeg *segs, int nsegs, size_t offset)
{
	int		   *n = ctx;

	(void) segs;
	(void) offset;
	*n += nsegs;
}

/* Paths are reported even when the template has problems. */
static void
test_paths(void)
{
	const char *src = "{{ lead.a | nope }}{% if lead.b.c == x %}{% endif %}{{ 'lit' | append: sender.sig }}";
	TmplProblems pr;
	Tmpl	   *t = tmpl_parse_all(src, strlen(src), &pr);
	int			n = 0;

	tmpl_foreach_path(t, count_path, &n);
	UNIT_EQ_INT(n, 2 + 3 + 1 + 2);
	tmpl_free(t);
}

/* Describe each path as "name.[key].[3].[?]", in the order tmpl_foreach_path gives them. */
static void
describe_path(void *ctx, const TmplSeg *segs, int nsegs, size_t offset)
{
	TsBuf	   *b = ctx;
	char		num[32];

	for (int i = 0; i < nsegs; i++)
	{
		if (i > 0)
			tsbuf_appendc(b, '.');
		if (segs[i].kind == TMPL_SEG_NAME)
			tsbuf_append(b, segs[i].name, (size_t) segs[i].len);
		else if (segs[i].kind == TMPL_SEG_KEY)
		{
			tsbuf_appendc(b, '[');
			tsbuf_append(b, segs[i].name, (size_t) segs[i].len);
			tsbuf_appendc(b, ']');
		}
		else if (segs[i].kind == TMPL_SEG_INDEX)
		{
			snprintf(num, sizeof(num), "[%lld]", segs[i].index);
			tsbuf_appends(b, num);
		}
		else
			tsbuf_appends(b, "[?]");
	}
	snprintf(num, sizeof(num), "@%zu ", offset);
	tsbuf_appends(b, num);
}

/* Paths with brackets: static keys and indexes known, [path] steps dynamic; source order. */
static void
test_paths_with_keys(void)
{
	const char *src = "{{ lead['first name'] }}{{ lead[lead.field].x }}{{ lead.tags[-1] }}{{ [k][0] }}";
	TmplProblems pr;
	Tmpl	   *t = tmpl_parse_all(src, strlen(src), &pr);
	TsBuf		b;

	tsbuf_init(&b);
	tmpl_foreach_path(t, describe_path, &b);
	tsbuf_appendc(&b, '\0');
	UNIT_EQ_INT(pr.count, 0);
	UNIT_EQ_STR(b.data, "lead.[first name]@3 lead.[?].x@27 lead.field@32 lead.tags.[-1]@51 [?].[0]@70 k@71 ");
	tsbuf_free(&b);
	tmpl_free(t);
}

/* Nesting limit and render limits. */
static void
test_limits(void)
{
	TsBuf		b;
	const char *r;

	tsbuf_init(&b);
	for (int i = 0; i < TMPL_MAX_DEPTH + 1; i++)
		tsbuf_appends(&b, "{% if true %}");
	r = render(b.data);
	UNIT_CHECK(strstr(r, "ERR 5") == r, "nesting past the limit is refused");
	tsbuf_free(&b);

	tsbuf_init(&b);
	for (int i = 0; i < TMPL_MAX_DEPTH; i++)
		tsbuf_appends(&b, "{% if true %}");
	tsbuf_appends(&b, "ok");
	for (int i = 0; i < TMPL_MAX_DEPTH; i++)
		tsbuf_appends(&b, "{% endif %}");
	UNIT_EQ_STR(render(b.data), "ok");
	tsbuf_free(&b);

	tsbuf_init(&b);
	tsbuf_appends(&b, "{{ 'abcdefghij' ");
	for (int i = 0; i < 40; i++)
		tsbuf_appends(&b, "| replace: '', 'abcdefghij' ");
	tsbuf_appends(&b, "}}");
	r = render(b.data);
	UNIT_CHECK(strstr(r, "ERR 6 1:1 a value grew past") == r, "exponential replace is stopped");
	tsbuf_free(&b);
}

int
main(void)
{
	test_outputs();
	test_array_output();
	test_filters();
	test_filters_on_nil_false_numbers();
	test_default_without_argument();
	test_bracket_access();
	test_bracket_errors();
	test_string_first_last();
	test_builtins_within_paths();
	test_truncate();
	test_truncate_length_as_ruby_integer();
	test_conditions();
	test_whitespace();
	test_errors();
	test_all_problems();
	test_paths();
	test_paths_with_keys();
	test_limits();
	UNIT_DONE();
}
