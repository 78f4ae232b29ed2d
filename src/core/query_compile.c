/*-------------------------------------------------------------------------
 *
 * query_compile.c
 *	  Compiling a parsed query into an SQL predicate over the lead alias l
 *	  with $n parameters: what each field means, which operators and values
 *	  it takes, and how a negation stays true to two-valued logic.
 *
 * The SQL text is built only from fixed fragments in this file, the SQL
 * the schema supplies (catalog names the glue quoted) and "$n::type".
 * Every value, custom field key, sequence name and LIKE pattern is a
 * parameter.  A predicate on a missing value is false, and "not P" is
 * exactly the leads P does not match: negations compile to NOT x when x
 * can never be NULL and to (x) IS NOT TRUE otherwise.
 *
 *-------------------------------------------------------------------------
 */
#include "query_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef enum FieldKind
{
	F_COLUMN,
	F_CUSTOM,
	F_TAG,
	F_PHONE,
	F_OPTED_OUT,
	F_SEQ_STATUS,
	F_SEQ_NAME,
	F_BULK_ID,
	F_BULK_INCOMPLETE
} FieldKind;

/* A predicate's field, resolved. */
typedef struct Field
{
	FieldKind	kind;
	SqColumn	col;			/* F_COLUMN */
	const SqSeg *name;			/* F_CUSTOM: the key; F_SEQ_STATUS: the sequence (or NULL) */
	char		text[64];		/* as written, for messages */
	int			key_param;		/* F_CUSTOM: $n of the key once bound, else 0 */
} Field;

typedef struct Comp
{
	const SqQuery *q;
	const SqSchema *s;
	SqCompiled *out;
	TsError    *err;
	bool		failed;
} Comp;

static bool fail(Comp *c, int code, size_t offset, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* Record the first problem at offset. */
static bool
fail(Comp *c, int code, size_t offset, const char *fmt,...)
{
	char		msg[256];
	va_list		ap;

	if (c->failed)
		return false;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ts_error_set(c->err, code, c->q->src, c->q->len, offset, "%s", msg);
	c->failed = true;
	return false;
}

static void
emit(Comp *c, const char *s)
{
	tsbuf_appends(&c->out->sql, s);
}

/* The SQL type of a parameter type (SQ_T_COLUMN: the caller's). */
const char *
sq_type_sql(SqType type)
{
	switch (type)
	{
		case SQ_T_NUMERIC: return "numeric";
		case SQ_T_BIGINT: return "bigint";
		case SQ_T_BOOL: return "boolean";
		case SQ_T_JSONB: return "jsonb";
		case SQ_T_ENROLLMENT_STATUS: return "textseq.enrollment_status";
		default: return "text";
	}
}

/*
 * A new parameter with room for nmax values; emits "$n::cast" (with []
 * for an array).  NULL (and the error set) past SQ_MAX_PARAMS.
 */
static SqParam *
new_param(Comp *c, SqType type, const char *cast, uint32_t type_id, bool array, int nmax)
{
	SqCompiled *o = c->out;
	SqParam    *p;
	char		num[24];

	if (o->nparams >= SQ_MAX_PARAMS)
	{
		fail(c, SQ_ERR_TOO_LONG, 0, "more than %d values in one query", SQ_MAX_PARAMS);
		return NULL;
	}
	if (o->nparams == o->cap)
	{
		o->cap = o->cap ? o->cap * 2 : 8;
		o->params = o->params ? ts_realloc(o->params, sizeof(SqParam) * o->cap)
			: ts_alloc(sizeof(SqParam) * o->cap);
	}
	p = &o->params[o->nparams++];
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->type_id = type_id;
	p->array = array;
	p->values = ts_alloc0(sizeof(SqValue) * (nmax > 0 ? nmax : 1));
	snprintf(num, sizeof(num), "$%d::", o->nparams);
	emit(c, num);
	emit(c, cast ? cast : sq_type_sql(type));
	if (array)
		emit(c, "[]");
	return p;
}

/* Add a value (copied) to a parameter. */
static void
add_value(SqParam *p, const char *text, size_t len, size_t offset)
{
	SqValue    *v = &p->values[p->nvalues++];

	v->text = ts_alloc(len + 1);
	memcpy(v->text, text, len);
	v->text[len] = '\0';
	v->len = len;
	v->offset = offset;
}

/* Add a value built in a buffer (the buffer is handed over). */
static void
add_built(SqParam *p, TsBuf *b, size_t offset)
{
	SqValue    *v = &p->values[p->nvalues++];

	if (b->data == NULL)
		tsbuf_append(b, "", 0);
	v->text = b->data;
	v->len = b->len;
	v->offset = offset;
	tsbuf_init(b);
}

/* A scalar parameter holding a literal's text. */
static bool
param_lit(Comp *c, SqType type, const char *cast, uint32_t type_id, const SqLit *l)
{
	SqParam    *p = new_param(c, type, cast, type_id, false, 1);

	if (p == NULL)
		return false;
	add_value(p, l->text, l->len, l->offset);
	return true;
}

/* An array parameter holding the texts of all of n's literals. */
static bool
param_list(Comp *c, SqType type, const char *cast, uint32_t type_id, const SqNode *n)
{
	SqParam    *p = new_param(c, type, cast, type_id, true, n->nlits);

	if (p == NULL)
		return false;
	for (int i = 0; i < n->nlits; i++)
		add_value(p, n->lits[i].text, n->lits[i].len, n->lits[i].offset);
	return true;
}

/* A LIKE pattern matching any text that contains s (wildcards in s escaped). */
static void
like_contains(TsBuf *b, const char *s, size_t len)
{
	tsbuf_appendc(b, '%');
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '\\' || s[i] == '%' || s[i] == '_')
			tsbuf_appendc(b, '\\');
		tsbuf_appendc(b, s[i]);
	}
	tsbuf_appendc(b, '%');
}

