/*-------------------------------------------------------------------------
 *
 * inbound.c
 *	  SQL glue of the inbound-text cores: textseq.consent_verdict(body)
 *	  (core/consent.h) and textseq.branch_matches(...) / branch_check(...)
 *	  (core/branch.h).
 *
 * Converts text from the database encoding to UTF-8 for the cores.  Must
 * not hold matching rules: those live in src/core so the fuzzers and unit
 * tests see the same code.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "core/branch.h"
#include "core/consent.h"

PG_FUNCTION_INFO_V1(textseq_consent_verdict);
PG_FUNCTION_INFO_V1(textseq_branch_matches);
PG_FUNCTION_INFO_V1(textseq_branch_check);

/* An optional text argument as a NUL-terminated UTF-8 string, or NULL. */
static const char *
arg_cstring(FunctionCallInfo fcinfo, int n)
{
	size_t		len;
	const char *s;

	if (PG_ARGISNULL(n))
		return NULL;
	s = ts_text_utf8(PG_GETARG_TEXT_PP(n), &len);
	return pnstrdup(s, len);
}

/* The branch kind named by argument 0, or an error. */
static BranchMatch
arg_kind(FunctionCallInfo fcinfo)
{
	BranchMatch kind;
	char	   *name;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("branch match must not be null"),
				 errhint("Use equals, less, greater, between or any.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!branch_parse_kind(name, &kind))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown branch match \"%s\"", name),
				 errhint("Use equals, less, greater, between or any.")));
	return kind;
}

/*
 * textseq.consent_verdict(body text) -> (verdict text, rule text, keyword
 * boolean): 'opt_out', 'opt_in', 'help' or 'none', the keyword or phrase
 * matched, and whether it was a single carrier keyword.
 */
Datum
textseq_consent_verdict(PG_FUNCTION_ARGS)
{
	size_t		len;
	const char *body = ts_text_utf8(PG_GETARG_TEXT_PP(0), &len);
	ConsentMatch m;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "consent_verdict must return a composite type");
	consent_classify(body, len, &m);
	values[0] = CStringGetTextDatum(consent_kind_name(m.kind));
	nulls[1] = m.kind == CONSENT_NONE;
	values[1] = nulls[1] ? (Datum) 0 : CStringGetTextDatum(m.rule);
	values[2] = BoolGetDatum(m.is_keyword);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* textseq.branch_matches(match text, reply text, value text, value2 text) -> boolean */
Datum
textseq_branch_matches(PG_FUNCTION_ARGS)
{
	BranchMatch kind = arg_kind(fcinfo);
	size_t		len = 0;
	const char *reply = PG_ARGISNULL(1) ? NULL : ts_text_utf8(PG_GETARG_TEXT_PP(1), &len);

	PG_RETURN_BOOL(branch_matches(kind, reply, len, arg_cstring(fcinfo, 2), arg_cstring(fcinfo, 3)));
}

/*
 * textseq.branch_check(match text, value text, value2 text) -> void: raises
 * 22023 when the branch's configuration cannot work.  Values that name a
 * lead field (lead.<field>) are checked when a reply arrives instead.
 */
Datum
textseq_branch_check(PG_FUNCTION_ARGS)
{
	BranchMatch kind = arg_kind(fcinfo);
	const char *value = arg_cstring(fcinfo, 1);
	const char *value2 = arg_cstring(fcinfo, 2);
	TsError		err;

	if (value && strncmp(value, "lead.", 5) == 0)
		value = kind == BRANCH_EQUALS ? "x" : "0";
	if (value2 && strncmp(value2, "lead.", 5) == 0)
		value2 = "0";
	if (!branch_check(kind, value, value2, &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid conversation branch"),
				 errdetail("%s.", err.message)));
	PG_RETURN_VOID();
}
