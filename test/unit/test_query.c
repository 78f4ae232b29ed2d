/*-------------------------------------------------------------------------
 *
 * test_query.c
 *	  Unit tests of the smartlist query core: tokens, the tree, every error
 *	  with its line and column, and the SQL and parameters each field and
 *	  operator compiles to (against a made-up lead table).
 *
 *-------------------------------------------------------------------------
 */
#include "query.h"

#include "unit.h"

#include <stdlib.h>

/* A made-up lead table: id bigint, first_name text, created_at timestamptz, ... */
static bool
columns(void *ctx, const char *name, size_t len, bool quoted, SqColumn *out)
{
	static const struct
	{
		const char *name;
		SqColKind	kind;
		const char *sql;
		const char *type;
	}			cols[] = {
		{"id", SQ_COL_NUMBER, "l.id", "bigint"},
		{"first_name", SQ_COL_TEXT, "l.first_name", "text"},
		{"bulkimport_id", SQ_COL_NUMBER, "l.bulkimport_id", "bigint"},
		{"created_at", SQ_COL_TIME, "l.created_at", "timestamp with time zone"},
		{"active", SQ_COL_BOOL, "l.active", "boolean"},
		{"tags", SQ_COL_ARRAY, "l.tags", "text[]"},
		{"Odd Name", SQ_COL_TEXT, "l.\"Odd Name\"", "text"},
		{"uid", SQ_COL_OTHER, "l.uid", "uuid"},
	};
	char		buf[64];

	(void) ctx;
	if (len >= sizeof(buf))
		return false;
	for (size_t i = 0; i < len; i++)
		buf[i] = (!quoted && name[i] >= 'A' && name[i] <= 'Z') ? (char) (name[i] + 32) : name[i];
	buf[len] = '\0';
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
	{
		if (strcmp(cols[i].name, buf) != 0)
			continue;
		out->kind = cols[i].kind;
		out->sql = cols[i].sql;
		out->type_sql = cols[i].type;
		out->type_id = 100 + (uint32_t) i;
		out->elem_sql = cols[i].kind == SQ_COL_ARRAY ? "text" : NULL;
		out->elem_id = cols[i].kind == SQ_COL_ARRAY ? 25 : 0;
		return true;
	}
	return false;
}

static const SqSchema schema = {"l.id", "l.fields", "l.tags", columns, NULL};
static const SqSchema bare = {"l.id", NULL, NULL, columns, NULL};

/* The tree of a query that must parse. */
static void
parses(const char *src, const char *tree)
{
	TsError		err;
	SqQuery    *q = sq_parse(src, strlen(src), &err);
	TsBuf		b;

	tsbuf_init(&b);
	if (q == NULL)
	{
		fprintf(stderr, "parse of [%s] failed: %s (line %d, column %d)\n", src, err.message, err.line, err.column);
		UNIT_CHECK(false, src);
		return;
	}
	sq_dump(q, &b);
	UNIT_EQ_STR(b.data, tree);
	tsbuf_free(&b);
	sq_free(q);
}

/* Parse and compile against s; NULL result on failure with err filled. */
static char *
compile_with(const SqSchema *s, const char *src, size_t len, SqCompiled *c, TsError *err)
{
	SqQuery    *q = sq_parse(src, len, err);
	char	   *sql = NULL;

	memset(c, 0, sizeof(*c));
	if (q == NULL)
		return NULL;
	if (sq_compile(q, s, c, err))
		sql = strdup(c->sql.data);
	sq_free(q);
	return sql;
}

/* A query's SQL and the text of its parameters joined by |. */
static void
compiles(const char *src, const char *sql, const char *params)
{
	SqCompiled	c;
	TsError		err;
	char	   *got = compile_with(&schema, src, strlen(src), &c, &err);
	TsBuf		b;

	if (got == NULL)
	{
		fprintf(stderr, "compile of [%s] failed: %s (line %d, column %d)\n", src, err.message, err.line, err.column);
		UNIT_CHECK(false, src);
		return;
	}
	UNIT_EQ_STR(got, sql);
	tsbuf_init(&b);
	tsbuf_append(&b, "", 0);
	for (int i = 0; i < c.nparams; i++)
	{
		if (i > 0)
			tsbuf_appendc(&b, '|');
		if (c.params[i].array)
			tsbuf_appendc(&b, '{');
		for (int j = 0; j < c.params[i].nvalues; j++)
		{
			if (j > 0)
				tsbuf_appendc(&b, ',');
			tsbuf_append(&b, c.params[i].values[j].text, c.params[i].values[j].len);
		}
		if (c.params[i].array)
			tsbuf_appendc(&b, '}');
	}
	UNIT_EQ_STR(b.data, params);
	tsbuf_free(&b);
	sq_compiled_free(&c);
	free(got);
}

