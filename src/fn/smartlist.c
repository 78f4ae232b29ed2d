/*-------------------------------------------------------------------------
 *
 * smartlist.c
 *	  SQL interface of the smartlist query language: smartlist_sql,
 *	  smartlist_leads, smartlist_params and smartlist_explain.
 *
 * Glue only: the language lives in src/core/query*.c.  This file finds the
 * lead relation through textseq._lead_source() (the one place a mapped CRM
 * table will replace), answers the core's "is lead.<name> a column?" from
 * the catalog (names quoted with quote_identifier, never taken from the
 * query), binds every value as a parameter through its type's input
 * function, and runs the statement with SPI as the caller: privileges and
 * row-level security on the lead table apply.  Core errors become ereport
 * with their SQLSTATE and the position in the query.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tstoreReceiver.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/params.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "core/phone.h"
#include "core/query.h"

PG_FUNCTION_INFO_V1(textseq_smartlist_sql);
PG_FUNCTION_INFO_V1(textseq_smartlist_leads);
PG_FUNCTION_INFO_V1(textseq_smartlist_params);
PG_FUNCTION_INFO_V1(textseq_smartlist_explain);

/* Queries longer than this are not echoed back in error reports. */
#define SL_ECHO_MAX 1024

/* The lead relation as the core sees it, and what the glue needs around it. */
typedef struct SlSchema
{
	Oid			relid;
	char	   *rel_sql;		/* textseq.lead */
	char	   *select_sql;		/* l.id (::bigint when the key is narrower) */
	SqSchema	core;
} SlSchema;

/* A compiled query, bound: the statement and its parameters. */
typedef struct SlQuery
{
	const char *query;			/* as given (server encoding), for error reports */
	const char *src;			/* as the core saw it (UTF-8) */
	size_t		len;
	char	   *stmt;			/* SELECT l.id FROM ... l WHERE ... */
	SqCompiled	c;
	int			nargs;
	Oid		   *types;
	Datum	   *values;
} SlQuery;

/* ---- errors ---------------------------------------------------------------- */

/* The SQLSTATE of a core error code. */
static int
sl_sqlstate(int code)
{
	switch (code)
	{
		case SQ_ERR_UNKNOWN_FIELD:
			return ERRCODE_UNDEFINED_COLUMN;
		case SQ_ERR_OPERATOR:
			return ERRCODE_UNDEFINED_FUNCTION;
		case SQ_ERR_VALUE:
			return ERRCODE_INVALID_TEXT_REPRESENTATION;
		case SQ_ERR_DATE:
			return ERRCODE_INVALID_DATETIME_FORMAT;
		case SQ_ERR_DATE_RANGE:
			return ERRCODE_DATETIME_VALUE_OUT_OF_RANGE;
		case SQ_ERR_TOO_LONG:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case SQ_ERR_TOO_DEEP:
			return ERRCODE_STATEMENT_TOO_COMPLEX;
		default:
			return ERRCODE_SYNTAX_ERROR;
	}
}

/* 1-based character position of a byte offset into UTF-8 src (for the error cursor). */
static int
sl_char_pos(const char *src, size_t len, size_t offset)
{
	int			pos = 1;

	for (size_t i = 0; i < offset && i < len; i++)
		if (((unsigned char) src[i] & 0xC0) != 0x80)
			pos++;
	return pos;
}

/* Echo the query under the error (with a cursor) unless it is long. */
static int
sl_echo(const SlQuery *q, size_t offset)
{
	if (q->len > SL_ECHO_MAX)
		return 0;
	internalerrposition(sl_char_pos(q->src, q->len, offset));
	return internalerrquery(q->query);
}

/* Throw a core error with its SQLSTATE, line and column. */
static void
sl_report(const SlQuery *q, const TsError *e)
{
	char	   *msg = pg_any_to_server(e->message, strlen(e->message), PG_UTF8);

	ereport(ERROR,
			errcode(sl_sqlstate(e->code)),
			errmsg("%s at line %d, column %d", msg, e->line, e->column),
			e->code == SQ_ERR_UNKNOWN_FIELD ?
			errhint("The fields are lead.<column>, lead.<custom field>, tag, phone, phone.opted_out, "
					"sequence.status, sequence.<name>.status, sequence.name, bulk.id and bulk.incomplete.") :
			e->code == SQ_ERR_TOO_LONG && e->offset == 0 && q->len > SQ_MAX_INPUT ?
			errhint("Save long lists in a tag or a custom field and query that instead.") : 0,
			e->offset >= 0 ? sl_echo(q, (size_t) e->offset) : 0);
}

