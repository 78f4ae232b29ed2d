/*-------------------------------------------------------------------------
 *
 * buf.c
 *	  Growable byte buffers for textseq-mock, with JSON-string and URL
 *	  encoders, plus the clocks and timestamp formats the responses use.
 *
 *	  A Buf starts on caller storage (usually inline in a request) and moves
 *	  to the heap only when it outgrows it, so the common request allocates
 *	  nothing here.  Out of memory aborts: this is a test tool.  Must not
 *	  know anything about HTTP or providers.
 *
 * test/mock/buf.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* malloc or abort */
void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
	{
		fputs("textseq-mock: out of memory\n", stderr);
		abort();
	}
	return p;
}

/* strdup or abort; NULL stays NULL */
char *
xstrdup(const char *s)
{
	size_t		n;
	char	   *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}

/* start a buffer on caller storage of size bytes (one kept for the NUL) */
void
buf_init(Buf *b, char *storage, size_t size)
{
	b->p = storage;
	b->cap = size - 1;
	b->len = 0;
	b->heap = false;
	b->p[0] = '\0';
}

/* empty the buffer, keeping its storage */
void
buf_reset(Buf *b)
{
	b->len = 0;
	b->p[0] = '\0';
}

/* release heap storage; the buffer must be re-initialised before reuse */
void
buf_free(Buf *b)
{
	if (b->heap)
		free(b->p);
	b->p = NULL;
	b->heap = false;
	b->len = b->cap = 0;
}

/* make room for need more bytes */
static void
buf_grow(Buf *b, size_t need)
{
	size_t		cap = b->cap ? b->cap * 2 : 256;
	char	   *p;

	while (cap < b->len + need)
		cap *= 2;
	p = xmalloc(cap + 1);
	memcpy(p, b->p, b->len + 1);
	if (b->heap)
		free(b->p);
	b->p = p;
	b->cap = cap;
	b->heap = true;
}

/* append n bytes */
void
buf_put(Buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap)
		buf_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* append a C string */
void
buf_puts(Buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* append printf-formatted text */
void
buf_printf(Buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n > b->cap - b->len)
	{
		buf_grow(b, (size_t) n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t) n;
}

/* append s as a quoted JSON string, or null when s is NULL */
void
buf_json_str(Buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *) s;
	const unsigned char *run;

	if (s == NULL)
	{
		buf_put(b, "null", 4);
		return;
	}
	buf_put(b, "\"", 1);
	for (run = u; *u; u++)
	{
		char		esc[6] = {'\\', 'u', '0', '0', 0, 0};

		if (*u >= 0x20 && *u != '"' && *u != '\\')
			continue;
		buf_put(b, (const char *) run, (size_t) (u - run));
		run = u + 1;
		if (*u == '"' || *u == '\\')
		{
			esc[1] = (char) *u;
			buf_put(b, esc, 2);
		}
		else if (*u == '\n')
			buf_put(b, "\\n", 2);
		else if (*u == '\r')
			buf_put(b, "\\r", 2);
		else if (*u == '\t')
			buf_put(b, "\\t", 2);
		else
		{
			esc[4] = hex[*u >> 4];
			esc[5] = hex[*u & 15];
			buf_put(b, esc, 6);
		}
	}
	buf_put(b, (const char *) run, (size_t) (u - run));
	buf_put(b, "\"", 1);
}

/* append s percent-encoded for a query string (unreserved bytes kept) */
void
buf_url_enc(Buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u;

	for (u = (const unsigned char *) s; *u; u++)
	{
		char		e[3];

		if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') ||
			(*u >= '0' && *u <= '9') || *u == '-' || *u == '_' ||
			*u == '.' || *u == '~')
		{
			buf_put(b, (const char *) u, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[*u >> 4];
		e[2] = hex[*u & 15];
		buf_put(b, e, 3);
	}
}

/* wall-clock time in microseconds since the epoch */
int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* monotonic time in microseconds, for delays */
int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* "Thu, 24 Aug 2023 05:01:45 +0000", Twilio's date format */
void
fmt_rfc2822(char *out, size_t size, int64_t us)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t		t = (time_t) (us / 1000000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
			 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "2024-01-02T03:04:05.123456Z" */
void
fmt_iso_us(char *out, size_t size, int64_t us)
{
	time_t		t = (time_t) (us / 1000000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (us % 1000000));
}
