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

/* Allocate size zeroed bytes that live as long as the template. */
void *
tmpl_arena_alloc(Tmpl *t, size_t size)
{
	return ts_arena_alloc(&t->arena, size);
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
	if (t == NULL)
		return;
	ts_arena_free(&t->arena);
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
