/*-------------------------------------------------------------------------
 *
 * loadgen.c
 *	  `textseq-mock load`: a tiny keep-alive HTTP/1.1 load generator, so the
 *	  smoke test and benchmarks can measure the mock's request rate without
 *	  wrk.  N threads, one connection each, send Twilio creates back to back
 *	  for a number of seconds and count the answers.
 *
 *	    textseq-mock load --port P [--connections N] [--seconds S]
 *	                      [--account AC..] [--telnyx]
 *
 *	  Prints "load: R requests in S s = X req/s, E errors" and exits non-zero
 *	  when a request failed.  Must not share state with the server code.
 *
 * test/mock/loadgen.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include "mock.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOAD_MAX_CONN 256

typedef struct LoadArgs
{
	int			port;
	int			seconds;
	bool		telnyx;
	const char *account;
	int64_t		end_us;
	atomic_long done;
	atomic_long errors;
} LoadArgs;

/* connect to 127.0.0.1:port; -1 on failure */
static int
dial(int port)
{
	struct sockaddr_in sa;
	int			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int			one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
	{
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* the request bytes every connection sends */
static void
build_request(const LoadArgs *a, Buf *b)
{
	const char *body = a->telnyx ?
		"{\"from\":\"+15550000000\",\"to\":\"+15551234567\",\"text\":\"load test\"}" :
		"To=%2B15551234567&From=%2B15550000000&Body=load+test";

	if (a->telnyx)
		buf_printf(b, "POST /v2/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				   "Content-Type: application/json\r\n");
	else
		buf_printf(b, "POST /2010-04-01/Accounts/%s/Messages.json HTTP/1.1\r\n"
				   "Host: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n",
				   a->account);
	buf_printf(b, "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
}

/* read one response; returns its status, or -1 when the connection failed */
static int
read_response(int fd, char *buf, size_t size)
{
	size_t		have = 0;
	char	   *end = NULL;
	long		clen = 0;
	int			status = 0;
	const char *cl;

	while (end == NULL)
	{
		ssize_t		n = recv(fd, buf + have, size - 1 - have, 0);

		if (n <= 0)
			return -1;
		have += (size_t) n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end == NULL && have >= size - 1)
			return -1;
	}
	sscanf(buf, "HTTP/1.1 %d", &status);
	cl = strcasestr(buf, "\nContent-Length:");
	if (cl != NULL && cl < end)
		clen = atol(cl + 16);
	for (clen -= (long) (have - (size_t) (end + 4 - buf)); clen > 0;)
	{
		ssize_t		n = recv(fd, buf, size - 1, 0);

		if (n <= 0)
			return -1;
		clen -= n;
	}
	return status;
}

/* one connection's loop: send, read, count, until the end time */
static void *
load_thread(void *arg)
{
	LoadArgs   *a = arg;
	char		storage[1024];
	char		in[16384];
	Buf			req;
	int			fd = dial(a->port);

	buf_init(&req, storage, sizeof(storage));
	build_request(a, &req);
	while (fd >= 0 && mono_us() < a->end_us)
	{
		int			status;

		if (send(fd, req.p, req.len, MSG_NOSIGNAL) != (ssize_t) req.len ||
			(status = read_response(fd, in, sizeof(in))) < 0)
			break;
		atomic_fetch_add(&a->done, 1);
		if (status < 200 || status > 299)
			atomic_fetch_add(&a->errors, 1);
	}
	if (fd < 0 || mono_us() < a->end_us)
		atomic_fetch_add(&a->errors, 1);
	if (fd >= 0)
		close(fd);
	buf_free(&req);
	return NULL;
}

/* parse options, run the threads, print the rate */
int
loadgen_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"connections", required_argument, NULL, 'c'},
		{"seconds", required_argument, NULL, 's'},
		{"account", required_argument, NULL, 'a'},
		{"telnyx", no_argument, NULL, 't'},
		{NULL, 0, NULL, 0}
	};
	LoadArgs	a = {.port = 0, .seconds = 3, .account = "ACload"};
	pthread_t	th[LOAD_MAX_CONN];
	int			conns = 8,
				c,
				i;
	int64_t		start;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
	{
		if (c == 'p')
			a.port = atoi(optarg);
		else if (c == 'c')
			conns = atoi(optarg);
		else if (c == 's')
			a.seconds = atoi(optarg);
		else if (c == 'a')
			a.account = optarg;
		else if (c == 't')
			a.telnyx = true;
		else
			return 2;
	}
	if (a.port <= 0 || conns < 1 || conns > LOAD_MAX_CONN || a.seconds < 1)
	{
		fprintf(stderr, "usage: textseq-mock load --port P [--connections 1..%d] "
				"[--seconds S] [--account AC..] [--telnyx]\n", LOAD_MAX_CONN);
		return 2;
	}
	start = mono_us();
	a.end_us = start + (int64_t) a.seconds * 1000000;
	for (i = 0; i < conns; i++)
		pthread_create(&th[i], NULL, load_thread, &a);
	for (i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	printf("load: %ld requests in %.2f s = %.0f req/s, %ld errors\n",
		   atomic_load(&a.done), (double) (mono_us() - start) / 1e6,
		   (double) atomic_load(&a.done) * 1e6 / (double) (mono_us() - start),
		   atomic_load(&a.errors));
	return atomic_load(&a.errors) > 0 ? 1 : 0;
}