/* A query that fails (parsing or compiling against s) with code at line:column and message. */
static void
fails_with(const SqSchema *s, const char *src, int code, int line, int column, const char *message)
{
	SqCompiled	c;
	TsError		err;
	char	   *got = compile_with(s, src, strlen(src), &c, &err);

	if (got != NULL)
	{
		fprintf(stderr, "[%s] compiled to [%s], expected an error\n", src, got);
		UNIT_CHECK(false, src);
		free(got);
		sq_compiled_free(&c);
		return;
	}
	if (err.code != code || err.line != line || err.column != column)
		fprintf(stderr, "[%s]: %s (code %d, line %d, column %d)\n", src, err.message, err.code, err.line, err.column);
	UNIT_EQ_INT(err.code, code);
	UNIT_EQ_INT(err.line, line);
	UNIT_EQ_INT(err.column, column);
	if (message)
		UNIT_EQ_STR(err.message, message);
}

static void
fails(const char *src, int code, int line, int column, const char *message)
{
	fails_with(&schema, src, code, line, column, message);
}

static void
test_tree(void)
{
	parses("lead.bulkimport_id=123", "(= lead.bulkimport_id number:123)");
	parses("lead.first_name = 'Ann'", "(= lead.first_name \"Ann\")");
	parses("tag = vip and phone ~ 555", "(and (= tag word:vip) (~ phone number:555))");
	parses("a = 1 or b = 2 and c = 3", "(or (= a number:1) (and (= b number:2) (= c number:3)))");
	parses("(a = 1 or b = 2) and c = 3", "(and (or (= a number:1) (= b number:2)) (= c number:3))");
	parses("not a = 1 and b = 2", "(and (not (= a number:1)) (= b number:2))");
	parses("not not a = 1", "(not (not (= a number:1)))");
	parses("a = 1 or b = 2 or c = 3 or d = 4", "(or (= a number:1) (= b number:2) (= c number:3) (= d number:4))");
	parses("AND_x = 1", "(= AND_x number:1)");
	parses("x = 1 AND y = 2 Or z = 3", "(or (and (= x number:1) (= y number:2)) (= z number:3))");
	parses("x != 1", "(!= x number:1)");
	parses("x <> 1", "(!= x number:1)");
	parses("x == 1", "(= x number:1)");
	parses("x<1", "(< x number:1)");
	parses("x<=1", "(<= x number:1)");
	parses("x>1", "(> x number:1)");
	parses("x>=-1.50", "(>= x number:-1.50)");
	parses("x ~ a", "(~ x word:a)");
	parses("x !~ a", "(!~ x word:a)");
	parses("x in (1, 'b', c)", "(in x number:1 \"b\" word:c)");
	parses("x not in (1)", "(not in x number:1)");
	parses("x is empty", "(is empty x)");
	parses("x IS NOT EMPTY", "(is not empty x)");
	parses("x = true or y = FALSE", "(or (= x bool:true) (= y bool:false))");
	parses("x = 2024-01-31", "(= x date:2024-01-31)");
	parses("x = 2024-02-29T23:59:59.123456+05:30", "(= x timestamp:2024-02-29T23:59:59.123456+05:30)");
	parses("x = 2024-01-31T09:00Z", "(= x timestamp:2024-01-31T09:00Z)");
	parses("x = 2024-01-31T09:00-0500", "(= x timestamp:2024-01-31T09:00-0500)");
	parses("x = follow-up", "(= x word:follow-up)");
	parses("lead.\"first name\" = 1", "(= lead.\"first name\" number:1)");
	parses("sequence.'Spring promo'.status = pending", "(= sequence.\"Spring promo\".status word:pending)");
	parses("lead . x = 1", "(= lead.x number:1)");
	parses("\n\t x\n=\n1 \n", "(= x number:1)");
}

static void
test_strings(void)
{
	parses("x = 'it''s'", "(= x \"it's\")");
	parses("x = \"say \"\"hi\"\"\"", "(= x \"say \\\"hi\\\"\")");
	parses("x = 'a\\'b'", "(= x \"a'b\")");
	parses("x = \"a\\\"b\"", "(= x \"a\\\"b\")");
	parses("x = 'a\\\\b'", "(= x \"a\\\\b\")");
	parses("x = 'tab\\there'", "(= x \"tab\there\")");
	parses("x = 'nl\\n\\r\\b\\f\\/'", "(= x \"nl\n\r\b\f/\")");
	parses("x = '\\u00e9\\u20AC'", "(= x \"é€\")");
	parses("x = '\\ud83d\\ude00'", "(= x \"😀\")");
	parses("x = ''", "(= x \"\")");
	parses("x = \"\"", "(= x \"\")");
	parses("x = 'multi\nline'", "(= x \"multi\nline\")");
	parses("x = '; DROP TABLE lead; --'", "(= x \"; DROP TABLE lead; --\")");
	parses("x = 'ʼ＇'", "(= x \"ʼ＇\")");
	parses("x = '\x01\x7f'", "(= x \"\x01\x7f\")");
}

