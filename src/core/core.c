/*-------------------------------------------------------------------------
 *
 * core.c
 *	  Shared helpers of the pure cores: byte buffers, arenas and error positions.
 *
 * No server dependency: allocation goes through ts_alloc (core.h).
 *
 *-------------------------------------------------------------------------
 */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Start an empty buffer; data stays NULL until the first append. */
void
tsbuf_init(TsBuf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Make room for n more bytes plus a terminating NUL. */
static void
tsbuf_reserve(TsBuf *b, size_t n)
{
	size_t		need = b->len + n + 1;
	size_t		cap;

	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = b->data ? ts_realloc(b->data, cap) : ts_alloc(cap);
	b->cap = cap;
}

/* Append n bytes; the buffer is always NUL-terminated after an append. */
void
tsbuf_append(TsBuf *b, const char *s, size_t n)
{
	tsbuf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Append one byte. */
void
tsbuf_appendc(TsBuf *b, char c)
{
	tsbuf_append(b, &c, 1);
}

/* Append a NUL-terminated string. */
void
tsbuf_appends(TsBuf *b, const char *s)
{
	tsbuf_append(b, s, strlen(s));
}

/* Release the buffer's storage. */
void
tsbuf_free(TsBuf *b)
{
	if (b->data)
		ts_free(b->data);
	tsbuf_init(b);
}

/* ---- arenas ------------------------------------------------------------- */

#define ARENA_CHUNK 4096
#define ARENA_ALIGN 16

/* A chunk of an arena; data follows the (aligned) header. */
struct TsChunk
{
	struct TsChunk *next;
	size_t		used;
	size_t		cap;
};

static size_t
arena_align(size_t n)
{
	return (n + ARENA_ALIGN - 1) & ~((size_t) ARENA_ALIGN - 1);
}

/* Allocate size zeroed bytes that live until ts_arena_free. */
void *
ts_arena_alloc(TsArena *a, size_t size)
{
	TsChunk    *c = a->chunks;
	size_t		header = arena_align(sizeof(TsChunk));
	char	   *p;

	size = arena_align(size ? size : 1);
	if (c == NULL || c->cap - c->used < size)
	{
		size_t		cap = size > ARENA_CHUNK - header ? size : ARENA_CHUNK - header;

		c = ts_alloc(header + cap);
		c->used = 0;
		c->cap = cap;
		/* big one-off chunks go behind the current one, keeping its free space usable */
		if (a->chunks != NULL && cap > ARENA_CHUNK - header)
		{
			c->next = a->chunks->next;
			a->chunks->next = c;
		}
		else
		{
			c->next = a->chunks;
			a->chunks = c;
		}
	}
	p = (char *) c + header + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

/* Free every chunk of an arena; it is empty (and reusable) afterwards. */
void
ts_arena_free(TsArena *a)
{
	TsChunk    *c = a->chunks;

	while (c != NULL)
	{
		TsChunk    *next = c->next;

		ts_free(c);
		c = next;
	}
	a->chunks = NULL;
}

/* Record an error with its offset and the 1-based line and character column. */
void
ts_error_set(TsError *err, int code, const char *input, size_t input_len,
			 size_t offset, const char *fmt,...)
{
	va_list		ap;
	int			line = 1;
	int			column = 1;

	if (offset > input_len)
		offset = input_len;
	for (size_t i = 0; i < offset; i++)
	{
		unsigned char c = (unsigned char) input[i];

		if (c == '\n')
		{
			line++;
			column = 1;
		}
		else if ((c & 0xC0) != 0x80)	/* count characters, not bytes */
			column++;
	}
	err->code = code;
	err->offset = (int) offset;
	err->line = line;
	err->column = column;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}
