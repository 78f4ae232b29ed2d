/*-------------------------------------------------------------------------
 *
 * timers.c
 *	  The timer thread of textseq-mock: resumes suspended connections when
 *	  their delay is over (delay, latency, slow pieces), and watches hung
 *	  connections, resuming them (to be closed) when the client gives up.
 *
 *	  Locking: g_lock guards the heap, the hang list and g_stop.  Connections
 *	  are resumed outside the lock, so MHD's own locks never nest inside ours.
 *	  At stop every suspended connection is resumed (MHD must not be stopped
 *	  with suspended connections) and later requests are refused, so their
 *	  caller resumes them itself.  Must not build responses.
 *
 * test/mock/timers.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include "mock.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define HANG_POLL_US 50000
#define BATCH 256

typedef struct Timer
{
	int64_t		due;
	struct MHD_Connection *c;
} Timer;

typedef struct Hang
{
	struct MHD_Connection *c;
	int			fd;
} Hang;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static pthread_t g_thread;
static bool g_started;
static bool g_stop;
static Timer *g_heap;
static long g_n;
static long g_cap;
static Hang *g_hangs;
static long g_nh;
static long g_caph;

/* restore the heap property upwards from i */
static void
sift_up(long i)
{
	while (i > 0)
	{
		long		p = (i - 1) / 2;
		Timer		t;

		if (g_heap[p].due <= g_heap[i].due)
			break;
		t = g_heap[p], g_heap[p] = g_heap[i], g_heap[i] = t;
		i = p;
	}
}

/* restore the heap property downwards from 0 */
static void
sift_down(void)
{
	long		i = 0;

	for (;;)
	{
		long		l = 2 * i + 1,
					m = i;
		Timer		t;

		if (l < g_n && g_heap[l].due < g_heap[m].due)
			m = l;
		if (l + 1 < g_n && g_heap[l + 1].due < g_heap[m].due)
			m = l + 1;
		if (m == i)
			return;
		t = g_heap[m], g_heap[m] = g_heap[i], g_heap[i] = t;
		i = m;
	}
}

/* grow an array of elem-sized items to hold one more */
static void *
grow(void *arr, long n, long *cap, size_t elem)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 256;
	arr = realloc(arr, (size_t) *cap * elem);
	if (arr == NULL)
		abort();
	return arr;
}

/* ask for c to be resumed at due; false when stopping (caller resumes) */
bool
timers_resume_at(struct MHD_Connection *c, int64_t due)
{
	pthread_mutex_lock(&g_lock);
	if (g_stop || !g_started)
	{
		pthread_mutex_unlock(&g_lock);
		return false;
	}
	g_heap = grow(g_heap, g_n, &g_cap, sizeof(Timer));
	g_heap[g_n].due = due;
	g_heap[g_n].c = c;
	sift_up(g_n++);
	if (g_heap[0].c == c)
		pthread_cond_signal(&g_cond);
	pthread_mutex_unlock(&g_lock);
	return true;
}

/* watch a hung connection; false when stopping (caller resumes) */
bool
timers_hang(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

	pthread_mutex_lock(&g_lock);
	if (g_stop || !g_started || ci == NULL)
	{
		pthread_mutex_unlock(&g_lock);
		return false;
	}
	g_hangs = grow(g_hangs, g_nh, &g_caph, sizeof(Hang));
	g_hangs[g_nh].c = c;
	g_hangs[g_nh].fd = ci->connect_fd;
	g_nh++;
	pthread_cond_signal(&g_cond);
	pthread_mutex_unlock(&g_lock);
	return true;
}

/* has the peer of fd closed (or reset) the connection? */
static bool
peer_gone(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};
	char		b;

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
		return true;
	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* move up to BATCH due (or, when all, every) connections into out */
static int
collect(struct MHD_Connection **out, int64_t now, bool all)
{
	int			k = 0;
	long		i;

	while (k < BATCH && g_n > 0 && (all || g_heap[0].due <= now))
	{
		out[k++] = g_heap[0].c;
		g_heap[0] = g_heap[--g_n];
		sift_down();
	}
	for (i = 0; i < g_nh && k < BATCH; i++)
		if (all || peer_gone(g_hangs[i].fd))
		{
			out[k++] = g_hangs[i].c;
			g_hangs[i--] = g_hangs[--g_nh];
		}
	return k;
}

/* sleep until the next due time, a hang check, a new timer or stop */
static void
wait_next(int64_t now)
{
	int64_t		until = -1;
	struct timespec ts;

	if (g_n > 0)
		until = g_heap[0].due;
	if (g_nh > 0 && (until < 0 || until > now + HANG_POLL_US))
		until = now + HANG_POLL_US;
	if (until < 0)
	{
		pthread_cond_wait(&g_cond, &g_lock);
		return;
	}
	ts.tv_sec = (time_t) (until / 1000000);
	ts.tv_nsec = (long) (until % 1000000) * 1000;
	pthread_cond_timedwait(&g_cond, &g_lock, &ts);
}

/* the thread: resume due connections until stopped, then resume all */
static void *
timer_main(void *arg)
{
	struct MHD_Connection *due[BATCH];

	(void) arg;

	pthread_mutex_lock(&g_lock);
	for (;;)
	{
		bool		stop = g_stop;
		int			k = collect(due, mono_us(), stop),
					i;

		if (k > 0)
		{
			pthread_mutex_unlock(&g_lock);
			for (i = 0; i < k; i++)
				MHD_resume_connection(due[i]);
			pthread_mutex_lock(&g_lock);
			continue;
		}
		if (stop)
			break;
		wait_next(mono_us());
	}
	pthread_mutex_unlock(&g_lock);
	return NULL;
}

/* start the timer thread (condition variable on the monotonic clock) */
void
timers_start(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g_cond, &ca);
	pthread_condattr_destroy(&ca);
	g_started = true;
	if (pthread_create(&g_thread, NULL, timer_main, NULL) != 0)
		abort();
}

/* resume every suspended connection and stop the thread */
void
timers_stop(void)
{
	if (!g_started)
		return;
	pthread_mutex_lock(&g_lock);
	g_stop = true;
	pthread_cond_signal(&g_cond);
	pthread_mutex_unlock(&g_lock);
	pthread_join(g_thread, NULL);
	free(g_heap);
	free(g_hangs);
	g_heap = NULL;
	g_hangs = NULL;
	g_n = g_nh = 0;
}
