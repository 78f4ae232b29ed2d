/*-------------------------------------------------------------------------
 *
 * render.c
 *	  SQL interface of merge rendering: textseq.render(template, jsonb),
 *	  textseq.template_check(template, lead_table), template_validate and
 *	  render_cache_stats.
 *
 * Glue only: the template language lives in src/core/tmpl*.c, the cache in
 * render_cache.c.  This file walks jsonb for the core's resolver and turns
 * the core's TsError into ereport with a specific SQLSTATE.
 *
 *-------------------------------------------------------------------------
 */
#include "render.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(textseq_render_template);
PG_FUNCTION_INFO_V1(textseq_render_try);
PG_FUNCTION_INFO_V1(textseq_render_problem);
PG_FUNCTION_INFO_V1(textseq_render_check);
PG_FUNCTION_INFO_V1(textseq_render_validate);
PG_FUNCTION_INFO_V1(textseq_render_cache_stats);

/* Problems only the glue finds, numbered after the core's TmplErrorCode. */
#define RENDER_ERR_UNKNOWN_FIELD 100
#define RENDER_ERR_TOO_LONG 101

/* The SQLSTATE of a problem code. */
static int
problem_sqlstate(int code)
{
	switch (code)
	{
		case TMPL_ERR_UNKNOWN_FILTER:
			return ERRCODE_UNDEFINED_FUNCTION;
		case TMPL_ERR_FILTER_ARG:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case TMPL_ERR_TOO_DEEP:
			return ERRCODE_STATEMENT_TOO_COMPLEX;
		case TMPL_ERR_RENDER_LIMIT:
		case RENDER_ERR_TOO_LONG:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case RENDER_ERR_UNKNOWN_FIELD:
			return ERRCODE_UNDEFINED_COLUMN;
		default:
			return ERRCODE_SYNTAX_ERROR;
	}
}

/* The short primary message of a problem code. */
static const char *
problem_errmsg(int code)
{
	switch (code)
	{
		case TMPL_ERR_UNKNOWN_TAG:
			return "unknown template tag";
		case TMPL_ERR_UNKNOWN_FILTER:
			return "unknown template filter";
		case TMPL_ERR_FILTER_ARG:
			return "invalid template filter argument";
		case TMPL_ERR_TOO_DEEP:
			return "template nesting too deep";
		case TMPL_ERR_RENDER_LIMIT:
			return "rendered template too long";
		case RENDER_ERR_UNKNOWN_FIELD:
			return "unknown lead field in template";
		case RENDER_ERR_TOO_LONG:
			return "template too long";
		default:
			return "template syntax error";
	}
}

/* Throw a template problem as an error with its SQLSTATE and position. */
static void
report_problem(const TsError *e)
{
	ereport(ERROR,
			errcode(problem_sqlstate(e->code)),
			errmsg("%s", problem_errmsg(e->code)),
			errdetail("Line %d, column %d: %s.", e->line, e->column, e->message),
			e->code == TMPL_ERR_UNKNOWN_FILTER ?
			errhint("The filters are default, upcase, downcase, capitalize, truncate, strip, append, prepend and replace.") :
			e->code == TMPL_ERR_UNKNOWN_TAG ?
			errhint("The tags are if, elsif, else, endif, unless, endunless, comment, raw and #.") : 0);
}

/* The value of a jsonb scalar or container, as the template core sees it. */
static void
value_from_jsonb(const JsonbValue *jv, TmplValue *out, bool with_items);

/*
 * The elements of a jsonb array, nested arrays' elements too (an array
 * prints as its elements one after the other, as in Liquid).
 */
static void
array_items(JsonbContainer *c, TmplValue *out)
{
	int			n = JsonContainerSize(c);
	TmplValue  *items = palloc0(sizeof(TmplValue) * Max(n, 1));

	check_stack_depth();
	for (int i = 0; i < n; i++)
	{
		JsonbValue *el = getIthJsonbValueFromContainer(c, i);

		if (el != NULL)
			value_from_jsonb(el, &items[i], true);
	}
	out->items = items;
}

