/*-------------------------------------------------------------------------
 *
 * render.h
 *	  Between the SQL functions of merge rendering (render.c) and the
 *	  per-backend cache of parsed templates (render_cache.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_RENDER_H
#define TEXTSEQ_RENDER_H

#include "postgres.h"

#include "core/tmpl.h"

/* Templates bigger than this are parsed per call, never cached. */
#define RENDER_CACHE_MAX_TEMPLATE 16384
/* Template text over this is refused when saved (template_validate). */
#define RENDER_MAX_TEMPLATE 65536

/*
 * Where a caller (one SQL call site, via fn_extra) last found its template,
 * so a repeated template skips hashing: only its text is compared.
 */
typedef struct RenderCacheHint
{
	void	   *entry;
	uint64		generation;
} RenderCacheHint;

/* in render_cache.c */
extern const Tmpl *render_cache_get(const char *src, size_t len, TsError *err, bool *owned,
									RenderCacheHint *hint);
extern void render_cache_counts(int *entries, int64 *hits, int64 *misses);

#endif							/* TEXTSEQ_RENDER_H */
