/* test-wicsim.c -- the wicsim scenario parser and template expansion. */
#include "config.h"
#include "scenarios/scn.h"
#include "tests/task.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char err[512];

static struct scn *parse_ok(const char *text)
{
  struct scn *s = NULL;
  int r = scn_parse("t.scn", text, &s, err, sizeof err);
  if (r != 0)
    TASK_FAIL("parse failed: %d %s", r, err);
  ASSERT_NOT_NULL(s);
  return s;
}

/* Parsing must fail, and the error must name `line` and contain `what`. */
static void parse_bad(const char *text, int line, const char *what)
{
  struct scn *s = NULL;
  int r = scn_parse("t.scn", text, &s, err, sizeof err);
  if (r != -EINVAL)
    TASK_FAIL("expected -EINVAL for:\n%s\ngot %d (%s)", text, r, err);
  ASSERT_NULL(s);
  char want[32];
  snprintf(want, sizeof want, "t.scn:%d: ", line);
  if (strncmp(err, want, strlen(want)) != 0)
    TASK_FAIL("error \"%s\" does not start with \"%s\"", err, want);
  if (!strstr(err, what))
    TASK_FAIL("error \"%s\" does not mention \"%s\"", err, what);
}

static void test_figure_file(void)
{
  char path[1024];
  const char *top = getenv("top_srcdir");
  snprintf(path, sizeof path, "%s/scenarios/figure.scn", top ? top : ".");
  struct scn *s = NULL;
  int r = scn_load(path, &s, err, sizeof err);
  if (r)
    TASK_FAIL("%s", err);
  ASSERT_NOT_NULL(scn_find_tmpl(s, "wic-offer"));
  ASSERT_NOT_NULL(scn_find_tmpl(s, "ueb-answer"));
  /* every figure step 1..18 is checked by some step */
  uint32_t all = 0;
  for (size_t i = 0; i < s->nsteps; i++)
    all |= s->steps[i].fig;
  for (int n = 1; n <= 18; n++)
    if (!(all & (1u << n)))
      TASK_FAIL("figure step %d is not checked by figure.scn", n);
  /* the first step sends the INVITE with the offer */
  ASSERT_EQ(s->steps[0].role, SCN_ROLE_WIC);
  ASSERT_EQ(s->steps[0].verb, SCN_SEND);
  ASSERT_EQ(s->steps[0].what, SCN_W_REQUEST);
  ASSERT_STR_EQ(s->steps[0].method, "INVITE");
  ASSERT_STR_EQ(s->steps[0].sdp, "wic-offer");
  ASSERT_EQ(s->steps[0].fig, 1u << 1);
  scn_free(s);
}