static void
value_from_jsonb(const JsonbValue *jv, TmplValue *out, bool with_items)
{
	memset(out, 0, sizeof(*out));
	switch (jv->type)
	{
		case jbvString:
			out->kind = TMPL_STRING;
			out->str = jv->val.string.val;
			out->len = jv->val.string.len;
			break;
		case jbvNumeric:
			out->kind = TMPL_NUMBER;
			out->str = DatumGetCString(DirectFunctionCall1(numeric_out,
														   NumericGetDatum(jv->val.numeric)));
			out->len = strlen(out->str);
			break;
		case jbvBool:
			out->kind = TMPL_BOOL;
			out->boolean = jv->val.boolean;
			break;
		case jbvBinary:
			{
				JsonbContainer *c = jv->val.binary.data;

				out->kind = JsonContainerIsObject(c) ? TMPL_OBJECT : TMPL_ARRAY;
				out->str = JsonbToCString(NULL, c, jv->val.binary.len);
				out->len = strlen(out->str);
				out->nitems = JsonContainerSize(c);
				if (with_items && out->kind == TMPL_ARRAY)
					array_items(c, out);
				break;
			}
		default:
			out->kind = TMPL_NIL;
			break;
	}
}

/* A path segment made only of digits, as an array index (-1 if not). */
static int
segment_index(const TmplSeg *seg)
{
	int			n = 0;

	if (seg->len == 0 || seg->len > 9)
		return -1;
	for (int i = 0; i < seg->len; i++)
	{
		if (seg->name[i] < '0' || seg->name[i] > '9')
			return -1;
		n = n * 10 + (seg->name[i] - '0');
	}
	return n;
}

/*
 * What the resolver walks: the document, and the last top-level object it
 * looked up (templates say lead.x, lead.y, ... : one lookup of "lead").
 */
typedef struct JsonbDoc
{
	JsonbContainer *root;
	const char *memo_name;
	int			memo_len;
	TmplSegKind memo_kind;
	JsonbContainer *memo;		/* the container under memo_name, NULL if none */
} JsonbDoc;

/* An array element by index, negative counting from the end (NULL when out of range). */
static JsonbValue *
jsonb_element(JsonbContainer *c, long long index)
{
	long long	n = JsonContainerSize(c);

	if (index < 0)
		index += n;
	if (index < 0 || index >= n)
		return NULL;
	return getIthJsonbValueFromContainer(c, (uint32) index);
}

/*
 * Look one step up in a container: .name and ["key"] are object keys, and
 * .0 and [0] array indexes; ["0"] is no index and [0] no key, as in Liquid.
 */
static JsonbValue *
jsonb_step(JsonbContainer *c, const TmplSeg *seg, JsonbValue *buf)
{
	bool		array = JsonContainerIsArray(c) && !JsonContainerIsScalar(c);

	if (JsonContainerIsObject(c) && seg->kind != TMPL_SEG_INDEX)
		return getKeyJsonValueFromContainer(c, seg->name, seg->len, buf);
	if (array && seg->kind == TMPL_SEG_INDEX)
		return jsonb_element(c, seg->index);
	if (array && seg->kind == TMPL_SEG_NAME && segment_index(seg) >= 0)
		return jsonb_element(c, segment_index(seg));
	return NULL;
}

/* The container under the first step, remembered from the previous lookup. */
static JsonbContainer *
jsonb_first(JsonbDoc *doc, const TmplSeg *seg)
{
	JsonbValue	buf,
			   *v;

	if (seg->kind == TMPL_SEG_INDEX)
	{
		v = jsonb_step(doc->root, seg, &buf);
		return v != NULL && v->type == jbvBinary ? v->val.binary.data : NULL;
	}
	if (doc->memo_name != NULL && doc->memo_kind == seg->kind && doc->memo_len == seg->len &&
		memcmp(doc->memo_name, seg->name, seg->len) == 0)
		return doc->memo;
	v = jsonb_step(doc->root, seg, &buf);
	doc->memo_name = seg->name;
	doc->memo_len = seg->len;
	doc->memo_kind = seg->kind;
	doc->memo = v != NULL && v->type == jbvBinary ? v->val.binary.data : NULL;
	return doc->memo;
}

/*
 * The template core's resolver over a jsonb document: each step is an
 * object key or an array index, walking nested containers.
 */
