/*-------------------------------------------------------------------------
 *
 * twilio_list.c
 *	  GET /2010-04-01/Accounts/{AccountSid}/Messages.json: the list of
 *	  accepted Twilio messages of that account, newest first, filtered by
 *	  To, From, DateSent, DateSent>= and DateSent<= (dates YYYY-MM-DD, whole
 *	  UTC days, or YYYY-MM-DDTHH:MM:SSZ instants), paged with PageSize (1 to
 *	  1000, default 50), Page and PageToken.
 *
 *	  This is what reconciliation uses to decide whether an ambiguous create
 *	  reached the provider, so the filters are exact: To and From compare
 *	  whole strings, date bounds are inclusive.  PageToken is "PA" + the sid
 *	  of the last message of the previous page.  date_sent is the accepted
 *	  time (the mock "sends" at once).  Must not modify the store.
 *
 * test/mock/twilio_list.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"
#include "apply.h"
#include "twilio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_US (86400LL * 1000000)

typedef struct ListQuery
{
	const char *account;
	const char *to;
	const char *from;
	int64_t		lo_us;			/* inclusive bounds on created_us */
	int64_t		hi_us;
	long		page_size;
	long		page;
	uint64_t	before_seq;		/* from PageToken: only seq < this; 0 = none */
} ListQuery;

/* filter arguments kept verbatim for the page URIs */
static const char *const list_keys[] = {"To", "From", "DateSent", "DateSent>", "DateSent<"};

/* parse a date or instant; *is_day tells which; false when malformed */
static bool
parse_when(const char *s, int64_t *us, bool *is_day)
{
	struct tm	tm;
	int			n = 0;
	char		tail[8] = "";

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3)
		return false;
	*is_day = s[n] == '\0';
	if (!*is_day &&
		(sscanf(s + n, "T%2d:%2d:%2d%7s", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, tail) != 4 ||
		 strcmp(tail, "Z") != 0))
		return false;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*us = (int64_t) timegm(&tm) * 1000000;
	return true;
}

/* apply one DateSent argument (op '=', '>' or '<'); false when malformed */
static bool
date_bound(ListQuery *q, const char *val, char op)
{
	int64_t		t;
	bool		is_day;
	int64_t		last;

	if (val == NULL)
		return true;
	if (!parse_when(val, &t, &is_day))
		return false;
	last = t + (is_day ? DAY_US : 1000000) - 1;
	if ((op == '=' || op == '>') && t > q->lo_us)
		q->lo_us = t;
	if ((op == '=' || op == '<') && last < q->hi_us)
		q->hi_us = last;
	return true;
}

/* a strict non-negative integer argument, or dflt when absent; -1 when bad */
static long
int_arg(const char *s, long dflt)
{
	char	   *end;
	long		v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtol(s, &end, 10);
	return (*end || v < 0) ? -1 : v;
}

/* read the query string; false with an error reply when an argument is bad */
static bool
read_query(Req *r, ListQuery *q)
{
	const char *tok = req_query(r, "PageToken");

	q->to = req_query(r, "To");
	q->from = req_query(r, "From");
	q->lo_us = INT64_MIN;
	q->hi_us = INT64_MAX;
	if (!date_bound(q, req_query(r, "DateSent"), '=') ||
		!date_bound(q, req_query(r, "DateSent>"), '>') ||
		!date_bound(q, req_query(r, "DateSent<"), '<'))
	{
		twilio_error(r, 400, 20001, "DateSent must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ.");
		return false;
	}
	q->page_size = int_arg(req_query(r, "PageSize"), 50);
	q->page = int_arg(req_query(r, "Page"), 0);
	if (q->page_size < 1 || q->page < 0)
	{
		twilio_error(r, 400, 20001, "PageSize and Page must be positive integers.");
		return false;
	}
	if (q->page_size > 1000)
		q->page_size = 1000;
	q->before_seq = 0;
	if (tok != NULL && (strncmp(tok, "PA", 2) != 0 || (q->before_seq = store_sid_seq(tok + 2)) == 0))
	{
		twilio_error(r, 400, 20001, "Invalid PageToken.");
		return false;
	}
	return true;
}