static void test_steps_and_matchers(void)
{
  struct scn *s = parse_ok("name \"two words\"\n"
                           "timeout 2s\n"
                           "sdp o\n"
                           "  v=0\n"
                           "  m=application ${wic.port} UDP/DTLS/SCTP webrtc-datachannel\n"
                           "end\n"
                           "step 1 WIC send INVITE sdp=o header=\"Subject: a b\"\n"
                           "step 13-15 WIC expect 200 timeout=750ms\n"
                           "   sdp m=application * UDP/DTLS/SCTP webrtc-datachannel  # comment\n"
                           "   sdp has a=fingerprint\n"
                           "   sdp lacks a=dcmap\n"
                           "   header Record-Route *lr*\n"
                           "   !header Foo\n"
                           "   sdp a=dcmap:1 *subprotocol=\"MSRP\"*\n"
                           "step 5,6 UE-B expect INVITE sdp a=setup:actpass\n"
                           "UE-B send 486\n"
                           "UE-B send 200 to=CANCEL\n"
                           "WIC send MSRP size=64k count=3 channel=3\n"
                           "UE-B expect MSRP SEND size=10\n"
                           "WIC expect MSRP 200 count=3\n"
                           "WIC wait 1.5s\n"
                           "WIC open channel 3 dcep label=chat\n"
                           "WIC hangup\n"
                           "H248 expect reply Add body \"a=fingerprint\"\n"
                           "UE-B expect nothing timeout=1s\n");
  ASSERT_STR_EQ(s->name, "two words");
  ASSERT_EQ(s->timeout_ms, 2000);
  ASSERT_EQ(s->ntmpls, 1);
  ASSERT_STR_EQ(s->tmpls[0].text,
                "v=0\r\nm=application ${wic.port} UDP/DTLS/SCTP webrtc-datachannel\r\n");
  ASSERT_EQ(s->nsteps, 13);
  struct scn_step *st = &s->steps[0];
  ASSERT_EQ(st->nheaders, 1);
  ASSERT_STR_EQ(st->headers[0], "Subject: a b");
  st = &s->steps[1];
  ASSERT_EQ(st->fig, (1u << 13) | (1u << 14) | (1u << 15));
  ASSERT_EQ(st->what, SCN_W_RESPONSE);
  ASSERT_EQ(st->code, 200);
  ASSERT_EQ(st->timeout_ms, 750);
  ASSERT_EQ(st->nmatches, 6);
  ASSERT_EQ(st->matches[0].kind, SCN_M_SDP_LINE);
  ASSERT_STR_EQ(st->matches[0].a, "m=application * UDP/DTLS/SCTP webrtc-datachannel");
  ASSERT_EQ(st->matches[1].kind, SCN_M_SDP_HAS);
  ASSERT_STR_EQ(st->matches[1].a, "a=fingerprint");
  ASSERT_EQ(st->matches[2].kind, SCN_M_SDP_LACKS);
  ASSERT_EQ(st->matches[3].kind, SCN_M_HDR);
  ASSERT_STR_EQ(st->matches[3].a, "Record-Route");
  ASSERT_STR_EQ(st->matches[3].b, "*lr*");
  ASSERT_EQ(st->matches[4].kind, SCN_M_HDR_LACKS);
  ASSERT_STR_EQ(st->matches[5].a, "a=dcmap:1 *subprotocol=\"MSRP\"*");
  st = &s->steps[2];
  ASSERT_EQ(st->fig, (1u << 5) | (1u << 6));
  ASSERT_EQ(st->role, SCN_ROLE_UEB);
  ASSERT_EQ(st->nmatches, 1);
  ASSERT_STR_EQ(st->matches[0].a, "a=setup:actpass");
  ASSERT_EQ(s->steps[3].code, 486);
  ASSERT_STR_EQ(s->steps[4].to, "CANCEL");
  st = &s->steps[5];
  ASSERT_EQ(st->what, SCN_W_MSRP);
  ASSERT_EQ(st->size, 65536);
  ASSERT_EQ(st->count, 3);
  ASSERT_EQ(st->channel, 3);
  ASSERT_STR_EQ(s->steps[6].method, "SEND");
  ASSERT_EQ(s->steps[6].size, 10);
  ASSERT_EQ(s->steps[7].code, 200);
  ASSERT_EQ(s->steps[7].count, 3);
  ASSERT_EQ(s->steps[8].verb, SCN_WAIT);
  ASSERT_EQ(s->steps[8].wait_ms, 1500);
  ASSERT_EQ(s->steps[9].verb, SCN_OPEN);
  ASSERT_EQ(s->steps[9].dcep, 1);
  ASSERT_STR_EQ(s->steps[9].label, "chat");
  ASSERT_STR_EQ(s->steps[10].method, "BYE");
  ASSERT_EQ(s->steps[11].role, SCN_ROLE_H248);
  ASSERT_STR_EQ(s->steps[11].method, "reply");
  ASSERT_STR_EQ(s->steps[11].command, "Add");
  ASSERT_STR_EQ(s->steps[11].matches[0].a, "a=fingerprint");
  ASSERT_EQ(s->steps[12].what, SCN_W_NOTHING);
  ASSERT_EQ(s->steps[12].timeout_ms, 1000);
  scn_free(s);
}

