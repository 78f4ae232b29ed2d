/*-------------------------------------------------------------------------
 *
 * server.c
 *	  The HTTP side of textseq-mock: the libmicrohttpd daemon (loopback only,
 *	  epoll thread pool, keep-alive) and the life of one request: read the
 *	  body, route it, then answer now, after a delay, slowly, never (hang) or
 *	  by dropping the connection (reset).
 *
 *	  Request states: READ (collecting the body) -> WAIT (suspended for a
 *	  delay; the timer thread resumes it) -> SENT; or HANG (suspended until
 *	  the client closes or the mock stops).  Request records come from a
 *	  per-thread free list with inline buffers, and replies are handed to
 *	  MHD without copying, so a plain request costs no malloc of ours.
 *	  Must not know provider formats (twilio.c, telnyx.c do).
 *
 * test/mock/server.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BODY (1024 * 1024)
#define FREE_LIST_MAX 256
#define SLOW_PIECES 10

enum
{
	REQ_READ,
	REQ_WAIT,
	REQ_HANG,
	REQ_SENT
};

static struct MHD_Daemon *g_daemon;
static MHD_socket g_listen_fd = MHD_INVALID_SOCKET;
static atomic_bool g_stopping;

/* per-thread free list of request records, freed when the thread exits */
typedef struct FreeList
{
	Req		   *head;
	int			n;
} FreeList;

static pthread_key_t g_free_key;
static pthread_once_t g_free_once = PTHREAD_ONCE_INIT;
static __thread FreeList *t_free;

/* true once shutdown has begun: handlers drop what they are doing */
bool
server_stopping(void)
{
	return atomic_load_explicit(&g_stopping, memory_order_relaxed);
}

/* thread-exit destructor: free the thread's cached request records */
static void
free_list_destroy(void *p)
{
	FreeList   *fl = p;

	while (fl->head != NULL)
	{
		Req		   *next = fl->head->next_free;

		free(fl->head);
		fl->head = next;
	}
	free(fl);
}

/* create the free-list key (once) */
static void
free_key_create(void)
{
	pthread_key_create(&g_free_key, free_list_destroy);
}

/* this thread's free list, created on first use */
static FreeList *
free_list(void)
{
	if (t_free == NULL)
	{
		pthread_once(&g_free_once, free_key_create);
		t_free = xmalloc(sizeof(FreeList));
		t_free->head = NULL;
		t_free->n = 0;
		pthread_setspecific(g_free_key, t_free);
	}
	return t_free;
}

/* a fresh request record, from this thread's free list when possible */
static Req *
req_get(struct MHD_Connection *c, const char *url, const char *method)
{
	FreeList   *fl = free_list();
	Req		   *r = fl->head;

	if (r != NULL)
	{
		fl->head = r->next_free;
		fl->n--;
	}
	else
		r = xmalloc(sizeof(Req));
	r->next_free = NULL;
	r->conn = c;
	r->url = url;
	r->is_get = strcmp(method, "GET") == 0;
	r->is_post = strcmp(method, "POST") == 0;
	r->too_big = false;
	r->state = REQ_READ;
	buf_init(&r->in, r->in_inline, sizeof(r->in_inline));
	memset(&r->reply, 0, sizeof(r->reply));
	r->reply.status = 200;
	r->reply.ctype = "application/json";
	buf_init(&r->reply.body, r->out_inline, sizeof(r->out_inline));
	return r;
}

/* give a request record back to this thread's free list */
static void
req_put(Req *r)
{
	FreeList   *fl = free_list();

	buf_free(&r->in);
	buf_free(&r->reply.body);
	if (fl->n >= FREE_LIST_MAX)
	{
		free(r);
		return;
	}
	r->next_free = fl->head;
	fl->head = r;
	fl->n++;
}

