/*-------------------------------------------------------------------------
 *
 * tmpl_int.h
 *	  Internals shared by the template core's files: the tree, the arena it
 *	  lives in, the scanners, values, the filters and the UTF-8 helpers.
 *
 * Only src/core/tmpl*.c include this; everything else uses tmpl.h.  The
 * files call downwards only: parse (and parse_value) -> lex, tree, filter specs, value;
 * render -> filter -> value -> utf8 (and lex's tmpl_is_ws).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_TMPL_INT_H
#define TEXTSEQ_TMPL_INT_H

#include "tmpl.h"

/* ---- the tree -------------------------------------------------------- */

struct TmplOperand;

/*
 * A path such as lead.first_name or lead[field], with where it appears in
 * the source.  keys[i] is the value written in the brackets of a
 * TMPL_SEG_EXPR step (NULL when the path has none).
 */
typedef struct TmplPath
{
	TmplSeg    *segs;
	int			nsegs;
	struct TmplOperand **keys;
	size_t		offset;
	struct TmplPath *next_all;	/* every path of the template, in order */
} TmplPath;

typedef enum TmplOperandKind
{
	OPND_LITERAL,				/* nil, true, false, "text", 42 */
	OPND_PATH,					/* lead.first_name */
	OPND_EMPTY,					/* the special literal empty */
	OPND_BLANK					/* the special literal blank */
} TmplOperandKind;

/* A value as written in the template: a literal or a path. */
typedef struct TmplOperand
{
	TmplOperandKind kind;
	TmplValue	lit;
	TmplPath   *path;
} TmplOperand;

typedef enum TmplFilterId
{
	FILTER_DEFAULT,
	FILTER_UPCASE,
	FILTER_DOWNCASE,
	FILTER_CAPITALIZE,
	FILTER_TRUNCATE,
	FILTER_STRIP,
	FILTER_APPEND,
	FILTER_PREPEND,
	FILTER_REPLACE
} TmplFilterId;

#define TMPL_FILTER_MAX_ARGS 2

/* One "| name: args" step of an output's pipeline. */
typedef struct TmplFilter
{
	TmplFilterId id;
	int			nargs;
	TmplOperand args[TMPL_FILTER_MAX_ARGS];
	TmplOperand *allow_false;	/* default's allow_false: option, or NULL */
	struct TmplFilter *next;
} TmplFilter;

typedef enum TmplCmp
{
	CMP_NONE,					/* bare value: its truthiness */
	CMP_EQ, CMP_NE, CMP_LT, CMP_GT, CMP_LE, CMP_GE, CMP_CONTAINS
} TmplCmp;

typedef enum TmplJoin
{
	JOIN_NONE, JOIN_AND, JOIN_OR
} TmplJoin;

/* One comparison of a condition, joined to the next by and/or. */
typedef struct TmplCond
{
	TmplOperand left;
	TmplCmp		cmp;
	TmplOperand right;
	TmplJoin	join;
	struct TmplCond *next;
} TmplCond;

typedef struct TmplNode TmplNode;

/* One arm of if/unless: its condition (NULL for else) and body. */
typedef struct TmplBranch
{
	TmplCond   *cond;
	bool		negate;			/* the first arm of unless */
	TmplNode   *body;
	struct TmplBranch *next;
} TmplBranch;

typedef enum TmplNodeType
{
	NODE_TEXT, NODE_OUTPUT, NODE_IF
} TmplNodeType;

struct TmplNode
{
	TmplNodeType type;
	size_t		offset;			/* where the node starts in the source */
	TmplNode   *next;
	const char *text;			/* NODE_TEXT */
	size_t		len;
	TmplOperand expr;			/* NODE_OUTPUT */
	TmplFilter *filters;
	TmplBranch *branches;		/* NODE_IF */
};

struct Tmpl
{
	TsArena		arena;			/* everything of the tree lives here */
	const char *src;			/* the arena's copy of the source */
	size_t		len;
	TmplNode   *body;
	TmplPath   *paths;
	TmplPath   *paths_tail;
};

/* in tmpl_tree.c */
extern Tmpl *tmpl_tree_new(const char *src, size_t len);
extern void *tmpl_arena_alloc(Tmpl *t, size_t size);

/* ---- scanning (tmpl_lex.c) ------------------------------------------- */

typedef enum TmplSegType
{
	SEG_END, SEG_TEXT, SEG_OUTPUT, SEG_TAG, SEG_UNCLOSED
} TmplSegType;

/* A top-level piece of the source: text, or the inside of {{ }} / {% %}. */
typedef struct TmplPiece
{
	TmplSegType type;
	size_t		open;			/* offset of the piece ({{ or {% for markup) */
	size_t		start;			/* the text, or the markup between delimiters */
	size_t		end;
	size_t		close_end;		/* offset just past }} or %} */
} TmplPiece;

typedef struct TmplScanner
{
	const char *src;
	size_t		len;
	size_t		pos;
	bool		trim_next;		/* the previous markup ended with -}} or -%} */
} TmplScanner;

typedef enum TmplTokType
{
	TK_END, TK_PATH, TK_STRING, TK_NUMBER, TK_PIPE, TK_COLON, TK_COMMA,
	TK_CMP, TK_HASH, TK_DOT, TK_LBRACKET, TK_RBRACKET, TK_BAD
} TmplTokType;