static void test_verb_first(void)
{
  struct scn *s = parse_ok("step 15 expect WIC 200 sdp m=application * UDP/DTLS/SCTP webrtc-datachannel\n"
                           "send UE-B 486\n");
  ASSERT_EQ(s->steps[0].role, SCN_ROLE_WIC);
  ASSERT_EQ(s->steps[0].verb, SCN_EXPECT);
  ASSERT_EQ(s->steps[0].code, 200);
  ASSERT_EQ(s->steps[0].fig, 1u << 15);
  ASSERT_STR_EQ(s->steps[0].matches[0].a, "m=application * UDP/DTLS/SCTP webrtc-datachannel");
  ASSERT_EQ(s->steps[1].role, SCN_ROLE_UEB);
  ASSERT_EQ(s->steps[1].code, 486);
  scn_free(s);
}

static void test_errors(void)
{
  parse_bad("WIC send INVITE\nWIC fly away\n", 2, "unknown action \"fly\"");
  parse_bad("step 19 WIC send INVITE\n", 1, "steps 1 to 18");
  parse_bad("step 0 WIC send INVITE\n", 1, "steps 1 to 18");
  parse_bad("step x WIC send INVITE\n", 1, "expected a number");
  parse_bad("\n\nBOB send INVITE\n", 3, "unknown word \"BOB\"");
  parse_bad("sdp a\nv=0\n", 1, "missing \"end\"");
  parse_bad("sdp a\nv=0\nnot sdp\nend\n", 3, "not an SDP line");
  parse_bad("sdp a\nv=0\nc=IN IP4 ${wic.ipp}\nend\n", 3, "unknown variable ${wic.ipp}");
  parse_bad("WIC send INVITE sdp=nope\n", 1, "no template of that name");
  parse_bad("WIC send INVITE\n   sdp has a=x\n", 2, "must follow an expect");
  parse_bad("  sdp has a=x\n", 1, "must follow an expect");
  parse_bad("WIC expect 200 timeout=soon\n", 1, "timeout=soon");
  parse_bad("WIC send MSRP size=-1\n", 1, "size=-1");
  parse_bad("WIC expect 2000\n", 1, "expected a SIP method");
  parse_bad("UE-B send CANCEL\n", 1, "UE-B sends INVITE (as the caller), ACK, BYE");
  parse_bad("UE-B expect dtls\n", 1, "only the WIC");
  parse_bad("H248 send request Add\n", 1, "only expect");
  parse_bad("WIC send INVITE \"unterminated\n", 1, "unterminated quoted");
  parse_bad("# only a comment\n", 1, "no steps");
  parse_bad("set wic.ip 1.2.3.4\nWIC wait 1s\n", 1, "provided by wicsim");
  parse_bad("WIC expect 200 foo=bar\n", 1, "unexpected \"foo=bar\"");
  parse_bad("WIC send 180\n", 1, "only final responses");
  parse_bad("WIC open channel odd\n", 1, "or \"offered\"");
  parse_bad("WIC expect 200\n  sdp\n", 2, "expected a line pattern");
  parse_bad("WIC wait\n", 1, "wait: expected a duration");
  parse_bad("WIC send INVITE\x01\n", 1, "control character");
}

static const char *lookup(void *ctx, const char *name)
{
  (void)ctx;
  if (strcmp(name, "wic.ip") == 0)
    return "127.0.0.1";
  if (strcmp(name, "wic.port") == 0)
    return "40000";
  if (strcmp(name, "empty") == 0)
    return "";
  return NULL;
}