static void
test_syntax_errors(void)
{
	fails("", SQ_ERR_SYNTAX, 1, 1, "empty query: expected a condition such as lead.bulkimport_id = 123");
	fails("   \n ", SQ_ERR_SYNTAX, 1, 1, NULL);
	fails("lead.first_name =", SQ_ERR_SYNTAX, 1, 18, "expected a value after '='");
	fails("lead.first_name = and x = 1", SQ_ERR_SYNTAX, 1, 19, "expected a value after '=', found 'and'");
	fails("lead.x = null", SQ_ERR_SYNTAX, 1, 10, "expected a value after '='; write is empty to match a missing value");
	fails("lead.x", SQ_ERR_SYNTAX, 1, 7,
		  "expected an operator (=, !=, <, <=, >, >=, ~, !~, in, is empty) after lead.x");
	fails("lead.x 5", SQ_ERR_SYNTAX, 1, 8,
		  "expected an operator (=, !=, <, <=, >, >=, ~, !~, in, is empty) after lead.x, found '5'");
	fails("lead.x = 1 lead.y = 2", SQ_ERR_SYNTAX, 1, 12,
		  "expected and, or or the end of the query after a condition, found 'lead'");
	fails("(lead.x = 1", SQ_ERR_SYNTAX, 1, 12, "expected and, or or ')' after a condition");
	fails("lead.x = 1)", SQ_ERR_SYNTAX, 1, 11, "expected and, or or the end of the query after a condition, found ')'");
	fails("lead.x = 1 and", SQ_ERR_SYNTAX, 1, 15, "expected a field such as lead.<column>, tag or phone");
	fails("and lead.x = 1", SQ_ERR_SYNTAX, 1, 1, "expected a field such as lead.<column>, tag or phone, found 'and'");
	fails("true = 1", SQ_ERR_SYNTAX, 1, 1, NULL);
	fails("5 = lead.x", SQ_ERR_SYNTAX, 1, 1, "expected a field such as lead.<column>, tag or phone, found '5'");
	fails("lead. = 1", SQ_ERR_SYNTAX, 1, 7, "expected a name after '.', found '='");
	fails("lead.x in 1", SQ_ERR_SYNTAX, 1, 11, "expected '(' after in, found '1'");
	fails("lead.x in ()", SQ_ERR_SYNTAX, 1, 12, "expected a value after '(', found ')'");
	fails("lead.x in (1,)", SQ_ERR_SYNTAX, 1, 14, "expected a value after ',', found ')'");
	fails("lead.x in (1 2)", SQ_ERR_SYNTAX, 1, 14, "expected ',' or ')' after a value in the list, found '2'");
	fails("lead.x not like 1", SQ_ERR_SYNTAX, 1, 12, "expected in after not, found 'like'");
	fails("lead.x is null", SQ_ERR_SYNTAX, 1, 11, "expected empty after is, found 'null'");
	fails("lead.x is not", SQ_ERR_SYNTAX, 1, 14, "expected empty after is not");
	fails("lead.x = 1; DROP TABLE x", SQ_ERR_SYNTAX, 1, 11,
		  "expected and, or or the end of the query after a condition, found ';'");
	fails("lead.x = 1 -- comment", SQ_ERR_SYNTAX, 1, 12, NULL);
	fails("lead.x = 1 /* c */", SQ_ERR_SYNTAX, 1, 12,
		  "expected and, or or the end of the query after a condition, found '/'");
	fails("lead.x = $$a$$", SQ_ERR_SYNTAX, 1, 10, "expected a value after '=', found '$'");
	fails("lead.x = $1", SQ_ERR_SYNTAX, 1, 10, "expected a value after '=', found '$'");
	fails("lead.x = \\x", SQ_ERR_SYNTAX, 1, 10, "expected a value after '=', found '\\'");
	fails("lead.x = ＇a＇", SQ_ERR_SYNTAX, 1, 10, "expected a value after '=', found '＇' (U+FF07)");
	fails("lead.x = ʼaʼ", SQ_ERR_SYNTAX, 1, 10, "expected a value after '=', found 'ʼ' (U+02BC)");
	fails("lead.x ＝ 1", SQ_ERR_SYNTAX, 1, 8, NULL);
	fails("lead.x = \x01", SQ_ERR_SYNTAX, 1, 10, "expected a value after '=', found the control character U+0001");
	fails("lead.x = 'abc", SQ_ERR_SYNTAX, 1, 10, "unterminated string: expected a closing '");
	fails("lead.x = \"abc", SQ_ERR_SYNTAX, 1, 10, "unterminated string: expected a closing \"");
	fails("lead.x = 'abc\\'", SQ_ERR_SYNTAX, 1, 10, NULL);
	fails("lead.x = 'a\\qb'", SQ_ERR_SYNTAX, 1, 12, "unknown escape in string: write \\\\ for a backslash");
	fails("lead.x = 'a\\u12'", SQ_ERR_SYNTAX, 1, 12, "expected four hex digits after \\u");
	fails("lead.x = '\\ud83d'", SQ_ERR_SYNTAX, 1, 11, "unpaired surrogate in \\u escape");
	fails("lead.x = '\\ude00'", SQ_ERR_SYNTAX, 1, 11, "unpaired surrogate in \\u escape");
	fails("lead.x = '\\u0000'", SQ_ERR_VALUE, 1, 11, "\\u0000 is not allowed in a string");
	fails("lead.x = 12abc", SQ_ERR_SYNTAX, 1, 10, "malformed number: quote values that mix digits and letters");
	fails("lead.x = 1.", SQ_ERR_SYNTAX, 1, 10, "malformed number: expected digits after '.'");
	fails("lead.x = 1.2.3", SQ_ERR_SYNTAX, 1, 10, NULL);
	fails("lead.x = !1", SQ_ERR_SYNTAX, 1, 10, "expected a value after '=', found '!'");
	fails("lead.x =\n\n  'a\n", SQ_ERR_SYNTAX, 3, 3, "unterminated string: expected a closing '");
	fails("lead.x = 1 and\n  lead.y = ", SQ_ERR_SYNTAX, 2, 12, "expected a value after '='");
	fails("lead.é = 1", SQ_ERR_SYNTAX, 1, 6, "expected a name after '.', found 'é' (U+00E9)");
	fails("lead.x = 'é' and ! ", SQ_ERR_SYNTAX, 1, 18, NULL);
}