/* A text parameter: the LIKE pattern "contains the literal". */
static bool
param_contains(Comp *c, const SqLit *l)
{
	SqParam    *p = new_param(c, SQ_T_TEXT, NULL, 0, false, 1);
	TsBuf		b;

	if (p == NULL)
		return false;
	tsbuf_init(&b);
	like_contains(&b, l->text, l->len);
	add_built(p, &b, l->offset);
	return true;
}

/* Append s as a JSON string. */
static void
json_string(TsBuf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	tsbuf_appendc(b, '"');
	for (size_t i = 0; i < len; i++)
	{
		unsigned char ch = (unsigned char) s[i];

		if (ch == '"' || ch == '\\')
		{
			tsbuf_appendc(b, '\\');
			tsbuf_appendc(b, (char) ch);
		}
		else if (ch < 0x20)
		{
			char		u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};

			tsbuf_append(b, u, 6);
		}
		else
			tsbuf_appendc(b, (char) ch);
	}
	tsbuf_appendc(b, '"');
}

/* Add the jsonb value {"key": "text"} to p. */
static void
add_json_pair(SqParam *p, const SqSeg *key, const SqLit *l)
{
	TsBuf		b;

	tsbuf_init(&b);
	tsbuf_appendc(&b, '{');
	json_string(&b, key->name, key->len);
	tsbuf_appendc(&b, ':');
	json_string(&b, l->text, l->len);
	tsbuf_appendc(&b, '}');
	add_built(p, &b, l->offset);
}

/* ---- fields ------------------------------------------------------------- */

/* Does seg read word (unquoted: any case; quoted: exactly)? */
static bool
seg_is(const SqSeg *seg, const char *word)
{
	size_t		n = strlen(word);

	if (seg->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		char		ch = seg->name[i];

		if (!seg->quoted && ch >= 'A' && ch <= 'Z')
			ch = (char) (ch - 'A' + 'a');
		if (ch != word[i])
			return false;
	}
	return true;
}

/* The unknown-field error for n, with a reason. */
static bool
unknown_field(Comp *c, const SqNode *n, const Field *f, const char *why)
{
	return fail(c, SQ_ERR_UNKNOWN_FIELD, n->offset, "unknown field %s%s%s", f->text, why[0] ? ": " : "", why);
}

/* lead.<name>: a column of the lead relation, else a custom field. */
static bool
resolve_lead(Comp *c, const SqNode *n, Field *f)
{
	const SqSeg *name;

	if (n->nsegs == 1)
		return unknown_field(c, n, f, "write lead.<column> or lead.<custom field>");
	if (n->nsegs > 2)
		return unknown_field(c, n, f, "a custom field is one name, e.g. lead.plan or lead.\"plan name\"");
	name = &n->segs[1];
	if (name->len == 0)
		return unknown_field(c, n, f, "the name is empty");
	memset(&f->col, 0, sizeof(f->col));
	if (c->s->column && c->s->column(c->s->ctx, name->name, name->len, name->quoted, &f->col))
	{
		f->kind = F_COLUMN;
		return true;
	}
	if (c->s->fields_sql == NULL)
		return unknown_field(c, n, f, "not a column of the lead table");
	f->kind = F_CUSTOM;
	f->name = name;
	return true;
}

