/*-------------------------------------------------------------------------
 *
 * core.h
 *	  What every pure core (template, segments, schedule, csv, query) may use.
 *
 * Pure cores never include postgres.h, never call ereport, SPI or fmgr.
 * They allocate through ts_alloc/ts_free, which the extension maps onto
 * palloc/pfree in the caller's memory context (src/core_alloc.c) and the
 * standalone builds (fuzzers, unit tests) map onto malloc/free
 * (test/fuzz/alloc_std.c).  Errors are returned as TsError structs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_CORE_H
#define TEXTSEQ_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation: in the server, palloc in CurrentMemoryContext. Never fails (server throws). */
extern void *ts_alloc(size_t size);
extern void *ts_alloc0(size_t size);
extern void *ts_realloc(void *ptr, size_t size);
extern void ts_free(void *ptr);

/*
 * Stack guard for recursive descent.  Cores keep their own nesting limit
 * (and return an error past it); this adds the server's check_stack_depth()
 * in server builds and does nothing standalone.
 */
extern void ts_check_stack(void);

/* A core's error: a code from the core's own enum, a message, and where. */
typedef struct TsError
{
	int			code;			/* 0 = no error; core-specific otherwise */
	int			offset;			/* byte offset into the input, -1 if none */
	int			line;			/* 1-based, 0 if not applicable */
	int			column;			/* 1-based (in characters), 0 if n/a */
	char		message[256];	/* short lower-case primary message */
} TsError;

/* A growable byte buffer backed by ts_alloc. */
typedef struct TsBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} TsBuf;

extern void tsbuf_init(TsBuf *b);
extern void tsbuf_append(TsBuf *b, const char *s, size_t n);
extern void tsbuf_appendc(TsBuf *b, char c);
extern void tsbuf_appends(TsBuf *b, const char *s);
extern void tsbuf_free(TsBuf *b);

/*
 * An arena: many small allocations freed together (parsed trees).  Zero it
 * to start; ts_arena_alloc returns zeroed, 16-byte aligned memory that lives
 * until ts_arena_free.
 */
typedef struct TsChunk TsChunk;
typedef struct TsArena
{
	TsChunk    *chunks;
} TsArena;

extern void *ts_arena_alloc(TsArena *a, size_t size);
extern void ts_arena_free(TsArena *a);

/*
 * in utf8.c: bytes from outside (provider responses, libcurl) made valid UTF-8
 * before they reach a text column; each ill-formed subpart becomes U+FFFD.
 */
extern bool ts_utf8_valid(const char *s, size_t len);
extern int	ts_utf8_put(uint32_t cp, char *out);
extern void tsbuf_append_utf8(TsBuf *b, const char *s, size_t len);
extern size_t ts_utf8_copy(char *dst, size_t size, const char *src, size_t len,
						   bool ascii_only);

/* Fill err with code, offset, line/column computed from input, and a formatted message. */
extern void ts_error_set(TsError *err, int code, const char *input, size_t input_len,
						 size_t offset, const char *fmt,...)
			__attribute__((format(printf, 6, 7)));

#endif							/* TEXTSEQ_CORE_H */
