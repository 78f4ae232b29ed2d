/*-------------------------------------------------------------------------
 *
 * fuzz_query.c
 *	  libFuzzer harness of the smartlist query core: parse any bytes, print
 *	  the tree, compile it against two schemas (with and without custom
 *	  fields and tags) whose columns come from a hash of the name, and check
 *	  what must always hold:
 *	  - an error has a code, a 1-based line and column, an offset within the
 *	    input and a UTF-8 message; success leaves no error;
 *	  - the SQL holds no quote, semicolon, comment or dollar quote, and
 *	    only characters the compiler's fixed fragments use;
 *	  - every $n it names is a parameter, every parameter is named, and
 *	    every parameter has values (one for a scalar).
 *
 * Must not know about the server; leaks and overflows are findings
 * (ASan, UBSan, LeakSanitizer).
 *
 *-------------------------------------------------------------------------
 */
#include "core/query.h"

#include <string.h>

/* lead.<name>: a column of a kind chosen by a hash of the name, or a custom field. */
static bool
columns(void *ctx, const char *name, size_t len, bool quoted, SqColumn *out)
{
	static const char *const sql[] = {"l.c_text", "l.c_num", "l.c_time", "l.c_bool", "l.c_arr", "l.c_other"};
	static const char *const type[] = {"text", "bigint", "date", "boolean", "text[]", "uuid"};
	uint32_t	h = 2166136261u ^ (quoted ? 1u : 0u);

	(void) ctx;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char) name[i]) * 16777619u;
	if (h % 8 >= 6)
		return false;
	out->kind = (SqColKind) (h % 8);
	out->sql = sql[h % 8];
	out->type_sql = type[h % 8];
	out->type_id = h % 8;
	out->elem_sql = (out->kind == SQ_COL_ARRAY) ? "text" : NULL;
	out->elem_id = 25;
	return true;
}

static void
check_error(const TsError *err, size_t size)
{
	if (err->code == 0 || err->line < 1 || err->column < 1 || err->offset < 0 ||
		(size_t) err->offset > size || err->message[0] == '\0' ||
		!ts_utf8_valid(err->message, strlen(err->message)))
		__builtin_trap();
}

/* The SQL is fixed fragments, the schema's names and $n::type: nothing typed by the user. */
static void
check_sql(const SqCompiled *c)
{
	const char *s = c->sql.data;
	bool		seen[64] = {false};

	if (s == NULL || strpbrk(s, "';\"\\") != NULL || strstr(s, "--") != NULL ||
		strstr(s, "/*") != NULL || strstr(s, "$$") != NULL)
		__builtin_trap();
	for (size_t i = 0; s[i]; i++)
	{
		unsigned char ch = (unsigned char) s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  strchr(" _.,()$:<>=!@&[]-", ch) != NULL))
			__builtin_trap();
		if (ch == '$')
		{
			long		n = 0;

			while (s[i + 1] >= '0' && s[i + 1] <= '9')
				n = n * 10 + (s[++i] - '0');
			if (n < 1 || n > c->nparams)
				__builtin_trap();
			if (n <= 64)
				seen[n - 1] = true;
		}
	}
	for (int i = 0; i < c->nparams; i++)
	{
		if (i < 64 && !seen[i])
			__builtin_trap();
		if (c->params[i].nvalues < 1 || (!c->params[i].array && c->params[i].nvalues != 1))
			__builtin_trap();
		for (int j = 0; j < c->params[i].nvalues; j++)
			if (c->params[i].values[j].text == NULL ||
				strlen(c->params[i].values[j].text) != c->params[i].values[j].len)
				__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const SqSchema full = {"l.id", "l.fields", "l.tags", columns, NULL};
	static const SqSchema bare = {"l.id", NULL, NULL, columns, NULL};
	const SqSchema *schemas[] = {&full, &bare};
	TsError		err;
	SqQuery    *q = sq_parse((const char *) data, size, &err);
	TsBuf		tree;

	if (q == NULL)
	{
		check_error(&err, size);
		return 0;
	}
	if (err.code != 0)
		__builtin_trap();
	tsbuf_init(&tree);
	sq_dump(q, &tree);
	if (tree.len == 0)
		__builtin_trap();
	tsbuf_free(&tree);
	for (int k = 0; k < 2; k++)
	{
		SqCompiled	c;

		if (sq_compile(q, schemas[k], &c, &err))
		{
			check_sql(&c);
			sq_compiled_free(&c);
		}
		else
		{
			check_error(&err, size);
			if (c.nparams != 0 || c.sql.data != NULL)
				__builtin_trap();
		}
	}
	sq_free(q);
	return 0;
}