/* What field n names; false with the error set when none. */
static bool
resolve_field(Comp *c, const SqNode *n, Field *f)
{
	const SqSeg *s = n->segs;
	int			k = n->nsegs;

	memset(f, 0, sizeof(*f));
	sq_excerpt(c->q->src + n->offset, s[k - 1].end - n->offset, f->text, sizeof(f->text));
	if (s[0].quoted)
		return unknown_field(c, n, f, "");
	if (seg_is(&s[0], "lead"))
		return resolve_lead(c, n, f);
	if ((seg_is(&s[0], "tag") || seg_is(&s[0], "tags")) && k == 1)
	{
		f->kind = F_TAG;
		return c->s->tags_sql != NULL || unknown_field(c, n, f, "the lead table has no tags");
	}
	if (seg_is(&s[0], "phone") && (k == 1 || (k == 2 && seg_is(&s[1], "opted_out"))))
		f->kind = (k == 1) ? F_PHONE : F_OPTED_OUT;
	else if (seg_is(&s[0], "sequence") && k == 2 && seg_is(&s[1], "status"))
		f->kind = F_SEQ_STATUS;
	else if (seg_is(&s[0], "sequence") && k == 2 && seg_is(&s[1], "name"))
		f->kind = F_SEQ_NAME;
	else if (seg_is(&s[0], "sequence") && k == 3 && seg_is(&s[2], "status"))
	{
		f->kind = F_SEQ_STATUS;
		f->name = &s[1];
	}
	else if (seg_is(&s[0], "bulk") && k == 2 && (seg_is(&s[1], "id") || seg_is(&s[1], "incomplete")))
		f->kind = seg_is(&s[1], "id") ? F_BULK_ID : F_BULK_INCOMPLETE;
	else
		return unknown_field(c, n, f, "");
	return true;
}

/* ---- operators and values ------------------------------------------------ */

/* The operator error: op does not apply to the field; allowed lists what does. */
static bool
bad_operator(Comp *c, const SqNode *n, const Field *f, SqOp op, const char *allowed)
{
	return fail(c, SQ_ERR_OPERATOR, n->op_offset, "operator %s does not apply to %s; use %s",
				sq_op_text(op), f->text, allowed);
}

/* The value error: lit is not what the field takes. */
static bool
bad_value(Comp *c, const SqLit *l, const Field *f, const char *wanted)
{
	char		ex[64];

	sq_excerpt(c->q->src + l->offset, l->kind == SQ_LIT_STRING ? 1 : l->len, ex, sizeof(ex));
	if (l->kind == SQ_LIT_STRING)
		return fail(c, SQ_ERR_VALUE, l->offset, "expected %s for %s, found a quoted string", wanted, f->text);
	return fail(c, SQ_ERR_VALUE, l->offset, "expected %s for %s, found %s", wanted, f->text, ex);
}

/* Check every literal of n against a mask of allowed kinds (1 << SqLitKind). */
static bool
check_values(Comp *c, const SqNode *n, const Field *f, unsigned mask, const char *wanted)
{
	for (int i = 0; i < n->nlits; i++)
		if (!(mask & (1u << n->lits[i].kind)))
			return bad_value(c, &n->lits[i], f, wanted);
	return true;
}

#define K(kind) (1u << (kind))
#define ANY_KIND (K(SQ_LIT_STRING) | K(SQ_LIT_WORD) | K(SQ_LIT_NUMBER) | K(SQ_LIT_DATE) | \
				  K(SQ_LIT_TIMESTAMP) | K(SQ_LIT_BOOL))
#define TEXTUAL (K(SQ_LIT_STRING) | K(SQ_LIT_WORD))

/* The SQL comparison of an ordering operator. */
static const char *
sql_cmp(SqOp op)
{
	switch (op)
	{
		case SQ_OP_LT: return " < ";
		case SQ_OP_LE: return " <= ";
		case SQ_OP_GT: return " > ";
		case SQ_OP_GE: return " >= ";
		default: return " = ";
	}
}

static bool
is_ordering(SqOp op)
{
	return op == SQ_OP_LT || op == SQ_OP_LE || op == SQ_OP_GT || op == SQ_OP_GE;
}

/* The values a column of this kind takes. */
static bool
check_column_values(Comp *c, const SqNode *n, const Field *f, SqOp op)
{
	if (op == SQ_OP_CONTAINS)
		return true;
	switch (f->col.kind)
	{
		case SQ_COL_NUMBER:
			return check_values(c, n, f, K(SQ_LIT_NUMBER) | K(SQ_LIT_STRING), "a number");
		case SQ_COL_TIME:
			return check_values(c, n, f, TEXTUAL | K(SQ_LIT_DATE) | K(SQ_LIT_TIMESTAMP),
								"a date or timestamp such as 2024-01-31 or 2024-01-31T09:00:00Z");
		case SQ_COL_BOOL:
			return check_values(c, n, f, TEXTUAL | K(SQ_LIT_BOOL) | K(SQ_LIT_NUMBER), "true or false");
		default:
			return true;
	}
}

