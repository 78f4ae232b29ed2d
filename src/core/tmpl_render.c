/*-------------------------------------------------------------------------
 *
 * tmpl_render.c
 *	  Rendering a parsed template: text, outputs through their filters, and
 *	  if/unless arms chosen by Liquid's condition rules.
 *
 * Values come from the caller's resolver; this file never knows what data
 * lies behind a path, only how Liquid walks one (keys and indexes, .size,
 * .first, .last).  What values are (printing, truth, comparison) lives below
 * it in tmpl_value.c, the filters in tmpl_filter.c.  Rendering is bounded
 * (TMPL_MAX_OUTPUT for any value or the whole output, TMPL_MAX_WORK for all
 * filters together) and never modifies the tree, so one parsed template
 * serves any number of renders.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* memmem */
#endif
#include "tmpl_int.h"

#include <stdio.h>
#include <string.h>

/* A string the renderer made up (e.g. a size) that must outlive its use. */
typedef struct Kept
{
	struct Kept *next;
	char		data[32];
} Kept;

/* The state of one render call. */
typedef struct TmplRender
{
	const Tmpl *t;
	TmplResolver resolve;
	void	   *ctx;
	TsBuf	   *out;
	TsError    *err;
	size_t		where;			/* offset of the node being rendered */
	TmplScratch scratch;		/* where filters build values, and their budget */
	Kept	   *kept;
	bool		failed;
} TmplRender;

static bool eval_operand(TmplRender *r, const TmplOperand *op, TmplValue *out);

/* Record a render error ("<what> <limit> bytes") at the current node; always returns false. */
static bool
render_fail(TmplRender *r, const char *what, size_t limit)
{
	if (!r->failed)
		ts_error_set(r->err, TMPL_ERR_RENDER_LIMIT, r->t->src, r->t->len, r->where,
					 "%s %zu bytes", what, limit);
	r->failed = true;
	return false;
}

/* Keep a short made-up string alive until the render ends. */
static const char *
keep(TmplRender *r, const char *s, size_t n)
{
	Kept	   *k = ts_alloc(sizeof(Kept));

	memcpy(k->data, s, n < sizeof(k->data) ? n : sizeof(k->data));
	k->next = r->kept;
	r->kept = k;
	return k->data;
}

/* A number value for n, with its text kept alive. */
static void
number_from(TmplRender *r, long long n, TmplValue *out)
{
	char		buf[32];
	int			len = snprintf(buf, sizeof(buf), "%lld", n);

	memset(out, 0, sizeof(*out));
	out->kind = TMPL_NUMBER;
	out->str = keep(r, buf, (size_t) len);
	out->len = (size_t) len;
}

/* A path made concrete for one lookup: its [path] steps turned into keys and indexes. */
typedef struct Steps
{
	TmplSeg		segs[TMPL_MAX_SEGMENTS + 1];	/* + 1: contains adds an object's key */
	int			n;
} Steps;

/* The built-ins a dotted step may name when a value has no such key. */
typedef enum Builtin
{
	BUILTIN_NONE, BUILTIN_SIZE, BUILTIN_FIRST, BUILTIN_LAST
} Builtin;

/* Which built-in a step names: only a dotted .size, .first or .last (never ["size"]). */
static Builtin
builtin_of(const TmplSeg *seg)
{
	if (seg->kind != TMPL_SEG_NAME)
		return BUILTIN_NONE;
	if (seg->len == 4 && memcmp(seg->name, "size", 4) == 0)
		return BUILTIN_SIZE;
	if (seg->len == 5 && memcmp(seg->name, "first", 5) == 0)
		return BUILTIN_FIRST;
	if (seg->len == 4 && memcmp(seg->name, "last", 4) == 0)
		return BUILTIN_LAST;
	return BUILTIN_NONE;
}

/*
 * A built-in made up from v itself: the size of a string (characters), an
 * array or an object, or a string's first or last character ("" for "", as
 * in Liquid).  False when v has no such thing (numbers, nil, objects' first).
 */
