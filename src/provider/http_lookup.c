/*-------------------------------------------------------------------------
 *
 * http_lookup.c
 *	  Reconciliation lookups over the provider transport: what Twilio's
 *	  message list says about a set of ambiguous messages, asked
 *	  concurrently on the same curl multi handle as the sends (http.c).
 *
 * The messages of one From of an account are settled together by listing
 * that From once (a sender job); a message the sender's list cannot settle
 * (the list is too long, or reaches messages older than any claim) gets a
 * To/From pair job of its own.  Jobs run at most a quarter of
 * max_in_flight at a time, so sends keep their slots.
 *
 * Must not: decide NOT_FOUND unless every page of a list was read
 * successfully; take a sid that another lookup of the set already took;
 * touch SPI, snapshots or transactions; keep pointers into a set once it is
 * finished or abandoned.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "http_int.h"

#define LIST_RESPONSE_MIN (8 * 1024 * 1024)	/* a page of 1000 messages: ~1.5 MB */
#define PAIR_MAX_PAGES 20
#define SENDER_MAX_PAGES 10
#define CLOCK_SKEW_S 300		/* listed messages older than claim - this do not match */

/* Used when the caller passes no configuration. */
static const TsHttpConfig default_config = {16, 5000, 30000, 65536};

/* ---- deciding --------------------------------------------------------------- */

/* Decide lookup i (still pending) and count it. */
static void
decide(LookupSet *ls, int i, TsLookupResult r)
{
	TsLookup   *l = &ls->lookups[i];

	if (l->result != TS_LOOKUP_PENDING)
		return;
	l->result = r;
	ls->undecided--;
}

/* Keys of job j found by its last page: their lookups are FOUND. */
static void
job_take_found(LookupSet *ls, ListJob *j)
{
	for (int k = 0; k < j->nkeys; k++)
	{
		TsMatchKey *key = &j->keys[k];
		TsLookup   *l = &ls->lookups[key->tag];

		if (!key->found || l->result != TS_LOOKUP_PENDING)
			continue;
		strlcpy(l->provider_id, key->sid, sizeof(l->provider_id));
		strlcpy(l->provider_status, key->status, sizeof(l->provider_status));
		http_clean_text(l->provider_id, sizeof(l->provider_id));
		http_clean_text(l->provider_status, sizeof(l->provider_status));
		decide(ls, key->tag, TS_LOOKUP_FOUND);
		j->left--;
	}
}

/* Job j is over: its keys not found get r. */
static void
job_settle(LookupSet *ls, ListJob *j, TsLookupResult r)
{
	for (int k = 0; k < j->nkeys; k++)
		if (!j->keys[k].found)
			decide(ls, j->keys[k].tag, r);
	j->left = 0;
}

/* Is this sid already the answer of another lookup of the set? */
static bool
sid_taken(void *arg, const char *sid)
{
	LookupSet  *ls = arg;

	for (int i = 0; i < ls->n; i++)
		if (ls->lookups[i].result == TS_LOOKUP_FOUND &&
			strcmp(ls->lookups[i].provider_id, sid) == 0)
			return true;
	return false;
}

/* ---- planning ---------------------------------------------------------------- */

/* Decide a lookup without the network when possible; true when decided. */
static bool
lookup_local(LookupSet *ls, int i)
{
	TsLookup   *l = &ls->lookups[i];
	const TsAccount *a = l->account;

	if (a != NULL && strcmp(a->provider, "dry_run") == 0)
	{
		decide(ls, i, TS_LOOKUP_NOT_FOUND);	/* dry_run never sends anything */
		return true;
	}
	/* no account (paused, removed), Telnyx (resent with its key), missing data */
	if (a == NULL || strcmp(a->provider, "twilio") != 0 ||
		a->base_url == NULL || a->base_url[0] == '\0' || a->account_sid == NULL ||
		a->account_sid[0] == '\0' || l->to == NULL || l->to[0] == '\0' || l->body == NULL)
	{
		decide(ls, i, TS_LOOKUP_UNKNOWN);
		return true;
	}
	return false;
}

/* Order lookups by account, then From (for grouping). */
static int
cmp_sender(const void *a, const void *b, void *arg)
{
	const TsLookup *la = &((const TsLookup *) arg)[*(const int *) a];
	const TsLookup *lb = &((const TsLookup *) arg)[*(const int *) b];

	if (la->account->id != lb->account->id)
		return la->account->id < lb->account->id ? -1 : 1;
	return strcmp(la->from ? la->from : "", lb->from ? lb->from : "");
}

/* Order match keys by To. */
static int
cmp_key_to(const void *a, const void *b)
{
	return strcmp(((const TsMatchKey *) a)->to, ((const TsMatchKey *) b)->to);
}

