/*-------------------------------------------------------------------------
 *
 * tmpl_render.c
 *	  Rendering a parsed template: text, outputs through their filters, and
 *	  if/unless arms chosen by Liquid's condition rules.
 *
 * Values come from the caller's resolver; this file never knows what data
 * lies behind a path.  Rendering is bounded (TMPL_MAX_OUTPUT for any value
 * or the whole output, TMPL_MAX_WORK for all filters together) and never
 * modifies the tree, so one parsed template serves any number of renders.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* memmem */
#endif
#include "tmpl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string the renderer made up (e.g. a size) that must outlive its use. */
typedef struct Kept
{
	struct Kept *next;
	char		data[32];
} Kept;

struct TmplRender
{
	const Tmpl *t;
	TmplResolver resolve;
	void	   *ctx;
	TsBuf	   *out;
	TsError    *err;
	size_t		where;			/* offset of the node being rendered */
	size_t		work;			/* bytes produced by filters so far */
	TsBuf		scratch[2];		/* filters write into the one not holding their input */
	Kept	   *kept;
	bool		failed;
};

/* How a value prints: nil as "", booleans as true/false, the rest as their text. */
void
tmpl_value_text(const TmplValue *v, const char **s, size_t *len)
{
	if (v->kind == TMPL_NIL)
		*s = "", *len = 0;
	else if (v->kind == TMPL_BOOL)
		*s = v->boolean ? "true" : "false", *len = v->boolean ? 4 : 5;
	else
		*s = v->str ? v->str : "", *len = v->str ? v->len : 0;
}

/* Liquid truthiness: only nil and false are false. */
bool
tmpl_value_truthy(const TmplValue *v)
{
	return !(v->kind == TMPL_NIL || (v->kind == TMPL_BOOL && !v->boolean));
}

/* Ruby's empty?: "" and empty arrays and objects (nil is not empty). */
bool
tmpl_value_empty(const TmplValue *v)
{
	if (v->kind == TMPL_STRING)
		return v->len == 0;
	if (v->kind == TMPL_ARRAY || v->kind == TMPL_OBJECT)
		return v->nitems == 0;
	return false;
}

/* blank: nil, false, empty, or a string of nothing but white space. */
static bool
value_blank(const TmplValue *v)
{
	if (!tmpl_value_truthy(v) || tmpl_value_empty(v))
		return true;
	if (v->kind != TMPL_STRING)
		return false;
	for (size_t i = 0; i < v->len;)
	{
		uint32_t	cp;

		i += tmpl_utf8_decode(v->str + i, v->len - i, &cp);
		if (!tmpl_is_uspace(cp))
			return false;
	}
	return true;
}

/* A number's text as a double (the text comes from a literal or the resolver). */
static double
number_value(const TmplValue *v)
{
	char		buf[64];
	char	   *copy = v->len < sizeof(buf) ? buf : ts_alloc(v->len + 1);
	double		d;

	memcpy(copy, v->str, v->len);
	copy[v->len] = '\0';
	d = strtod(copy, NULL);
	if (copy != buf)
		ts_free(copy);
	return d;
}

/*
 * Ruby's Integer(): a number (truncated) or a string of decimal digits.
 * False for anything else (nil, booleans, "5.5", "abc").
 */
bool
tmpl_parse_integer(const TmplValue *v, long long *out)
{
	double		d;
	size_t		i = 0;
	bool		neg = false;
	long long	n = 0;

	if (v->kind == TMPL_NUMBER)
	{
		d = number_value(v);
		*out = d > 1e15 ? (long long) 1e15 : d < -1e15 ? (long long) -1e15 : (long long) d;
		return d == d;			/* not NaN */
	}
	if (v->kind != TMPL_STRING)
		return false;
	while (i < v->len && tmpl_is_ws((unsigned char) v->str[i]))
		i++;
	if (i < v->len && (v->str[i] == '-' || v->str[i] == '+'))
		neg = v->str[i++] == '-';
	if (i >= v->len || v->str[i] < '0' || v->str[i] > '9')
		return false;
	while (i < v->len && v->str[i] >= '0' && v->str[i] <= '9')
	{
		if (n < 1000000000000000LL)
			n = n * 10 + (v->str[i] - '0');
		i++;
	}
	while (i < v->len && tmpl_is_ws((unsigned char) v->str[i]))
		i++;
	*out = neg ? -n : n;
	return i == v->len;
}

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

/* Account for bytes a filter produced; false (with the error set) past a limit. */
bool
tmpl_render_charge(TmplRender *r, size_t produced)
{
	if (produced > TMPL_MAX_OUTPUT)
		return render_fail(r, "a value grew past", (size_t) TMPL_MAX_OUTPUT);
	r->work += produced;
	if (r->work > TMPL_MAX_WORK)
		return render_fail(r, "the filters produced more than", (size_t) TMPL_MAX_WORK);
	return true;
}