/* lead.<column> with a positive operator. */
static bool
comp_column(Comp *c, const SqNode *n, const Field *f, SqOp op, bool *nullable)
{
	const SqColumn *col = &f->col;
	bool		array = (col->kind == SQ_COL_ARRAY);

	if (array && is_ordering(op))
		return bad_operator(c, n, f, op, "=, !=, in, ~ or is empty (it is a list)");
	if (!check_column_values(c, n, f, op))
		return false;
	*nullable = true;
	switch (op)
	{
		case SQ_OP_CONTAINS:
			if (array)
			{
				emit(c, "EXISTS (SELECT 1 FROM unnest(");
				emit(c, col->sql);
				emit(c, ") AS u(v) WHERE u.v::text ILIKE ");
				*nullable = false;
			}
			else
			{
				emit(c, col->sql);
				emit(c, col->kind == SQ_COL_TEXT ? " ILIKE " : "::text ILIKE ");
			}
			if (!param_contains(c, &n->lits[0]))
				return false;
			if (array)
				emit(c, ")");
			return true;
		case SQ_OP_IN:
			emit(c, col->sql);
			emit(c, array ? " && " : " = ANY (");
			if (array)
				return param_list(c, SQ_T_COLUMN, col->elem_sql, col->elem_id, n);
			if (!param_list(c, SQ_T_COLUMN, col->type_sql, col->type_id, n))
				return false;
			emit(c, ")");
			return true;
		case SQ_OP_EMPTY:
			*nullable = false;
			if (col->kind == SQ_COL_TEXT || array)
			{
				emit(c, array ? "coalesce(cardinality(" : "coalesce(octet_length(");
				emit(c, col->sql);
				emit(c, "), 0) = 0");
			}
			else
			{
				emit(c, col->sql);
				emit(c, " IS NULL");
			}
			return true;
		default:
			emit(c, col->sql);
			if (!array)
			{
				emit(c, sql_cmp(op));
				return param_lit(c, SQ_T_COLUMN, col->type_sql, col->type_id, &n->lits[0]);
			}
			emit(c, " @> ARRAY[");
			if (!param_lit(c, SQ_T_COLUMN, col->elem_sql, col->elem_id, &n->lits[0]))
				return false;
			emit(c, "]");
			return true;
	}
}

/* Emit the custom field's key as a text parameter ($n reused within the predicate). */
static bool
emit_key(Comp *c, Field *f)
{
	char		num[32];
	SqParam    *p;

	if (f->key_param > 0)
	{
		snprintf(num, sizeof(num), "$%d::text", f->key_param);
		emit(c, num);
		return true;
	}
	if ((p = new_param(c, SQ_T_TEXT, NULL, 0, false, 1)) == NULL)
		return false;
	add_value(p, f->name->name, f->name->len, f->name->offset);
	f->key_param = c->out->nparams;
	return true;
}

/* fields -> key (as jsonb) or fields ->> key (as text). */
static bool
emit_custom(Comp *c, Field *f, bool as_text)
{
	emit(c, c->s->fields_sql);
	emit(c, as_text ? " ->> " : " -> ");
	return emit_key(c, f);
}

/* textseq._field_number(fields -> key) */
static bool
emit_custom_number(Comp *c, Field *f)
{
	emit(c, "textseq._field_number(");
	if (!emit_custom(c, f, false))
		return false;
	emit(c, ")");
	return true;
}

/* Literals of n of the kinds in mask, as one array parameter built by how. */
static bool
custom_in_group(Comp *c, const SqNode *n, Field *f, unsigned mask, SqType type, bool json)
{
	SqParam    *p = new_param(c, type, NULL, 0, true, n->nlits);

	if (p == NULL)
		return false;
	for (int i = 0; i < n->nlits; i++)
	{
		if (!(mask & K(n->lits[i].kind)))
			continue;
		if (json)
			add_json_pair(p, f->name, &n->lits[i]);
		else
			add_value(p, n->lits[i].text, n->lits[i].len, n->lits[i].offset);
	}
	return true;
}

