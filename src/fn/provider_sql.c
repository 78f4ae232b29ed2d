/*-------------------------------------------------------------------------
 *
 * provider_sql.c
 *	  Superuser SQL functions over the provider layer: send one test text
 *	  (textseq._provider_probe) and run one reconciliation lookup
 *	  (textseq._provider_lookup), reporting the outcome the worker would see.
 *
 * For administrators ("send a test text") and for the provider-outcome tests
 * against the mock.  They use the same code as the worker (http.c) with a
 * backend-local TsHttp kept for the session, so connections are reused.
 * Must not write any table: a probe is not a message and is never recorded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "provider/provider.h"

PG_FUNCTION_INFO_V1(textseq_provider_probe);
PG_FUNCTION_INFO_V1(textseq_provider_lookup);

static TsHttp *probe_http = NULL;

/* Polled by the transport between curl steps: stop on cancel or shutdown. */
static bool
probe_interrupted(void)
{
	return InterruptPending;
}

/* The text argument i as a C string, or NULL. */
static char *
arg_text(FunctionCallInfo fcinfo, int i)
{
	return PG_ARGISNULL(i) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/* Refuse non-superusers: the probes send real texts with the caller's credentials. */
static void
require_superuser(const char *fn)
{
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("permission denied for function %s", fn),
						errdetail("Only superusers may send test requests to a provider.")));
}

/* Build the probe's account from arguments 0..3, checking provider and timeout. */
static void
probe_account(FunctionCallInfo fcinfo, TsAccount *acc, int timeout_ms, const char *fn)
{
	char	   *provider = arg_text(fcinfo, 0);

	if (provider == NULL)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("provider must not be null"),
						errdetail("Function %s needs a provider: twilio, telnyx or dry_run.", fn)));
	if (strcmp(provider, "twilio") != 0 && strcmp(provider, "telnyx") != 0 &&
		strcmp(provider, "dry_run") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown provider \"%s\"", provider),
						errdetail("Argument 1 of %s is \"%s\".", fn, provider),
						errhint("Use twilio, telnyx or dry_run.")));
	if (timeout_ms < 1 || timeout_ms > 600000)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("timeout_ms must be between 1 and 600000"),
						errdetail("The value given is %d.", timeout_ms)));
	memset(acc, 0, sizeof(*acc));
	strlcpy(acc->provider, provider, sizeof(acc->provider));
	acc->base_url = arg_text(fcinfo, 1);
	acc->account_sid = arg_text(fcinfo, 2);
	acc->secret = arg_text(fcinfo, 3);
	if (probe_http == NULL)
		probe_http = ts_http_create();
}

/* Transport settings of a probe: one request, timeout_ms for each phase. */
static void
probe_config(TsHttpConfig *cfg, int timeout_ms)
{
	cfg->max_in_flight = 1;
	cfg->connect_timeout_ms = timeout_ms;
	cfg->request_timeout_ms = timeout_ms;
	cfg->max_response_bytes = 1024 * 1024;
}

/* Nullable text datum. */
static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL || s[0] == '\0');
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

/*
 * textseq._provider_probe(provider, base_url, account_sid, secret, to_phone,
 * from_phone, body, timeout_ms): send one message, return what became of it.
 */
Datum
textseq_provider_probe(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			timeout_ms = PG_ARGISNULL(7) ? 5000 : PG_GETARG_INT32(7);
	TsAccount	acc;
	TsSend		snd;
	TsHttpConfig cfg;
	Datum		values[8];
	bool		nulls[8] = {false};

	require_superuser("textseq._provider_probe");
	probe_account(fcinfo, &acc, timeout_ms, "textseq._provider_probe");
	probe_config(&cfg, timeout_ms);
	memset(&snd, 0, sizeof(snd));
	snd.message_id = 0;
	snd.account = &acc;
	snd.to = arg_text(fcinfo, 4);
	snd.from = arg_text(fcinfo, 5);
	snd.body = arg_text(fcinfo, 6);
	snd.validity_period = 36000;
	ts_http_send_batch(probe_http, &snd, 1, &cfg, probe_interrupted);
	CHECK_FOR_INTERRUPTS();

	InitMaterializedSRF(fcinfo, 0);
	values[0] = CStringGetTextDatum(outcome_name(snd.outcome));
	values[1] = Int32GetDatum(snd.http_status);
	nulls[1] = snd.http_status == 0;
	values[2] = text_or_null(snd.provider_id, &nulls[2]);
	values[3] = Int32GetDatum(snd.error_code);
	nulls[3] = snd.error_code == 0;
	values[4] = text_or_null(snd.error_text, &nulls[4]);
	values[5] = Int32GetDatum(snd.retry_after_ms);
	values[6] = Float8GetDatum(snd.t_connect);
	values[7] = Float8GetDatum(snd.t_total);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/* Name of a lookup result. */
static const char *
lookup_name(TsLookupResult r)
{
	return r == TS_LOOKUP_FOUND ? "found" : r == TS_LOOKUP_NOT_FOUND ? "not_found" : "unknown";
}

/*
 * textseq._provider_lookup(provider, base_url, account_sid, secret, to_phone,
 * from_phone, body, claimed_at, timeout_ms): reconcile one message.
 */
Datum
textseq_provider_lookup(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			timeout_ms = PG_ARGISNULL(8) ? 5000 : PG_GETARG_INT32(8);
	TsAccount	acc;
	TsLookup	lk;
	TsHttpConfig cfg;
	Datum		values[3];
	bool		nulls[3] = {false};

	require_superuser("textseq._provider_lookup");
	probe_account(fcinfo, &acc, timeout_ms, "textseq._provider_lookup");
	probe_config(&cfg, timeout_ms);
	memset(&lk, 0, sizeof(lk));
	lk.account = &acc;
	lk.to = arg_text(fcinfo, 4);
	lk.from = arg_text(fcinfo, 5);
	lk.body = arg_text(fcinfo, 6);
	lk.claimed_at_unix = PG_ARGISNULL(7) ? 0 : (int64_t) timestamptz_to_time_t(PG_GETARG_TIMESTAMPTZ(7));
	ts_http_lookup_batch(probe_http, &lk, 1, &cfg, probe_interrupted);
	CHECK_FOR_INTERRUPTS();

	InitMaterializedSRF(fcinfo, 0);
	values[0] = CStringGetTextDatum(lookup_name(lk.result));
	values[1] = text_or_null(lk.provider_id, &nulls[1]);
	values[2] = text_or_null(lk.provider_status, &nulls[2]);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