static bool
jsonb_resolve(void *ctx, const TmplSeg *segs, int nsegs, TmplValue *out)
{
	JsonbDoc   *doc = ctx;
	JsonbContainer *c;
	JsonbValue	buf,
			   *found = NULL;
	int			i = 0;

	if (nsegs <= 0)
		return false;
	c = doc->root;
	if (nsegs > 1)
	{
		c = jsonb_first(doc, &segs[0]);
		if (c == NULL)
			return false;
		i = 1;
	}
	for (; i < nsegs; i++)
	{
		found = jsonb_step(c, &segs[i], &buf);
		if (found == NULL)
			return false;
		if (i < nsegs - 1)
		{
			if (found->type != jbvBinary)
				return false;
			c = found->val.binary.data;
		}
	}
	value_from_jsonb(found, out, true);
	return true;
}

/*
 * Render template with data, or return NULL with err set.  The text is
 * rendered straight into the result varlena (VARHDRSZ bytes are reserved up
 * front), saving a copy per row.  The caller's fn_extra keeps the cache hint.
 */
static text *
render_text(FunctionCallInfo fcinfo, text *tpl, Jsonb *data, TsError *err)
{
	RenderCacheHint *hint = fcinfo->flinfo->fn_extra;
	JsonbDoc	doc = {&data->root, NULL, 0, TMPL_SEG_NAME, NULL};
	TsBuf		out;
	bool		owned;
	bool		ok;
	const Tmpl *t;

	if (hint == NULL)
		hint = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RenderCacheHint));
	t = render_cache_get(VARDATA_ANY(tpl), VARSIZE_ANY_EXHDR(tpl), err, &owned, hint);
	if (t == NULL)
		return NULL;
	tsbuf_init(&out);
	out.cap = VARHDRSZ + VARSIZE_ANY_EXHDR(tpl) + 64;
	out.data = palloc(out.cap);
	out.len = VARHDRSZ;
	ok = tmpl_render(t, jsonb_resolve, &doc, &out, err);
	if (owned)
		tmpl_free((Tmpl *) t);
	if (!ok)
		return NULL;
	SET_VARSIZE(out.data, out.len);
	return (text *) out.data;
}

/* textseq.render(template text, data jsonb) RETURNS text */
Datum
textseq_render_template(PG_FUNCTION_ARGS)
{
	TsError		err;
	text	   *result = render_text(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_JSONB_P(1), &err);

	if (result == NULL)
		report_problem(&err);
	PG_RETURN_TEXT_P(result);
}

/*
 * textseq._try_render(template text, data jsonb) RETURNS text: render, but
 * NULL instead of an error (the claim gives that message its own verdict).
 */
Datum
textseq_render_try(PG_FUNCTION_ARGS)
{
	TsError		err;
	text	   *result = render_text(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_JSONB_P(1), &err);

	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(result);
}

/*
 * textseq._render_problem(template text, data jsonb) RETURNS text: why
 * render() fails for these arguments ("<message>: line L, column C: <what>"),
 * or NULL when it does not.
 */
Datum
textseq_render_problem(PG_FUNCTION_ARGS)
{
	TsError		err;

	if (render_text(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_JSONB_P(1), &err) != NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s: line %d, column %d: %s",
											  problem_errmsg(err.code), err.line,
											  err.column, err.message)));
}

/* Problems of one template_check call, gathered before sorting. */
typedef struct CheckState
{
	const char *src;
	size_t		len;
	Oid			relid;
	TsError    *items;
	int			count;
	int			cap;
} CheckState;

/* Add a problem to the list. */
static TsError *
check_add(CheckState *cs)
{
	if (cs->count == cs->cap)
	{
		cs->cap = cs->cap ? cs->cap * 2 : 16;
		cs->items = cs->items ? repalloc(cs->items, sizeof(TsError) * cs->cap)
			: palloc(sizeof(TsError) * cs->cap);
	}
	return &cs->items[cs->count++];
}

/*
 * A path lead.<x>... or lead["<x>"]...: is <x> a column of the lead table?
 * Records a problem if not.  lead[field] cannot be checked: its key is
 * known only when rendering.
 */