/* The scratch buffer a filter may write into (emptied): never the one holding in. */
TsBuf *
tmpl_render_scratch(TmplRender *r, const TmplValue *in)
{
	TsBuf	   *b = &r->scratch[0];

	if (in->str != NULL && b->data != NULL &&
		in->str >= b->data && in->str <= b->data + b->len)
		b = &r->scratch[1];
	b->len = 0;
	return b;
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

/* Liquid's .size, .first and .last on a value that has no such key. */
static bool
resolve_builtin(TmplRender *r, const TmplPath *p, TmplValue *out)
{
	const TmplSeg *last = &p->segs[p->nsegs - 1];
	TmplValue	parent;

	if (!r->resolve(r->ctx, p->segs, p->nsegs - 1, &parent))
		return false;
	if (last->len == 4 && memcmp(last->name, "size", 4) == 0)
	{
		if (parent.kind == TMPL_STRING)
			number_from(r, (long long) tmpl_utf8_count(parent.str, parent.len), out);
		else if (parent.kind == TMPL_ARRAY || parent.kind == TMPL_OBJECT)
			number_from(r, parent.nitems, out);
		else
			return false;
		return true;
	}
	if (parent.kind != TMPL_ARRAY || parent.items == NULL || parent.nitems == 0)
		return false;
	if (last->len == 5 && memcmp(last->name, "first", 5) == 0)
		*out = parent.items[0];
	else if (last->len == 4 && memcmp(last->name, "last", 4) == 0)
		*out = parent.items[parent.nitems - 1];
	else
		return false;
	return true;
}

/* The value of an operand: its literal, or what the resolver says (missing = nil). */
bool
tmpl_eval_operand(TmplRender *r, const TmplOperand *op, TmplValue *out)
{
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
	if (r->resolve(r->ctx, op->path->segs, op->path->nsegs, out))
		return true;
	memset(out, 0, sizeof(*out));
	if (op->path->nsegs > 1 && resolve_builtin(r, op->path, out))
		return true;
	memset(out, 0, sizeof(*out));
	return true;
}

/* Ruby ==: same kind and same value (1 == 1.0; "1" != 1). */
static bool
values_equal(const TmplValue *a, const TmplValue *b)
{
	const char *sa,
			   *sb;
	size_t		la,
				lb;

	if (a->kind != b->kind)
		return false;
	if (a->kind == TMPL_NIL)
		return true;
	if (a->kind == TMPL_BOOL)
		return a->boolean == b->boolean;
	if (a->kind == TMPL_NUMBER &&
		!(a->len == b->len && memcmp(a->str, b->str, a->len) == 0))
		return number_value(a) == number_value(b);
	if (a->kind == TMPL_ARRAY && a->items != NULL && b->items != NULL)
	{
		if (a->nitems != b->nitems)
			return false;
		for (int i = 0; i < a->nitems; i++)
			if (!values_equal(&a->items[i], &b->items[i]))
				return false;
		return true;
	}
	tmpl_value_text(a, &sa, &la);
	tmpl_value_text(b, &sb, &lb);
	return la == lb && memcmp(sa, sb, la) == 0;
}

/* Order two numbers or two strings; false when Ruby could not compare them. */
static bool
values_order(const TmplValue *a, const TmplValue *b, int *ord)
{
	if (a->kind == TMPL_NUMBER && b->kind == TMPL_NUMBER)
	{
		double		x = number_value(a),
					y = number_value(b);

		if (x != x || y != y)
			return false;
		*ord = x < y ? -1 : x > y ? 1 : 0;
		return true;
	}
	if (a->kind == TMPL_STRING && b->kind == TMPL_STRING)
	{
		int			c = memcmp(a->str, b->str, a->len < b->len ? a->len : b->len);

		*ord = c != 0 ? c : a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
		return true;
	}
	return false;
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
			if (values_equal(&l->items[i], rv))
				return true;
		return false;
	}
	if (l->kind == TMPL_OBJECT && rv->kind == TMPL_STRING && c->left.kind == OPND_PATH &&
		c->left.path->nsegs < TMPL_MAX_SEGMENTS)
	{
		TmplSeg		segs[TMPL_MAX_SEGMENTS];
		TmplValue	v;

		memcpy(segs, c->left.path->segs, sizeof(TmplSeg) * c->left.path->nsegs);
		segs[c->left.path->nsegs].name = rv->str;
		segs[c->left.path->nsegs].len = (int) rv->len;
		return r->resolve(r->ctx, segs, c->left.path->nsegs + 1, &v);
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
		tmpl_eval_operand(r, other, &v);
		eq = lit->kind == OPND_EMPTY ? tmpl_value_empty(&v) : value_blank(&v);
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
		tmpl_eval_operand(r, &c->left, &l);
		return lspecial || tmpl_value_truthy(&l);
	}
	if ((c->cmp == CMP_EQ || c->cmp == CMP_NE) && (lspecial || rspecial))
		return compare_special(r, c);
	if (lspecial || (rspecial && c->cmp != CMP_CONTAINS))
		return false;
	tmpl_eval_operand(r, &c->left, &l);
	tmpl_eval_operand(r, &c->right, &rv);
	switch (c->cmp)
	{
		case CMP_EQ:
			return values_equal(&l, &rv);
		case CMP_NE:
			return !values_equal(&l, &rv);
		case CMP_CONTAINS:
			if (rspecial)
				return l.kind == TMPL_STRING;
			return value_contains(r, c, &l, &rv);
		default:
			if (!values_order(&l, &rv, &ord))
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

/* Render {{ value | filters }}. */
static bool
render_output(TmplRender *r, const TmplNode *node)
{
	TmplValue	v;
	const char *s;
	size_t		n;

	tmpl_eval_operand(r, &node->expr, &v);
	for (const TmplFilter *f = node->filters; f != NULL; f = f->next)
	{
		TmplValue	next;

		if (!tmpl_filter_apply(r, f, &v, &next))
			return false;
		v = next;
	}
	tmpl_value_text(&v, &s, &n);
	return emit(r, s, n);
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
	tsbuf_init(&r.scratch[0]);
	tsbuf_init(&r.scratch[1]);
	ok = render_nodes(&r, t->body);
	tsbuf_free(&r.scratch[0]);
	tsbuf_free(&r.scratch[1]);
	while (r.kept != NULL)
	{
		Kept	   *next = r.kept->next;

		ts_free(r.kept);
		r.kept = next;
	}
	return ok;
}
