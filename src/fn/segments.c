/*-------------------------------------------------------------------------
 *
 * segments.c
 *	  SQL glue of the SMS segment core: textseq.sms_segments(body) and
 *	  textseq.smart_encode(body).
 *
 * Converts the body from the database encoding to UTF-8 for the core
 * (core/seg.h) and the results back.  Must not hold counting rules: those
 * live in src/core/seg*.c so the fuzzer and unit tests see the same code.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "core/seg.h"

PG_FUNCTION_INFO_V1(textseq_segments_count);
PG_FUNCTION_INFO_V1(textseq_segments_smart_encode);

#define SEG_NCOLUMNS 5

/*
 * A text value as UTF-8 (converted from the database encoding when that
 * differs), with its length in bytes; the cores read UTF-8 only.  Also used
 * by fn/inbound.c.
 */
const char *
ts_text_utf8(text *body, size_t *len)
{
	const char *src = VARDATA_ANY(body);
	int			srclen = VARSIZE_ANY_EXHDR(body);
	const char *utf8 = pg_server_to_any(src, srclen, PG_UTF8);

	*len = (utf8 == src) ? (size_t) srclen : strlen(utf8);
	return utf8;
}

/* A core count as an int4 column; refuse what int4 cannot hold. */
static Datum
count_datum(int64_t value, const char *what)
{
	if (value > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("message too long to count"),
				 errdetail("Its %s come to " INT64_FORMAT ", more than an integer holds.",
						   what, (int64) value)));
	return Int32GetDatum((int32) value);
}

/* The distinct non-GSM characters as a text[] in the database encoding. */
static Datum
non_gsm_array(const SegInfo *info)
{
	Datum	   *elems;

	if (info->n_non_gsm == 0)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	elems = palloc(sizeof(Datum) * info->n_non_gsm);
	for (int i = 0; i < info->n_non_gsm; i++)
	{
		const char *utf8 = info->non_gsm[i];
		char	   *conv = pg_any_to_server(utf8, (int) strlen(utf8), PG_UTF8);

		elems[i] = CStringGetTextDatum(conv);
	}
	return PointerGetDatum(construct_array(elems, info->n_non_gsm, TEXTOID,
										   -1, false, TYPALIGN_INT));
}

/*
 * textseq.sms_segments(body text) -> (encoding, segments, characters,
 * code_units, non_gsm_characters), counted as Twilio does.
 */
Datum
textseq_segments_count(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[SEG_NCOLUMNS];
	bool		nulls[SEG_NCOLUMNS] = {false};
	SegInfo		info;
	size_t		len;
	const char *utf8;
	HeapTuple	tuple;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	tupdesc = BlessTupleDesc(tupdesc);

	utf8 = ts_text_utf8(PG_GETARG_TEXT_PP(0), &len);
	seg_count(utf8, len, &info);
	values[0] = CStringGetTextDatum(seg_encoding_name(info.encoding));
	values[1] = count_datum(info.segments, "segments");
	values[2] = count_datum(info.characters, "characters");
	values[3] = count_datum(info.code_units, "code units");
	values[4] = non_gsm_array(&info);
	seg_info_free(&info);

	tuple = heap_form_tuple(tupdesc, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

/*
 * textseq.smart_encode(body text) -> text: Unicode look-alikes replaced by
 * GSM-7 characters, or the body unchanged when that cannot make it GSM-7.
 */
Datum
textseq_segments_smart_encode(PG_FUNCTION_ARGS)
{
	size_t		len;
	const char *utf8 = ts_text_utf8(PG_GETARG_TEXT_PP(0), &len);
	size_t		out_len;
	char	   *out = seg_smart_encode(utf8, len, &out_len);
	char	   *conv = pg_any_to_server(out, (int) out_len, PG_UTF8);

	if (conv != out)
		out_len = strlen(conv);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(conv, (int) out_len));
}