/* does m pass the filters? */
static bool
matches(const Msg *m, const ListQuery *q)
{
	return m->prov == PROV_TWILIO &&
		strcmp(m->account, q->account) == 0 &&
		(q->to == NULL || (m->to && strcmp(m->to, q->to) == 0)) &&
		(q->from == NULL || (m->from && strcmp(m->from, q->from) == 0)) &&
		m->created_us >= q->lo_us && m->created_us <= q->hi_us;
}

/* a page URI with the same filters: page number and optional token */
static void
page_uri(Buf *b, Req *r, const ListQuery *q, long page, const char *token_sid)
{
	size_t		i;

	buf_printf(b, "\"%s%s/Messages.json?", TWILIO_PREFIX, q->account);
	for (i = 0; i < sizeof(list_keys) / sizeof(list_keys[0]); i++)
	{
		const char *v = req_query(r, list_keys[i]);

		if (v == NULL)
			continue;
		buf_url_enc(b, list_keys[i]);
		buf_puts(b, "=");
		buf_url_enc(b, v);
		buf_puts(b, "&");
	}
	buf_printf(b, "PageSize=%ld&Page=%ld", q->page_size, page);
	if (token_sid != NULL)
		buf_printf(b, "&PageToken=PA%s", token_sid);
	buf_puts(b, "\"");
}

/* index to start scanning at (newest first), honouring PageToken */
static long
start_index(const ListQuery *q)
{
	long		n = store_count();
	long		idx;

	if (q->before_seq == 0 || n == 0)
		return n - 1;
	idx = store_index_of_seq(q->before_seq);
	if (idx >= 0)
		return idx - 1;
	return q->before_seq > store_at(n - 1)->seq ? n - 1 : -1;
}

/* write the messages array; returns the count and the last sid (if more remain) */
static long
write_messages(Buf *b, const ListQuery *q, char *next_sid, size_t size)
{
	long		idx,
				count = 0;
	const Msg  *last = NULL;

	next_sid[0] = '\0';
	buf_puts(b, "{\"messages\":[");
	for (idx = start_index(q); idx >= 0; idx--)
	{
		const Msg  *m = store_at(idx);

		if (!matches(m, q))
			continue;
		if (count == q->page_size)
		{
			snprintf(next_sid, size, "%s", last->sid);
			break;
		}
		if (count++ > 0)
			buf_puts(b, ",");
		twilio_render_msg(b, m);
		last = m;
	}
	buf_puts(b, "]");
	return count;
}

/* GET .../Messages.json */
void
twilio_list(Req *r, const char *account)
{
	ListQuery	q;
	Fault		f;
	bool		faulted;
	Buf		   *b = &r->reply.body;
	char		next_sid[48];
	long		count;

	stat_inc(ST_LISTS);
	q.account = account;
	if (!read_query(r, &q))
		return;
	faulted = faults_match(OP_LIST, q.to, &f);
	if (faulted && apply_pre(r, &f, twilio_error))
		return;
	store_lock();
	count = write_messages(b, &q, next_sid, sizeof(next_sid));
	store_unlock();
	buf_printf(b, ",\"page\":%ld,\"page_size\":%ld,\"start\":%ld,\"end\":%ld",
			   q.page, q.page_size, q.page * q.page_size,
			   q.page * q.page_size + (count > 0 ? count - 1 : 0));
	buf_puts(b, ",\"first_page_uri\":");
	page_uri(b, r, &q, 0, NULL);
	buf_puts(b, ",\"previous_page_uri\":null,\"uri\":");
	page_uri(b, r, &q, q.page, NULL);
	buf_puts(b, ",\"next_page_uri\":");
	if (next_sid[0])
		page_uri(b, r, &q, q.page + 1, next_sid);
	else
		buf_puts(b, "null");
	buf_puts(b, "}");
	reply_json(r, 200);
	if (faulted)
		apply_post(r, &f, twilio_error);
}
