/*-------------------------------------------------------------------------
 *
 * twilio.h
 *	  Twilio Messages API of the mock, shared between twilio.c (routing,
 *	  create, fetch, the message resource) and twilio_list.c (list and
 *	  paging).  Must not be used by the Telnyx side.
 *
 * test/mock/twilio.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_MOCK_TWILIO_H
#define TEXTSEQ_MOCK_TWILIO_H

#include "mock.h"

#define TWILIO_PREFIX "/2010-04-01/Accounts/"

/* in twilio.c */
extern void twilio_render_msg(Buf *b, const Msg *m);

/* in twilio_list.c */
extern void twilio_list(Req *r, const char *account);

#endif							/* TEXTSEQ_MOCK_TWILIO_H */