/* lead.<custom> in (...): text values by containment, numbers numerically, booleans as text. */
static bool
comp_custom_in(Comp *c, const SqNode *n, Field *f)
{
	unsigned	textual = TEXTUAL | K(SQ_LIT_DATE) | K(SQ_LIT_TIMESTAMP);
	unsigned	have = 0;
	int			groups;
	int			done = 0;

	for (int i = 0; i < n->nlits; i++)
		have |= K(n->lits[i].kind);
	groups = ((have & textual) != 0) + ((have & K(SQ_LIT_NUMBER)) != 0) + ((have & K(SQ_LIT_BOOL)) != 0);
	if (groups > 1)
		emit(c, "(");
	if (have & textual)
	{
		emit(c, c->s->fields_sql);
		emit(c, " @> ANY (");
		if (!custom_in_group(c, n, f, textual, SQ_T_JSONB, true))
			return false;
		emit(c, ")");
		done++;
	}
	if (have & K(SQ_LIT_NUMBER))
	{
		if (done++ > 0)
			emit(c, " OR ");
		if (!emit_custom_number(c, f))
			return false;
		emit(c, " = ANY (");
		if (!custom_in_group(c, n, f, K(SQ_LIT_NUMBER), SQ_T_NUMERIC, false))
			return false;
		emit(c, ")");
	}
	if (have & K(SQ_LIT_BOOL))
	{
		if (done++ > 0)
			emit(c, " OR ");
		if (!emit_custom(c, f, true))
			return false;
		emit(c, " = ANY (");
		if (!custom_in_group(c, n, f, K(SQ_LIT_BOOL), SQ_T_TEXT, false))
			return false;
		emit(c, ")");
	}
	if (groups > 1)
		emit(c, ")");
	return true;
}

/*
 * lead.<custom field> with a positive operator.  Text values compare with
 * the field's text (= by jsonb containment, which a GIN index serves);
 * numbers numerically (a JSON number or a string that reads as one).
 */
static bool
comp_custom(Comp *c, const SqNode *n, Field *f, SqOp op, bool *nullable)
{
	const SqLit *l = n->nlits > 0 ? &n->lits[0] : NULL;
	SqParam    *p;

	*nullable = true;
	if (op == SQ_OP_IN)
		return comp_custom_in(c, n, f);
	if (op == SQ_OP_EMPTY)
	{
		*nullable = false;
		emit(c, "coalesce(octet_length(");
		if (!emit_custom(c, f, true))
			return false;
		emit(c, "), 0) = 0");
		return true;
	}
	if (op == SQ_OP_CONTAINS)
	{
		if (!emit_custom(c, f, true))
			return false;
		emit(c, " ILIKE ");
		return param_contains(c, l);
	}
	if (l->kind == SQ_LIT_NUMBER)
	{
		if (!emit_custom_number(c, f))
			return false;
		emit(c, sql_cmp(op));
		return param_lit(c, SQ_T_NUMERIC, NULL, 0, l);
	}
	if (l->kind == SQ_LIT_BOOL && is_ordering(op))
		return bad_value(c, l, f, "a number, a text or a date");
	if (op == SQ_OP_EQ && l->kind != SQ_LIT_BOOL)
	{
		emit(c, c->s->fields_sql);
		emit(c, " @> ");
		if ((p = new_param(c, SQ_T_JSONB, NULL, 0, false, 1)) == NULL)
			return false;
		add_json_pair(p, f->name, l);
		return true;
	}
	if (!emit_custom(c, f, true))
		return false;
	emit(c, sql_cmp(op));
	return param_lit(c, SQ_T_TEXT, NULL, 0, l);
}

/* tag: the lead's tags hold the value (exactly, case-sensitive). */
static bool
comp_tag(Comp *c, const SqNode *n, const Field *f, SqOp op, bool *nullable)
{
	const char *tags = c->s->tags_sql;

	*nullable = true;
	switch (op)
	{
		case SQ_OP_EQ:
			emit(c, tags);
			emit(c, " @> ARRAY[");
			if (!param_lit(c, SQ_T_TEXT, NULL, 0, &n->lits[0]))
				return false;
			emit(c, "]");
			return true;
		case SQ_OP_IN:
			emit(c, tags);
			emit(c, " && ");
			return param_list(c, SQ_T_TEXT, NULL, 0, n);
		case SQ_OP_CONTAINS:
			*nullable = false;
			emit(c, "EXISTS (SELECT 1 FROM unnest(");
			emit(c, tags);
			emit(c, ") AS u(v) WHERE u.v ILIKE ");
			if (!param_contains(c, &n->lits[0]))
				return false;
			emit(c, ")");
			return true;
		case SQ_OP_EMPTY:
			*nullable = false;
			emit(c, "coalesce(cardinality(");
			emit(c, tags);
			emit(c, "), 0) = 0");
			return true;
		default:
			return bad_operator(c, n, f, op, "=, !=, in, not in, ~, !~ or is empty");
	}
}

