/* test-agw-model.c -- the MG's context/termination model, port pools,
 * termination ids and the Local/Remote SDP reader (agw/agw_model.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

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
  TEST_RUN(test_tids);
  TEST_RUN(test_streams);
  TEST_RUN(test_sdp);
  return 0;
}