/* A token of markup; start/len exclude a string's quotes. */
typedef struct TmplTok
{
	TmplTokType type;
	size_t		start;
	size_t		len;
	size_t		pos;			/* where the token begins, quotes included */
	TmplCmp		cmp;
	const char *bad;			/* TK_BAD: why */
} TmplTok;

typedef struct TmplLexer
{
	const char *src;
	size_t		pos;
	size_t		end;
} TmplLexer;

extern void tmpl_scan_init(TmplScanner *s, const char *src, size_t len);
extern void tmpl_scan_next(TmplScanner *s, TmplPiece *p);
extern bool tmpl_scan_raw(TmplScanner *s, TmplPiece *body);
extern bool tmpl_scan_comment(TmplScanner *s);
extern void tmpl_lex_init(TmplLexer *l, const char *src, size_t start, size_t end);
extern void tmpl_lex_next(TmplLexer *l, TmplTok *t);
extern void tmpl_lex_segments(TmplLexer *l, TmplTok *t);
extern void tmpl_lex_peek(const TmplLexer *l, TmplTok *t);
extern bool tmpl_tok_is(const char *src, const TmplTok *t, const char *word);
extern bool tmpl_is_ws(unsigned char c);

/* ---- parsing (tmpl_parse.c, tmpl_parse_value.c) ---------------------- */

/* The parser's state, shared by its two files. */
typedef struct TmplParser
{
	Tmpl	   *t;
	const char *src;
	size_t		len;
	TmplScanner scan;
	TmplProblems *problems;
	int			key_depth;		/* [ ] nesting of the value being parsed */
	bool		fatal;			/* stop: nothing after this can be trusted */
} TmplParser;

/* in tmpl_parse.c */
extern void tmpl_parse_problem(TmplParser *P, int code, size_t offset, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
extern const char *tmpl_parse_excerpt(const TmplParser *P, size_t start, size_t n, char *buf);
extern const char *tmpl_parse_tok_text(const TmplParser *P, const TmplTok *t, char *buf);
extern void tmpl_parse_bad_token(TmplParser *P, const TmplTok *t);

/* in tmpl_parse_value.c */
extern bool tmpl_parse_operand(TmplParser *P, TmplLexer *L, TmplOperand *op);

/* ---- values (tmpl_value.c) ------------------------------------------ */

/* Which render limit a filter passed (TmplScratch.over). */
typedef enum TmplOver
{
	TMPL_OVER_NONE,
	TMPL_OVER_VALUE,			/* one value past TMPL_MAX_OUTPUT */
	TMPL_OVER_WORK				/* all filters together past TMPL_MAX_WORK */
} TmplOver;

/* Where filters build new values, and the bytes they produced so far. */
typedef struct TmplScratch
{
	TsBuf		buf[2];			/* a filter writes into the one not holding its input */
	size_t		work;
	TmplOver	over;
} TmplScratch;

extern void tmpl_value_text(const TmplValue *v, const char **s, size_t *len);
extern bool tmpl_value_truthy(const TmplValue *v);
extern bool tmpl_value_empty(const TmplValue *v);
extern bool tmpl_value_blank(const TmplValue *v);
extern double tmpl_value_number(const TmplValue *v);
extern bool tmpl_value_integer(const TmplValue *v, long long *out);
extern bool tmpl_value_equal(const TmplValue *a, const TmplValue *b);
extern bool tmpl_value_order(const TmplValue *a, const TmplValue *b, int *ord);
extern void tmpl_scratch_init(TmplScratch *s);
extern void tmpl_scratch_free(TmplScratch *s);
extern TsBuf *tmpl_scratch_take(TmplScratch *s, const TmplValue *in);
extern bool tmpl_scratch_charge(TmplScratch *s, size_t produced);

/* ---- filters (tmpl_filter.c) ----------------------------------------- */

/* What a filter accepts, checked at parse time. */
typedef struct TmplFilterSpec
{
	const char *name;
	TmplFilterId id;
	int			min_args;
	int			max_args;
	bool		int_first;		/* first argument must be an integer */
	bool		allow_false;	/* accepts the allow_false: option */
} TmplFilterSpec;

extern const TmplFilterSpec *tmpl_filter_lookup(const char *name, size_t len);

/*
 * Apply filter f to in, its arguments already evaluated (args has
 * f->nargs values; allow_false is default's option).  False when a render
 * limit was passed (s->over says which).
 */
extern bool tmpl_filter_apply(TmplScratch *s, const TmplFilter *f, const TmplValue *in,
							  const TmplValue *args, bool allow_false, TmplValue *out);

/* ---- UTF-8 (tmpl_utf8.c) --------------------------------------------- */

#define TMPL_CASE_UPPER 1
#define TMPL_CASE_LOWER 2
#define TMPL_CASE_CAPITALIZE 3

extern int	tmpl_utf8_decode(const char *s, size_t len, uint32_t *cp);
extern size_t tmpl_utf8_count(const char *s, size_t len);
extern size_t tmpl_utf8_prefix(const char *s, size_t len, size_t nchars);
extern bool tmpl_is_uspace(uint32_t cp);
extern void tmpl_case_map(TsBuf *dst, const char *s, size_t len, int mode);

#endif							/* TEXTSEQ_TMPL_INT_H */
