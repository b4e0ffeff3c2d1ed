/* test-agw-model.c -- the MG's context/termination model, port pools,
 * termination ids and the Local/Remote SDP reader (agw/agw_model.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agw/agw_model.h"
#include "tests/task.h"

static void test_pool(void)
{
  agw_pool_t p;
  uint16_t a, b, c, d;
  ASSERT_EQ(agw_pool_init(&p, 41000, 41002), 0);
  ASSERT_EQ(agw_pool_size(&p), 3);
  ASSERT_EQ(agw_pool_take(&p, &a), 0);
  ASSERT_EQ(agw_pool_take(&p, &b), 0);
  ASSERT_EQ(agw_pool_take(&p, &c), 0);
  ASSERT(a != b && b != c && a != c);
  ASSERT(a >= 41000 && a <= 41002 && b >= 41000 && b <= 41002 && c >= 41000 && c <= 41002);
  ASSERT_EQ(agw_pool_take(&p, &d), -EAGAIN); /* exhausted: the caller answers 510 */
  agw_pool_give(&p, b);
  ASSERT_EQ(agw_pool_take(&p, &d), 0);
  ASSERT_EQ(d, b);
  agw_pool_give(&p, 9); /* outside: ignored */
  agw_pool_give(&p, a);
  agw_pool_give(&p, a); /* twice: counted once */
  ASSERT_EQ(p.in_use, 2);
  agw_pool_free(&p);
  ASSERT_EQ(agw_pool_init(&p, 5, 4), -EINVAL);
  ASSERT_EQ(agw_pool_init(&p, 0, 4), -EINVAL);
}

static void test_range(void)
{
  uint16_t lo, hi;
  ASSERT_EQ(agw_parse_range("41000-41999", &lo, &hi), 0);
  ASSERT_EQ(lo, 41000);
  ASSERT_EQ(hi, 41999);
  ASSERT_EQ(agw_parse_range(" 40000 - 40000 ", &lo, &hi), 0);
  ASSERT_EQ(lo, 40000);
  ASSERT_EQ(hi, 40000);
  ASSERT_EQ(agw_parse_range("5000", &lo, &hi), 0);
  ASSERT_EQ(hi, 5000);
  ASSERT_EQ(agw_parse_range("2-1", &lo, &hi), -EINVAL);
  ASSERT_EQ(agw_parse_range("0-10", &lo, &hi), -EINVAL);
  ASSERT_EQ(agw_parse_range("1-70000", &lo, &hi), -EINVAL);
  ASSERT_EQ(agw_parse_range("a-b", &lo, &hi), -EINVAL);
  ASSERT_EQ(agw_parse_range("1-2x", &lo, &hi), -EINVAL);
  ASSERT_EQ(agw_parse_range("", &lo, &hi), -EINVAL);
}

