/*-------------------------------------------------------------------------
 *
 * dlr.c
 *	  Optional delivery reports: some delay after the mock accepts a Twilio
 *	  message, post a Twilio-style status callback into the database by
 *	  calling textseq.delivery_report('twilio', payload) over libpq, with
 *	  the callback's fields MessageSid, MessageStatus, ErrorCode (only when
 *	  not delivered), To, From, AccountSid.
 *
 *	  The send path only appends to a queue (one small malloc, no I/O); one
 *	  thread posts due reports in batches of up to DLR_BATCH in a single
 *	  statement and, when a batch fails, one by one so a bad report does not
 *	  sink the others.  A lost connection puts the batch back and retries
 *	  every second.  Locking: g_lock guards the queue; it is taken after the
 *	  store lock (dlr_enqueue runs under it) and never held while the store
 *	  lock is taken.  Must not block or slow the HTTP threads.
 *
 * test/mock/dlr.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DLR_BATCH 200
#define RECONNECT_US 1000000

typedef struct Dlr
{
	struct Dlr *next;
	int64_t		due;
	char	   *sid;
	char	   *to;
	char	   *from;
	char	   *account;
	char		strings[];
} Dlr;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static pthread_t g_thread;
static bool g_enabled;
static bool g_stop;
static Dlr *g_head;
static Dlr *g_tail;
static const char *g_conninfo;
static int	g_delay_ms;
static const char *g_status;	/* static string: stored into messages */
static const char *g_error_code;
static PGconn *g_conn;
static long g_failures;

/* queue a report for a just-accepted message (called under the store lock) */
void
dlr_enqueue(const Msg *m)
{
	size_t		ls = strlen(m->sid) + 1,
				lt = strlen(m->to) + 1,
				lf = strlen(m->from ? m->from : "") + 1,
				la = strlen(m->account) + 1;
	Dlr		   *d;

	if (!g_enabled)
		return;
	d = xmalloc(sizeof(Dlr) + ls + lt + lf + la);
	d->next = NULL;
	d->due = mono_us() + (int64_t) g_delay_ms * 1000;
	d->sid = memcpy(d->strings, m->sid, ls);
	d->to = memcpy(d->sid + ls, m->to, lt);
	d->from = memcpy(d->to + lt, m->from ? m->from : "", lf);
	d->account = memcpy(d->from + lf, m->account, la);
	pthread_mutex_lock(&g_lock);
	if (g_tail)
		g_tail->next = d;
	else
		g_head = d;
	g_tail = d;
	pthread_cond_signal(&g_cond);
	pthread_mutex_unlock(&g_lock);
	stat_inc(ST_DLR_QUEUED);
}

/* append one report's JSON object */
static void
payload(Buf *b, const Dlr *d)
{
	buf_puts(b, "{\"MessageSid\":");
	buf_json_str(b, d->sid);
	buf_puts(b, ",\"MessageStatus\":");
	buf_json_str(b, g_status);
	if (g_error_code != NULL)
	{
		buf_puts(b, ",\"ErrorCode\":");
		buf_json_str(b, g_error_code);
	}
	buf_puts(b, ",\"To\":");
	buf_json_str(b, d->to);
	buf_puts(b, ",\"From\":");
	buf_json_str(b, d->from[0] ? d->from : NULL);
	buf_puts(b, ",\"AccountSid\":");
	buf_json_str(b, d->account);
	buf_puts(b, "}");
}

/* report a failed call (the first, then every 1000th) */
static void
report_failure(const char *what, const char *msg)
{
	if (g_failures++ % 1000 == 0)
		fprintf(stderr, "textseq-mock: delivery report %s failed (%ld so far): %s",
				what, g_failures, msg);
}

/* run sql with one text parameter; true when it succeeded */
static bool
exec1(const char *sql, const char *param, bool report)
{
	PGresult   *res = PQexecParams(g_conn, sql, 1, NULL, &param, NULL, NULL, 0);
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok && report)
		report_failure("call", PQerrorMessage(g_conn));
	PQclear(res);
	return ok;
}

/* is the connection still usable? */
static bool
connected(void)
{
	return PQstatus(g_conn) == CONNECTION_OK;
}

/* post one report alone; false when the connection broke (not counted) */
static bool
post_one(Buf *b, const Dlr *d)
{
	bool		ok;

	buf_reset(b);
	payload(b, d);
	ok = exec1("SELECT textseq.delivery_report('twilio', $1::jsonb)", b->p, true);
	if (!ok && !connected())
		return false;
	stat_inc(ok ? ST_DLR_POSTED : ST_DLR_FAILED);
	store_set_status(d->sid, g_status);
	return true;
}

/*
 * Post a batch in one statement, else one by one.  Returns the reports not
 * posted because the connection broke (to be queued again), or NULL.
 */