/* EXISTS (SELECT 1 FROM textseq.contact c WHERE c.lead_id = <key> */
static void
open_contacts(Comp *c)
{
	emit(c, "EXISTS (SELECT 1 FROM textseq.contact c WHERE c.lead_id = ");
	emit(c, c->s->key_sql);
}

/* The digits (and +) of a literal, as a LIKE pattern; false when it has none. */
static bool
param_phone_digits(Comp *c, const SqLit *l, const Field *f)
{
	TsBuf		b;
	SqParam    *p;

	tsbuf_init(&b);
	tsbuf_appendc(&b, '%');
	for (size_t i = 0; i < l->len; i++)
		if ((l->text[i] >= '0' && l->text[i] <= '9') || l->text[i] == '+')
			tsbuf_appendc(&b, l->text[i]);
	tsbuf_appendc(&b, '%');
	if (b.len == 2)
	{
		tsbuf_free(&b);
		return bad_value(c, l, f, "digits to look for");
	}
	if ((p = new_param(c, SQ_T_TEXT, NULL, 0, false, 1)) == NULL)
	{
		tsbuf_free(&b);
		return false;
	}
	add_built(p, &b, l->offset);
	return true;
}

/* phone: one of the lead's contacts has the number (normalised to E.164 by the caller). */
static bool
comp_phone(Comp *c, const SqNode *n, const Field *f, SqOp op, bool *nullable)
{
	*nullable = false;
	if (is_ordering(op))
		return bad_operator(c, n, f, op, "=, !=, in, not in, ~, !~ or is empty");
	if (op != SQ_OP_EMPTY &&
		!check_values(c, n, f, TEXTUAL | K(SQ_LIT_NUMBER), "a phone number"))
		return false;
	if (op == SQ_OP_EMPTY)
		emit(c, "NOT ");
	open_contacts(c);
	if (op == SQ_OP_EQ)
	{
		emit(c, " AND c.phone = ");
		if (!param_lit(c, SQ_T_PHONE, "text", 0, &n->lits[0]))
			return false;
	}
	else if (op == SQ_OP_IN)
	{
		emit(c, " AND c.phone = ANY (");
		if (!param_list(c, SQ_T_PHONE, "text", 0, n))
			return false;
		emit(c, ")");
	}
	else if (op == SQ_OP_CONTAINS)
	{
		emit(c, " AND c.phone LIKE ");
		if (!param_phone_digits(c, &n->lits[0], f))
			return false;
	}
	emit(c, ")");
	return true;
}

/* The contact/phone subquery of phone.opted_out, with the phone condition. */
static void
opted_subquery(Comp *c, const char *cond)
{
	emit(c, "EXISTS (SELECT 1 FROM textseq.contact c JOIN textseq.phone p ON p.e164 = c.phone WHERE c.lead_id = ");
	emit(c, c->s->key_sql);
	emit(c, cond);
	emit(c, ")");
}

/*
 * phone.opted_out = true: the lead has phones and every one is opted out
 * (nothing left to text).  true/false choose between two fixed predicates.
 */
static bool
comp_opted_out(Comp *c, const SqNode *n, const Field *f, SqOp op, bool *nullable)
{
	*nullable = false;
	if (op != SQ_OP_EQ)
		return bad_operator(c, n, f, op, "= or != with true or false");
	if (!check_values(c, n, f, K(SQ_LIT_BOOL), "true or false"))
		return false;
	if (strcmp(n->lits[0].text, "false") == 0)
		emit(c, "NOT ");
	emit(c, "(");
	opted_subquery(c, " AND p.opted_out");
	emit(c, " AND NOT ");
	opted_subquery(c, " AND NOT p.opted_out");
	emit(c, ")");
	return true;
}

/* EXISTS over the lead's enrollments (with their sequence when named or asked). */
static bool
open_enrollments(Comp *c, const Field *f, bool join_sequence)
{
	emit(c, "EXISTS (SELECT 1 FROM textseq.enrollment e");
	if (join_sequence || f->name != NULL)
		emit(c, " JOIN textseq.sequence s ON s.id = e.sequence_id");
	emit(c, " WHERE e.lead_id = ");
	emit(c, c->s->key_sql);
	if (f->name == NULL)
		return true;
	emit(c, " AND s.name = ");
	{
		SqParam    *p = new_param(c, SQ_T_TEXT, NULL, 0, false, 1);

		if (p == NULL)
			return false;
		add_value(p, f->name->name, f->name->len, f->name->offset);
	}
	return true;
}

