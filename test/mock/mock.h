/*-------------------------------------------------------------------------
 *
 * mock.h
 *	  Shared declarations of textseq-mock, the local Twilio/Telnyx-compatible
 *	  SMS provider used by the worker tests, the benchmarks and the demo.
 *
 *	  This header is the index of the program: each group below names the
 *	  file that implements it.  The mock is a test tool, not part of the
 *	  extension: it must never be linked into the server module, and it must
 *	  not print anything per request (benchmarks push >10,000 requests/s).
 *
 *	  Threads: MHD's pool threads run the request handlers; one timer thread
 *	  resumes suspended connections (delays, slow bodies, hangs); one optional
 *	  delivery-report thread talks to PostgreSQL.  The message store has its
 *	  own mutex (store.c); the fault rule set is swapped atomically (faults.c);
 *	  counters are relaxed atomics (stats.c).
 *
 * test/mock/mock.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_MOCK_H
#define TEXTSEQ_MOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>

/* ---- in buf.c: growable byte buffers, JSON and URL encoding, clocks ---- */

typedef struct Buf
{
	char	   *p;				/* always NUL-terminated after len bytes */
	size_t		len;
	size_t		cap;			/* usable bytes, excluding the NUL slot */
	bool		heap;			/* p was malloc'ed by buf_grow */
} Buf;