/* Append a job for lookups idx[0..n) (a sender job when to is NULL). */
static void
add_job(LookupSet *ls, const int *idx, int n, const char *to)
{
	ListJob    *j;
	TsLookup   *first = &ls->lookups[idx[0]];

	if (ls->njobs == ls->capjobs)
	{
		ls->capjobs = Max(16, ls->capjobs * 2);
		ls->jobs = ls->jobs
			? repalloc(ls->jobs, ls->capjobs * sizeof(ListJob))
			: MemoryContextAlloc(ls->cxt, ls->capjobs * sizeof(ListJob));
	}
	j = &ls->jobs[ls->njobs++];
	memset(j, 0, sizeof(*j));
	j->account = first->account;
	j->from = first->from;
	j->to = to;
	j->nkeys = j->left = n;
	j->keys = MemoryContextAllocZero(ls->cxt, n * sizeof(TsMatchKey));
	j->oldest_claim = first->claimed_at_unix;
	for (int k = 0; k < n; k++)
	{
		TsLookup   *l = &ls->lookups[idx[k]];

		j->keys[k].to = l->to;
		j->keys[k].from = l->from;
		j->keys[k].body = l->body;
		j->keys[k].claimed_at_unix = l->claimed_at_unix;
		j->keys[k].tag = idx[k];
		j->oldest_claim = Min(j->oldest_claim, l->claimed_at_unix);
	}
	qsort(j->keys, n, sizeof(TsMatchKey), cmp_key_to);
}

/*
 * One job per From of an account with two or more lookups, one pair job for
 * every other lookup (and for those without a From).
 */
static void
plan_jobs(LookupSet *ls, int *idx, int n)
{
	qsort_arg(idx, n, sizeof(int), cmp_sender, ls->lookups);
	for (int i = 0; i < n;)
	{
		TsLookup   *l = &ls->lookups[idx[i]];
		int			run = 1;

		while (i + run < n && cmp_sender(&idx[i], &idx[i + run], ls->lookups) == 0)
			run++;
		if (run >= 2 && l->from && l->from[0])
			add_job(ls, &idx[i], run, NULL);
		else
			for (int k = 0; k < run; k++)
				add_job(ls, &idx[i + k], 1, ls->lookups[idx[i + k]].to);
		i += run;
	}
}

/* ---- transfers ----------------------------------------------------------------- */

/* Set up a list-page GET on slot s for job j (s->url already built). */
static void
setup_get(HttpSlot *s, const ListJob *j, const TsHttpConfig *cfg)
{
	const char *lines[1] = {"Accept: application/json"};

	http_slot_begin(s, cfg, s->url.data);
	s->resp_max = Max(s->resp_max, LIST_RESPONSE_MIN);
	curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, http_slot_headers(s, lines, 1));
	curl_easy_setopt(s->easy, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
	curl_easy_setopt(s->easy, CURLOPT_USERNAME, j->account->account_sid);
	curl_easy_setopt(s->easy, CURLOPT_PASSWORD, j->account->secret ? j->account->secret : "");
}

/* A list transfer is over: free its slot. */
static void
list_release(TsHttp *h, HttpSlot *s)
{
	h->ls.active--;
	http_slot_release(h, s);
}

/* Ask for the next page of job ji on the same slot (its connection stays warm). */
static void
next_page(TsHttp *h, HttpSlot *s, int ji, const char *uri)
{
	ListJob    *j = &h->ls.jobs[ji];

	http_build_next_page(j->account, uri, &s->url);
	curl_multi_remove_handle(h->multi, s->easy);
	setup_get(s, j, &h->ls.cfg);
	if (curl_multi_add_handle(h->multi, s->easy) != CURLM_OK)
	{
		job_settle(&h->ls, j, TS_LOOKUP_UNKNOWN);
		s->kind = SLOT_FREE;	/* already out of the multi handle */
		s->job = -1;
		h->free_stack[h->nfree++] = (int) (s - h->slots);
		h->active--;
		h->ls.active--;
	}
}

/* The sender's list cannot settle these: a pair job each for the keys not found. */
static void
split_job(LookupSet *ls, int ji)
{
	int			n = ls->jobs[ji].nkeys;

	for (int k = 0; k < n; k++)
	{
		TsMatchKey *key = &ls->jobs[ji].keys[k];	/* add_job may move jobs: index again */

		if (!key->found)
			add_job(ls, &key->tag, 1, ls->lookups[key->tag].to);
	}
	ls->jobs[ji].left = 0;
}

/*
 * What one read page means for its job: next page, settled, or (sender job)
 * split into pair jobs.  Returns the next page's URI when there is one to read.
 */
static const char *
page_verdict(LookupSet *ls, int ji, const TsListPage *pg)
{
	ListJob    *j = &ls->jobs[ji];

	j->pages++;
	if (j->left == 0)
		return NULL;
	if (pg->next_page_uri == NULL)
		job_settle(ls, j, TS_LOOKUP_NOT_FOUND);	/* every page read: it is not there */
	else if (j->to == NULL && (j->pages >= SENDER_MAX_PAGES ||
							   outcome_page_older_than(pg, j->oldest_claim - CLOCK_SKEW_S)))
		split_job(ls, ji);
	else if (j->to != NULL && j->pages >= PAIR_MAX_PAGES)
		job_settle(ls, j, TS_LOOKUP_UNKNOWN);
	else
		return pg->next_page_uri;
	return NULL;
}

