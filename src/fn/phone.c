/*-------------------------------------------------------------------------
 *
 * phone.c
 *	  SQL-callable phone functions: normalize_phone, try_normalize_phone,
 *	  phone_parse (the immutable half of phone_info) and phone_line_type.
 *
 * Thin glue over the libphonenumber shim (phone.h): it converts text to
 * UTF-8, calls the shim, and turns a PhoneStatus into an ereport.  It must
 * not call C++ directly, and nothing here may run between a shim call and
 * its return (the shim never longjmps; we never ereport inside it).
 * Time zones are looked up in SQL (src/sql/22_phone.sql), not here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "core/phone.h"

PG_FUNCTION_INFO_V1(textseq_phone_normalize);
PG_FUNCTION_INFO_V1(textseq_phone_try_normalize);
PG_FUNCTION_INFO_V1(textseq_phone_parse);
PG_FUNCTION_INFO_V1(textseq_phone_line_type);

/* Inputs longer than this are shown clipped in error messages. */
#define PHONE_SHOWN_BYTES 64

/* Region used where the input must already be E.164 (phone_info, line type). */
#define PHONE_E164_REGION "ZZ"

/* Columns of textseq.phone_parse's result, in order. */
#define PHONE_PARSE_NATTS 7

/* A text argument as UTF-8 bytes (libphonenumber's encoding) and their length. */
static const char *
phone_text_utf8(text *t, size_t *len)
{
	char	   *s = VARDATA_ANY(t);
	int			n = VARSIZE_ANY_EXHDR(t);
	char	   *u = pg_server_to_any(s, n, PG_UTF8);

	*len = (u == s) ? (size_t) n : strlen(u);
	return u;
}

/* The input as it should appear in an error message: clipped, server encoding. */
static char *
phone_shown(text *t)
{
	char	   *s = text_to_cstring(t);
	int			len = strlen(s);
	int			clip;

	if (len <= PHONE_SHOWN_BYTES)
		return s;
	clip = pg_mbcliplen(s, len, PHONE_SHOWN_BYTES);
	return psprintf("%.*s...", clip, s);
}

/* True for the statuses that mean "this text is not a usable phone number". */
static bool
phone_status_is_data_error(PhoneStatus st)
{
	return st != PHONE_OK && st != PHONE_ERR_BAD_REGION &&
		st != PHONE_ERR_NO_MEMORY && st != PHONE_ERR_INTERNAL;
}

/* Raise the SQL error for a failed shim call; hint is for data errors, may be NULL. */
static void
phone_report(PhoneStatus st, text *raw, text *region, const char *hint)
{
	if (st == PHONE_ERR_BAD_REGION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown phone region: \"%s\"",
						region ? phone_shown(region) : PHONE_E164_REGION),
				 errdetail("%s", phone_status_detail(st)),
				 errhint("Use an ISO 3166-1 two-letter region code such as US or GB, "
						 "or ZZ when every number starts with + and its country code.")));
	if (st == PHONE_ERR_NO_MEMORY)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory parsing phone number"),
				 errdetail("%s", phone_status_detail(st))));
	if (st == PHONE_ERR_INTERNAL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not parse phone number: \"%s\"", phone_shown(raw)),
				 errdetail("%s", phone_status_detail(st))));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid phone number: \"%s\"", phone_shown(raw)),
			 errdetail("%s", phone_status_detail(st)),
			 hint ? errhint("%s", hint) : 0));
}

/* Normalize raw with the region in text form; the status, E.164 in out. */
static PhoneStatus
phone_normalize_text(text *raw, text *region, char *out, size_t outsz)
{
	size_t		len;
	const char *s = phone_text_utf8(raw, &len);
	char	   *r = text_to_cstring(region);

	return phone_normalize(s, len, r, out, outsz);
}

/* Describe an E.164 number, raising 22P02 when it does not parse. */
static void
phone_describe_e164(text *e164, PhoneInfo *info)
{
	size_t		len;
	const char *s = phone_text_utf8(e164, &len);
	PhoneStatus st = phone_describe(s, len, PHONE_E164_REGION, info);

	if (st != PHONE_OK)
		phone_report(st, e164, NULL,
					 "Pass an E.164 number such as +14155552671; "
					 "textseq.normalize_phone() makes one from other spellings.");
}

/* normalize_phone(raw, default_region): E.164, or 22P02 / 22023. */
Datum
textseq_phone_normalize(PG_FUNCTION_ARGS)
{
	text	   *raw = PG_GETARG_TEXT_PP(0);
	text	   *region = PG_GETARG_TEXT_PP(1);
	char		out[PHONE_E164_SIZE];
	PhoneStatus st = phone_normalize_text(raw, region, out, sizeof(out));

	if (st != PHONE_OK)
		phone_report(st, raw, region, NULL);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* try_normalize_phone(raw, default_region): E.164, or NULL for a bad number. */
Datum
textseq_phone_try_normalize(PG_FUNCTION_ARGS)
{
	text	   *raw = PG_GETARG_TEXT_PP(0);
	text	   *region = PG_GETARG_TEXT_PP(1);
	char		out[PHONE_E164_SIZE];
	PhoneStatus st = phone_normalize_text(raw, region, out, sizeof(out));

	/* A bad region or an internal failure is the caller's problem, not the row's. */
	if (phone_status_is_data_error(st))
		PG_RETURN_NULL();
	if (st != PHONE_OK)
		phone_report(st, raw, region, NULL);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* phone_parse(e164): validity, type, region, country code, national format. */
Datum
textseq_phone_parse(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	PhoneInfo	info;
	Datum		values[PHONE_PARSE_NATTS];
	bool		nulls[PHONE_PARSE_NATTS] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context "
						"that cannot accept type record")));
	phone_describe_e164(PG_GETARG_TEXT_PP(0), &info);

	values[0] = CStringGetTextDatum(info.e164);
	values[1] = BoolGetDatum(info.valid);
	values[2] = BoolGetDatum(info.possible);
	values[3] = CStringGetTextDatum(phone_type_name(info.number_type));
	/* "ZZ" is libphonenumber's "no region": SQL says that with NULL. */
	nulls[4] = (strcmp(info.region, "ZZ") == 0 || info.region[0] == '\0');
	values[4] = nulls[4] ? (Datum) 0 : CStringGetTextDatum(info.region);
	values[5] = Int32GetDatum(info.country_code);
	values[6] = CStringGetTextDatum(info.national_format);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/* phone_line_type(e164): mobile, landline, voip, toll_free or unknown. */
Datum
textseq_phone_line_type(PG_FUNCTION_ARGS)
{
	PhoneInfo	info;

	phone_describe_e164(PG_GETARG_TEXT_PP(0), &info);
	PG_RETURN_TEXT_P(cstring_to_text(phone_line_type_name(info.number_type)));
}
