/*-------------------------------------------------------------------------
 *
 * codes.c
 *	  textseq._code_outcome(provider, code): what a provider error code
 *	  means, from the one table the worker classifies send answers with
 *	  (src/core/outcome.c).
 *
 * Delivery reports read the same table, so a code that marks a number
 * invalid, landline or opted out at send time does the same in a status
 * callback, for Twilio and Telnyx alike.  Must not keep a list of its own.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "outcome.h"

PG_FUNCTION_INFO_V1(textseq_code_outcome);

/* SQL: textseq._code_outcome(provider text, code int) -> invalid, opted_out, landline, ... */
Datum
textseq_code_outcome(PG_FUNCTION_ARGS)
{
	char	   *provider = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		code = PG_GETARG_INT32(1);

	PG_RETURN_TEXT_P(cstring_to_text(outcome_name(outcome_classify_code(provider, code))));
}
