/*-------------------------------------------------------------------------
 *
 * render_cache.c
 *	  Per-backend cache of parsed templates, so render() over a million
 *	  rows parses its template once.
 *
 * Bounded: 128 sets of 4 entries (512 templates), least recently used
 * evicted within a set, keyed by a hash of the template text with a full
 * compare on hit.  Each template lives in its own memory context under one
 * long-lived cache context; a parse that fails or throws leaves nothing
 * behind, because the template's context hangs under the caller's context
 * until the parse has succeeded.  Process-local: nothing here is shared.
 *
 *-------------------------------------------------------------------------
 */
#include "render.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#define CACHE_SETS 128
#define CACHE_WAYS 4

typedef struct CacheEntry
{
	uint32		hash;
	uint64		stamp;			/* last use, for LRU within the set */
	uint64		generation;		/* unique per insertion: validates hints */
	MemoryContext cxt;			/* holds tmpl; NULL when the slot is free */
	Tmpl	   *tmpl;
} CacheEntry;

static CacheEntry cache[CACHE_SETS][CACHE_WAYS];
static MemoryContext cache_root = NULL;
static uint64 cache_clock = 0;
static uint64 cache_generation = 0;
static int64 cache_hits = 0;
static int64 cache_misses = 0;

/* The entry of set holding exactly src, or NULL. */
static CacheEntry *
cache_find(CacheEntry *set, uint32 hash, const char *src, size_t len)
{
	for (int w = 0; w < CACHE_WAYS; w++)
	{
		CacheEntry *e = &set[w];
		const char *s;
		size_t		l;

		if (e->cxt == NULL || e->hash != hash)
			continue;
		s = tmpl_source(e->tmpl, &l);
		if (l == len && memcmp(s, src, len) == 0)
			return e;
	}
	return NULL;
}

/* The hinted entry if it still holds exactly src, else NULL. */
static CacheEntry *
cache_hinted(const RenderCacheHint *hint, const char *src, size_t len)
{
	CacheEntry *e = hint ? hint->entry : NULL;
	const char *s;
	size_t		l;

	if (e == NULL || e->cxt == NULL || e->generation != hint->generation)
		return NULL;
	s = tmpl_source(e->tmpl, &l);
	return l == len && memcmp(s, src, len) == 0 ? e : NULL;
}

/* The slot to reuse in a set: a free one, else the least recently used. */
static CacheEntry *
cache_victim(CacheEntry *set)
{
	CacheEntry *victim = &set[0];

	for (int w = 0; w < CACHE_WAYS; w++)
	{
		if (set[w].cxt == NULL)
			return &set[w];
		if (set[w].stamp < victim->stamp)
			victim = &set[w];
	}
	return victim;
}

/* Parse src in a context of its own, under the caller's context for now. */
static Tmpl *
parse_in_own_context(const char *src, size_t len, TsError *err, MemoryContext *cxt)
{
	MemoryContext old;
	Tmpl	   *t;

	*cxt = AllocSetContextCreate(CurrentMemoryContext, "textseq template",
								 ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(*cxt);
	t = tmpl_parse(src, len, err);
	MemoryContextSwitchTo(old);
	if (t == NULL)
	{
		MemoryContextDelete(*cxt);
		*cxt = NULL;
	}
	return t;
}

/*
 * The parsed template for src, or NULL with the first problem in *err.
 * *owned is set when the template was too big to cache: the caller must
 * tmpl_free it.  A cached template stays valid until the next call.  hint
 * (may be NULL) is checked first and updated to where the template is.
 */
const Tmpl *
render_cache_get(const char *src, size_t len, TsError *err, bool *owned,
				 RenderCacheHint *hint)
{
	uint32		hash = 0;
	CacheEntry *set = NULL,
			   *e;
	MemoryContext cxt;
	Tmpl	   *t;

	*owned = false;
	if (len > RENDER_CACHE_MAX_TEMPLATE)
	{
		*owned = true;
		return tmpl_parse(src, len, err);
	}
	e = cache_hinted(hint, src, len);
	if (e == NULL)
	{
		hash = hash_bytes((const unsigned char *) src, (int) len);
		set = cache[hash % CACHE_SETS];
		e = cache_find(set, hash, src, len);
	}
	if (e != NULL)
	{
		e->stamp = ++cache_clock;
		cache_hits++;
		if (hint)
			hint->entry = e, hint->generation = e->generation;
		return e->tmpl;
	}
	cache_misses++;
	t = parse_in_own_context(src, len, err, &cxt);
	if (t == NULL)
		return NULL;
	if (cache_root == NULL)
		cache_root = AllocSetContextCreate(TopMemoryContext, "textseq template cache",
										   ALLOCSET_SMALL_SIZES);
	e = cache_victim(set);
	if (e->cxt != NULL)
		MemoryContextDelete(e->cxt);
	MemoryContextSetParent(cxt, cache_root);
	e->hash = hash;
	e->stamp = ++cache_clock;
	e->generation = ++cache_generation;
	e->cxt = cxt;
	e->tmpl = t;
	if (hint)
		hint->entry = e, hint->generation = e->generation;
	return t;
}

/* How many templates are cached, and the hits and misses so far. */
void
render_cache_counts(int *entries, int64 *hits, int64 *misses)
{
	int			n = 0;

	for (int s = 0; s < CACHE_SETS; s++)
		for (int w = 0; w < CACHE_WAYS; w++)
			n += cache[s][w].cxt != NULL;
	*entries = n;
	*hits = cache_hits;
	*misses = cache_misses;
}
