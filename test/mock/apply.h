/*-------------------------------------------------------------------------
 *
 * apply.h
 *	  Applying a matched fault to a reply (apply.c), shared by the Twilio
 *	  and Telnyx routes.  Must not depend on either provider's format.
 *
 * test/mock/apply.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_MOCK_APPLY_H
#define TEXTSEQ_MOCK_APPLY_H

#include "mock.h"

/* writes a provider-formatted error reply: HTTP status, provider code, text */
typedef void (*ErrWriter) (Req *r, int http, int code, const char *message);

extern const char *apply_code_text(int code);
extern bool apply_pre(Req *r, const Fault *f, ErrWriter err);
extern void apply_post(Req *r, const Fault *f, ErrWriter err);

#endif							/* TEXTSEQ_MOCK_APPLY_H */
