/*-------------------------------------------------------------------------
 *
 * accounts.c
 *	  The provider accounts a worker step loads (with their secrets) and
 *	  the HTTP settings, read fresh each round since SIGHUP may change them.
 *
 * Must not: keep a secret beyond the round's memory context.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"
#include "dispatch.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/memutils.h"

#define TWILIO_DEFAULT_URL "https://api.twilio.com"
#define TELNYX_DEFAULT_URL "https://api.telnyx.com"

/* Settings for the HTTP layer, read fresh each round (SIGHUP may change them). */
TsHttpConfig
ts_http_config(void)
{
	TsHttpConfig cfg;

	cfg.max_in_flight = textseq_max_in_flight;
	cfg.connect_timeout_ms = textseq_connect_timeout_ms;
	cfg.request_timeout_ms = textseq_request_timeout_ms;
	cfg.max_response_bytes = 256 * 1024;
	return cfg;
}

/* Column c of the current SPI row as a palloc'd C string, or NULL. */
char *
ts_spi_text(HeapTuple tup, int c)
{
	return SPI_getvalue(tup, SPI_tuptable->tupdesc, c);
}

/* Column c of the current SPI row as an int64 (0 when NULL). */
int64
ts_spi_int(HeapTuple tup, int c)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, c, &isnull);
	Oid			t = SPI_gettypeid(SPI_tuptable->tupdesc, c);

	if (isnull)
		return 0;
	return t == INT8OID ? DatumGetInt64(d) : DatumGetInt32(d);
}

/* Accounts not paused, with their secrets (inside a transaction, SPI connected). */
TsAccount *
ts_load_accounts(int *n)
{
	TsAccount  *accounts;
	MemoryContext old;

	SPI_execute("SELECT a.id, a.provider, a.base_url, a.account_sid, s.secret,"
				" a.status_callback_url"
				" FROM textseq.account a"
				" LEFT JOIN textseq.account_secret s ON s.account_id = a.id"
				" WHERE NOT a.paused ORDER BY a.id", true, 0);
	old = MemoryContextSwitchTo(ts_batch_cxt);
	*n = (int) SPI_processed;
	accounts = palloc0(sizeof(TsAccount) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TsAccount  *a = &accounts[i];

		a->id = (int) ts_spi_int(tup, 1);
		strlcpy(a->provider, ts_spi_text(tup, 2), sizeof(a->provider));
		a->base_url = ts_spi_text(tup, 3);
		if (a->base_url == NULL)
			a->base_url = pstrdup(strcmp(a->provider, "telnyx") == 0 ?
								  TELNYX_DEFAULT_URL : TWILIO_DEFAULT_URL);
		a->account_sid = ts_spi_text(tup, 4);
		a->secret = ts_spi_text(tup, 5);
		a->status_callback_url = ts_spi_text(tup, 6);
	}
	MemoryContextSwitchTo(old);
	return accounts;
}

/* The loaded account with this id, or NULL. */
const TsAccount *
ts_find_account(TsAccount *accounts, int n, int id)
{
	for (int i = 0; i < n; i++)
		if (accounts[i].id == id)
			return &accounts[i];
	return NULL;
}