static void test_expand(void)
{
  char *out = NULL;
  ASSERT_EQ(scn_expand("c=IN IP4 ${wic.ip}\r\nm=application ${wic.port} X$\r\n", lookup, NULL,
                       &out, err, sizeof err),
            0);
  ASSERT_STR_EQ(out, "c=IN IP4 127.0.0.1\r\nm=application 40000 X$\r\n");
  free(out);
  ASSERT_EQ(scn_expand("a${empty}b$c", lookup, NULL, &out, err, sizeof err), 0);
  ASSERT_STR_EQ(out, "ab$c");
  free(out);
  ASSERT_EQ(scn_expand("", lookup, NULL, &out, err, sizeof err), 0);
  ASSERT_STR_EQ(out, "");
  free(out);
  ASSERT_EQ(scn_expand("x ${nope} y", lookup, NULL, &out, err, sizeof err), -EINVAL);
  ASSERT_NULL(out);
  ASSERT(strstr(err, "${nope}") != NULL);
  ASSERT_EQ(scn_expand("x ${wic.ip", lookup, NULL, &out, err, sizeof err), -EINVAL);
  ASSERT(strstr(err, "unterminated") != NULL);
  ASSERT_EQ(scn_expand("${}", lookup, NULL, &out, err, sizeof err), -EINVAL);
}

static void test_sdp_helpers(void)
{
  const char *sdp = "v=0\r\nm=application 41000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                    "a=fingerprint:sha-256 AA:BB\r\na=setup:active\r\na=msrp-cema\r\n"
                    "a=dcsa:1 path:msrp://h:1/x;tcp\r\na=dcsa:1 setup:active\r\n";
  ASSERT(scn_sdp_has_line(sdp, "m=application * UDP/DTLS/SCTP webrtc-datachannel"));
  ASSERT(!scn_sdp_has_line(sdp, "m=message * TCP/MSRP *"));
  ASSERT(scn_sdp_has_line(sdp, "a=setup:active"));
  ASSERT(!scn_sdp_has_line(sdp, "a=setup:act"));
  ASSERT(scn_sdp_has_attr(sdp, "a=fingerprint"));
  ASSERT(scn_sdp_has_attr(sdp, "a=msrp-cema"));
  ASSERT(!scn_sdp_has_attr(sdp, "a=finger"));
  char buf[64];
  ASSERT_EQ(scn_sdp_get(sdp, "a=fingerprint:", buf, sizeof buf), 0);
  ASSERT_STR_EQ(buf, "sha-256 AA:BB");
  ASSERT_EQ(scn_sdp_get_nth(sdp, "a=dcsa:1 ", 1, buf, sizeof buf), 0);
  ASSERT_STR_EQ(buf, "setup:active");
  ASSERT_EQ(scn_sdp_get(sdp, "a=ice-pwd:", buf, sizeof buf), -ENOENT);
  ASSERT_EQ(scn_parse_duration("500ms"), 500);
  ASSERT_EQ(scn_parse_duration("2s"), 2000);
  ASSERT_EQ(scn_parse_duration("250"), 250);
  ASSERT_EQ(scn_parse_duration("1m"), 60000);
  ASSERT_EQ(scn_parse_duration("5 s"), -1);
  ASSERT_EQ(scn_parse_duration("-1s"), -1);
  ASSERT_EQ(scn_parse_duration(""), -1);
}

static void test_every_shipped_scenario_parses(void)
{
  static const char *const names[] = { "figure", "wic-hangup", "ueb-hangup", "ueb-reject",
                                       "cancel", "bad-fingerprint", "two-channels",
                                       "large-messages", "gateway-unreachable", "ueb-tcp", NULL };
  const char *top = getenv("top_srcdir");
  for (int i = 0; names[i]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/%s.scn", top ? top : ".", names[i]);
    struct scn *s = NULL;
    int r = scn_load(path, &s, err, sizeof err);
    if (r)
      TASK_FAIL("%s", err);
    scn_free(s);
  }
}

int main(void)
{
  TEST_RUN(test_steps_and_matchers);
  TEST_RUN(test_verb_first);
  TEST_RUN(test_errors);
  TEST_RUN(test_expand);
  TEST_RUN(test_sdp_helpers);
  TEST_RUN(test_figure_file);
  TEST_RUN(test_every_shipped_scenario_parses);
  return 0;
}
