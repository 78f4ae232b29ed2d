/*-------------------------------------------------------------------------
 *
 * caller.c
 *	  textseq._caller(): the role that called a SECURITY DEFINER function.
 *
 * Inside a SECURITY DEFINER function current_user is the function's owner,
 * so "who enrolled this lead" and "who saved this template version" would
 * all read as the extension's owner.  The outer user (the session's role
 * after SET ROLE) is not changed by SECURITY DEFINER, so it is the caller.
 * Must not be granted to anyone: only definer functions need it.
 *
 *-------------------------------------------------------------------------
 */
#include "textseq.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(textseq_caller);

/* SQL: textseq._caller() -> name */
Datum
textseq_caller(PG_FUNCTION_ARGS)
{
	Name		result = (Name) palloc0(NAMEDATALEN);

	namestrcpy(result, GetUserNameFromId(GetOuterUserId(), false));
	PG_RETURN_NAME(result);
}