/* Where a value being converted was written, for the error context callback. */
typedef struct SlValueCtx
{
	const SlQuery *q;
	size_t		offset;
} SlValueCtx;

/* Error context of a value's conversion: its line and column, and the cursor. */
static void
sl_value_context(void *arg)
{
	SlValueCtx *vc = arg;
	TsError		at;

	ts_error_set(&at, 0, vc->q->src, vc->q->len, vc->offset, "%s", "");
	errcontext("smartlist query value at line %d, column %d", at.line, at.column);
	sl_echo(vc->q, vc->offset);
}

/* ---- the lead relation ------------------------------------------------------- */

/* A type as SQL for a cast: built-ins by their usual name, others schema-qualified. */
static char *
sl_type_sql(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Oid			nsp;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", typid);
	nsp = ((Form_pg_type) GETSTRUCT(tup))->typnamespace;
	ReleaseSysCache(tup);
	if (nsp == PG_CATALOG_NAMESPACE)
		return format_type_be(typid);
	return format_type_extended(typid, -1, FORMAT_TYPE_FORCE_QUALIFY);
}

/* The core's column kind for a type, by its category. */
static SqColKind
sl_col_kind(Oid typid)
{
	switch (TypeCategory(getBaseType(typid)))
	{
		case TYPCATEGORY_STRING:
			return SQ_COL_TEXT;
		case TYPCATEGORY_NUMERIC:
			return SQ_COL_NUMBER;
		case TYPCATEGORY_DATETIME:
		case TYPCATEGORY_TIMESPAN:
			return SQ_COL_TIME;
		case TYPCATEGORY_BOOLEAN:
			return SQ_COL_BOOL;
		case TYPCATEGORY_ARRAY:
			return SQ_COL_ARRAY;
		default:
			return SQ_COL_OTHER;
	}
}

/* A user column's number and type by name (server encoding), or 0. */
static AttrNumber
sl_attnum(Oid relid, const char *name, Oid *typid)
{
	AttrNumber	att = get_attnum(relid, name);
	int32		typmod;
	Oid			coll;

	if (att <= 0)
		return 0;
	get_atttypetypmodcoll(relid, att, typid, &typmod, &coll);
	return att;
}

/* The core's question: is lead.<name> a column of the lead relation? */
static bool
sl_column(void *ctx, const char *name, size_t len, bool quoted, SqColumn *out)
{
	SlSchema   *s = ctx;
	char	   *nm = pg_any_to_server(name, len, PG_UTF8);
	Oid			typid;
	Oid			elem;

	if (nm == name)
		nm = pnstrdup(name, len);
	if (!quoted)
		nm = downcase_identifier(nm, strlen(nm), false, false);
	if (sl_attnum(s->relid, nm, &typid) == 0)
		return false;
	out->kind = sl_col_kind(typid);
	out->sql = psprintf("l.%s", quote_identifier(nm));
	out->type_sql = sl_type_sql(typid);
	out->type_id = typid;
	if (out->kind == SQ_COL_ARRAY && OidIsValid(elem = get_element_type(typid)))
	{
		out->elem_sql = sl_type_sql(elem);
		out->elem_id = elem;
	}
	else if (out->kind == SQ_COL_ARRAY)
		out->kind = SQ_COL_OTHER;	/* oidvector and friends: no element type to bind */
	return true;
}

/* "l.<column>" when the relation has that column with the wanted type, else NULL. */
static const char *
sl_optional_column(Oid relid, Datum name, bool isnull, Oid wanted)
{
	Oid			typid;
	char	   *nm;

	if (isnull)
		return NULL;
	nm = NameStr(*DatumGetName(name));
	if (sl_attnum(relid, nm, &typid) == 0 || typid != wanted)
		return NULL;
	return psprintf("l.%s", quote_identifier(nm));
}