static bool
made_up(TmplRender *r, Builtin which, const TmplValue *v, TmplValue *out)
{
	size_t		at = 0,
				n = 0;

	if (which == BUILTIN_SIZE && v->kind == TMPL_STRING)
		number_from(r, (long long) tmpl_utf8_count(v->str, v->len), out);
	else if (which == BUILTIN_SIZE && (v->kind == TMPL_ARRAY || v->kind == TMPL_OBJECT))
		number_from(r, v->nitems, out);
	else if (which == BUILTIN_NONE || which == BUILTIN_SIZE || v->kind != TMPL_STRING)
		return false;
	else
	{
		for (size_t i = 0; i < v->len; i += n)
		{
			uint32_t	cp;

			at = i;
			n = (size_t) tmpl_utf8_decode(v->str + i, v->len - i, &cp);
			if (which == BUILTIN_FIRST)
				break;
		}
		memset(out, 0, sizeof(*out));
		out->kind = TMPL_STRING;
		out->str = v->str + at;
		out->len = n;
	}
	return true;
}

/*
 * Look st's steps up: the resolver first; when it finds nothing, step by
 * step as Liquid's VariableLookup does, taking .size, .first and .last
 * where a value has no such key.  An array's .first / .last become the
 * index steps [0] / [-1] in st, so the steps after them (and an object's
 * contains) walk on through the resolver.
 */
static bool
walk(TmplRender *r, Steps *st, TmplValue *out)
{
	TmplValue	v,
				next;
	int			i;

	if (r->resolve(r->ctx, st->segs, st->n, out))
		return true;
	if (st->n == 1 || !r->resolve(r->ctx, st->segs, 1, &v))
		return false;
	for (i = 1; i < st->n; i++)
	{
		Builtin		which = builtin_of(&st->segs[i]);

		if (r->resolve(r->ctx, st->segs, i + 1, &next))
			v = next;
		else if ((which == BUILTIN_FIRST || which == BUILTIN_LAST) && v.kind == TMPL_ARRAY)
		{
			st->segs[i].kind = TMPL_SEG_INDEX;
			st->segs[i].index = which == BUILTIN_FIRST ? 0 : -1;
			if (!r->resolve(r->ctx, st->segs, i + 1, &v))
				return false;
		}
		else
			break;
	}
	/* a made-up value (a size, a character) has no keys: only more built-ins apply */
	for (; i < st->n; i++)
	{
		if (!made_up(r, builtin_of(&st->segs[i]), &v, &next))
			return false;
		v = next;
	}
	*out = v;
	return true;
}

/*
 * The step [x] for the value of x: a string is a key and an integer an
 * index; anything else (nil, 1.5, true) selects nothing, as in Liquid.
 */
static bool
key_step(const TmplValue *v, TmplSeg *seg)
{
	long long	n;

	if (v->kind == TMPL_STRING)
	{
		seg->kind = TMPL_SEG_KEY;
		seg->name = v->str;
		seg->len = (int) v->len;
		return true;
	}
	if (v->kind == TMPL_NUMBER && tmpl_value_integer(v, &n))
	{
		seg->kind = TMPL_SEG_INDEX;
		seg->index = n;
		return true;
	}
	return false;
}

/* Fill st with p's steps, its [path] keys looked up; false when a key selects nothing. */
static bool
path_steps(TmplRender *r, const TmplPath *p, Steps *st)
{
	memcpy(st->segs, p->segs, sizeof(TmplSeg) * p->nsegs);
	st->n = p->nsegs;
	for (int i = 0; p->keys != NULL && i < p->nsegs; i++)
	{
		TmplValue	v;

		if (p->segs[i].kind != TMPL_SEG_EXPR)
			continue;
		eval_operand(r, p->keys[i], &v);
		if (!key_step(&v, &st->segs[i]))
			return false;
	}
	return true;
}

/* The value of an operand: its literal, or what the resolver says (missing = nil). */
static bool
eval_operand(TmplRender *r, const TmplOperand *op, TmplValue *out)
{
	Steps		st;

	if (op->kind == OPND_LITERAL)
	{
		*out = op->lit;
		return true;
	}
	memset(out, 0, sizeof(*out));
	if (op->kind != OPND_PATH)
	{
		out->kind = TMPL_STRING;	/* empty and blank print as "" */
		out->str = "";
		return true;
	}
	if (path_steps(r, op->path, &st) && walk(r, &st, out))
		return true;
	memset(out, 0, sizeof(*out));
	return true;
}