/* value of a request header, or NULL */
const char *
req_header(Req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* value of a query-string argument (decoded), or NULL */
const char *
req_query(Req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* mark the reply as JSON with this status (the body is already written) */
void
reply_json(Req *r, int status)
{
	r->reply.status = status;
	r->reply.ctype = "application/json";
}

/* suspend the connection until due (monotonic us); resumed at once if stopping */
static enum MHD_Result
suspend_until(Req *r, int64_t due, int state)
{
	r->state = state;
	MHD_suspend_connection(r->conn);
	if (!timers_resume_at(r->conn, due))
		MHD_resume_connection(r->conn);
	return MHD_YES;
}

/* content reader that trickles the body in pieces spread over slow_ms */
static ssize_t
slow_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	Req		   *r = cls;
	size_t		len = r->reply.body.len;
	size_t		pieces = len < SLOW_PIECES ? len : SLOW_PIECES;
	size_t		i = (size_t) r->slow_piece;
	size_t		end,
				n;
	int64_t		due;

	if (server_stopping())
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	due = r->slow_start + (pieces > 1 ?
						   (int64_t) r->reply.slow_ms * 1000 * (int64_t) i / (int64_t) (pieces - 1) :
						   (int64_t) r->reply.slow_ms * 1000);
	if (mono_us() < due)
	{
		MHD_suspend_connection(r->conn);
		if (!timers_resume_at(r->conn, due))
			MHD_resume_connection(r->conn);
		return 0;
	}
	end = len * (i + 1) / pieces;
	n = end - (size_t) pos < max ? end - (size_t) pos : max;
	memcpy(out, r->reply.body.p + pos, n);
	if (pos + n >= end)
		r->slow_piece++;
	return (ssize_t) n;
}

/* close the connection with an RST and no response */
static enum MHD_Result
drop_connection(Req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct linger lg = {1, 0};

	if (ci != NULL)
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return MHD_NO;
}

/* send the prepared reply (or reset, hang, trickle) */
static enum MHD_Result
reply_send(Req *r)
{
	Reply	   *rep = &r->reply;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char		ra[16];

	if (rep->post == POST_RESET)
		return drop_connection(r);
	if (rep->post == POST_HANG)
	{
		r->state = REQ_HANG;
		MHD_suspend_connection(r->conn);
		if (!timers_hang(r->conn))
			MHD_resume_connection(r->conn);
		return MHD_YES;
	}
	if (rep->post == POST_SLOW && rep->body.len > 0)
	{
		r->slow_start = mono_us();
		r->slow_piece = 0;
		resp = MHD_create_response_from_callback(rep->body.len, 1024, slow_reader, r, NULL);
	}
	else
		resp = MHD_create_response_from_buffer(rep->body.len, rep->body.p,
											   MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->ctype);
	if (rep->retry_after > 0)
	{
		snprintf(ra, sizeof(ra), "%d", rep->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	r->state = REQ_SENT;
	ret = MHD_queue_response(r->conn, (unsigned) rep->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* route a complete request; provider routes get the configured latency */
static void
route(Req *r)
{
	const char *u = r->url;

	if (strncmp(u, "/_mock/", 7) == 0)
	{
		admin_route(r, u + 7);
		return;
	}
	stat_inc(ST_REQUESTS);
	if (r->too_big)
		twilio_error(r, 413, 20001, "The request body is too large.");
	else if (strncmp(u, "/2010-04-01/Accounts/", 21) == 0)
		twilio_route(r, u + 21);
	else if (strncmp(u, "/v2/messages", 12) == 0)
		telnyx_route(r, u + 12);
	else
	{
		stat_inc(ST_NOT_FOUND);
		twilio_error(r, 404, 20404, "The requested resource was not found.");
	}
	r->reply.delay_ms += g_cfg.latency_ms;
}

/* MHD access handler: collect the body, then route and answer */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
		   const char *method, const char *version, const char *upload,
		   size_t *upload_size, void **req_cls)
{
	Req		   *r = *req_cls;

	(void) cls;
	(void) version;
	if (r == NULL)
	{
		*req_cls = req_get(c, url, method);
		return MHD_YES;
	}
	if (*upload_size > 0)
	{
		if (r->in.len + *upload_size > MAX_BODY)
			r->too_big = true;
		else
			buf_put(&r->in, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (server_stopping())
		return MHD_NO;
	if (r->state == REQ_WAIT)
		return reply_send(r);
	if (r->state != REQ_READ)
		return MHD_NO;			/* a hang whose client went away */
	route(r);
	if (r->reply.delay_ms > 0)
		return suspend_until(r, mono_us() + (int64_t) r->reply.delay_ms * 1000, REQ_WAIT);
	return reply_send(r);
}

/* MHD completion callback: recycle the request record */
static void
on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void) cls;
	(void) c;
	(void) toe;
	if (*req_cls != NULL)
		req_put(*req_cls);
	*req_cls = NULL;
}

/* connection limit from the descriptor limit (raised to the hard limit) */
static unsigned
connection_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1000;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur > 60000)
		return 60000;
	return rl.rlim_cur > 64 ? (unsigned) rl.rlim_cur - 32 : 32;
}

/* start the daemon on 127.0.0.1:port (0 = any free port) */
int
server_start(int port, int threads, int *bound_port)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *di;
	unsigned	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_daemon = MHD_start_daemon(flags, (uint16_t) port, NULL, NULL, on_request, NULL,
								MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
								MHD_OPTION_THREAD_POOL_SIZE, (unsigned) (threads > 1 ? threads : 0),
								MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
								MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
								MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 600,
								MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 4096,
								MHD_OPTION_END);
	if (g_daemon == NULL)
	{
		fprintf(stderr, "textseq-mock: cannot listen on 127.0.0.1:%d\n", port);
		return -1;
	}
	di = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
	*bound_port = di ? di->port : port;
	return 0;
}

/* stop accepting connections and mark shutdown (handlers then close) */
void
server_quiesce(void)
{
	atomic_store(&g_stopping, true);
	if (g_daemon != NULL)
		g_listen_fd = MHD_quiesce_daemon(g_daemon);
}

/* stop the daemon (suspended connections must have been resumed) */
void
server_stop(void)
{
	if (g_daemon != NULL)
		MHD_stop_daemon(g_daemon);
	g_daemon = NULL;
	if (g_listen_fd != MHD_INVALID_SOCKET)
		close(g_listen_fd);
	g_listen_fd = MHD_INVALID_SOCKET;
}