/*
 * Describe the lead relation from textseq._lead_source() (SPI connected):
 * the relation, its key (bigint or narrower integers), its custom-fields
 * (jsonb) and tags (text[]) columns when it has them.
 */
static void
sl_schema_load(SlSchema *s)
{
	static SPIPlanPtr plan = NULL;
	HeapTuple	tup;
	TupleDesc	desc;
	Datum		d;
	bool		isnull;
	Oid			keytype;
	char	   *key;

	if (plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare("SELECT rel, key_column, fields_column, tags_column FROM textseq._lead_source()", 0, NULL);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "textseq: could not prepare the lead source lookup: %s", SPI_result_code_string(SPI_result));
		plan = p;
	}
	if (SPI_execute_plan(plan, NULL, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("textseq._lead_source() must return one row"));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	memset(s, 0, sizeof(*s));
	d = SPI_getbinval(tup, desc, 1, &isnull);
	s->relid = isnull ? InvalidOid : DatumGetObjectId(d);
	d = SPI_getbinval(tup, desc, 2, &isnull);
	key = isnull ? "" : pstrdup(NameStr(*DatumGetName(d)));
	if (!OidIsValid(s->relid) || get_rel_name(s->relid) == NULL ||
		sl_attnum(s->relid, key, &keytype) == 0 ||
		(keytype != INT8OID && keytype != INT4OID && keytype != INT2OID))
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("the lead source has no integer key column \"%s\"", key),
				errdetail("textseq._lead_source() names the lead relation and its key."));
	s->rel_sql = quote_qualified_identifier(get_namespace_name(get_rel_namespace(s->relid)),
											get_rel_name(s->relid));
	s->core.key_sql = psprintf("l.%s", quote_identifier(key));
	s->select_sql = keytype == INT8OID ? (char *) s->core.key_sql : psprintf("%s::bigint", s->core.key_sql);
	d = SPI_getbinval(tup, desc, 3, &isnull);
	s->core.fields_sql = sl_optional_column(s->relid, d, isnull, JSONBOID);
	d = SPI_getbinval(tup, desc, 4, &isnull);
	s->core.tags_sql = sl_optional_column(s->relid, d, isnull, TEXTARRAYOID);
	s->core.column = sl_column;
	s->core.ctx = s;
}

/* ---- binding --------------------------------------------------------------- */

/* The scalar type OID of a parameter. */
static Oid
sl_scalar_type(const SqParam *p)
{
	switch (p->type)
	{
		case SQ_T_NUMERIC:
			return NUMERICOID;
		case SQ_T_BIGINT:
			return INT8OID;
		case SQ_T_BOOL:
			return BOOLOID;
		case SQ_T_JSONB:
			return JSONBOID;
		case SQ_T_ENROLLMENT_STATUS:
			/* looked up each time: a cached OID would outlive DROP/CREATE EXTENSION */
			return typenameTypeId(NULL, makeTypeNameFromNameList(list_make2(makeString("textseq"),
																			makeString("enrollment_status"))));
		case SQ_T_COLUMN:
			return (Oid) p->type_id;
		default:
			return TEXTOID;
	}
}

/* A phone number written in the query, as E.164 (textseq.default_region for local numbers). */
static char *
sl_phone(const SqValue *v)
{
	char		e164[PHONE_E164_SIZE];
	const char *region = textseq_default_region ? textseq_default_region : "US";
	PhoneStatus st = phone_normalize(v->text, v->len, region, e164, sizeof(e164));
	char		shown[64];

	if (st == PHONE_OK)
		return pstrdup(e164);
	snprintf(shown, sizeof(shown), "%.40s%s", v->text, v->len > 40 ? "..." : "");
	ereport(ERROR,
			errcode(st == PHONE_ERR_BAD_REGION ? ERRCODE_INVALID_PARAMETER_VALUE
					: st == PHONE_ERR_NO_MEMORY ? ERRCODE_OUT_OF_MEMORY : ERRCODE_INVALID_TEXT_REPRESENTATION),
			st == PHONE_ERR_BAD_REGION ? errmsg("unknown phone region: \"%s\"", region)
			: errmsg("invalid phone number: \"%s\"", pg_any_to_server(shown, strlen(shown), PG_UTF8)),
			errdetail("%s", phone_status_detail(st)));
	return NULL;
}