extern void buf_init(Buf *b, char *storage, size_t size);
extern void buf_reset(Buf *b);
extern void buf_free(Buf *b);
extern void buf_put(Buf *b, const char *s, size_t n);
extern void buf_puts(Buf *b, const char *s);
extern void buf_printf(Buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void buf_json_str(Buf *b, const char *s);
extern void buf_url_enc(Buf *b, const char *s);
extern void *xmalloc(size_t n);
extern char *xstrdup(const char *s);
extern int64_t now_us(void);
extern int64_t mono_us(void);
extern void fmt_rfc2822(char *out, size_t size, int64_t us);
extern void fmt_iso_us(char *out, size_t size, int64_t us);

/* ---- in kv.c: in-place form and JSON-object decoding into key/value lists ---- */

#define KV_MAX 64

typedef struct Kv
{
	const char *key;
	const char *val;
} Kv;

typedef struct KvList
{
	int			n;
	Kv			items[KV_MAX];
} KvList;

extern int	kv_parse_form(char *text, KvList *out);
extern int	kv_parse_json(char *text, KvList *out, const char **err);
extern const char *kv_get(const KvList *kv, const char *key);
extern int	kv_count(const KvList *kv, const char *key);

/* ---- in sms.c: SMS facts the responses need ---- */

extern bool sms_is_e164(const char *s);
extern bool sms_is_sender(const char *s);
extern long sms_char_count(const char *s);
extern int	sms_segments(const char *s, bool *ucs2);

/* ---- in faults.c: fault rules, parsed from specs, matched per request ---- */

typedef enum FaultKind
{
	FK_OK,
	FK_DELAY,
	FK_STATUS,
	FK_ACCEPT_STATUS,
	FK_ERROR,
	FK_THROTTLE,
	FK_RESET,
	FK_ACCEPT_RESET,
	FK_HANG,
	FK_SLOW,
	FK_COUNT
} FaultKind;

/* which provider operation a rule applies to (bit mask) */
#define OP_CREATE 1u
#define OP_LIST   2u
#define OP_FETCH  4u

typedef struct Fault
{
	FaultKind	kind;
	int			arg;			/* ms, HTTP status, Twilio code or seconds */
	const char *spec;			/* the rule's text, for logs and responses */
	const char *text;			/* error message to answer with (text=), or NULL */
} Fault;

extern int	faults_add_cli(const char *spec, char *err, size_t errlen);
extern int	faults_replace(const char *text, char *err, size_t errlen);
extern bool faults_match(unsigned op, const char *to, Fault *out);
extern void faults_to_json(Buf *b);
extern const char *fault_kind_name(FaultKind k);
extern bool fault_records(FaultKind k);
extern void faults_seed(uint64_t seed);
extern void faults_free_all(void);

/* ---- in stats.c: counters ---- */

typedef enum StatId
{
	ST_REQUESTS,
	ST_ACCEPTED,
	ST_REPLAYED,
	ST_REJECTED,
	ST_AUTH_FAILED,
	ST_NOT_FOUND,
	ST_LISTS,
	ST_FETCHES,
	ST_DLR_QUEUED,
	ST_DLR_POSTED,
	ST_DLR_FAILED,
	ST_COUNT
} StatId;

extern void stat_inc(StatId id);
extern void stat_add(StatId id, long n);
extern void stat_fault(FaultKind k);
extern void stats_reset(void);
extern void stats_to_json(Buf *b, long messages);
extern void stats_summary(char *out, size_t size);

/* ---- in store.c: accepted messages, idempotency keys, the JSON-lines log ---- */

typedef enum Provider
{
	PROV_TWILIO,
	PROV_TELNYX
} Provider;

#define MSG_MAX_MEDIA 10

typedef struct Msg
{
	uint64_t	seq;
	Provider	prov;
	int64_t		created_us;		/* wall clock, microseconds since epoch */
	const char *sid;
	const char *account;
	const char *to;
	const char *from;
	const char *mss;			/* MessagingServiceSid / messaging_profile_id */
	const char *body;
	const char *status_cb;
	const char *validity;
	const char *idem;
	const char *fault;			/* spec of the fault that hit it, or NULL */
	const char *status;			/* "queued" until a delivery report */
	const char **media;		/* nmedia URLs (NULL when none) */
	int			nmedia;
	int			segments;
	bool		ucs2;
} Msg;

extern int	store_open(const char *log_path);
extern void store_close(void);
extern void store_lock(void);
extern void store_unlock(void);
extern const Msg *store_accept(const Msg *in, bool *replayed);
extern long store_count(void);
extern const Msg *store_at(long idx);
extern long store_index_of_seq(uint64_t seq);
extern const Msg *store_find_sid(const char *sid);
extern void store_set_status(const char *sid, const char *status);
extern void store_reset(void);
extern uint64_t store_sid_seq(const char *sid);

/* ---- in server.c: the HTTP daemon and the per-request life cycle ---- */

typedef enum PostAction
{
	POST_NONE,
	POST_RESET,					/* close without a response */
	POST_HANG,					/* never answer; close when the client does */
	POST_SLOW					/* trickle the body */
} PostAction;

typedef struct Reply
{
	int			status;
	const char *ctype;
	int			retry_after;	/* seconds, 0 = no header */
	int			delay_ms;
	int			slow_ms;
	PostAction	post;
	Buf			body;
} Reply;

#define REQ_INLINE 4096

typedef struct Req
{
	struct Req *next_free;
	struct MHD_Connection *conn;
	const char *url;
	bool		is_get;
	bool		is_post;
	bool		too_big;
	int			state;
	Buf			in;
	Reply		reply;
	int64_t		slow_start;
	int			slow_piece;
	char		in_inline[REQ_INLINE];
	char		out_inline[REQ_INLINE];
} Req;

extern int	server_start(int port, int threads, int *bound_port);
extern void server_quiesce(void);
extern void server_stop(void);
extern bool server_stopping(void);
extern const char *req_header(Req *r, const char *name);
extern const char *req_query(Req *r, const char *name);
extern void reply_json(Req *r, int status);

/* ---- in timers.c: resuming suspended connections ---- */

extern void timers_start(void);
extern void timers_stop(void);
extern bool timers_resume_at(struct MHD_Connection *c, int64_t due_mono_us);
extern bool timers_hang(struct MHD_Connection *c);

/* ---- in twilio.c, telnyx.c, admin.c: the routes ---- */

extern void twilio_route(Req *r, const char *rest);
extern void twilio_error(Req *r, int http, int code, const char *message);
extern void telnyx_route(Req *r, const char *rest);
extern void admin_route(Req *r, const char *rest);

/* ---- in dlr.c: delivery reports posted into PostgreSQL ---- */

extern int	dlr_start(const char *conninfo, int delay_ms, const char *status,
					  const char *error_code);
extern void dlr_enqueue(const Msg *m);
extern void dlr_stop(void);

/* ---- in loadgen.c: the built-in keep-alive load generator ---- */

extern int	loadgen_main(int argc, char **argv);

/* ---- in main.c: settings ---- */

typedef struct Config
{
	int			latency_ms;
	const char *auth_basic;		/* "Basic base64(SID:TOKEN)" or NULL */
	const char *telnyx_bearer;	/* "Bearer KEY" or NULL */
} Config;

extern Config g_cfg;

#endif							/* TEXTSEQ_MOCK_H */