/* Liquid's contains: substring of a string, element of an array, key of an object. */
static bool
value_contains(TmplRender *r, const TmplCond *c, const TmplValue *l, const TmplValue *rv)
{
	const char *s;
	size_t		n;

	if (!tmpl_value_truthy(l) || !tmpl_value_truthy(rv))
		return false;
	if (l->kind == TMPL_STRING)
	{
		tmpl_value_text(rv, &s, &n);
		return n == 0 || (l->len >= n && memmem(l->str, l->len, s, n) != NULL);
	}
	if (l->kind == TMPL_ARRAY && l->items != NULL)
	{
		for (int i = 0; i < l->nitems; i++)
			if (tmpl_value_equal(&l->items[i], rv))
				return true;
		return false;
	}
	if (l->kind == TMPL_OBJECT && rv->kind == TMPL_STRING && c->left.kind == OPND_PATH)
	{
		Steps		st;
		TmplValue	v;

		if (!path_steps(r, c->left.path, &st) || !walk(r, &st, &v))
			return false;
		memset(&st.segs[st.n], 0, sizeof(TmplSeg));
		st.segs[st.n].kind = TMPL_SEG_KEY;
		st.segs[st.n].name = rv->str;
		st.segs[st.n].len = (int) rv->len;
		return r->resolve(r->ctx, st.segs, st.n + 1, &v);
	}
	return false;
}

/* == / != where one side is the special literal empty or blank. */
static bool
compare_special(TmplRender *r, const TmplCond *c)
{
	const TmplOperand *lit = c->right.kind == OPND_EMPTY || c->right.kind == OPND_BLANK ? &c->right : &c->left;
	const TmplOperand *other = lit == &c->right ? &c->left : &c->right;
	TmplValue	v;
	bool		eq = false;

	if (other->kind != OPND_EMPTY && other->kind != OPND_BLANK)
	{
		eval_operand(r, other, &v);
		eq = lit->kind == OPND_EMPTY ? tmpl_value_empty(&v) : tmpl_value_blank(&v);
	}
	return c->cmp == CMP_EQ ? eq : !eq;
}

/* Evaluate one comparison of a condition. */
static bool
eval_cmp(TmplRender *r, const TmplCond *c)
{
	bool		lspecial = c->left.kind == OPND_EMPTY || c->left.kind == OPND_BLANK;
	bool		rspecial = c->right.kind == OPND_EMPTY || c->right.kind == OPND_BLANK;
	TmplValue	l,
				rv;
	int			ord;

	if (c->cmp == CMP_NONE)
	{
		eval_operand(r, &c->left, &l);
		return lspecial || tmpl_value_truthy(&l);
	}
	if ((c->cmp == CMP_EQ || c->cmp == CMP_NE) && (lspecial || rspecial))
		return compare_special(r, c);
	if (lspecial || (rspecial && c->cmp != CMP_CONTAINS))
		return false;
	eval_operand(r, &c->left, &l);
	eval_operand(r, &c->right, &rv);
	switch (c->cmp)
	{
		case CMP_EQ:
			return tmpl_value_equal(&l, &rv);
		case CMP_NE:
			return !tmpl_value_equal(&l, &rv);
		case CMP_CONTAINS:
			if (rspecial)
				return l.kind == TMPL_STRING;
			return value_contains(r, c, &l, &rv);
		default:
			if (!tmpl_value_order(&l, &rv, &ord))
				return false;
			return c->cmp == CMP_LT ? ord < 0 : c->cmp == CMP_GT ? ord > 0 :
				c->cmp == CMP_LE ? ord <= 0 : ord >= 0;
	}
}

/* Evaluate and/or chains as Liquid does: grouped from the right, no parentheses. */
static bool
eval_condition(TmplRender *r, const TmplCond *c)
{
	for (;;)
	{
		bool		res = eval_cmp(r, c);

		if (c->join == JOIN_NONE || (c->join == JOIN_OR && res) || (c->join == JOIN_AND && !res))
			return res;
		c = c->next;
	}
}