/* One value converted to typid by its input function (the phone normalised first). */
static Datum
sl_value(const SlQuery *q, const SqParam *p, const SqValue *v, Oid typid)
{
	ErrorContextCallback cb;
	SlValueCtx	vc = {q, v->offset};
	Oid			typinput;
	Oid			typioparam;
	char	   *s;
	Datum		d;

	cb.callback = sl_value_context;
	cb.arg = &vc;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	s = (p->type == SQ_T_PHONE) ? sl_phone(v) : pg_any_to_server(v->text, v->len, PG_UTF8);
	getTypeInputInfo(typid, &typinput, &typioparam);
	d = OidInputFunctionCall(typinput, s, typioparam, -1);
	error_context_stack = cb.previous;
	return d;
}

/* Convert every parameter's values: scalars, or arrays built from their elements. */
static void
sl_bind(SlQuery *q)
{
	q->nargs = q->c.nparams;
	q->types = palloc0(sizeof(Oid) * Max(q->nargs, 1));
	q->values = palloc0(sizeof(Datum) * Max(q->nargs, 1));
	for (int i = 0; i < q->nargs; i++)
	{
		const SqParam *p = &q->c.params[i];
		Oid			elem = sl_scalar_type(p);
		Datum	   *items;
		int16		typlen;
		bool		typbyval;
		char		typalign;

		if (!p->array)
		{
			q->types[i] = elem;
			q->values[i] = sl_value(q, p, &p->values[0], elem);
			continue;
		}
		q->types[i] = get_array_type(elem);
		if (!OidIsValid(q->types[i]))
			ereport(ERROR,
					errcode(ERRCODE_UNDEFINED_OBJECT),
					errmsg("type %s has no array type for in (...)", format_type_be(elem)));
		items = palloc(sizeof(Datum) * p->nvalues);
		for (int j = 0; j < p->nvalues; j++)
			items[j] = sl_value(q, p, &p->values[j], elem);
		get_typlenbyvalalign(elem, &typlen, &typbyval, &typalign);
		q->values[i] = PointerGetDatum(construct_array(items, p->nvalues, elem, typlen, typbyval, typalign));
	}
}

/*
 * Parse, compile and bind a query (SPI connected): the statement
 * "SELECT <key> FROM <lead relation> l WHERE <predicate>" and its values.
 * Raises the query's first problem.
 */
static void
sl_compile(text *query, SlQuery *q)
{
	SlSchema	s;
	TsError		err;
	SqQuery    *tree;

	memset(q, 0, sizeof(*q));
	q->query = text_to_cstring(query);
	q->src = ts_text_utf8(query, &q->len);
	tree = sq_parse(q->src, q->len, &err);
	if (tree == NULL)
		sl_report(q, &err);
	sl_schema_load(&s);
	if (!sq_compile(tree, &s.core, &q->c, &err))
		sl_report(q, &err);
	sq_free(tree);
	q->stmt = psprintf("SELECT %s FROM %s l WHERE %s", s.select_sql, s.rel_sql, q->c.sql.data);
	sl_bind(q);
}

/* The bound values as a parameter list (constants: the planner sees them as literals). */
static ParamListInfo
sl_param_list(const SlQuery *q)
{
	ParamListInfo pl = makeParamList(q->nargs);

	for (int i = 0; i < q->nargs; i++)
	{
		pl->params[i].value = q->values[i];
		pl->params[i].isnull = false;
		pl->params[i].pflags = PARAM_FLAG_CONST;
		pl->params[i].ptype = q->types[i];
	}
	return pl;
}

/* Prepare sql with q's parameter types for a custom plan (values known when planning), parallel as a client's query may be. */
static SPIPlanPtr
sl_prepare(const SlQuery *q, const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, q->nargs, q->types,
											CURSOR_OPT_CUSTOM_PLAN | CURSOR_OPT_PARALLEL_OK);

	if (plan == NULL)
		elog(ERROR, "textseq: could not prepare the smartlist statement: %s",
			 SPI_result_code_string(SPI_result));
	return plan;
}

