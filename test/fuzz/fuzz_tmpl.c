/*-------------------------------------------------------------------------
 *
 * fuzz_tmpl.c
 *	  libFuzzer harness of the template core: parse any bytes (collecting
 *	  every problem and walking every path), then render what parses with a
 *	  synthetic resolver whose values (nil, strings, numbers, booleans,
 *	  arrays, objects, and the input itself) depend on the path's name.
 *
 * Must not know about jsonb or the server; leaks and overflows are
 * findings (ASan, UBSan, LeakSanitizer).
 *
 *-------------------------------------------------------------------------
 */
#include "core/tmpl.h"

#include <string.h>

static const uint8_t *fuzz_data;
static size_t fuzz_size;

static const TmplValue items[] = {
	{TMPL_STRING, false, "vip", 3, NULL, 0},
	{TMPL_NUMBER, false, "7", 1, NULL, 0},
	{TMPL_NIL, false, NULL, 0, NULL, 0},
	{TMPL_ARRAY, false, "[]", 2, NULL, 0},
};

/* A value chosen by a hash of the path; some paths are missing. */
static bool
resolve(void *ctx, const TmplSeg *segs, int nsegs, TmplValue *out)
{
	uint32_t	h = 2166136261u;

	(void) ctx;
	for (int i = 0; i < nsegs; i++)
	{
		if (segs[i].kind == TMPL_SEG_EXPR)
			__builtin_trap();	/* the renderer resolves [path] steps first */
		h = (h ^ (uint32_t) segs[i].kind) * 16777619u;
		if (segs[i].kind == TMPL_SEG_INDEX)
			h = (h ^ (uint32_t) segs[i].index) * 16777619u;
		else
			for (int j = 0; j < segs[i].len; j++)
				h = (h ^ (unsigned char) segs[i].name[j]) * 16777619u;
	}
	memset(out, 0, sizeof(*out));
	switch (h % 10)
	{
		case 0:
			return false;
		case 1:
			out->kind = TMPL_NIL;
			break;
		case 2:
			out->kind = TMPL_STRING;
			out->str = "Émile ß łódź ИВАН αβγ 😀 ";
			out->len = strlen(out->str);
			break;
		case 3:
			out->kind = TMPL_NUMBER;
			out->str = (h & 16) ? "42" : "-7.50";
			out->len = strlen(out->str);
			break;
		case 4:
			out->kind = TMPL_BOOL;
			out->boolean = (h & 16) != 0;
			break;
		case 5:
			out->kind = TMPL_ARRAY;
			out->str = "[\"vip\", 7, null, []]";
			out->len = strlen(out->str);
			out->items = (h & 16) ? items : NULL;
			out->nitems = (h & 16) ? 4 : 0;
			break;
		case 6:
			out->kind = TMPL_OBJECT;
			out->str = "{}";
			out->len = 2;
			out->nitems = (int) (h % 3);
			break;
		case 7:
			out->kind = TMPL_STRING;
			out->str = "";
			break;
		default:
			out->kind = TMPL_STRING;	/* the input itself: arbitrary bytes */
			out->str = (const char *) fuzz_data;
			out->len = fuzz_size;
			break;
	}
	return true;
}

/* Count paths; touching every segment checks the tree's pointers. */
static void
visit_path(void *ctx, const TmplSeg *segs, int nsegs, size_t offset)
{
	size_t	   *n = ctx;

	for (int i = 0; i < nsegs; i++)
	{
		*n += segs[i].len > 0 ? (unsigned char) segs[i].name[0] : 0;
		*n += segs[i].offset;
	}
	*n += offset;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TmplProblems problems;
	TsError		err;
	TsBuf		out;
	Tmpl	   *t;
	size_t		n = 0;

	fuzz_data = data;
	fuzz_size = size;
	t = tmpl_parse_all((const char *) data, size, &problems);
	tmpl_foreach_path(t, visit_path, &n);
	tmpl_free(t);

	t = tmpl_parse((const char *) data, size, &err);
	if (t == NULL)
	{
		if (err.code == 0 || problems.count == 0)
			__builtin_trap();	/* both parse entry points must agree */
		return 0;
	}
	if (problems.count != 0)
		__builtin_trap();
	tsbuf_init(&out);
	if (!tmpl_render(t, resolve, NULL, &out, &err) && err.code != TMPL_ERR_RENDER_LIMIT)
		__builtin_trap();
	if (out.len > TMPL_MAX_OUTPUT)
		__builtin_trap();
	tsbuf_free(&out);
	tmpl_free(t);
	return 0;
}
