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
PG_FUNCTION_INFO_V1(textseq_timingsafe_equal);

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

/* SQL: textseq._timingsafe_equal(a, b): no early exit on the first difference. */
Datum
textseq_timingsafe_equal(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);
	size_t		la = VARSIZE_ANY_EXHDR(a);
	size_t		lb = VARSIZE_ANY_EXHDR(b);
	const unsigned char *pa = (const unsigned char *) VARDATA_ANY(a);
	const unsigned char *pb = (const unsigned char *) VARDATA_ANY(b);
	unsigned char diff = (la != lb);

	for (size_t i = 0; i < la; i++)
		diff |= pa[i] ^ (i < lb ? pb[i] : 0);
	PG_RETURN_BOOL(diff == 0);
}
