/*-------------------------------------------------------------------------
 *
 * redact.c
 *	  Keep provider credentials out of the server log: an emit_log_hook
 *	  that, when a log line, its detail or context, or the statement being
 *	  run names a function or table that takes a credential
 *	  (create_account, set_account_secret, account_secret, the provider
 *	  probes, twilio_signature_valid), blanks every string literal in it
 *	  ('…', E'…', $tag$…$tag$, and the bind parameters of "parameters:"
 *	  details) and drops the STATEMENT line (edata->hide_stmt).
 *
 * log_statement = 'all' logs "statement: SELECT textseq.create_account(…,
 * 'the token')", and log_min_error_statement (ERROR by default) appends the
 * statement to any error it raised; both would put the token in the log.
 * The hook also covers EXECUTE of a prepared statement whose text names one
 * (the EXECUTE line itself does not).  Runs for every message: must stay
 * cheap, must not ereport (it runs inside error reporting), and chains the
 * hook installed before it.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "commands/prepare.h"
#include "lib/stringinfo.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/memutils.h"

#include <ctype.h>

static emit_log_hook_type prev_emit_log_hook = NULL;

/* Names whose mention means a credential may be in the text (lower case). */
static const char *const credential_names[] = {
	"create_account", "account_secret", "_provider_probe", "_provider_lookup",
	"twilio_signature_valid", NULL
};

#define REDACTED		"***"
#define HIDDEN_ROW		"Failing row contains (values hidden: the statement carries a credential)."

/* Case-insensitive substring search (ASCII). */
static bool
contains_ci(const char *hay, const char *needle)
{
	size_t		n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (pg_strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* Whether s names a credential-taking function or table. */
static bool
names_credential(const char *s)
{
	if (s == NULL)
		return false;
	for (int i = 0; credential_names[i] != NULL; i++)
		if (contains_ci(s, credential_names[i]))
			return true;
	return false;
}

/* The text of the prepared statement an "EXECUTE name" runs, or NULL. */
static const char *
executed_statement(const char *query)
{
	char		name[NAMEDATALEN];
	int			len = 0;
	PreparedStatement *ps;

	if (query == NULL)
		return NULL;
	while (isspace((unsigned char) *query))
		query++;
	if (pg_strncasecmp(query, "execute", 7) != 0 || !isspace((unsigned char) query[7]))
		return NULL;
	query += 7;
	while (isspace((unsigned char) *query))
		query++;
	while (len < NAMEDATALEN - 1 && (isalnum((unsigned char) *query) || *query == '_'))
		name[len++] = pg_tolower((unsigned char) *query++);
	name[len] = '\0';
	if (len == 0)
		return NULL;
	ps = FetchPreparedStatement(name, false);
	return ps ? ps->plansource->query_string : NULL;
}

/* Length of a dollar-quote tag ($tag$ or $$) at s, or 0 when s does not start one. */
static int
dollar_tag_len(const char *s)
{
	int			i = 1;

	if (s[0] != '$')
		return 0;
	if (s[1] == '$')
		return 2;
	if (!(isalpha((unsigned char) s[1]) || s[1] == '_' || IS_HIGHBIT_SET(s[1])))
		return 0;
	while (isalnum((unsigned char) s[i]) || s[i] == '_' || IS_HIGHBIT_SET(s[i]))
		i++;
	return s[i] == '$' ? i + 1 : 0;
}

/* Skip a quoted literal starting at the quote s[0]; backslash escapes when escapes. */
static int
skip_quoted(const char *s, bool escapes)
{
	int			i = 1;

	for (;;)
	{
		if (s[i] == '\0')
			return i;
		if (escapes && s[i] == '\\' && s[i + 1] != '\0')
			i += 2;
		else if (s[i] == '\'' && s[i + 1] == '\'')
			i += 2;
		else if (s[i] == '\'')
			return i + 1;
		else
			i++;
	}
}

/*
 * s with the content of every string literal replaced by REDACTED (palloc'd).
 * Every doubt goes the safe way: a quote inside an identifier or a prose
 * apostrophe starts a literal, and an unterminated one runs to the end.
 */
static char *
redact_literals(const char *s)
{
	StringInfoData out;

	initStringInfo(&out);
	while (*s != '\0')
	{
		int			tag;

		if (*s == '\'' || ((*s == 'E' || *s == 'e') && s[1] == '\''))
		{
			bool		escapes = (*s != '\'');

			s += escapes;
			s += skip_quoted(s, escapes);
			appendStringInfoString(&out, "'" REDACTED "'");
		}
		else if ((tag = dollar_tag_len(s)) > 0)
		{
			char	   *delim = pnstrdup(s, tag);
			const char *end = strstr(s + tag, delim);

			pfree(delim);

			s = end ? end + tag : s + strlen(s);
			appendStringInfoString(&out, "'" REDACTED "'");
		}
		else
			appendStringInfoChar(&out, *s++);
	}
	return out.data;
}

/* A field of edata with its literals redacted (a failing row's values hidden). */
static char *
redact_field(char *field)
{
	if (field == NULL)
		return NULL;
	if (strncmp(field, "Failing row contains", 20) == 0)
		return pstrdup(HIDDEN_ROW);
	return redact_literals(field);
}

/* The hook: redact whatever names a credential, then pass the message on. */
static void
redact_emit_log(ErrorData *edata)
{
	if (names_credential(edata->message) || names_credential(edata->detail) ||
		names_credential(edata->detail_log) || names_credential(edata->context) ||
		names_credential(edata->internalquery) || names_credential(debug_query_string) ||
		names_credential(executed_statement(debug_query_string)))
	{
		edata->message = redact_field(edata->message);
		edata->detail = redact_field(edata->detail);
		edata->detail_log = redact_field(edata->detail_log);
		edata->context = redact_field(edata->context);
		edata->internalquery = redact_field(edata->internalquery);
		edata->hide_stmt = true;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/* Install the hook (from _PG_init), keeping the one before it. */
void
ts_redact_install(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = redact_emit_log;
}