static void
test_dates(void)
{
	fails("lead.x = 2024-13-01", SQ_ERR_DATE_RANGE, 1, 10, "date or time out of range: 2024-13-01");
	fails("lead.x = 2023-02-29", SQ_ERR_DATE_RANGE, 1, 10, "date or time out of range: 2023-02-29");
	fails("lead.x = 2024-04-31", SQ_ERR_DATE_RANGE, 1, 10, NULL);
	fails("lead.x = 0000-01-01", SQ_ERR_DATE_RANGE, 1, 10, NULL);
	fails("lead.x = 2024-01-01T24:00", SQ_ERR_DATE_RANGE, 1, 10, NULL);
	fails("lead.x = 2024-01-01T10:60", SQ_ERR_DATE_RANGE, 1, 10, NULL);
	fails("lead.x = 2024-01-01T10:00:61", SQ_ERR_DATE_RANGE, 1, 10, NULL);
	fails("lead.x = 2024-01-01T10:00+16:00", SQ_ERR_DATE_RANGE, 1, 10, NULL);
	fails("lead.x = 2024-1-5", SQ_ERR_DATE, 1, 10,
		  "malformed date: expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with an optional Z or +hh:mm");
	fails("lead.x = 2024-01-05T", SQ_ERR_DATE, 1, 10, NULL);
	fails("lead.x = 2024-01-05T10", SQ_ERR_DATE, 1, 10, NULL);
	fails("lead.x = 2024-01-05T10:00:00.", SQ_ERR_DATE, 1, 10, NULL);
	fails("lead.x = 2024-01-05x", SQ_ERR_DATE, 1, 10, NULL);
	fails("lead.x = 2024-01-05T10:00:00.1234567", SQ_ERR_DATE, 1, 10, NULL);
	parses("lead.x = 2024-02-29", "(= lead.x date:2024-02-29)");
	parses("lead.x = 2000-02-29", "(= lead.x date:2000-02-29)");
	fails("lead.x = 1900-02-29", SQ_ERR_DATE_RANGE, 1, 10, NULL);
	parses("lead.x = 2024-01-05 and y = 1", "(and (= lead.x date:2024-01-05) (= y number:1))");
	fails("lead.x = 12345-6", SQ_ERR_SYNTAX, 1, 10, NULL);
}

static void
test_limits(void)
{
	size_t		n = 100 * 1024;
	char	   *big = malloc(n + 64);
	char	   *p;
	TsError		err;
	SqCompiled	c;
	char	   *sql;

	/* 100 KB is refused whole */
	memset(big, 'a', n);
	memcpy(big, "lead.x = '", 10);
	big[n - 1] = '\'';
	big[n] = '\0';
	fails(big, SQ_ERR_TOO_LONG, 1, 1, "query longer than 65536 bytes");

	/* nesting: 64 parentheses are fine, 65 are not */
	p = big;
	for (int i = 0; i < 64; i++)
		*p++ = '(';
	p += sprintf(p, "tag = a");
	for (int i = 0; i < 64; i++)
		*p++ = ')';
	*p = '\0';
	sql = compile_with(&schema, big, strlen(big), &c, &err);
	UNIT_CHECK(sql != NULL, "64 levels of parentheses compile");
	free(sql);
	sq_compiled_free(&c);
	p = big;
	for (int i = 0; i < 20000; i++)
		*p++ = '(';
	*p = '\0';
	fails(big, SQ_ERR_TOO_DEEP, 1, 65, "nesting deeper than 64 levels");
	p = big;
	for (int i = 0; i < 10000; i++)
		p += sprintf(p, "not ");
	sprintf(p, "tag = a");
	fails(big, SQ_ERR_TOO_DEEP, 1, 257, "nesting deeper than 64 levels");

	/* long flat chains are loops, not recursion */
	p = big;
	for (int i = 0; i < 3000; i++)
		p += sprintf(p, "%stag = t%d", i ? " or " : "", i);
	sql = compile_with(&schema, big, strlen(big), &c, &err);
	UNIT_CHECK(sql != NULL, "3000 or-ed conditions compile");
	UNIT_EQ_INT(c.nparams, 3000);
	free(sql);
	sq_compiled_free(&c);

	/* lists: 10000 values fine, 10001 not */
	p = big + sprintf(big, "lead.id in (");
	for (int i = 0; i < 10001; i++)
		p += sprintf(p, "%s%d", i ? "," : "", i % 10);
	sprintf(p, ")");
	fails(big, SQ_ERR_TOO_LONG, 1, 20013, "more than 10000 values in one list");

	/* NUL bytes and invalid UTF-8 */
	UNIT_CHECK(sq_parse("tag = a\0b", 9, &err) == NULL, "NUL refused");
	UNIT_EQ_INT(err.code, SQ_ERR_SYNTAX);
	UNIT_EQ_INT(err.column, 8);
	UNIT_CHECK(sq_parse("tag = '\xff'", 9, &err) == NULL, "invalid UTF-8 refused");
	UNIT_EQ_STR(err.message, "invalid UTF-8 byte sequence");
	UNIT_EQ_INT(err.column, 8);
	UNIT_CHECK(sq_parse("tag = '\xc3'", 8, &err) == NULL, "truncated UTF-8 refused");
	free(big);
}

