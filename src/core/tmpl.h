/*-------------------------------------------------------------------------
 *
 * tmpl.h
 *	  The merge-template core: a Liquid subset parsed once into a tree and
 *	  rendered many times through a caller-supplied value resolver.
 *
 * Pure core (see core.h): no server headers, no jsonb.  The caller decides
 * what a path such as lead.first_name means by supplying a TmplResolver.
 * The language itself is documented in docs/template-language.md.
 *
 * Index of the implementation:
 *	  tmpl_lex.c	 splitting text from {{ }} / {% %} and tokenising markup
 *	  tmpl_parse.c	 building the tree, collecting every problem
 *	  tmpl_parse_value.c  the parser's values: literals, paths and [ ] steps
 *	  tmpl_tree.c	 the arena the tree lives in, freeing, walking paths
 *	  tmpl_render.c	 rendering and condition evaluation
 *	  tmpl_filter.c	 the filters (default, upcase, truncate, ...)
 *	  tmpl_value.c	 values: printing, truth, comparison, scratch space
 *	  tmpl_utf8.c	 UTF-8 decoding and Unicode case mapping
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_TMPL_H
#define TEXTSEQ_TMPL_H

#include "core.h"

/* Limits: nesting of if/unless blocks, path length, [ ] inside [ ], problems kept. */
#define TMPL_MAX_DEPTH		32
#define TMPL_MAX_SEGMENTS	16
#define TMPL_MAX_KEY_DEPTH	16	/* lead[a[b[...]]] */
#define TMPL_MAX_PROBLEMS	64
/* Rendering is bounded: no value or output may exceed this many bytes ... */
#define TMPL_MAX_OUTPUT		(1024 * 1024)
/* ... and all filters of one render together may produce at most this much. */
#define TMPL_MAX_WORK		(16 * TMPL_MAX_OUTPUT)

/* Error codes of TsError.code for this core (the glue maps them to SQLSTATEs). */
typedef enum TmplErrorCode
{
	TMPL_OK = 0,
	TMPL_ERR_SYNTAX,			/* malformed markup, unexpected or unclosed tags */
	TMPL_ERR_UNKNOWN_TAG,		/* {% foo %} */
	TMPL_ERR_UNKNOWN_FILTER,	/* | foo */
	TMPL_ERR_FILTER_ARG,		/* wrong number or kind of filter arguments */
	TMPL_ERR_TOO_DEEP,			/* nesting past TMPL_MAX_DEPTH or path too long */
	TMPL_ERR_RENDER_LIMIT		/* rendering past TMPL_MAX_OUTPUT / TMPL_MAX_WORK */
} TmplErrorCode;

/* The kinds of value a path or literal can have (Liquid's nil, string, number, boolean, array, hash). */
typedef enum TmplKind
{
	TMPL_NIL = 0,
	TMPL_BOOL,
	TMPL_NUMBER,
	TMPL_STRING,
	TMPL_ARRAY,
	TMPL_OBJECT
} TmplKind;

/*
 * A value.  str/len is how the value renders: the text of a string, the
 * decimal text of a number, and whatever text the resolver chooses for an
 * array or object.  An array also lists its elements (for contains, size,
 * first, last); an object gives only its member count in nitems.
 * Nothing here is owned by the value: the resolver keeps its strings alive
 * until the render call returns.
 */
typedef struct TmplValue
{
	TmplKind	kind;
	bool		boolean;
	const char *str;
	size_t		len;
	const struct TmplValue *items;
	int			nitems;
} TmplValue;

/* How one step of a path selects (lead.first_name, lead["first name"], lead.tags[0], lead[field]). */
typedef enum TmplSegKind
{
	TMPL_SEG_NAME = 0,			/* .name: an object's key; all digits also index an array */
	TMPL_SEG_KEY,				/* ["text"], or [x] where x is a string: an object's key only */
	TMPL_SEG_INDEX,				/* [0], [-1], or [x] where x is an integer: an array index only */
	TMPL_SEG_EXPR				/* [x] where x is a path: known only while rendering */
} TmplSegKind;

/*
 * One step of a path.  name/len (NAME, KEY) is not NUL-terminated; index
 * (INDEX) counts from the end of the array when negative.  A resolver never
 * sees TMPL_SEG_EXPR: the renderer turns it into a KEY or an INDEX first.
 */
typedef struct TmplSeg
{
	TmplSegKind kind;
	const char *name;
	int			len;
	long long	index;
	size_t		offset;			/* where the step is written in the source */
} TmplSeg;

/*
 * Look up a path.  Return false when it does not exist (Liquid treats a
 * missing value as nil); otherwise fill *out and return true.  Called with
 * a prefix of a path too (for .size/.first/.last and object contains).
 */
typedef bool (*TmplResolver) (void *ctx, const TmplSeg *segs, int nsegs, TmplValue *out);

/* A parsed template.  Self-contained: it keeps its own copy of the source. */
typedef struct Tmpl Tmpl;

/* Every problem found by tmpl_parse_all, in source order. */
typedef struct TmplProblems
{
	TsError		items[TMPL_MAX_PROBLEMS];
	int			count;
	bool		truncated;		/* more problems than TMPL_MAX_PROBLEMS */
} TmplProblems;

/*
 * Called for every path the template refers to; offset is into the source.
 * A step written as [x] with x a path comes as TMPL_SEG_EXPR (no name): its
 * key is known only while rendering.  The path x is reported on its own.
 */
typedef void (*TmplPathFn) (void *ctx, const TmplSeg *segs, int nsegs, size_t offset);

/* in tmpl_parse.c */
extern Tmpl *tmpl_parse(const char *src, size_t len, TsError *err);
extern Tmpl *tmpl_parse_all(const char *src, size_t len, TmplProblems *problems);

/* in tmpl_tree.c */
extern void tmpl_free(Tmpl *t);
extern void tmpl_foreach_path(const Tmpl *t, TmplPathFn fn, void *ctx);
extern const char *tmpl_source(const Tmpl *t, size_t *len);

/* in tmpl_render.c */
extern bool tmpl_render(const Tmpl *t, TmplResolver resolve, void *ctx,
						TsBuf *out, TsError *err);

#endif							/* TEXTSEQ_TMPL_H */