static void test_contexts(void)
{
  agw_model_t m;
  agw_err_t e;
  agw_ctx_t *c1, *c2, *c3;
  agw_term_t *t1, *t2, *t3;
  agw_model_init(&m, 2, 2);
  ASSERT_EQ(agw_ctx_new(&m, &c1, &e), 0);
  ASSERT_EQ(agw_ctx_new(&m, &c2, &e), 0);
  ASSERT(c1->id != c2->id);
  ASSERT_EQ(agw_ctx_new(&m, &c3, &e), -510);
  ASSERT_EQ(e.code, 510);
  ASSERT_NULL(c3);
  ASSERT_EQ(m.n_ctxs, 2);

  ASSERT_EQ(agw_term_new(&m, c1, AGW_KIND_CORE, &t2, &e), 0);
  ASSERT_EQ(agw_term_new(&m, c1, AGW_KIND_ACCESS, &t1, &e), 0);
  ASSERT_EQ(strncmp(t2->id, "ip/2/core/", 10), 0);
  ASSERT_EQ(strncmp(t1->id, "ip/1/access/", 12), 0);
  ASSERT_EQ(agw_term_new(&m, c1, AGW_KIND_ACCESS, &t3, &e), -434);
  ASSERT_EQ(m.n_terms, 2);
  ASSERT_EQ(c1->terms, t2); /* kept in the order they were added */
  ASSERT_EQ(c1->terms->next, t1);

  /* case-insensitive lookup */
  char upper[AGW_TID_MAX];
  strcpy(upper, t1->id);
  for (char *p = upper; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p = (char)(*p - 32);
  ASSERT_EQ(agw_term_find(&m, upper), t1);
  ASSERT_NULL(agw_term_find(&m, "ip/1/access/999999"));
  ASSERT_EQ(agw_ctx_find(&m, c1->id), c1);

  /* the context goes with its last termination */
  uint32_t id1 = c1->id;
  ASSERT_EQ(agw_term_delete(&m, t2), 0);
  ASSERT_EQ(agw_ctx_find(&m, id1), c1);
  ASSERT_EQ(agw_term_delete(&m, t1), 1);
  ASSERT_NULL(agw_ctx_find(&m, id1));
  ASSERT_EQ(m.n_ctxs, 1);
  ASSERT_EQ(m.n_terms, 0);

  /* a new context gets a fresh id, not the one just freed */
  ASSERT_EQ(agw_ctx_new(&m, &c3, &e), 0);
  ASSERT(c3->id != id1 && c3->id != c2->id);
  ASSERT_EQ(agw_term_new(&m, c3, AGW_KIND_CORE, &t3, &e), 0);
  agw_model_clear(&m);
  ASSERT_EQ(m.n_ctxs, 0);
  ASSERT_EQ(m.n_terms, 0);
  ASSERT_NULL(m.ctxs);
}

/* ---- many contexts and terminations: the hash tables (agw_model.h) */

#define MANY 10000u /* contexts; twice as many terminations */

static uint32_t rng_state = 0x2545F491u;
static uint32_t rng(void) /* xorshift32: a fixed, reproducible "random" order */
{
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

static void shuffle(agw_term_t **v, size_t n)
{
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = rng() % (i + 1);
    agw_term_t *x = v[i];
    v[i] = v[j];
    v[j] = x;
  }
}

static void case_mix(char *out, const char *in, unsigned seed)
{
  size_t i = 0;
  for (; in[i]; i++) {
    char ch = in[i];
    if (ch >= 'a' && ch <= 'z' && ((seed >> (i % 16)) & 1))
      ch = (char)(ch - 32);
    out[i] = ch;
  }
  out[i] = '\0';
}

/* walks the lists: every context reachable from m->ctxs and findable by id,
 * every termination in its context's list and findable by id; the counts
 * match n_ctxs / n_terms */
static void check_consistent(const agw_model_t *m)
{
  unsigned nc = 0, nt = 0;
  for (const agw_ctx_t *c = m->ctxs; c; c = c->next) {
    nc++;
    ASSERT_EQ(agw_ctx_find(m, c->id), c);
    unsigned k = 0;
    for (agw_term_t *t = c->terms; t; t = t->next) {
      k++;
      ASSERT_EQ(t->ctx, c);
      ASSERT_EQ(agw_term_find(m, t->id), t);
    }
    ASSERT_EQ(k, c->n_terms);
    ASSERT(k > 0);
    nt += k;
  }
  ASSERT_EQ(nc, m->n_ctxs);
  ASSERT_EQ(nt, m->n_terms);
}

static void test_many(void)
{
  agw_model_t m;
  agw_err_t e;
  agw_ctx_t *c;
  agw_term_t **terms = calloc(2 * MANY, sizeof *terms);
  uint32_t *ctx_ids = calloc(MANY, sizeof *ctx_ids);
  ASSERT_NOT_NULL(terms);
  ASSERT_NOT_NULL(ctx_ids);
  agw_model_init(&m, MANY, 2);

  /* contexts are numbered from 1001 upwards (doc/agw.md); each gets T2 then T1 */
  for (uint32_t i = 0; i < MANY; i++) {
    ASSERT_EQ(agw_ctx_new(&m, &c, &e), 0);
    ASSERT_EQ(c->id, 1001 + i);
    ctx_ids[i] = c->id;
    ASSERT_EQ(agw_term_new(&m, c, AGW_KIND_CORE, &terms[2 * i], &e), 0);
    ASSERT_EQ(agw_term_new(&m, c, AGW_KIND_ACCESS, &terms[2 * i + 1], &e), 0);
    ASSERT_EQ(c->terms, terms[2 * i]);
    ASSERT_EQ(c->terms->next, terms[2 * i + 1]);
  }
  ASSERT_EQ(m.n_ctxs, MANY);
  ASSERT_EQ(m.n_terms, 2 * MANY);
  /* max-contexts reached: 510, nothing created */
  ASSERT_EQ(agw_ctx_new(&m, &c, &e), -510);
  ASSERT_EQ(e.code, 510);
  ASSERT_NULL(c);
  ASSERT_EQ(m.n_ctxs, MANY);

  /* every id is found, in any letter case; ids are unique */
  char buf[AGW_TID_MAX];
  for (uint32_t i = 0; i < 2 * MANY; i++) {
    case_mix(buf, terms[i]->id, i * 2654435761u);
    ASSERT_EQ(agw_term_find(&m, buf), terms[i]);
    ASSERT_EQ(agw_term_find(&m, terms[i]->id), terms[i]);
  }
  for (uint32_t i = 0; i < MANY; i++)
    ASSERT_EQ(agw_ctx_find(&m, ctx_ids[i]), terms[2 * i]->ctx);
  ASSERT_NULL(agw_ctx_find(&m, 1000));
  ASSERT_NULL(agw_ctx_find(&m, 1001 + MANY));
  ASSERT_NULL(agw_ctx_find(&m, 0));
  ASSERT_NULL(agw_term_find(&m, NULL));
  ASSERT_NULL(agw_term_find(&m, "ip/1/access/0"));
  ASSERT_NULL(agw_term_find(&m, "ip/1/*")); /* exact lookup: a star is no wildcard */
  check_consistent(&m);

  /* wildcards still match by scanning */
  unsigned n_acc = 0, n_core = 0, n_all = 0;
  for (agw_ctx_t *x = m.ctxs; x; x = x->next)
    for (agw_term_t *t = x->terms; t; t = t->next) {
      n_acc += agw_tid_match("ip/1/*", t->id);
      n_core += agw_tid_match("IP/2/CORE/*", t->id);
      n_all += agw_tid_match("*", t->id);
    }
  ASSERT_EQ(n_acc, MANY);
  ASSERT_EQ(n_core, MANY);
  ASSERT_EQ(n_all, 2 * MANY);

  /* delete the first half of a random order: a context goes with its last
   * termination; what was deleted is no longer found, the rest still is */
  agw_term_t **order = malloc(2 * MANY * sizeof *order);
  ASSERT_NOT_NULL(order);
  memcpy(order, terms, 2 * MANY * sizeof *order);
  shuffle(order, 2 * MANY);
  char (*gone)[AGW_TID_MAX] = calloc(MANY, sizeof *gone);
  ASSERT_NOT_NULL(gone);
  for (uint32_t i = 0; i < MANY; i++) {
    agw_term_t *t = order[i];
    agw_ctx_t *tc = t->ctx;
    uint32_t cid = tc->id;
    int last = tc->n_terms == 1;
    snprintf(gone[i], sizeof gone[i], "%s", t->id);
    ASSERT_EQ(agw_term_delete(&m, t), last);
    ASSERT_NULL(agw_term_find(&m, gone[i]));
    if (last)
      ASSERT_NULL(agw_ctx_find(&m, cid));
    else
      ASSERT_EQ(agw_ctx_find(&m, cid), tc);
  }
  ASSERT_EQ(m.n_terms, MANY);
  check_consistent(&m);
  for (uint32_t i = 0; i < MANY; i++) {
    ASSERT_NULL(agw_term_find(&m, gone[i]));
    case_mix(buf, gone[i], ~i);
    ASSERT_NULL(agw_term_find(&m, buf));
    ASSERT_EQ(agw_term_find(&m, order[MANY + i]->id), order[MANY + i]);
  }
  unsigned live = m.n_ctxs;
  ASSERT(live < MANY && live >= MANY / 2);

  /* new contexts continue after the last id given, not in a freed one */
  ASSERT_EQ(agw_ctx_new(&m, &c, &e), 0);
  ASSERT_EQ(c->id, 1001 + MANY);
  agw_term_t *nt;
  ASSERT_EQ(agw_term_new(&m, c, AGW_KIND_CORE, &nt, &e), 0);
  for (uint32_t i = 0; i < MANY; i++) /* termination numbers are not reused at once */
    ASSERT(strcasecmp(nt->id, gone[i]) != 0);

  /* after a wrap, numbering goes on at 1 and skips live ids */
  m.next_ctx = 0xFFFFFFEFu;
  agw_ctx_t *w1, *w2, *w3;
  ASSERT_EQ(agw_ctx_new(&m, &w1, &e), 0);
  ASSERT_EQ(w1->id, 0xFFFFFFEFu);
  ASSERT_EQ(agw_ctx_new(&m, &w2, &e), 0);
  ASSERT_EQ(w2->id, 1); /* 0xFFFFFFF0 and up are reserved */
  uint32_t first_live = 0;
  for (uint32_t id = 1001; id < 1001 + MANY && !first_live; id++)
    if (agw_ctx_find(&m, id) && !agw_ctx_find(&m, id + 1))
      first_live = id;
  ASSERT(first_live != 0);
  m.next_ctx = first_live; /* pretend we wrapped onto a live id */
  ASSERT_EQ(agw_ctx_new(&m, &w3, &e), 0);
  ASSERT_EQ(w3->id, first_live + 1);
  ASSERT_EQ(agw_ctx_find(&m, first_live + 1), w3);
  /* a freed id is taken again once the counter reaches it */
  uint32_t freed = 0;
  for (uint32_t id = 1001; id < 1001 + MANY && !freed; id++)
    if (!agw_ctx_find(&m, id))
      freed = id;
  ASSERT(freed != 0);
  m.next_ctx = freed;
  agw_ctx_t *w4;
  ASSERT_EQ(agw_ctx_new(&m, &w4, &e), 0);
  ASSERT_EQ(w4->id, freed);
  ASSERT_EQ(agw_ctx_find(&m, freed), w4);

  /* termination numbers skip live ones and wrap after 99999999 */
  agw_term_t *a1, *a2;
  m.next_term = nt->num;
  ASSERT_EQ(agw_term_new(&m, w1, AGW_KIND_CORE, &a1, &e), 0);
  ASSERT(a1->num != nt->num);
  ASSERT_EQ(agw_term_find(&m, nt->id), nt);
  m.next_term = 99999999u;
  ASSERT_EQ(agw_term_new(&m, w2, AGW_KIND_ACCESS, &a2, &e), 0);
  ASSERT_STR_EQ(a2->id, "ip/1/access/99999999");
  ASSERT_EQ(m.next_term, 1);
  ASSERT_EQ(agw_term_find(&m, "IP/1/ACCESS/99999999"), a2);

  /* deleting an empty context (the 510 path of Add) and a non-empty one:
   * its terminations are gone with it */
  ASSERT_EQ(agw_term_new(&m, w3, AGW_KIND_CORE, &a1, &e), 0);
  snprintf(buf, sizeof buf, "%s", a1->id);
  uint32_t w3id = w3->id, w4id = w4->id;
  agw_ctx_delete(&m, w3);
  ASSERT_NULL(agw_ctx_find(&m, w3id));
  ASSERT_NULL(agw_term_find(&m, buf));
  agw_ctx_delete(&m, w4);
  ASSERT_NULL(agw_ctx_find(&m, w4id));
  check_consistent(&m);

  /* the rest in random order, until nothing is left */
  unsigned n = 0;
  for (agw_ctx_t *x = m.ctxs; x; x = x->next)
    for (agw_term_t *t = x->terms; t; t = t->next)
      order[n++] = t;
  ASSERT_EQ(n, m.n_terms);
  shuffle(order, n);
  for (unsigned i = 0; i < n; i++) {
    snprintf(buf, sizeof buf, "%s", order[i]->id);
    agw_term_delete(&m, order[i]);
    ASSERT_NULL(agw_term_find(&m, buf));
  }
  ASSERT_EQ(m.n_ctxs, 0);
  ASSERT_EQ(m.n_terms, 0);
  ASSERT_NULL(m.ctxs);
  for (uint32_t i = 0; i < MANY; i++)
    ASSERT_NULL(agw_ctx_find(&m, ctx_ids[i]));

  /* clear is idempotent and the model stays usable */
  agw_model_clear(&m);
  agw_model_clear(&m);
  ASSERT_EQ(agw_ctx_new(&m, &c, &e), 0);
  ASSERT_EQ(agw_term_new(&m, c, AGW_KIND_ACCESS, &nt, &e), 0);
  ASSERT_EQ(agw_term_find(&m, nt->id), nt);
  uint32_t cid = c->id;
  snprintf(buf, sizeof buf, "%s", nt->id);
  agw_model_clear(&m);
  ASSERT_EQ(m.n_ctxs, 0);
  ASSERT_NULL(agw_term_find(&m, buf));
  ASSERT_NULL(agw_ctx_find(&m, cid));
  free(gone);
  free(order);
  free(ctx_ids);
  free(terms);
}

static void test_tids(void)
{
  agw_err_t e;
  ASSERT_EQ(agw_tid_check("ip/1/access/18", &e), 0);
  ASSERT_EQ(agw_tid_check("ROOT", &e), 0);
  ASSERT_EQ(agw_tid_check("ip 1", &e), -410);
  ASSERT_EQ(e.code, 410);
  ASSERT_EQ(agw_tid_check("", &e), -410);
  ASSERT(agw_tid_match("*", "ip/1/access/18"));
  ASSERT(agw_tid_match("ip/1/*", "IP/1/Access/18"));
  ASSERT(!agw_tid_match("ip/2/*", "ip/1/access/18"));
  ASSERT(agw_tid_match("ip/*/access/18", "ip/1/access/18"));
  ASSERT(!agw_tid_match("ip/1/access/1", "ip/1/access/18"));
  ASSERT(agw_tid_is_wild("ip/*"));
  ASSERT(!agw_tid_is_wild("ip/1"));
}

static void test_streams(void)
{
  agw_model_t m;
  agw_err_t e;
  agw_ctx_t *c;
  agw_term_t *t;
  agw_model_init(&m, 10, 4);
  ASSERT_EQ(agw_ctx_new(&m, &c, &e), 0);
  ASSERT_EQ(agw_term_new(&m, c, AGW_KIND_ACCESS, &t, &e), 0);
  ASSERT_NULL(agw_stream_get(t, 2, 0));
  agw_stream_t *s = agw_stream_get(t, 2, 1);
  ASSERT_NOT_NULL(s);
  ASSERT_EQ(s->id, 2);
  ASSERT_EQ(s->mode, AGW_MODE_INACTIVE);
  ASSERT_EQ(s->sctpid, -1);
  ASSERT_EQ(agw_stream_get(t, 2, 0), s);
  ASSERT_NULL(agw_stream_get(t, 0, 1));
  for (unsigned i = 0; i < AGW_MAX_STREAMS - 1; i++)
    ASSERT_NOT_NULL(agw_stream_get(t, (uint16_t)(10 + i), 1));
  ASSERT_NULL(agw_stream_get(t, 100, 1)); /* full */
  agw_model_clear(&m);
}

static const char t1_local[] =
    "\r\nv=0\r\nc=IN IP4 $\r\nm=application $ UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "a=sctp-port:$\r\na=max-message-size:$\r\na=fingerprint:$\r\n               ";
static const char t1_remote[] =
    "\nv=0\nc=IN IP4 192.0.2.10\nm=application 50000 UDP/DTLS/SCTP webrtc-datachannel\n"
    "a=sctp-port:5000\na=max-message-size:262144\n"
    "a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3C:B2:6F:"
    "A5:BA:8C:7A:1B:2E:9F:1D:08\na=ice-ufrag:x7Qf\na=ice-pwd:0123456789abcdef01234567\n";

static void test_sdp(void)
{
  agw_sdp_t s;
  agw_err_t e;
  ASSERT_EQ(agw_sdp_parse(t1_local, strlen(t1_local), &s, &e), 0);
  ASSERT(s.present && s.addr_choose && s.port_choose && s.sctp_port_choose && s.mms_choose &&
         s.fp_choose);
  ASSERT_STR_EQ(s.media, "application");
  ASSERT_STR_EQ(s.proto, "UDP/DTLS/SCTP");
  ASSERT_STR_EQ(s.fmt, "webrtc-datachannel");

  ASSERT_EQ(agw_sdp_parse(t1_remote, strlen(t1_remote), &s, &e), 0);
  ASSERT_STR_EQ(s.addr, "192.0.2.10");
  ASSERT_EQ(s.port, 50000);
  ASSERT_EQ(s.sctp_port, 5000);
  ASSERT_EQ(s.mms, 262144);
  ASSERT_EQ(s.n_fp, 1);
  ASSERT_EQ(strncmp(s.fp[0], "sha-256 4A:AD", 13), 0);
  ASSERT_STR_EQ(s.ufrag, "x7Qf");
  ASSERT_STR_EQ(s.pwd, "0123456789abcdef01234567");

  const char *t2 = "v=0\nc=IN IP4 $\nm=message $ TCP -\n";
  ASSERT_EQ(agw_sdp_parse(t2, strlen(t2), &s, &e), 0);
  ASSERT(s.addr_choose && s.port_choose);
  ASSERT_STR_EQ(s.proto, "TCP");
  const char *t2r = "v=0\nc=IN IP4 203.0.113.77\nm=message 2855 TCP/MSRP *\na=setup:passive\n";
  ASSERT_EQ(agw_sdp_parse(t2r, strlen(t2r), &s, &e), 0);
  ASSERT_EQ(s.port, 2855);
  ASSERT_STR_EQ(s.setup, "passive");

  ASSERT_EQ(agw_sdp_parse("  \n ", 4, &s, &e), 0);
  ASSERT_EQ(s.present, 0);

  /* errors: 474 for syntax, 449 for values we do not support */
  const char *bad[] = {"c=IN IP4 $\n", "v=0\nm=message x TCP -\n", "v=0\nnonsense\n",
                       "v=0\nc=IN IP4 $\n", "v=0\nm=message 1 TCP -\na=fingerprint:sha-256 zz\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ASSERT_EQ(agw_sdp_parse(bad[i], strlen(bad[i]), &s, &e), -474);
    ASSERT_EQ(e.code, 474);
  }
  const char *unsup[] = {"v=0\nc=IN IPX 1\nm=message 1 TCP -\n",
                         "v=0\nm=message 1 TCP -\na=setup:sideways\n",
                         "v=0\nm=message 1 TCP -\nv=0\nm=message 2 TCP -\n",
                         "v=0\nm=application 1 UDP/DTLS/SCTP x\na=fingerprint:md5 "
                         "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n"};
  for (size_t i = 0; i < sizeof unsup / sizeof unsup[0]; i++) {
    ASSERT_EQ(agw_sdp_parse(unsup[i], strlen(unsup[i]), &s, &e), -449);
    ASSERT_EQ(e.code, 449);
    ASSERT(strlen(e.text) > 0);
  }
  /* the 449 text names the value (29.334 5.17.1) */
  ASSERT_EQ(agw_sdp_parse(unsup[1], strlen(unsup[1]), &s, &e), -449);
  ASSERT_NOT_NULL(strstr(e.text, "sideways"));
}

int main(void)
{
  TEST_RUN(test_pool);
  TEST_RUN(test_range);
  TEST_RUN(test_contexts);
  TEST_RUN(test_many);
  TEST_RUN(test_tids);
  TEST_RUN(test_streams);
  TEST_RUN(test_sdp);
  return 0;
}
