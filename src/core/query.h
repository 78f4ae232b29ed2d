/*-------------------------------------------------------------------------
 *
 * query.h
 *	  The smartlist query core: a small query language over leads, parsed
 *	  into a tree and compiled into a parameterized SQL predicate.
 *
 * Pure core (see core.h): no server headers.  The core never sees the
 * catalog; the caller describes the lead relation in an SqSchema (the SQL
 * of its key, custom-fields and tags columns, already quoted) and answers
 * "is lead.<name> a column, and of what kind?" through SqColumnFn.
 * Nothing the user typed ever reaches the SQL text: values, custom field
 * keys and LIKE patterns become parameters ($1, $2, ...) that the caller
 * binds; the SQL is made of fixed fragments, the schema's SQL and $n.
 * The language itself is documented in docs/query-language.md.
 *
 * Index of the implementation:
 *	  query_lex.c		tokens: names, strings with escapes, numbers, dates
 *	  query_parse.c		the tree (and/or/not, predicates), limits
 *	  query_tree.c		the arena the tree lives in, printing it
 *	  query_compile.c	fields, operators and values to SQL and parameters
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_QUERY_H
#define TEXTSEQ_QUERY_H

#include "core.h"

/* Limits: input bytes, nesting of ( ) and not, values of one in ( ), parameters. */
#define SQ_MAX_INPUT		65536
#define SQ_MAX_DEPTH		64
#define SQ_MAX_LIST			10000
#define SQ_MAX_PARAMS		30000

/* Error codes of TsError.code for this core (the glue maps them to SQLSTATEs). */
typedef enum SqErrorCode
{
	SQ_OK = 0,
	SQ_ERR_SYNTAX,				/* 42601: malformed query */
	SQ_ERR_UNKNOWN_FIELD,		/* 42703: no such field */
	SQ_ERR_OPERATOR,			/* 42883: the operator does not apply to the field */
	SQ_ERR_VALUE,				/* 22P02: a value of the wrong kind for the field */
	SQ_ERR_DATE,				/* 22007: a malformed date or timestamp */
	SQ_ERR_DATE_RANGE,			/* 22008: a date or time field out of range */
	SQ_ERR_TOO_LONG,			/* 54000: input or list past the limits */
	SQ_ERR_TOO_DEEP				/* 54001: nesting past SQ_MAX_DEPTH */
} SqErrorCode;

/* A parsed query.  Self-contained: it keeps its own copy of the source. */
typedef struct SqQuery SqQuery;

/* What kind of column lead.<name> is, which decides its operators. */
typedef enum SqColKind
{
	SQ_COL_TEXT = 0,			/* text, varchar, char, name */
	SQ_COL_NUMBER,				/* integers, numeric, floats */
	SQ_COL_TIME,				/* date, timestamp(tz), time, interval */
	SQ_COL_BOOL,
	SQ_COL_ARRAY,				/* any array: = means "has the element" */
	SQ_COL_OTHER				/* anything else: =, !=, in, ~ (as text), is empty */
} SqColKind;

/*
 * A column of the lead relation, as the caller describes it.  Strings are
 * SQL the caller vouches for (built from the catalog and quoted); the type
 * ids are the caller's own (OIDs in the server) and come back in SqParam.
 */
typedef struct SqColumn
{
	SqColKind	kind;
	const char *sql;			/* the column in SQL, e.g. l.first_name */
	const char *type_sql;		/* its type for a cast, e.g. bigint */
	uint32_t	type_id;
	const char *elem_sql;		/* arrays: the element type, e.g. text */
	uint32_t	elem_id;
} SqColumn;

/*
 * Is lead.<name> a column?  name/len is UTF-8, not NUL-terminated; quoted
 * tells whether it was written in quotes (unquoted names are matched the
 * way SQL matches unquoted identifiers).  Fill *out and return true, or
 * return false: then the name is a custom field (a key of fields_sql).
 */
typedef bool (*SqColumnFn) (void *ctx, const char *name, size_t len, bool quoted, SqColumn *out);

/* The lead relation as SQL: l is its alias in the statement around the predicate. */
typedef struct SqSchema
{
	const char *key_sql;		/* the lead's key, e.g. l.id (bigint) */
	const char *fields_sql;		/* jsonb of custom fields, e.g. l.fields; NULL: none */
	const char *tags_sql;		/* text[] of tags, e.g. l.tags; NULL: no tag field */
	SqColumnFn	column;
	void	   *ctx;
} SqSchema;

/* The type a parameter is bound as. */
typedef enum SqType
{
	SQ_T_TEXT = 0,
	SQ_T_NUMERIC,
	SQ_T_BIGINT,
	SQ_T_BOOL,
	SQ_T_JSONB,
	SQ_T_PHONE,					/* text: a phone number the caller normalizes to E.164 */
	SQ_T_ENROLLMENT_STATUS,		/* textseq.enrollment_status */
	SQ_T_COLUMN					/* the type the caller gave as type_id */
} SqType;

/* One value of a parameter: UTF-8 text (NUL-terminated) and where it was written. */
typedef struct SqValue
{
	char	   *text;
	size_t		len;
	size_t		offset;			/* byte offset into the query source */
} SqValue;

/* Parameter $n (params[n - 1]): a scalar (nvalues 1) or an array of the type. */
typedef struct SqParam
{
	SqType		type;
	uint32_t	type_id;		/* SQ_T_COLUMN: the scalar type's id */
	bool		array;
	int			nvalues;
	SqValue    *values;
} SqParam;

/* A compiled query: the predicate over alias l, and its parameters. */
typedef struct SqCompiled
{
	TsBuf		sql;
	SqParam    *params;
	int			nparams;
	int			cap;
} SqCompiled;

/* in query_parse.c */
extern SqQuery *sq_parse(const char *src, size_t len, TsError *err);

/* in query_tree.c */
extern void sq_free(SqQuery *q);
extern void sq_dump(const SqQuery *q, TsBuf *out);
extern const char *sq_source(const SqQuery *q, size_t *len);

/* in query_compile.c */
extern bool sq_compile(const SqQuery *q, const SqSchema *schema, SqCompiled *out, TsError *err);
extern void sq_compiled_free(SqCompiled *c);
extern const char *sq_type_sql(SqType type);

#endif							/* TEXTSEQ_QUERY_H */