/* A list page finished: match it, then follow the next page or end the job. */
void
http_lookup_done(TsHttp *h, HttpSlot *s, CURLcode rc)
{
	LookupSet  *ls = &h->ls;
	int			ji = s->job;
	ListJob    *j = &ls->jobs[ji];
	long		status = 0;
	TsListPage	pg;
	TsError		err;
	const char *next;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200 || s->resp_bad ||
		!outcome_parse_list_page(s->resp, s->resp_len, &pg, &err))
	{
		job_settle(ls, j, TS_LOOKUP_UNKNOWN);
		list_release(h, s);
		return;
	}
	if (outcome_match_page(&pg, j->keys, j->nkeys, CLOCK_SKEW_S, sid_taken, ls) > 0)
		job_take_found(ls, j);
	next = page_verdict(ls, ji, &pg);
	if (next != NULL)
		next_page(h, s, ji, next);
	else
		list_release(h, s);
	outcome_free_list_page(&pg);
}

/* Start the jobs not yet started while list pages have room (a quarter of the slots). */
void
http_lookups_feed(TsHttp *h)
{
	LookupSet  *ls = &h->ls;
	int			cap = Max(1, h->limit / 4);

	while (ls->lookups != NULL && ls->next < ls->njobs && ls->active < cap)
	{
		HttpSlot   *s = http_slot_take(h);
		ListJob    *j;

		if (s == NULL)
			break;
		j = &ls->jobs[ls->next];
		http_build_twilio_list(j->account, j->to, j->from, &s->url);
		setup_get(s, j, &ls->cfg);
		if (http_slot_start(h, s, SLOT_LIST, ls->next))
			ls->active++;
		else
			job_settle(ls, j, TS_LOOKUP_UNKNOWN);
		ls->next++;
	}
}

/* ---- the set --------------------------------------------------------------------- */

/* Abandon the set: list transfers stop, undecided lookups stay PENDING. */
void
ts_http_lookups_abort(TsHttp *h)
{
	if (h == NULL)
		return;
	for (int i = 0; i < h->nslots; i++)
		if (h->slots[i].kind == SLOT_LIST)
			list_release(h, &h->slots[i]);
	h->ls.lookups = NULL;
	h->ls.n = h->ls.njobs = h->ls.capjobs = h->ls.next = h->ls.undecided = 0;
	h->ls.active = 0;
	h->ls.jobs = NULL;
	MemoryContextReset(h->ls.cxt);
}

/* Start reconciling lookups[0..n) in the background of later HTTP steps. */
void
ts_http_lookups_start(TsHttp *h, TsLookup *lookups, int n, const TsHttpConfig *cfg)
{
	LookupSet  *ls = &h->ls;
	int		   *idx;
	int			nidx = 0;

	ts_http_lookups_abort(h);
	if (lookups == NULL || n <= 0)
		return;
	ls->cfg = cfg ? *cfg : default_config;
	http_set_limit(h, &ls->cfg);
	ls->lookups = lookups;
	ls->n = n;
	ls->undecided = 0;
	idx = MemoryContextAlloc(ls->cxt, n * sizeof(int));
	for (int i = 0; i < n; i++)
	{
		if (lookups[i].result != TS_LOOKUP_PENDING)
			continue;			/* the caller decided it */
		lookups[i].provider_id[0] = '\0';
		lookups[i].provider_status[0] = '\0';
		ls->undecided++;
		if (!lookup_local(ls, i))
			idx[nidx++] = i;
	}
	plan_jobs(ls, idx, nidx);
	http_lookups_feed(h);
}

/* True while a lookup of the current set is undecided. */
bool
ts_http_lookups_busy(TsHttp *h)
{
	return h != NULL && h->ls.lookups != NULL && h->ls.undecided > 0;
}

/* Run the lookups alone for one step (up to wait_ms); true while any is undecided. */
bool
ts_http_lookups_step(TsHttp *h, int wait_ms)
{
	if (!ts_http_lookups_busy(h))
		return false;
	http_lookups_feed(h);
	(void) http_step(h, wait_ms);
	http_lookups_feed(h);
	return ts_http_lookups_busy(h);
}

/* Run a set to the end; lookups left undecided (interrupted) become UNKNOWN. */
void
ts_http_lookup_batch(TsHttp *h, TsLookup *lookups, int n, const TsHttpConfig *cfg,
					 bool (*interrupted) (void))
{
	if (h == NULL || lookups == NULL || n <= 0)
		return;
	ts_http_lookups_start(h, lookups, n, cfg);
	while (ts_http_lookups_step(h, HTTP_POLL_MS))
		if (interrupted != NULL && interrupted())
		{
			ts_http_lookups_abort(h);
			break;
		}
	for (int i = 0; i < n; i++)
		if (lookups[i].result == TS_LOOKUP_PENDING)
			lookups[i].result = TS_LOOKUP_UNKNOWN;
	ts_http_lookups_abort(h);	/* forget the caller's array */
}