static void
test_fields(void)
{
	fails("foo = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1, "unknown field foo");
	fails("lead = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1, "unknown field lead: write lead.<column> or lead.<custom field>");
	fails("lead.a.b = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1,
		  "unknown field lead.a.b: a custom field is one name, e.g. lead.plan or lead.\"plan name\"");
	fails("lead.\"\" = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1, "unknown field lead.\"\": the name is empty");
	fails("\"lead\".x = 1", SQ_ERR_SYNTAX, 1, 1, "expected a field such as lead.<column>, tag or phone, found a quoted string");
	fails("tag = 1 and phone.foo = 1", SQ_ERR_UNKNOWN_FIELD, 1, 13, "unknown field phone.foo");
	fails("sequence = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1, NULL);
	fails("sequence.x.name = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1, NULL);
	fails("bulk.foo = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1, NULL);
	fails("bulk = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1, NULL);
	fails("tag.x = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1, NULL);
	fails("a.b.c.d.e.f.g.h.i = 1", SQ_ERR_UNKNOWN_FIELD, 1, 1, "unknown field: too many parts");
	fails_with(&bare, "lead.plan = gold", SQ_ERR_UNKNOWN_FIELD, 1, 1, "unknown field lead.plan: not a column of the lead table");
	fails_with(&bare, "tag = vip", SQ_ERR_UNKNOWN_FIELD, 1, 1, "unknown field tag: the lead table has no tags");
	fails("lead.x; = 1", SQ_ERR_SYNTAX, 1, 7, NULL);
	/* field names from the user are never SQL: they become a key parameter */
	compiles("lead.\"x; DROP TABLE lead --\" ~ a", "l.fields ->> $1::text ILIKE $2::text",
			 "x; DROP TABLE lead --|%a%");
	/* case: unquoted names match columns as SQL does, quoted ones exactly */
	compiles("LEAD.First_Name = Ann", "l.first_name = $1::text", "Ann");
	compiles("lead.\"First_Name\" = Ann", "l.fields @> $1::jsonb", "{\"First_Name\":\"Ann\"}");
	compiles("lead.\"Odd Name\" = x", "l.\"Odd Name\" = $1::text", "x");
}

static void
test_columns(void)
{
	compiles("lead.bulkimport_id=123", "l.bulkimport_id = $1::bigint", "123");
	compiles("lead.bulkimport_id = '123'", "l.bulkimport_id = $1::bigint", "123");
	compiles("lead.id != 5", "(l.id = $1::bigint) IS NOT TRUE", "5");
	compiles("lead.id < 5", "l.id < $1::bigint", "5");
	compiles("lead.id <= 5", "l.id <= $1::bigint", "5");
	compiles("lead.id > -5", "l.id > $1::bigint", "-5");
	compiles("lead.id >= 5.5", "l.id >= $1::bigint", "5.5");
	compiles("lead.id in (1, 2, '3')", "l.id = ANY ($1::bigint[])", "{1,2,3}");
	compiles("lead.id not in (1)", "(l.id = ANY ($1::bigint[])) IS NOT TRUE", "{1}");
	compiles("lead.first_name ~ 'a_b%c\\\\'", "l.first_name ILIKE $1::text", "%a\\_b\\%c\\\\%");
	compiles("lead.first_name !~ ann", "(l.first_name ILIKE $1::text) IS NOT TRUE", "%ann%");
	compiles("lead.id ~ 12", "l.id::text ILIKE $1::text", "%12%");
	compiles("lead.first_name is empty", "coalesce(octet_length(l.first_name), 0) = 0", "");
	compiles("lead.first_name is not empty", "NOT (coalesce(octet_length(l.first_name), 0) = 0)", "");
	compiles("lead.id is empty", "l.id IS NULL", "");
	compiles("lead.created_at >= 2024-01-01 and lead.created_at < 2024-02-01T00:00Z",
			 "(l.created_at >= $1::timestamp with time zone AND l.created_at < $2::timestamp with time zone)",
			 "2024-01-01|2024-02-01T00:00Z");
	compiles("lead.created_at > today", "l.created_at > $1::timestamp with time zone", "today");
	compiles("lead.active = true", "l.active = $1::boolean", "true");
	compiles("lead.active = 1", "l.active = $1::boolean", "1");
	compiles("lead.tags = vip", "l.tags @> ARRAY[$1::text]", "vip");
	compiles("lead.tags in (a, b)", "l.tags && $1::text[]", "{a,b}");
	compiles("lead.tags ~ v", "EXISTS (SELECT 1 FROM unnest(l.tags) AS u(v) WHERE u.v::text ILIKE $1::text)", "%v%");
	compiles("lead.tags is empty", "coalesce(cardinality(l.tags), 0) = 0", "");
	compiles("lead.uid = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "l.uid = $1::uuid",
			 "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	fails("lead.id = abc", SQ_ERR_VALUE, 1, 11, "expected a number for lead.id, found abc");
	fails("lead.id = true", SQ_ERR_VALUE, 1, 11, NULL);
	fails("lead.id = 2024-01-01", SQ_ERR_VALUE, 1, 11, NULL);
	fails("lead.id in (1, x)", SQ_ERR_VALUE, 1, 16, "expected a number for lead.id, found x");
	fails("lead.created_at = 5", SQ_ERR_VALUE, 1, 19,
		  "expected a date or timestamp such as 2024-01-31 or 2024-01-31T09:00:00Z for lead.created_at, found 5");
	fails("lead.active = 2024-01-01", SQ_ERR_VALUE, 1, 15, "expected true or false for lead.active, found 2024-01-01");
	fails("lead.tags < a", SQ_ERR_OPERATOR, 1, 11,
		  "operator < does not apply to lead.tags; use =, !=, in, ~ or is empty (it is a list)");
}

static void
test_custom(void)
{
	compiles("lead.plan = gold", "l.fields @> $1::jsonb", "{\"plan\":\"gold\"}");
	compiles("lead.plan = 'say \"hi\"\\\\\n'", "l.fields @> $1::jsonb", "{\"plan\":\"say \\\"hi\\\"\\\\\\u000a\"}");
	compiles("lead.\"we\\\"ird\" = x", "l.fields @> $1::jsonb", "{\"we\\\"ird\":\"x\"}");
	compiles("lead.plan != gold", "(l.fields @> $1::jsonb) IS NOT TRUE", "{\"plan\":\"gold\"}");
	compiles("lead.born = 2000-01-31", "l.fields @> $1::jsonb", "{\"born\":\"2000-01-31\"}");
	compiles("lead.score = 5", "textseq._field_number(l.fields -> $1::text) = $2::numeric", "score|5");
	compiles("lead.score > 5", "textseq._field_number(l.fields -> $1::text) > $2::numeric", "score|5");
	compiles("lead.born < 2000-01-01", "l.fields ->> $1::text < $2::text", "born|2000-01-01");
	compiles("lead.name >= m", "l.fields ->> $1::text >= $2::text", "name|m");
	compiles("lead.vip = true", "l.fields ->> $1::text = $2::text", "vip|true");
	compiles("lead.plan ~ go", "l.fields ->> $1::text ILIKE $2::text", "plan|%go%");
	compiles("lead.plan is empty", "coalesce(octet_length(l.fields ->> $1::text), 0) = 0", "plan");
	compiles("lead.plan is not empty", "NOT (coalesce(octet_length(l.fields ->> $1::text), 0) = 0)", "plan");
	compiles("lead.plan in (gold, 'silver')", "l.fields @> ANY ($1::jsonb[])",
			 "{{\"plan\":\"gold\"},{\"plan\":\"silver\"}}");
	compiles("lead.plan in (gold, 2, true, 3)",
			 "(l.fields @> ANY ($1::jsonb[]) OR textseq._field_number(l.fields -> $2::text) = ANY ($3::numeric[])"
			 " OR l.fields ->> $2::text = ANY ($4::text[]))",
			 "{{\"plan\":\"gold\"}}|plan|{2,3}|{true}");
	compiles("lead.plan not in (1)", "(textseq._field_number(l.fields -> $1::text) = ANY ($2::numeric[])) IS NOT TRUE",
			 "plan|{1}");
	fails("lead.plan < true", SQ_ERR_VALUE, 1, 13, "expected a number, a text or a date for lead.plan, found true");
}

static void
test_other_fields(void)
{
	compiles("tag = vip", "l.tags @> ARRAY[$1::text]", "vip");
	compiles("tags = 5", "l.tags @> ARRAY[$1::text]", "5");
	compiles("tag != vip", "(l.tags @> ARRAY[$1::text]) IS NOT TRUE", "vip");
	compiles("tag in (a, b)", "l.tags && $1::text[]", "{a,b}");
	compiles("tag ~ vi", "EXISTS (SELECT 1 FROM unnest(l.tags) AS u(v) WHERE u.v ILIKE $1::text)", "%vi%");
	compiles("tag !~ vi", "NOT (EXISTS (SELECT 1 FROM unnest(l.tags) AS u(v) WHERE u.v ILIKE $1::text))", "%vi%");
	compiles("tag is empty", "coalesce(cardinality(l.tags), 0) = 0", "");
	fails("tag > a", SQ_ERR_OPERATOR, 1, 5, "operator > does not apply to tag; use =, !=, in, not in, ~, !~ or is empty");

	compiles("phone = '+1 201 555 0100'",
			 "EXISTS (SELECT 1 FROM textseq.contact c WHERE c.lead_id = l.id AND c.phone = $1::text)", "+1 201 555 0100");
	compiles("phone != 2015550100",
			 "NOT (EXISTS (SELECT 1 FROM textseq.contact c WHERE c.lead_id = l.id AND c.phone = $1::text))", "2015550100");
	compiles("phone in (a, b)",
			 "EXISTS (SELECT 1 FROM textseq.contact c WHERE c.lead_id = l.id AND c.phone = ANY ($1::text[]))", "{a,b}");
	compiles("phone ~ '(201) 555'",
			 "EXISTS (SELECT 1 FROM textseq.contact c WHERE c.lead_id = l.id AND c.phone LIKE $1::text)", "%201555%");
	compiles("phone is empty", "NOT EXISTS (SELECT 1 FROM textseq.contact c WHERE c.lead_id = l.id)", "");
	compiles("phone is not empty", "NOT (NOT EXISTS (SELECT 1 FROM textseq.contact c WHERE c.lead_id = l.id))", "");
	fails("phone ~ abc", SQ_ERR_VALUE, 1, 9, "expected digits to look for for phone, found abc");
	fails("phone = true", SQ_ERR_VALUE, 1, 9, NULL);
	fails("phone < 1", SQ_ERR_OPERATOR, 1, 7, NULL);

	compiles("phone.opted_out = true",
			 "(EXISTS (SELECT 1 FROM textseq.contact c JOIN textseq.phone p ON p.e164 = c.phone WHERE c.lead_id = l.id AND p.opted_out)"
			 " AND NOT EXISTS (SELECT 1 FROM textseq.contact c JOIN textseq.phone p ON p.e164 = c.phone WHERE c.lead_id = l.id AND NOT p.opted_out))",
			 "");
	compiles("phone.opted_out = false", "NOT (EXISTS (SELECT 1 FROM textseq.contact c JOIN textseq.phone p ON p.e164 = c.phone WHERE c.lead_id = l.id AND p.opted_out)"
			 " AND NOT EXISTS (SELECT 1 FROM textseq.contact c JOIN textseq.phone p ON p.e164 = c.phone WHERE c.lead_id = l.id AND NOT p.opted_out))",
			 "");
	fails("phone.opted_out = yes", SQ_ERR_VALUE, 1, 19, "expected true or false for phone.opted_out, found yes");
	fails("phone.opted_out in (true)", SQ_ERR_OPERATOR, 1, 17, "operator in does not apply to phone.opted_out; use = or != with true or false");
	fails("phone.opted_out is empty", SQ_ERR_OPERATOR, 1, 17, NULL);

	compiles("sequence.status = pending",
			 "EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = l.id AND e.status = $1::textseq.enrollment_status)",
			 "pending");
	compiles("sequence.status not in (pending, 'expired')",
			 "NOT (EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = l.id AND e.status = ANY ($1::textseq.enrollment_status[])))",
			 "{pending,expired}");
	compiles("sequence.'Spring promo'.status = pending",
			 "EXISTS (SELECT 1 FROM textseq.enrollment e JOIN textseq.sequence s ON s.id = e.sequence_id WHERE e.lead_id = l.id"
			 " AND s.name = $1::text AND e.status = $2::textseq.enrollment_status)", "Spring promo|pending");
	compiles("sequence.welcome.status is empty",
			 "NOT EXISTS (SELECT 1 FROM textseq.enrollment e JOIN textseq.sequence s ON s.id = e.sequence_id WHERE e.lead_id = l.id"
			 " AND s.name = $1::text)", "welcome");
	compiles("sequence.name ~ promo",
			 "EXISTS (SELECT 1 FROM textseq.enrollment e JOIN textseq.sequence s ON s.id = e.sequence_id WHERE e.lead_id = l.id"
			 " AND s.name ILIKE $1::text)", "%promo%");
	compiles("sequence.name in (a, 'b c')",
			 "EXISTS (SELECT 1 FROM textseq.enrollment e JOIN textseq.sequence s ON s.id = e.sequence_id WHERE e.lead_id = l.id"
			 " AND s.name = ANY ($1::text[]))", "{a,b c}");
	fails("sequence.status = 5", SQ_ERR_VALUE, 1, 19, "expected a status such as pending for sequence.status, found 5");
	fails("sequence.status ~ pend", SQ_ERR_OPERATOR, 1, 17, NULL);

	compiles("bulk.id = 7", "EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = l.id AND e.bulk_id = $1::bigint)", "7");
	compiles("bulk.id in (7, 8)", "EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = l.id AND e.bulk_id = ANY ($1::bigint[]))", "{7,8}");
	compiles("bulk.id is empty", "NOT EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = l.id AND e.bulk_id IS NOT NULL)", "");
	fails("bulk.id = x", SQ_ERR_VALUE, 1, 11, "expected a bulk id (a number) for bulk.id, found x");
	fails("bulk.id > 1", SQ_ERR_OPERATOR, 1, 9, NULL);

	compiles("bulk.incomplete = 12", "l.id IN (SELECT b.lead_id FROM textseq._bulk_incomplete_leads($1::bigint) AS b(lead_id))", "12");
	compiles("bulk.incomplete != 12", "(l.id IN (SELECT b.lead_id FROM textseq._bulk_incomplete_leads($1::bigint) AS b(lead_id))) IS NOT TRUE", "12");
	compiles("bulk.incomplete in (1, 2)",
			 "l.id IN (SELECT b.lead_id FROM unnest($1::bigint[]) AS u(bulk) CROSS JOIN LATERAL textseq._bulk_incomplete_leads(u.bulk) AS b(lead_id))",
			 "{1,2}");
	fails("bulk.incomplete is empty", SQ_ERR_OPERATOR, 1, 17, NULL);
	fails("bulk.incomplete = true", SQ_ERR_VALUE, 1, 19, NULL);
}

static void
test_logic(void)
{
	compiles("lead.plan = gold and tag = vip and lead.created_at >= 2024-01-01",
			 "(l.fields @> $1::jsonb AND l.tags @> ARRAY[$2::text] AND l.created_at >= $3::timestamp with time zone)",
			 "{\"plan\":\"gold\"}|vip|2024-01-01");
	compiles("not tag = a", "(l.tags @> ARRAY[$1::text]) IS NOT TRUE", "a");
	compiles("not phone is empty", "NOT (NOT EXISTS (SELECT 1 FROM textseq.contact c WHERE c.lead_id = l.id))", "");
	compiles("not (tag = a or bulk.id = 1)",
			 "((l.tags @> ARRAY[$1::text] OR EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = l.id AND e.bulk_id = $2::bigint))) IS NOT TRUE",
			 "a|1");
	compiles("not (bulk.id = 1 and bulk.id = 2)",
			 "NOT ((EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = l.id AND e.bulk_id = $1::bigint)"
			 " AND EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = l.id AND e.bulk_id = $2::bigint)))", "1|2");
	compiles("not not tag = a", "NOT ((l.tags @> ARRAY[$1::text]) IS NOT TRUE)", "a");
	compiles("(tag = a or tag = b) and (lead.id = 1 or lead.id = 2)",
			 "((l.tags @> ARRAY[$1::text] OR l.tags @> ARRAY[$2::text]) AND (l.id = $3::bigint OR l.id = $4::bigint))",
			 "a|b|1|2");
	/* the error is the first in source order, after the whole query parsed */
	fails("tag > a and foo = 1", SQ_ERR_OPERATOR, 1, 5, NULL);
	fails("foo = 1 and tag > a", SQ_ERR_UNKNOWN_FIELD, 1, 1, NULL);
	fails("foo = 1 and tag = ", SQ_ERR_SYNTAX, 1, 19, NULL);
}

/* Values and names are parameters: the SQL never holds a quote, semicolon or comment. */
static void
test_injection(void)
{
	static const char *const corpus[] = {
		"lead.first_name = '''; DROP TABLE textseq.lead; --'",
		"lead.first_name = \"\\\"; DELETE FROM x; /*\"",
		"lead.first_name = '$$; SELECT 1; $$'",
		"lead.first_name = '$1'",
		"lead.plan = 'x\"}' or lead.plan = '\\\\'",
		"lead.\"a'); DROP TABLE t; --\" = 1",
		"lead.\"a' || pg_sleep(10) || '\" ~ x",
		"tag in ('a'';--', \"b/*\")",
		"sequence.\"x'; --\".status = pending",
		"phone ~ \"'; --5\"",
		"lead.plan = 'ʼ＇; --'",
	};

	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
	{
		SqCompiled	c;
		TsError		err;
		char	   *sql = compile_with(&schema, corpus[i], strlen(corpus[i]), &c, &err);

		UNIT_CHECK(sql != NULL, corpus[i]);
		if (sql == NULL)
			continue;
		UNIT_CHECK(strpbrk(sql, "';") == NULL && strstr(sql, "--") == NULL &&
				   strstr(sql, "/*") == NULL && strstr(sql, "$$") == NULL, corpus[i]);
		free(sql);
		sq_compiled_free(&c);
	}
}

int
main(void)
{
	test_tree();
	test_strings();
	test_syntax_errors();
	test_dates();
	test_limits();
	test_fields();
	test_columns();
	test_custom();
	test_other_fields();
	test_logic();
	test_injection();
	UNIT_DONE();
}