/*
 * sequence.status, sequence.<name>.status, sequence.name: the lead has an
 * enrollment (in that sequence) with that status / in a sequence of that name.
 */
static bool
comp_sequence(Comp *c, const SqNode *n, const Field *f, SqOp op, bool *nullable)
{
	bool		by_name = (f->kind == F_SEQ_NAME);
	SqType		type = by_name ? SQ_T_TEXT : SQ_T_ENROLLMENT_STATUS;
	const char *col = by_name ? " AND s.name" : " AND e.status";

	*nullable = false;
	if (is_ordering(op) || (op == SQ_OP_CONTAINS && !by_name))
		return bad_operator(c, n, f, op, by_name ? "=, !=, in, not in, ~, !~ or is empty"
							: "=, !=, in, not in or is empty");
	if (!by_name && !check_values(c, n, f, TEXTUAL, "a status such as pending"))
		return false;
	if (op == SQ_OP_EMPTY)
		emit(c, "NOT ");
	if (!open_enrollments(c, f, by_name))
		return false;
	if (op == SQ_OP_EQ || op == SQ_OP_CONTAINS)
	{
		emit(c, col);
		emit(c, op == SQ_OP_EQ ? " = " : " ILIKE ");
		if (!(op == SQ_OP_EQ ? param_lit(c, type, NULL, 0, &n->lits[0]) : param_contains(c, &n->lits[0])))
			return false;
	}
	else if (op == SQ_OP_IN)
	{
		emit(c, col);
		emit(c, " = ANY (");
		if (!param_list(c, type, NULL, 0, n))
			return false;
		emit(c, ")");
	}
	emit(c, ")");
	return true;
}

/* bulk.id: the lead is a member of the bulk (has an enrollment of it). */
static bool
comp_bulk_id(Comp *c, const SqNode *n, const Field *f, SqOp op, bool *nullable)
{
	*nullable = false;
	if (is_ordering(op) || op == SQ_OP_CONTAINS)
		return bad_operator(c, n, f, op, "=, !=, in, not in or is empty");
	if (!check_values(c, n, f, K(SQ_LIT_NUMBER) | K(SQ_LIT_STRING), "a bulk id (a number)"))
		return false;
	if (op == SQ_OP_EMPTY)
		emit(c, "NOT ");
	emit(c, "EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.lead_id = ");
	emit(c, c->s->key_sql);
	if (op == SQ_OP_EQ)
	{
		emit(c, " AND e.bulk_id = ");
		if (!param_lit(c, SQ_T_BIGINT, NULL, 0, &n->lits[0]))
			return false;
	}
	else if (op == SQ_OP_IN)
	{
		emit(c, " AND e.bulk_id = ANY (");
		if (!param_list(c, SQ_T_BIGINT, NULL, 0, n))
			return false;
		emit(c, ")");
	}
	else
		emit(c, " AND e.bulk_id IS NOT NULL");
	emit(c, ")");
	return true;
}

/* bulk.incomplete: the leads textseq._bulk_incomplete_leads(bulk) gives. */
static bool
comp_bulk_incomplete(Comp *c, const SqNode *n, const Field *f, SqOp op, bool *nullable)
{
	*nullable = true;
	if (op != SQ_OP_EQ && op != SQ_OP_IN)
		return bad_operator(c, n, f, op, "=, !=, in or not in with a bulk id");
	if (!check_values(c, n, f, K(SQ_LIT_NUMBER) | K(SQ_LIT_STRING), "a bulk id (a number)"))
		return false;
	emit(c, c->s->key_sql);
	if (op == SQ_OP_EQ)
	{
		emit(c, " IN (SELECT b.lead_id FROM textseq._bulk_incomplete_leads(");
		if (!param_lit(c, SQ_T_BIGINT, NULL, 0, &n->lits[0]))
			return false;
		emit(c, ") AS b(lead_id))");
		return true;
	}
	emit(c, " IN (SELECT b.lead_id FROM unnest(");
	if (!param_list(c, SQ_T_BIGINT, NULL, 0, n))
		return false;
	emit(c, ") AS u(bulk) CROSS JOIN LATERAL textseq._bulk_incomplete_leads(u.bulk) AS b(lead_id))");
	return true;
}

/* The positive form of a negated operator (or op itself). */
static SqOp
positive_op(SqOp op, bool *negated)
{
	*negated = true;
	switch (op)
	{
		case SQ_OP_NE: return SQ_OP_EQ;
		case SQ_OP_NOT_CONTAINS: return SQ_OP_CONTAINS;
		case SQ_OP_NOT_IN: return SQ_OP_IN;
		case SQ_OP_NOT_EMPTY: return SQ_OP_EMPTY;
		default:
			*negated = false;
			return op;
	}
}

