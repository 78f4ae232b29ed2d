/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  Turn a matched fault into the reply: the faults that reject a request
 *	  before it is recorded (status, error, throttle, reset) and those that
 *	  misbehave after it was recorded (delay, accept_then_status,
 *	  accept_then_reset, hang, slow).
 *
 *	  Provider formats stay out of here: the caller passes its error writer
 *	  (Twilio or Telnyx JSON).  Must not touch the store.
 *
 * test/mock/apply.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"
#include "apply.h"

#include <stdio.h>

typedef struct CodeText
{
	int			code;
	const char *text;
} CodeText;

/* messages of the provider error codes tests are likely to inject */
static const CodeText code_texts[] = {
	{20003, "Authenticate"},
	{20429, "Too Many Requests"},
	{20500, "Internal Server Error"},
	{20503, "Service Unavailable"},
	{21211, "Invalid 'To' Phone Number"},
	{21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"},
	{21610, "Attempt to send to unsubscribed recipient"},
	{21611, "This 'From' number has exceeded the maximum number of queued messages"},
	{21612, "The 'To' phone number is not currently reachable via SMS"},
	{21614, "'To' number is not a valid mobile number"},
	{21635, "'To' number cannot be a landline"},
	{30001, "Queue overflow"},
	{30003, "Unreachable destination handset"},
	{30004, "Message blocked"},
	{30005, "Unknown destination handset"},
	{30006, "Landline or unreachable carrier"},
	{30007, "Message filtered"},
	{30008, "Unknown error"},
	{30022, "US A2P 10DLC - Rate Limits Exceeded"},
	{30023, "US A2P 10DLC - Daily Message Cap Reached"},
	{30032, "Toll-Free Number Has Not Been Verified"},
	{30034, "US A2P 10DLC - Message from an Unregistered Number"},
	{30036, "Validity Period Expired"},
	{40001, "Not routable"},
	{40002, "Blocked as spam"},
	{40006, "Recipient server unavailable"},
};

/* a human message for a provider error code */
const char *
apply_code_text(int code)
{
	size_t		i;

	for (i = 0; i < sizeof(code_texts) / sizeof(code_texts[0]); i++)
		if (code_texts[i].code == code)
			return code_texts[i].text;
	return "Error injected by textseq-mock";
}

/* Twilio's error code for a 5xx status */
static int
server_code(int status)
{
	return status == 503 ? 20503 : 20500;
}

/* the message of an injected error: the rule's text= when it has one */
static const char *
fault_text(const Fault *f, int code)
{
	return f->text ? f->text : apply_code_text(code);
}

/* answer with an injected 5xx, replacing any body already written */
static void
answer_status(Req *r, const Fault *f, ErrWriter err)
{
	buf_reset(&r->reply.body);
	err(r, f->arg, server_code(f->arg), fault_text(f, server_code(f->arg)));
}

/*
 * Apply a fault that rejects the request before it is recorded.  Returns
 * true when the request is answered (the caller must not record it).
 */
bool
apply_pre(Req *r, const Fault *f, ErrWriter err)
{
	switch (f->kind)
	{
		case FK_STATUS:
			answer_status(r, f, err);
			break;
		case FK_ERROR:
			err(r, 400, f->arg, fault_text(f, f->arg));
			break;
		case FK_THROTTLE:
			err(r, 429, 20429, fault_text(f, 20429));
			r->reply.retry_after = f->arg > 0 ? f->arg : 1;
			break;
		case FK_RESET:
			r->reply.post = POST_RESET;
			break;
		default:
			return false;
	}
	stat_fault(f->kind);
	return true;
}

/* apply a fault that misbehaves after the (recorded) normal answer was built */
void
apply_post(Req *r, const Fault *f, ErrWriter err)
{
	switch (f->kind)
	{
		case FK_DELAY:
			r->reply.delay_ms += f->arg;
			break;
		case FK_ACCEPT_STATUS:
			answer_status(r, f, err);
			break;
		case FK_ACCEPT_RESET:
			r->reply.post = POST_RESET;
			break;
		case FK_HANG:
			r->reply.post = POST_HANG;
			break;
		case FK_SLOW:
			r->reply.post = POST_SLOW;
			r->reply.slow_ms = f->arg;
			break;
		default:
			break;
	}
	stat_fault(f->kind);
}
