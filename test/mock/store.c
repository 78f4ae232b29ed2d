/*-------------------------------------------------------------------------
 *
 * store.c
 *	  The mock's memory of accepted messages: an array in acceptance order
 *	  (sequence numbers are contiguous within it), the strings in an arena,
 *	  a hash of Telnyx idempotency keys, sids that encode their sequence
 *	  number (so a fetch needs no index), and the JSON-lines log.
 *
 *	  Locking: one mutex guards everything here.  store_accept, store_at,
 *	  store_find_sid and friends must be called between store_lock() and
 *	  store_unlock(), and the Msg pointers they return are valid only until
 *	  the unlock (the array may move, a reset frees the arena).  The log line
 *	  of a message is written under the lock with one write() on an O_APPEND
 *	  descriptor before the HTTP answer is sent, so the log is in sequence
 *	  order, never torn, and complete even when the client is killed.
 *	  Must not know HTTP.
 *
 * test/mock/store.c
 *
 *-------------------------------------------------------------------------
 */
#include "mock.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARENA_CHUNK (256 * 1024)

typedef struct Chunk
{
	struct Chunk *next;
	size_t		used;
	size_t		size;
	char		data[];
} Chunk;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static Msg *g_msgs;
static long g_n;
static long g_cap;
static uint64_t g_next_seq = 1;
static Chunk *g_arena;
static long *g_idem;			/* open addressing: message index + 1, 0 = empty */
static long g_idem_cap;
static long g_idem_n;
static int	g_log_fd = -1;
static bool g_log_failed;
static char g_nonce_hex[17];	/* Twilio sids: SM + nonce + seq */
static char g_uuid_prefix[20];	/* Telnyx ids: prefix + a + seq */
static Buf	g_line;
static char g_line_inline[8192];

/* n bytes from the arena (8-byte aligned when asked) */
static void *
arena_alloc(size_t n, bool aligned)
{
	char	   *p;

	if (g_arena != NULL && aligned)
		g_arena->used = (g_arena->used + 7) & ~(size_t) 7;
	if (g_arena == NULL || g_arena->used + n > g_arena->size)
	{
		size_t		size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		Chunk	   *c = xmalloc(sizeof(Chunk) + size);

		c->next = g_arena;
		c->used = 0;
		c->size = size;
		g_arena = c;
	}
	p = g_arena->data + g_arena->used;
	g_arena->used += n;
	return p;
}

/* copy s into the arena (NULL stays NULL) */
static const char *
arena_strdup(const char *s)
{
	size_t		n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	return memcpy(arena_alloc(n, false), s, n);
}

/* free the whole arena */
static void
arena_free(void)
{
	while (g_arena != NULL)
	{
		Chunk	   *next = g_arena->next;

		free(g_arena);
		g_arena = next;
	}
}

/* a random 64-bit value for this run's sids */
static uint64_t
random_nonce(void)
{
	uint64_t	v = 0;
	int			fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
	{
		if (read(fd, &v, sizeof(v)) != (ssize_t) sizeof(v))
			v = 0;
		close(fd);
	}
	return v ^ (uint64_t) now_us() ^ ((uint64_t) getpid() << 32);
}

/* open the log (appending) and pick this run's sid nonce */
int
store_open(const char *log_path)
{
	uint64_t	nonce = random_nonce();

	snprintf(g_nonce_hex, sizeof(g_nonce_hex), "%016llx", (unsigned long long) nonce);
	snprintf(g_uuid_prefix, sizeof(g_uuid_prefix), "%08x-%04x-4%03x-",
			 (unsigned) (nonce >> 32), (unsigned) (nonce >> 16) & 0xFFFF,
			 (unsigned) nonce & 0xFFF);
	buf_init(&g_line, g_line_inline, sizeof(g_line_inline));
	if (log_path == NULL)
		return 0;
	g_log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (g_log_fd < 0)
	{
		perror(log_path);
		return -1;
	}
	return 0;
}

/* close the log and free everything */
void
store_close(void)
{
	if (g_log_fd >= 0)
		close(g_log_fd);
	g_log_fd = -1;
	arena_free();
	free(g_msgs);
	free(g_idem);
	g_msgs = NULL;
	g_idem = NULL;
	g_n = g_cap = g_idem_cap = g_idem_n = 0;
	buf_free(&g_line);
}

/* take the store lock */
void
store_lock(void)
{
	pthread_mutex_lock(&g_lock);
}

/* release the store lock */
void
store_unlock(void)
{
	pthread_mutex_unlock(&g_lock);
}

/* FNV-1a */
static uint64_t
hash_str(const char *s)
{
	uint64_t	h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char) *s++) * 1099511628211ull;
	return h;
}

