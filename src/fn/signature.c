/*-------------------------------------------------------------------------
 *
 * signature.c
 *	  Webhook signatures.  Twilio: the primitives behind
 *	  textseq.twilio_signature_valid() (base64 of HMAC-SHA1 over URL + sorted
 *	  parameter names and values, keyed by the auth token), with the server's
 *	  own HMAC and base64.  Telnyx: textseq.telnyx_signature_valid(), Ed25519
 *	  over "timestamp|raw body" with the account's public key (OpenSSL EVP),
 *	  within a few minutes of textseq.now().
 *
 * Compares in constant time; fails closed (NULL or malformed input is
 * false, never an error that names it); never reveals a key in an error.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "common/base64.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include <openssl/evp.h>

/* How far telnyx-timestamp may be from textseq.now(), either way (replays). */
#define TELNYX_TOLERANCE_S	300
#define ED25519_KEY_LEN		32
#define ED25519_SIG_LEN		64

PG_FUNCTION_INFO_V1(textseq_hmac_sha1_base64);
PG_FUNCTION_INFO_V1(textseq_timingsafe_equal);
PG_FUNCTION_INFO_V1(textseq_telnyx_signature_valid);

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

/* Decode base64 text into exactly want bytes at out; false otherwise. */
static bool
b64_exact(text *t, uint8 *out, int want)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	int			cap = pg_b64_dec_len(len);
	char	   *buf;
	int			got;

	if (len == 0 || len > 4 * want)
		return false;
	buf = palloc(cap + 1);
	got = pg_b64_decode(VARDATA_ANY(t), len, buf, cap);
	if (got == want)
		memcpy(out, buf, want);
	pfree(buf);
	return got == want;
}

/* telnyx-timestamp as Unix seconds (1 to 12 digits, nothing else); false if not. */
static bool
parse_unix_seconds(text *t, int64 *out)
{
	const char *p = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	int64		v = 0;

	if (len < 1 || len > 12)
		return false;
	for (int i = 0; i < len; i++)
	{
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/* Whether Unix time ts is within the tolerance of textseq.now(). */
static bool
timestamp_fresh(int64 ts)
{
	int64		now = (int64) (timestamptz_to_time_t(textseq_now()));

	return ts >= now - TELNYX_TOLERANCE_S && ts <= now + TELNYX_TOLERANCE_S;
}

/* Ed25519 verification of msg with a raw 32-byte public key (OpenSSL EVP). */
static bool
ed25519_verify(const uint8 *key, const uint8 *sig, const uint8 *msg, size_t msglen)
{
	EVP_PKEY   *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, ED25519_KEY_LEN);
	EVP_MD_CTX *ctx = pkey ? EVP_MD_CTX_new() : NULL;
	bool		ok = false;

	if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1)
		ok = EVP_DigestVerify(ctx, sig, ED25519_SIG_LEN, msg, msglen) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ok;
}

/*
 * SQL: textseq.telnyx_signature_valid(body, signature, signed_at, public_key):
 * Ed25519 over signed_at || '|' || body, signed_at within the tolerance.
 */
Datum
textseq_telnyx_signature_valid(PG_FUNCTION_ARGS)
{
	text	   *body;
	text	   *ts_text;
	uint8		key[ED25519_KEY_LEN];
	uint8		sig[ED25519_SIG_LEN];
	int64		ts;
	StringInfoData msg;
	bool		ok;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_BOOL(false);
	body = PG_GETARG_TEXT_PP(0);
	ts_text = PG_GETARG_TEXT_PP(2);
	if (!b64_exact(PG_GETARG_TEXT_PP(1), sig, ED25519_SIG_LEN) ||
		!b64_exact(PG_GETARG_TEXT_PP(3), key, ED25519_KEY_LEN) ||
		!parse_unix_seconds(ts_text, &ts) || !timestamp_fresh(ts))
		PG_RETURN_BOOL(false);
	initStringInfo(&msg);
	appendBinaryStringInfo(&msg, VARDATA_ANY(ts_text), VARSIZE_ANY_EXHDR(ts_text));
	appendStringInfoChar(&msg, '|');
	appendBinaryStringInfo(&msg, VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body));
	ok = ed25519_verify(key, sig, (const uint8 *) msg.data, msg.len);
	pfree(msg.data);
	PG_RETURN_BOOL(ok);
}