static Dlr *
post_batch(Dlr *list)
{
	Buf			b;
	char		storage[4096];
	Dlr		   *d;
	long		n = 0;

	buf_init(&b, storage, sizeof(storage));
	buf_puts(&b, "[");
	for (d = list; d; d = d->next, n++)
	{
		if (n > 0)
			buf_puts(&b, ",");
		payload(&b, d);
	}
	buf_puts(&b, "]");
	if (exec1("SELECT textseq.delivery_report('twilio', e) "
			  "FROM jsonb_array_elements($1::jsonb) AS e", b.p, false))
	{
		stat_add(ST_DLR_POSTED, n);
		for (d = list; d; d = d->next)
			store_set_status(d->sid, g_status);
		d = NULL;
	}
	else
		for (d = list; d && connected() && post_one(&b, d); d = d->next)
			;
	buf_free(&b);
	return d;
}

/* connect when not connected; false when the database is unreachable */
static bool
ensure_connection(void)
{
	if (g_conn != NULL && PQstatus(g_conn) == CONNECTION_OK)
		return true;
	if (g_conn != NULL)
		PQfinish(g_conn);
	g_conn = PQconnectdb(g_conninfo);
	if (PQstatus(g_conn) == CONNECTION_OK)
		return true;
	report_failure("connection", PQerrorMessage(g_conn));
	return false;
}

/* wait on the condition until the monotonic time until_us */
static void
wait_until(int64_t until_us)
{
	struct timespec ts;

	ts.tv_sec = (time_t) (until_us / 1000000);
	ts.tv_nsec = (long) (until_us % 1000000) * 1000;
	pthread_cond_timedwait(&g_cond, &g_lock, &ts);
}

/* detach up to DLR_BATCH due reports from the queue head (lock held) */
static Dlr *
take_due(int64_t now)
{
	Dlr		   *list = g_head,
			   *last = NULL,
			   *d = g_head;
	int			n = 0;

	while (d != NULL && d->due <= now && n < DLR_BATCH)
		last = d, d = d->next, n++;
	if (last == NULL)
		return NULL;
	last->next = NULL;
	g_head = d;
	if (g_head == NULL)
		g_tail = NULL;
	return list;
}

/* put a batch back at the queue head (lock held) */
static void
put_back(Dlr *list)
{
	Dlr		   *last = list;

	while (last->next)
		last = last->next;
	last->next = g_head;
	g_head = list;
	if (g_tail == NULL)
		g_tail = last;
}

/* free the reports of a list up to (not including) stop */
static void
free_until(Dlr *d, Dlr *stop)
{
	while (d != stop)
	{
		Dlr		   *next = d->next;

		free(d);
		d = next;
	}
}

/* the thread: post due reports until stopped */
static void *
dlr_main(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&g_lock);
	while (!g_stop)
	{
		Dlr		   *batch = take_due(mono_us());
		Dlr		   *rest;

		if (batch == NULL)
		{
			if (g_head == NULL)
				pthread_cond_wait(&g_cond, &g_lock);
			else
				wait_until(g_head->due);
			continue;
		}
		pthread_mutex_unlock(&g_lock);
		rest = ensure_connection() ? post_batch(batch) : batch;
		free_until(batch, rest);
		pthread_mutex_lock(&g_lock);
		if (rest != NULL)
		{
			put_back(rest);
			wait_until(mono_us() + RECONNECT_US);
		}
	}
	pthread_mutex_unlock(&g_lock);
	return NULL;
}

/* the status string to store (static) for a --dlr-status value, or NULL */
static const char *
status_name(const char *s)
{
	static const char *const names[] = {"delivered", "undelivered", "failed", "sent"};
	size_t		i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return names[i];
	return NULL;
}

/* start the reporter; error_code NULL picks 30003/30008 for undelivered/failed */
int
dlr_start(const char *conninfo, int delay_ms, const char *status, const char *error_code)
{
	pthread_condattr_t ca;

	g_status = status_name(status);
	if (g_status == NULL)
	{
		fprintf(stderr, "textseq-mock: --dlr-status must be delivered, undelivered, failed or sent\n");
		return -1;
	}
	g_conninfo = conninfo;
	g_delay_ms = delay_ms;
	g_error_code = error_code;
	if (g_error_code == NULL && strcmp(g_status, "undelivered") == 0)
		g_error_code = "30003";
	if (g_error_code == NULL && strcmp(g_status, "failed") == 0)
		g_error_code = "30008";
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g_cond, &ca);
	pthread_condattr_destroy(&ca);
	g_enabled = true;
	return pthread_create(&g_thread, NULL, dlr_main, NULL) == 0 ? 0 : -1;
}

/* stop the reporter; reports not yet due are dropped (and counted) */
void
dlr_stop(void)
{
	long		dropped = 0;
	Dlr		   *d;

	if (!g_enabled)
		return;
	pthread_mutex_lock(&g_lock);
	g_stop = true;
	pthread_cond_signal(&g_cond);
	pthread_mutex_unlock(&g_lock);
	pthread_join(g_thread, NULL);
	for (d = g_head; d; d = d->next)
		dropped++;
	if (dropped > 0)
		fprintf(stderr, "textseq-mock: %ld delivery reports not yet due were dropped\n", dropped);
	free_until(g_head, NULL);
	g_head = g_tail = NULL;
	if (g_conn != NULL)
		PQfinish(g_conn);
	g_conn = NULL;
	g_enabled = false;
}
