/*-------------------------------------------------------------------------
 *
 * signature.c
 *	  textseq.twilio_signature_valid(): verify Twilio's X-Twilio-Signature
 *	  (base64 of HMAC-SHA1 over URL + sorted parameter names and values,
 *	  keyed by the auth token), with the server's own HMAC and base64.
 *
 * Compares in constant time; never reveals the token in an error.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "common/base64.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(textseq_hmac_sha1_base64);

/* SQL: textseq._hmac_sha1_base64(key text, data text) */
Datum
textseq_hmac_sha1_base64(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	text	   *data = PG_GETARG_TEXT_PP(1);
	uint8		digest[20];
	char		out[64];
	int			len;
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA1);

	if (ctx == NULL ||
		pg_hmac_init(ctx, (uint8 *) VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)) < 0 ||
		pg_hmac_update(ctx, (uint8 *) VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data)) < 0 ||
		pg_hmac_final(ctx, digest, sizeof(digest)) < 0)
	{
		pg_hmac_free(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute HMAC-SHA1")));
	}
	pg_hmac_free(ctx);
	len = pg_b64_encode((const char *) digest, sizeof(digest), out, sizeof(out));
	if (len < 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not encode signature")));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, len));
}
