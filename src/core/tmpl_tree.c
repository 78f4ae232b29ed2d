/*-------------------------------------------------------------------------
 *
 * tmpl_tree.c
 *	  The arena a parsed template lives in: one allocation per chunk, so a
 *	  template is freed in a few calls and a server cache can drop it whole.
 *
 * Never frees single nodes: a tree is built once and freed once.
 *
 *-------------------------------------------------------------------------
 */
#include "tmpl_int.h"

#include <string.h>

#define CHUNK_SIZE 4096
#define ALIGN_TO 16

/* Round n up to the arena's alignment. */
static size_t
align_up(size_t n)
{
	return (n + ALIGN_TO - 1) & ~((size_t) ALIGN_TO - 1);
}

/* Allocate size zeroed bytes that live as long as the template. */
void *
tmpl_arena_alloc(Tmpl *t, size_t size)
{
	TmplChunk  *c = t->chunks;
	size_t		header = align_up(sizeof(TmplChunk));
	char	   *p;

	size = align_up(size ? size : 1);
	if (c == NULL || c->cap - c->used < size)
	{
		size_t		cap = size > CHUNK_SIZE - header ? size : CHUNK_SIZE - header;

		c = ts_alloc(header + cap);
		c->used = 0;
		c->cap = cap;
		/* big one-off chunks go behind the current one, keeping its free space usable */
		if (t->chunks != NULL && cap > CHUNK_SIZE - header)
		{
			c->next = t->chunks->next;
			t->chunks->next = c;
		}
		else
		{
			c->next = t->chunks;
			t->chunks = c;
		}
	}
	p = (char *) c + header + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

/* A new, empty template holding its own NUL-terminated copy of the source. */
Tmpl *
tmpl_tree_new(const char *src, size_t len)
{
	Tmpl	   *t = ts_alloc0(sizeof(Tmpl));
	char	   *copy;

	copy = tmpl_arena_alloc(t, len + 1);
	if (len > 0)
		memcpy(copy, src, len);
	copy[len] = '\0';
	t->src = copy;
	t->len = len;
	return t;
}

/* Free a template and everything in it (NULL is fine). */
void
tmpl_free(Tmpl *t)
{
	TmplChunk  *c;

	if (t == NULL)
		return;
	c = t->chunks;
	while (c != NULL)
	{
		TmplChunk  *next = c->next;

		ts_free(c);
		c = next;
	}
	ts_free(t);
}

/* Call fn for every path the template mentions, in source order. */
void
tmpl_foreach_path(const Tmpl *t, TmplPathFn fn, void *ctx)
{
	for (const TmplPath *p = t->paths; p != NULL; p = p->next_all)
		fn(ctx, p->segs, p->nsegs, p->offset);
}

/* The template's copy of its source text (NUL-terminated). */
const char *
tmpl_source(const Tmpl *t, size_t *len)
{
	*len = t->len;
	return t->src;
}
