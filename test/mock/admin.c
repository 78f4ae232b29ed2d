/*-------------------------------------------------------------------------
 *
 * admin.c
 *	  The mock's control routes under /_mock/ (never faulted, never delayed,
 *	  no auth, not counted as provider requests):
 *	    GET  /_mock/health   {"ok":true}
 *	    GET  /_mock/stats    counters and the number of stored messages
 *	    POST /_mock/reset    forget messages, idempotency keys and counters
 *	                         (the log file is kept; sequence numbers go on)
 *	    GET  /_mock/faults   the current fault specs
 *	    POST /_mock/faults   replace them: one spec per line ('#' comments);
 *	                         an empty body clears them; a bad line is a 400
 *	                         and leaves the set unchanged
 *	  Must not touch provider formats.
 *
 * test/mock/admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <string.h>

/* {"error":message} with status 400 or 404 */
static void
admin_error(Req *r, int status, const char *message)
{
	buf_reset(&r->reply.body);
	buf_puts(&r->reply.body, "{\"error\":");
	buf_json_str(&r->reply.body, message);
	buf_puts(&r->reply.body, "}");
	reply_json(r, status);
}

/* the stats document */
static void
admin_stats(Req *r)
{
	long		n;

	store_lock();
	n = store_count();
	store_unlock();
	stats_to_json(&r->reply.body, n);
	reply_json(r, 200);
}

/* GET or POST /_mock/faults */
static void
admin_faults(Req *r)
{
	char		err[300];

	if (r->is_post && faults_replace(r->in.p, err, sizeof(err)) < 0)
	{
		admin_error(r, 400, err);
		return;
	}
	buf_puts(&r->reply.body, "{\"faults\":");
	faults_to_json(&r->reply.body);
	buf_puts(&r->reply.body, "}");
	reply_json(r, 200);
}

/* dispatch a request under /_mock/ */
void
admin_route(Req *r, const char *rest)
{
	if (r->too_big)
		admin_error(r, 413, "request body too large");
	else if (strcmp(rest, "health") == 0 && r->is_get)
	{
		buf_puts(&r->reply.body, "{\"ok\":true}");
		reply_json(r, 200);
	}
	else if (strcmp(rest, "stats") == 0 && r->is_get)
		admin_stats(r);
	else if (strcmp(rest, "reset") == 0 && r->is_post)
	{
		store_reset();
		stats_reset();
		buf_puts(&r->reply.body, "{\"ok\":true}");
		reply_json(r, 200);
	}
	else if (strcmp(rest, "faults") == 0 && (r->is_get || r->is_post))
		admin_faults(r);
	else
		admin_error(r, 404, "unknown control route (health, stats, reset, faults)");
}