/* slot of idempotency key (provider-scoped), or of the empty slot for it */
static long
idem_slot(Provider prov, const char *key)
{
	long		mask = g_idem_cap - 1;
	long		i = (long) ((hash_str(key) ^ (uint64_t) prov) & (uint64_t) mask);

	while (g_idem[i] != 0)
	{
		const Msg  *m = &g_msgs[g_idem[i] - 1];

		if (m->prov == prov && strcmp(m->idem, key) == 0)
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

/* double the idempotency table (keeps load under one half) */
static void
idem_grow(void)
{
	long	   *old = g_idem;
	long		old_cap = g_idem_cap,
				i;

	g_idem_cap = old_cap ? old_cap * 2 : 1024;
	g_idem = calloc((size_t) g_idem_cap, sizeof(long));
	if (g_idem == NULL)
		abort();
	for (i = 0; i < old_cap; i++)
		if (old[i] != 0)
		{
			const Msg  *m = &g_msgs[old[i] - 1];

			g_idem[idem_slot(m->prov, m->idem)] = old[i];
		}
	free(old);
}

/* the message already accepted under this key, or NULL */
static const Msg *
idem_find(Provider prov, const char *key)
{
	long		slot;

	if (g_idem_cap == 0)
		return NULL;
	slot = idem_slot(prov, key);
	return g_idem[slot] ? &g_msgs[g_idem[slot] - 1] : NULL;
}

/* remember message idx under its key */
static void
idem_insert(long idx)
{
	if ((g_idem_n + 1) * 2 > g_idem_cap)
		idem_grow();
	g_idem[idem_slot(g_msgs[idx].prov, g_msgs[idx].idem)] = idx + 1;
	g_idem_n++;
}

/* validity period as a JSON number when it is one, else as a string */
static void
put_validity(Buf *b, const char *v)
{
	const char *p = v;

	while (p && *p >= '0' && *p <= '9')
		p++;
	if (v && *v && *p == '\0' && strlen(v) < 10)
		buf_puts(b, v);
	else
		buf_json_str(b, v);
}

/* write m's log line with a single write() */
static void
log_write(const Msg *m)
{
	char		ts[40];
	int			i;
	ssize_t		w;

	if (g_log_fd < 0)
		return;
	fmt_iso_us(ts, sizeof(ts), m->created_us);
	buf_reset(&g_line);
	buf_printf(&g_line, "{\"seq\":%llu,\"provider\":\"%s\",\"sid\":",
			   (unsigned long long) m->seq, m->prov == PROV_TWILIO ? "twilio" : "telnyx");
	buf_json_str(&g_line, m->sid);
	buf_puts(&g_line, ",\"account\":");
	buf_json_str(&g_line, m->account);
	buf_puts(&g_line, ",\"to\":");
	buf_json_str(&g_line, m->to);
	buf_puts(&g_line, ",\"from\":");
	buf_json_str(&g_line, m->from);
	buf_puts(&g_line, ",\"messaging_service_sid\":");
	buf_json_str(&g_line, m->mss);
	buf_puts(&g_line, ",\"body\":");
	buf_json_str(&g_line, m->body);
	buf_puts(&g_line, ",\"media\":[");
	for (i = 0; i < m->nmedia; i++)
	{
		buf_puts(&g_line, i ? "," : "");
		buf_json_str(&g_line, m->media[i]);
	}
	buf_puts(&g_line, "],\"status_callback\":");
	buf_json_str(&g_line, m->status_cb);
	buf_puts(&g_line, ",\"validity_period\":");
	put_validity(&g_line, m->validity);
	buf_puts(&g_line, ",\"idempotency_key\":");
	buf_json_str(&g_line, m->idem);
	buf_printf(&g_line, ",\"received_at\":\"%s\",\"fault\":", ts);
	buf_json_str(&g_line, m->fault);
	buf_puts(&g_line, "}\n");
	w = write(g_log_fd, g_line.p, g_line.len);
	if (w != (ssize_t) g_line.len && !g_log_failed)
	{
		g_log_failed = true;
		perror("textseq-mock: writing the log");
	}
}

/* fill in the sid of m from its provider and sequence number */
static const char *
make_sid(const Msg *m)
{
	char		sid[48];
	unsigned long long seq = (unsigned long long) m->seq;

	if (m->prov == PROV_TWILIO)
		snprintf(sid, sizeof(sid), "%s%s%016llx", m->nmedia ? "MM" : "SM", g_nonce_hex, seq);
	else
		snprintf(sid, sizeof(sid), "%sa%03llx-%012llx", g_uuid_prefix,
				 (seq >> 48) & 0xFFF, seq & 0xFFFFFFFFFFFFull);
	return arena_strdup(sid);
}

/* copy the caller's message into the array; returns the stored copy */
static Msg *
append(const Msg *in)
{
	Msg		   *m;
	int			i;

	if (g_n == g_cap)
	{
		g_cap = g_cap ? g_cap * 2 : 4096;
		g_msgs = realloc(g_msgs, (size_t) g_cap * sizeof(Msg));
		if (g_msgs == NULL)
			abort();
	}
	m = &g_msgs[g_n++];
	*m = *in;
	m->seq = g_next_seq++;
	m->created_us = now_us();
	m->status = "queued";
	m->account = arena_strdup(in->account);
	m->to = arena_strdup(in->to);
	m->from = arena_strdup(in->from);
	m->mss = arena_strdup(in->mss);
	m->body = arena_strdup(in->body);
	m->status_cb = arena_strdup(in->status_cb);
	m->validity = arena_strdup(in->validity);
	m->idem = arena_strdup(in->idem);
	m->fault = arena_strdup(in->fault);
	m->media = NULL;
	if (in->nmedia > 0)
		m->media = arena_alloc((size_t) in->nmedia * sizeof(char *), true);
	for (i = 0; i < in->nmedia; i++)
		m->media[i] = arena_strdup(in->media[i]);
	m->segments = sms_segments(m->body ? m->body : "", &m->ucs2);
	m->sid = make_sid(m);
	return m;
}

/*
 * Record a message (lock held).  A Telnyx message whose idempotency key was
 * seen before is not recorded again: the original is returned, *replayed set.
 */
const Msg *
store_accept(const Msg *in, bool *replayed)
{
	const Msg  *m;

	*replayed = false;
	if (in->prov == PROV_TELNYX && in->idem != NULL &&
		(m = idem_find(in->prov, in->idem)) != NULL)
	{
		*replayed = true;
		return m;
	}
	m = append(in);
	log_write(m);
	if (m->prov == PROV_TELNYX && m->idem != NULL)
		idem_insert(g_n - 1);
	return m;
}

/* number of stored messages (lock held) */
long
store_count(void)
{
	return g_n;
}

/* message at index idx, 0 = oldest (lock held) */
const Msg *
store_at(long idx)
{
	return (idx >= 0 && idx < g_n) ? &g_msgs[idx] : NULL;
}

/* index of the message with sequence number seq, or -1 (lock held) */
long
store_index_of_seq(uint64_t seq)
{
	if (g_n == 0 || seq < g_msgs[0].seq || seq > g_msgs[g_n - 1].seq)
		return -1;
	return (long) (seq - g_msgs[0].seq);
}

/* parse n hex digits; false when one is not hex */
static bool
parse_hex(const char *s, int n, uint64_t *out)
{
	uint64_t	v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		char		c = s[i];
		int			d = (c >= '0' && c <= '9') ? c - '0' :
			(c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;

		if (d < 0)
			return false;
		v = v * 16 + (uint64_t) d;
	}
	*out = v;
	return true;
}

/* the sequence number a sid of this run encodes, or 0 */
uint64_t
store_sid_seq(const char *sid)
{
	size_t		n = strlen(sid);
	uint64_t	hi,
				lo;

	if (n == 34 && (strncmp(sid, "SM", 2) == 0 || strncmp(sid, "MM", 2) == 0) &&
		strncmp(sid + 2, g_nonce_hex, 16) == 0 && parse_hex(sid + 18, 16, &lo))
		return lo;
	if (n == 36 && strncmp(sid, g_uuid_prefix, 19) == 0 && sid[19] == 'a' &&
		sid[23] == '-' && parse_hex(sid + 20, 3, &hi) && parse_hex(sid + 24, 12, &lo))
		return (hi << 48) | lo;
	return 0;
}

/* the message with this sid, or NULL (lock held) */
const Msg *
store_find_sid(const char *sid)
{
	long		idx = store_index_of_seq(store_sid_seq(sid));

	if (idx < 0 || strcmp(g_msgs[idx].sid, sid) != 0)
		return NULL;
	return &g_msgs[idx];
}

/* set the status of a message after its delivery report (takes the lock) */
void
store_set_status(const char *sid, const char *status)
{
	Msg		   *m;

	store_lock();
	m = (Msg *) store_find_sid(sid);
	if (m != NULL)
		m->status = status;
	store_unlock();
}

/* forget every message and key; sequence numbers keep counting (takes the lock) */
void
store_reset(void)
{
	store_lock();
	arena_free();
	g_n = 0;
	if (g_idem != NULL)
		memset(g_idem, 0, (size_t) g_idem_cap * sizeof(long));
	g_idem_n = 0;
	store_unlock();
}