/* Append to the output, refusing to grow it past TMPL_MAX_OUTPUT. */
static bool
emit(TmplRender *r, const char *s, size_t n)
{
	if (r->out->len + n > TMPL_MAX_OUTPUT)
		return render_fail(r, "the rendered text exceeds", (size_t) TMPL_MAX_OUTPUT);
	tsbuf_append(r->out, s, n);
	return true;
}

/* Run one filter: evaluate its arguments, apply it, turn a passed limit into the error. */
static bool
run_filter(TmplRender *r, const TmplFilter *f, const TmplValue *in, TmplValue *out)
{
	TmplValue	args[TMPL_FILTER_MAX_ARGS];
	bool		allow_false = false;

	for (int i = 0; i < f->nargs && i < TMPL_FILTER_MAX_ARGS; i++)
		eval_operand(r, &f->args[i], &args[i]);
	if (f->allow_false != NULL)
	{
		TmplValue	v;

		eval_operand(r, f->allow_false, &v);
		allow_false = tmpl_value_truthy(&v);
	}
	if (tmpl_filter_apply(&r->scratch, f, in, args, allow_false, out))
		return true;
	if (r->scratch.over == TMPL_OVER_VALUE)
		return render_fail(r, "a value grew past", (size_t) TMPL_MAX_OUTPUT);
	return render_fail(r, "the filters produced more than", (size_t) TMPL_MAX_WORK);
}

/*
 * Print a value as Liquid's Variable#render_obj_to_output does: an array as
 * its elements one after the other (nested arrays too, nil as nothing),
 * anything else as its text.  An array whose elements the resolver did
 * not list prints as its text.
 */
static bool
emit_value(TmplRender *r, const TmplValue *v)
{
	const char *s;
	size_t		n;

	if (v->kind == TMPL_ARRAY && (v->items != NULL || v->nitems == 0))
	{
		ts_check_stack();
		for (int i = 0; i < v->nitems; i++)
			if (!emit_value(r, &v->items[i]))
				return false;
		return true;
	}
	tmpl_value_text(v, &s, &n);
	return emit(r, s, n);
}

/* Render {{ value | filters }}. */
static bool
render_output(TmplRender *r, const TmplNode *node)
{
	TmplValue	v;

	eval_operand(r, &node->expr, &v);
	for (const TmplFilter *f = node->filters; f != NULL; f = f->next)
	{
		TmplValue	next;

		if (!run_filter(r, f, &v, &next))
			return false;
		v = next;
	}
	return emit_value(r, &v);
}

/* Render a list of nodes (recursing into the chosen arm of each if). */
static bool
render_nodes(TmplRender *r, const TmplNode *node)
{
	for (; node != NULL; node = node->next)
	{
		r->where = node->offset;
		if (node->type == NODE_TEXT)
		{
			if (!emit(r, node->text, node->len))
				return false;
		}
		else if (node->type == NODE_OUTPUT)
		{
			if (!render_output(r, node))
				return false;
		}
		else
		{
			for (const TmplBranch *b = node->branches; b != NULL; b = b->next)
			{
				if (b->cond != NULL && eval_condition(r, b->cond) == b->negate)
					continue;
				if (!render_nodes(r, b->body))
					return false;
				break;
			}
		}
	}
	return true;
}

/*
 * Render t into out (appending) using resolve(ctx, ...) for paths.  On
 * failure returns false with err set (TMPL_ERR_RENDER_LIMIT).
 */
bool
tmpl_render(const Tmpl *t, TmplResolver resolve, void *ctx, TsBuf *out, TsError *err)
{
	TmplRender	r;
	bool		ok;

	memset(&r, 0, sizeof(r));
	memset(err, 0, sizeof(*err));
	r.t = t;
	r.resolve = resolve;
	r.ctx = ctx;
	r.out = out;
	r.err = err;
	tmpl_scratch_init(&r.scratch);
	ok = render_nodes(&r, t->body);
	tmpl_scratch_free(&r.scratch);
	while (r.kept != NULL)
	{
		Kept	   *next = r.kept->next;

		ts_free(r.kept);
		r.kept = next;
	}
	return ok;
}