/* A predicate with a positive operator. */
static bool
comp_positive(Comp *c, const SqNode *n, Field *f, SqOp op, bool *nullable)
{
	switch (f->kind)
	{
		case F_COLUMN: return comp_column(c, n, f, op, nullable);
		case F_CUSTOM: return comp_custom(c, n, f, op, nullable);
		case F_TAG: return comp_tag(c, n, f, op, nullable);
		case F_PHONE: return comp_phone(c, n, f, op, nullable);
		case F_OPTED_OUT: return comp_opted_out(c, n, f, op, nullable);
		case F_SEQ_STATUS:
		case F_SEQ_NAME: return comp_sequence(c, n, f, op, nullable);
		case F_BULK_ID: return comp_bulk_id(c, n, f, op, nullable);
		case F_BULK_INCOMPLETE: return comp_bulk_incomplete(c, n, f, op, nullable);
	}
	return false;
}

static bool comp_node(Comp *c, const SqNode *n, bool *nullable);

/*
 * The negation of what fn compiles: NOT (x) when x is never NULL, else
 * (x) IS NOT TRUE, so a lead with no value is on the negated side.
 */
static bool
comp_negated(Comp *c, const SqNode *n, Field *f, SqOp op, bool *nullable)
{
	TsBuf		outer = c->out->sql;
	TsBuf		inner;
	bool		kid_nullable = false;
	bool		ok;

	tsbuf_init(&c->out->sql);
	ok = (f != NULL) ? comp_positive(c, n, f, op, &kid_nullable) : comp_node(c, n, &kid_nullable);
	inner = c->out->sql;
	c->out->sql = outer;
	if (ok)
	{
		emit(c, kid_nullable ? "(" : "NOT (");
		tsbuf_append(&c->out->sql, inner.data ? inner.data : "", inner.len);
		emit(c, kid_nullable ? ") IS NOT TRUE" : ")");
	}
	tsbuf_free(&inner);
	*nullable = false;
	return ok;
}

/* A predicate. */
static bool
comp_pred(Comp *c, const SqNode *n, bool *nullable)
{
	Field		f;
	bool		negated;
	SqOp		op = positive_op(n->op, &negated);

	if (!resolve_field(c, n, &f))
		return false;
	if (negated)
		return comp_negated(c, n, &f, op, nullable);
	return comp_positive(c, n, &f, op, nullable);
}

/* A node: and/or lists in parentheses, not, predicates. */
static bool
comp_node(Comp *c, const SqNode *n, bool *nullable)
{
	bool		kid_nullable;

	ts_check_stack();
	if (n->kind == SQ_PRED)
		return comp_pred(c, n, nullable);
	if (n->kind == SQ_NOT)
		return comp_negated(c, n->kids[0], NULL, SQ_OP_EQ, nullable);
	*nullable = false;
	emit(c, "(");
	for (int i = 0; i < n->nkids; i++)
	{
		if (i > 0)
			emit(c, n->kind == SQ_AND ? " AND " : " OR ");
		if (!comp_node(c, n->kids[i], &kid_nullable))
			return false;
		*nullable = *nullable || kid_nullable;
	}
	emit(c, ")");
	return true;
}

/* Free a compiled query's SQL and parameters (not the struct itself). */
void
sq_compiled_free(SqCompiled *c)
{
	for (int i = 0; i < c->nparams; i++)
	{
		for (int j = 0; j < c->params[i].nvalues; j++)
			ts_free(c->params[i].values[j].text);
		ts_free(c->params[i].values);
	}
	if (c->params)
		ts_free(c->params);
	tsbuf_free(&c->sql);
	memset(c, 0, sizeof(*c));
}

/*
 * Compile a parsed query against the schema into out (a predicate over the
 * alias l and its parameters).  False with err set (and out emptied) for
 * an unknown field, an operator the field does not take or a value of the
 * wrong kind, at the position of the offending part.
 */
bool
sq_compile(const SqQuery *q, const SqSchema *schema, SqCompiled *out, TsError *err)
{
	Comp		c;
	bool		nullable;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	c.q = q;
	c.s = schema;
	c.out = out;
	c.err = err;
	c.failed = false;
	if (!comp_node(&c, q->root, &nullable))
	{
		if (!c.failed)
			fail(&c, SQ_ERR_SYNTAX, 0, "could not compile the query");
		sq_compiled_free(out);
		return false;
	}
	return true;
}