/* Connect SPI and compile, keeping the results in the caller's memory context. */
static void
sl_connect_compile(text *query, SlQuery *q)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "textseq: SPI_connect failed");
	MemoryContextSwitchTo(cxt);
	sl_compile(query, q);
}

/* Set up a one-column SETOF result in materialize mode (InitMaterializedSRF wants a row type). */
static void
sl_materialize_scalar(FunctionCallInfo fcinfo, Oid typid, const char *name)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("set-valued function called in context that cannot accept a set"));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(desc, (AttrNumber) 1, name, typid, -1, 0);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
											  false, work_mem);
	rsinfo->setDesc = desc;
	MemoryContextSwitchTo(old);
}

/* ---- SQL-callable -------------------------------------------------------------- */

/* textseq.smartlist_sql(query text) RETURNS text: the statement, with $n::type placeholders. */
Datum
textseq_smartlist_sql(PG_FUNCTION_ARGS)
{
	SlQuery		q;

	sl_connect_compile(PG_GETARG_TEXT_PP(0), &q);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(q.stmt));
}

/*
 * textseq.smartlist_leads(query text) RETURNS SETOF bigint: the statement
 * run as the caller, its rows written straight into the result.
 */
Datum
textseq_smartlist_leads(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SPIExecuteOptions opts;
	DestReceiver *dest;
	SlQuery		q;
	int			rc;

	sl_materialize_scalar(fcinfo, INT8OID, "lead_id");
	sl_connect_compile(PG_GETARG_TEXT_PP(0), &q);
	dest = CreateDestReceiver(DestTuplestore);
	SetTuplestoreDestReceiverParams(dest, rsinfo->setResult, rsinfo->econtext->ecxt_per_query_memory,
									false, NULL, NULL);
	memset(&opts, 0, sizeof(opts));
	opts.params = sl_param_list(&q);
	opts.read_only = true;
	opts.dest = dest;
	rc = SPI_execute_plan_extended(sl_prepare(&q, q.stmt), &opts);
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "textseq: smartlist statement failed: %s", SPI_result_code_string(rc));
	dest->rDestroy(dest);
	SPI_finish();
	return (Datum) 0;
}

/* textseq.smartlist_params(query) RETURNS TABLE(param int, type regtype, value text) */
Datum
textseq_smartlist_params(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SlQuery		q;

	InitMaterializedSRF(fcinfo, 0);
	sl_connect_compile(PG_GETARG_TEXT_PP(0), &q);
	SPI_finish();
	for (int i = 0; i < q.nargs; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		Oid			out;
		bool		varlena;

		getTypeOutputInfo(q.types[i], &out, &varlena);
		values[0] = Int32GetDatum(i + 1);
		values[1] = ObjectIdGetDatum(q.types[i]);
		values[2] = CStringGetTextDatum(OidOutputFunctionCall(out, q.values[i]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* textseq.smartlist_explain(query, run) RETURNS SETOF text: EXPLAIN (ANALYZE when run) with the values bound. */
Datum
textseq_smartlist_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		analyze = PG_GETARG_BOOL(1);
	MemoryContext cxt;
	SlQuery		q;
	char	   *sql;
	int			rc;

	sl_materialize_scalar(fcinfo, TEXTOID, "plan");
	sl_connect_compile(PG_GETARG_TEXT_PP(0), &q);
	sql = psprintf("EXPLAIN (ANALYZE %s) %s", analyze ? "true" : "false", q.stmt);
	rc = SPI_execute_plan_with_paramlist(sl_prepare(&q, sql), sl_param_list(&q), false, 0);
	if (rc < 0)
		elog(ERROR, "textseq: EXPLAIN failed: %s", SPI_result_code_string(rc));
	cxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[1];
		bool		nulls[1] = {false};
		char	   *line = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		values[0] = CStringGetTextDatum(line ? line : "");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextSwitchTo(cxt);
	SPI_finish();
	return (Datum) 0;
}