static void
check_lead_path(void *ctx, const TmplSeg *segs, int nsegs, size_t offset)
{
	CheckState *cs = ctx;
	char	   *column;
	AttrNumber	attnum;

	if (nsegs < 2 || segs[0].kind == TMPL_SEG_EXPR || segs[0].kind == TMPL_SEG_INDEX ||
		segs[0].len != 4 || memcmp(segs[0].name, "lead", 4) != 0 ||
		(segs[1].kind != TMPL_SEG_NAME && segs[1].kind != TMPL_SEG_KEY))
		return;
	column = pnstrdup(segs[1].name, segs[1].len);
	attnum = get_attnum(cs->relid, column);
	if (attnum == InvalidAttrNumber || attnum < 0)
	{
		char	   *rel = get_rel_name(cs->relid);

		/* clip on a character boundary: the message must stay valid text */
		column[pg_mbcliplen(column, segs[1].len, NAMEDATALEN)] = '\0';
		ts_error_set(check_add(cs), RENDER_ERR_UNKNOWN_FIELD, cs->src, cs->len,
					 segs[1].offset, "lead field \"%s\" is not a column of %s",
					 column, rel ? rel : "the lead table");
	}
	pfree(column);
}

/* Sort problems by position, stably: insertion sort (the lists are short and nearly sorted). */
static void
sort_problems(TsError *items, int n)
{
	for (int i = 1; i < n; i++)
	{
		TsError		e = items[i];
		int			j = i;

		while (j > 0 && items[j - 1].offset > e.offset)
		{
			items[j] = items[j - 1];
			j--;
		}
		items[j] = e;
	}
}

/* Every problem of a template, in source order; lead paths checked when relid is valid. */
static void
collect_problems(CheckState *cs)
{
	TmplProblems *pr = palloc(sizeof(TmplProblems));
	Tmpl	   *t = tmpl_parse_all(cs->src, cs->len, pr);

	if (cs->len > RENDER_MAX_TEMPLATE)
		ts_error_set(check_add(cs), RENDER_ERR_TOO_LONG, cs->src, cs->len, RENDER_MAX_TEMPLATE,
					 "the template is %zu bytes, over the limit of %d bytes",
					 cs->len, RENDER_MAX_TEMPLATE);
	for (int i = 0; i < pr->count; i++)
		*check_add(cs) = pr->items[i];
	if (OidIsValid(cs->relid))
		tmpl_foreach_path(t, check_lead_path, cs);
	tmpl_free(t);
	pfree(pr);
	sort_problems(cs->items, cs->count);
}

/* textseq.template_check(template text, lead_table regclass) RETURNS TABLE(line, col, sqlstate, message) */
Datum
textseq_render_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CheckState	cs;
	text	   *tpl;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	tpl = PG_GETARG_TEXT_PP(0);
	memset(&cs, 0, sizeof(cs));
	cs.src = VARDATA_ANY(tpl);
	cs.len = VARSIZE_ANY_EXHDR(tpl);
	cs.relid = PG_ARGISNULL(1) ? InvalidOid : PG_GETARG_OID(1);
	collect_problems(&cs);
	for (int i = 0; i < cs.count; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum(cs.items[i].line);
		values[1] = Int32GetDatum(cs.items[i].column);
		values[2] = CStringGetTextDatum(unpack_sql_state(problem_sqlstate(cs.items[i].code)));
		values[3] = CStringGetTextDatum(cs.items[i].message);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* textseq.template_validate(template text) RETURNS void: raise the first problem. */
Datum
textseq_render_validate(PG_FUNCTION_ARGS)
{
	text	   *tpl = PG_GETARG_TEXT_PP(0);
	CheckState	cs;

	memset(&cs, 0, sizeof(cs));
	cs.src = VARDATA_ANY(tpl);
	cs.len = VARSIZE_ANY_EXHDR(tpl);
	if (cs.len > RENDER_MAX_TEMPLATE)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("template too long"),
				errdetail("The template is %zu bytes; the limit is %d bytes.",
						  cs.len, RENDER_MAX_TEMPLATE),
				errhint("Split the message into several steps."));
	collect_problems(&cs);
	if (cs.count > 0)
		report_problem(&cs.items[0]);
	PG_RETURN_VOID();
}

/* textseq.render_cache_stats() RETURNS (entries int, hits bigint, misses bigint) */
Datum
textseq_render_cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int			entries;
	int64		hits,
				misses;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("render_cache_stats must be called in a context that accepts a record"));
	render_cache_counts(&entries, &hits, &misses);
	values[0] = Int32GetDatum(entries);
	values[1] = Int64GetDatum(hits);
	values[2] = Int64GetDatum(misses);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
