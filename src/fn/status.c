/*-------------------------------------------------------------------------
 *
 * status.c
 *	  The one place that knows which status changes are allowed.
 *
 * States only move forward (SPEC section 3): a late or repeated delivery
 * report never moves `sent` back to `outbox`.  The row trigger
 * textseq._status_guard() refuses any other change, and callers that may
 * legitimately see stale events (delivery reports, reconciliation) filter
 * with textseq.status_transition_allowed() so they skip instead of failing.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "executor/spi.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(textseq_status_allowed);
PG_FUNCTION_INFO_V1(textseq_status_guard);

typedef struct Transition
{
	const char *from;
	const char *to;				/* space-separated list of allowed targets */
} Transition;

/* States a waiting message can leave to (claim verdicts, cancel, expiry). */
#define WAITING_EXITS \
	"in_queue held_quiet_hours capped sending expired canceled blocked_duplicate " \
	"omitted_opted_out omitted_landline omitted_invalid omitted_do_not_contact " \
	"omitted_deleted_lead error"

static const Transition message_transitions[] = {
	{"in_queue", WAITING_EXITS},
	{"held_quiet_hours", WAITING_EXITS},
	{"capped", WAITING_EXITS},
	/* in_queue again only for a retry the provider certainly did not process */
	{"sending", "outbox sent error maybe_sent in_queue omitted_invalid omitted_landline "
	 "omitted_opted_out"},
	/* reconciliation: found (outbox/sent/error), certainly absent (in_queue), too late */
	{"maybe_sent", "outbox sent error in_queue expired delivery_unknown"},
	{"outbox", "sent error delivery_unknown"},
	{"delivery_unknown", "sent error"},
	{NULL, NULL}
};

static const Transition enrollment_transitions[] = {
	{"pending", "finished_responded finished_no_response finished_stopped failed opted_out "
	 "omitted_opted_out omitted_landline omitted_invalid expired canceled"},
	{NULL, NULL}
};

static const Transition bulk_transitions[] = {
	{"being_processed", "in_progress done canceled"},
	{"in_progress", "done canceled"},
	{NULL, NULL}
};

/* Is word one of the space-separated words of list? */
static bool
word_in_list(const char *word, const char *list)
{
	size_t		n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word)) != NULL)
	{
		bool		starts = (p == list || p[-1] == ' ');
		bool		ends = (p[n] == '\0' || p[n] == ' ');

		if (starts && ends)
			return true;
		p += n;
	}
	return false;
}

/* Whether kind's status may move from one value to another. */
bool
ts_status_allowed(TsStatusKind kind, const char *from, const char *to)
{
	const Transition *t;

	if (strcmp(from, to) == 0)
		return true;
	t = kind == TS_KIND_MESSAGE ? message_transitions :
		kind == TS_KIND_ENROLLMENT ? enrollment_transitions : bulk_transitions;
	for (; t->from != NULL; t++)
		if (strcmp(t->from, from) == 0)
			return word_in_list(to, t->to);
	return false;
}

/* Map 'message' / 'enrollment' / 'bulk' to a kind, or raise. */
static TsStatusKind
parse_kind(const char *name)
{
	if (strcmp(name, "message") == 0)
		return TS_KIND_MESSAGE;
	if (strcmp(name, "enrollment") == 0)
		return TS_KIND_ENROLLMENT;
	if (strcmp(name, "bulk") == 0)
		return TS_KIND_BULK;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown status kind \"%s\"", name),
			 errhint("Use message, enrollment or bulk.")));
	return TS_KIND_MESSAGE;		/* keep compiler quiet */
}

/* SQL: textseq.status_transition_allowed(kind, from, to) */
Datum
textseq_status_allowed(PG_FUNCTION_ARGS)
{
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *from = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *to = text_to_cstring(PG_GETARG_TEXT_PP(2));

	PG_RETURN_BOOL(ts_status_allowed(parse_kind(kind), from, to));
}

/* The label of the status column of a tuple. */
static char *
status_label(Relation rel, HeapTuple tuple, int attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);
	Oid			typoutput;
	bool		varlena;

	if (isnull)
		return NULL;
	getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid,
					  &typoutput, &varlena);
	return OidOutputFunctionCall(typoutput, d);
}

/* Trigger: BEFORE UPDATE OF status, refuses changes the transition table forbids. */
Datum
textseq_status_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	int			attnum;
	char	   *from;
	char	   *to;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_UPDATE(td->tg_event) ||
		td->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("textseq._status_guard() must be an update trigger with one argument")));
	rel = td->tg_relation;
	attnum = SPI_fnumber(RelationGetDescr(rel), "status");
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("relation \"%s\" has no status column", RelationGetRelationName(rel))));
	from = status_label(rel, td->tg_trigtuple, attnum);
	to = status_label(rel, td->tg_newtuple, attnum);
	if (from && to &&
		!ts_status_allowed(parse_kind(td->tg_trigger->tgargs[0]), from, to))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s status cannot move from %s to %s",
						td->tg_trigger->tgargs[0], from, to),
				 errdetail("Statuses only move forward."),
				 errhint("Filter updates with textseq.status_transition_allowed().")));
	return PointerGetDatum(td->tg_newtuple);
}
