/*-------------------------------------------------------------------------
 *
 * http_int.h
 *	  Private interface between the provider transport (http.c) and the
 *	  request builders (http_request.c).  Not for other callers: use
 *	  provider.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_HTTP_INT_H
#define TEXTSEQ_HTTP_INT_H

#include "lib/stringinfo.h"

#include "provider.h"

/* Message bodies longer than this (bytes) are refused without sending. */
#define HTTP_BODY_MAX (64 * 1024)

/* in http_request.c */
extern bool http_send_local(TsSend *s);
extern void http_build_twilio_send(const TsSend *s, StringInfo url, StringInfo body);
extern void http_build_telnyx_send(const TsSend *s, StringInfo url, StringInfo body);
extern void http_build_twilio_list(const TsLookup *l, StringInfo url);
extern void http_build_next_page(const TsLookup *l, const char *next_page_uri, StringInfo url);

#endif							/* TEXTSEQ_HTTP_INT_H */
