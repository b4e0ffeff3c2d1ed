/* test-agw-exec.c -- the MG's command execution and its H.248 error codes,
 * in process: a gateway made by agw_create() (not run) gets each request
 * through the transaction layer (agw__input) as if from its MGC, and the
 * reply is read from the MGC's UDP socket on loopback and decoded. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agw/agw_int.h"
#include "tests/task.h"

static agw_t *agw;
static int fd, rfd; /* the MGC's socket; the one replies are read from */
static uint16_t mgc_port;
static char last[8192];
static size_t last_len;

static h248_msg_t *ask(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static h248_msg_t *ask(const char *fmt, ...)
{
  char body[4096], text[8192], wire[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(body, sizeof body, fmt, ap);
  va_end(ap);
  snprintf(text, sizeof text, "MEGACO/3 [127.0.0.1]:%u\n%s", mgc_port, body);
  size_t n = 0;
  for (const char *p = text; *p && n < sizeof wire - 2; p++) {
    if (*p == '\n')
      wire[n++] = '\r';
    wire[n++] = *p;
  }
  ASSERT_EQ(agw__input(agw, wire, n), 0);
  struct pollfd pf = {.fd = rfd, .events = POLLIN};
  ASSERT_EQ(poll(&pf, 1, 5000), 1);
  ssize_t r = recv(rfd, last, sizeof last - 1, 0);
  ASSERT_GT(r, 0);
  last[r] = '\0';
  last_len = (size_t)r;
  h248_msg_t *m;
  h248_error_info_t ei;
  if (h248_decode(last, last_len, &m, &ei) < 0)
    TASK_FAIL("the MG's reply does not decode (%s):\n%s", ei.reason, last);
  ASSERT_NOT_NULL(m->trans);
  ASSERT_EQ(m->trans->type, H248_TRANS_REPLY);
  return m;
}

static int code_of(const h248_msg_t *m, const char **text)
{
  const h248_trans_t *t = m->trans;
  const h248_error_t *e = t->error;
  for (const h248_action_t *a = t->actions; a && !e; a = a->next) {
    e = a->error;
    for (const h248_cmd_t *c = a->cmds; c && !e; c = c->next)
      e = c->error;
  }
  if (text)
    *text = e && e->text ? e->text : "";
  return e ? e->code : 0;
}

static void expect(int code, const char *needle, h248_msg_t *m)
{
  const char *text;
  int got = code_of(m, &text);
  if (got != code)
    TASK_FAIL("expected Error %d, got %d \"%s\" in:\n%s", code, got, text, last);
  if (needle && !strstr(text, needle))
    TASK_FAIL("Error %d text \"%s\" does not name \"%s\"", code, text, needle);
  ASSERT_NULL(strchr(text, '"'));
  h248_msg_free(m);
}

#define T2_LOCAL "Local {\nv=0\nc=IN IP4 $\nm=message $ TCP -\n}"
#define T1_LOCAL                                                                          \
  "Local {\nv=0\nc=IN IP4 $\nm=application $ UDP/DTLS/SCTP webrtc-datachannel\n"          \
  "a=sctp-port:$\na=max-message-size:$\na=fingerprint:$\n}"

static uint32_t add_t2(uint32_t tid, const char *ctx, char *tid_out)
{
  h248_msg_t *m = ask("Transaction = %u { Context = %s { Add = $ { Media { Stream = 2 { "
                      "LocalControl { Mode = Inactive }, " T2_LOCAL " } } } } }",
                      tid, ctx);
  const char *text;
  if (code_of(m, &text))
    TASK_FAIL("Add T2: %d %s", code_of(m, NULL), text);
  uint32_t c = m->trans->actions->ctx.id;
  strcpy(tid_out, m->trans->actions->cmds->tid[0]);
  h248_msg_free(m);
  return c;
}

static void test_exec(void)
{
  char t2[64], t2b[64], t2c[64];
  /* before the ServiceChange reply: 505, nothing executed */
  expect(505, NULL, ask("Transaction = 1 { Context = $ { Add = $ { Media { Stream = 2 { " T2_LOCAL
                        " } } } } }"));
  ASSERT_EQ(agw_context_count(agw), 0);
  agw__registered(agw, 1);

  h248_msg_t *m = ask("Transaction = 2 { Context = - { AuditValue = ROOT } }");
  expect(0, NULL, m);

  uint32_t c1 = add_t2(3, "$", t2);
  ASSERT_EQ(agw_context_count(agw), 1);
  ASSERT_NOT_NULL(strstr(last, "c=IN IP6 ::1\r\nm=message ")); /* core-address = ::1 */
  ASSERT_EQ(strncmp(t2, "ip/2/core/", 10), 0);
  /* the same transaction again: the cached reply, not executed again */
  char first[8192];
  size_t first_len = last_len;
  memcpy(first, last, last_len);
  uint64_t ex = agw__executed(agw);
  h248_msg_free(ask("Transaction = 3 { Context = $ { Add = $ { Media { Stream = 2 { "
                    "LocalControl { Mode = Inactive }, " T2_LOCAL " } } } } }"));
  ASSERT_EQ(last_len, first_len);
  ASSERT_MEM_EQ(last, first, first_len);
  ASSERT_EQ(agw__executed(agw), ex);
  ASSERT_EQ(agw_context_count(agw), 1);

  /* ids are case-insensitive */
  char upper[64];
  strcpy(upper, t2);
  for (char *p = upper; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p = (char)(*p - 32);
  expect(0, NULL, ask("Transaction = 4 { Context = %u { AuditValue = %s } }", c1, upper));

  expect(411, "999999", ask("Transaction = 5 { Context = 999999 { Modify = %s } }", t2));
  expect(421, NULL, ask("Transaction = 6 { Context = - { Add = $ { Media { Stream = 2 { " T2_LOCAL
                        " } } } } }"));
  expect(430, "ip/1/access/77",
         ask("Transaction = 7 { Context = %u { Subtract = ip/1/access/77 } }", c1));
  expect(431, NULL, ask("Transaction = 8 { Context = %u { Subtract = ip/9/* } }", c1));
  expect(433, NULL, ask("Transaction = 9 { Context = %u { Add = %s { Media { Stream = 2 { " T2_LOCAL
                        " } } } } }",
                        c1, t2));
  expect(440, "foo/bar", ask("Transaction = 10 { Context = %u { Modify = %s { Events = 1 { "
                             "foo/bar } } } }",
                             c1, t2));
  expect(441, NULL, ask("Transaction = 11 { Context = %u { Add = $ { Media { Stream = 2 { "
                        "LocalControl { Mode = Inactive } } } } } }",
                        c1));
  expect(445, "mgrp/nosuch", ask("Transaction = 12 { Context = %u { Modify = %s { Media { "
                                 "Stream = 2 { LocalControl { mgrp/nosuch = 1 } } } } } }",
                                 c1, t2));
  expect(449, "sideways", ask("Transaction = 13 { Context = %u { Modify = %s { Media { Stream = 2 "
                              "{ Remote {\nv=0\nc=IN IP4 127.0.0.1\nm=message 9 TCP -\n"
                              "a=setup:sideways\n} } } } } }",
                              c1, t2));
  expect(449, "Loopback", ask("Transaction = 14 { Context = %u { Modify = %s { Media { Stream = 2 "
                              "{ LocalControl { Mode = Loopback } } } } } }",
                              c1, t2));
  expect(451, NULL, ask("Transaction = 15 { Context = %u { Modify = %s { Events = 1 { "
                        "tlsbsc/nosuch } } } }",
                        c1, t2));
  expect(452, NULL, ask("Transaction = 16 { Context = %u { Modify = %s { Signals { "
                        "tlsbsc/nosuch } } } }",
                        c1, t2));
  expect(452, NULL, ask("Transaction = 17 { Context = %u { Modify = %s { Signals { "
                        "tlsbsc/tlsest } } } }",
                        c1, t2)); /* Est_DTLS on a TCP termination */
  expect(474, NULL, ask("Transaction = 18 { Context = %u { Modify = %s { Media { Stream = 2 { "
                        "Remote {\nv=0\nm=message port TCP -\n} } } } } }",
                        c1, t2));
  expect(501, NULL, ask("Transaction = 19 { Context = %u { Move = %s } }", c1, t2));
  expect(473, NULL, ask("Transaction = 20 { Context = %u { Add = $ { Media { Stream = 1 { " T1_LOCAL
                        " }, Stream = 2 { LocalControl { sctp/sctpid = 1 } }, Stream = 3 { "
                        "LocalControl { sctp/sctpid = 1 } } } } } }",
                        c1));
  expect(449, "65535", ask("Transaction = 21 { Context = %u { Add = $ { Media { Stream = 1 { "
                           T1_LOCAL " }, Stream = 2 { LocalControl { sctp/sctpid = 65535 } } } "
                           "} } }",
                           c1));
  /* nothing above changed the termination: still Inactive, one context */
  m = ask("Transaction = 22 { Context = %u { AuditValue = %s { Audit { Media } } } }", c1, t2);
  ASSERT_EQ(code_of(m, NULL), 0);
  ASSERT_EQ(m->trans->actions->cmds->media->streams->lc->mode, H248_MODE_INACTIVE);
  h248_msg_free(m);
  ASSERT_EQ(agw_context_count(agw), 1);
  ASSERT_EQ(agw_termination_count(agw), 1);

  /* a failure after a successful command is put on the failing command */
  m = ask("Transaction = 23 { Context = %u { AuditValue = %s, Subtract = ip/1/access/77 } }", c1,
          t2);
  ASSERT_NULL(m->trans->actions->error);
  ASSERT_EQ(m->trans->actions->cmds->type, H248_CMD_AUDITVALUE);
  ASSERT_NULL(m->trans->actions->cmds->error);
  ASSERT_NOT_NULL(m->trans->actions->cmds->next);
  ASSERT_EQ(m->trans->actions->cmds->next->error->code, 430);
  h248_msg_free(m);
  /* an optional command's failure does not stop the action */
  m = ask("Transaction = 24 { Context = %u { O-Subtract = ip/1/access/77, AuditValue = %s } }", c1,
          t2);
  ASSERT_NULL(m->trans->actions->error);
  ASSERT_EQ(m->trans->actions->cmds->error->code, 430);
  ASSERT_EQ(m->trans->actions->cmds->next->type, H248_CMD_AUDITVALUE);
  ASSERT_NULL(m->trans->actions->cmds->next->error);
  h248_msg_free(m);

  /* capacity: 2 terminations per context, 2 contexts, 3 core ports */
  m = ask("Transaction = 25 { Context = %u { Add = $ { Media { Stream = 2 { " T2_LOCAL
          " } } } } }",
          c1);
  ASSERT_EQ(code_of(m, NULL), 0);
  strcpy(t2b, m->trans->actions->cmds->tid[0]);
  h248_msg_free(m);
  expect(434, NULL, ask("Transaction = 26 { Context = %u { Add = $ { Media { Stream = 2 { " T2_LOCAL
                        " } } } } }",
                        c1));
  uint32_t c2 = add_t2(27, "$", t2c);
  ASSERT(c2 != c1);
  expect(510, "contexts", ask("Transaction = 28 { Context = $ { Add = $ { Media { Stream = 2 { "
                              T2_LOCAL " } } } } }"));
  ASSERT_EQ(agw_context_count(agw), 2);
  /* no port left: 510, the context keeps its terminations */
  expect(0, NULL, ask("Transaction = 29 { Context = %u { Subtract = %s } }", c1, t2b));
  char c2s[16];
  snprintf(c2s, sizeof c2s, "%u", c2);
  add_t2(30, c2s, t2b); /* the third port, in c2 */
  expect(510, "TCP port", ask("Transaction = 31 { Context = %u { Add = $ { Media { Stream = 2 { "
                              T2_LOCAL " } } } } }",
                              c1));
  ASSERT_EQ(agw_termination_count(agw), 3);
  expect(435, NULL, ask("Transaction = 32 { Context = %u { Modify = %s } }", c2, t2));
  /* a bad Local on Context = $: no context is left (and none could be made) */
  size_t before = agw_context_count(agw);
  expect(474, NULL, ask("Transaction = 33 { Context = $ { Add = $ { Media { Stream = 2 { Local "
                        "{\nc=IN IP4 $\n} } } } } }"));
  ASSERT_EQ(agw_context_count(agw), before);

  /* H.248.1 7.2.5: Context = * { AuditValue = ROOT } lists the live
   * contexts, one reply action each */
  m = ask("Transaction = 34 { Context = * { AuditValue = ROOT } }");
  ASSERT_EQ(code_of(m, NULL), 0);
  {
    int n = 0, seen1 = 0, seen2 = 0;
    for (const h248_action_t *a = m->trans->actions; a; a = a->next, n++) {
      ASSERT_EQ(a->ctx.kind, H248_CTX_ID);
      seen1 |= a->ctx.id == c1;
      seen2 |= a->ctx.id == c2;
      ASSERT_NOT_NULL(a->cmds);
      ASSERT_EQ(a->cmds->type, H248_CMD_AUDITVALUE);
      ASSERT_STR_EQ(a->cmds->tid[0], "ROOT");
    }
    ASSERT_EQ(n, 2);
    ASSERT(seen1 && seen2);
  }
  h248_msg_free(m);
  /* Context = * with anything but an audit: 501, nothing changed */
  expect(501, NULL, ask("Transaction = 35 { Context = * { Subtract = * } }"));
  ASSERT_EQ(agw_context_count(agw), 2);

  /* Subtract * with statistics; the context goes with it */
  m = ask("Transaction = 40 { Context = %u { Subtract = * { Audit { Statistics } } } }", c1);
  ASSERT_EQ(code_of(m, NULL), 0);
  ASSERT_STR_EQ(m->trans->actions->cmds->tid[0], t2);
  ASSERT_NOT_NULL(h248_prop_find(m->trans->actions->cmds->stats, H248_IQ_STAT_OCTETS_TX));
  h248_msg_free(m);
  expect(411, NULL, ask("Transaction = 41 { Context = %u { AuditValue = %s } }", c1, t2));
  m = ask("Transaction = 42 { Context = %u { W-Subtract = * } }", c2);
  ASSERT_EQ(code_of(m, NULL), 0);
  ASSERT_STR_EQ(m->trans->actions->cmds->tid[0], "*");
  h248_msg_free(m);
  ASSERT_EQ(agw_context_count(agw), 0);
  ASSERT_EQ(agw_termination_count(agw), 0);
  /* no context: one reply action, the NULL context */
  m = ask("Transaction = 39 { Context = * { AuditValue = ROOT } }");
  ASSERT_EQ(code_of(m, NULL), 0);
  ASSERT_EQ(m->trans->actions->ctx.kind, H248_CTX_NULL);
  ASSERT_NULL(m->trans->actions->next);
  ASSERT_STR_EQ(m->trans->actions->cmds->tid[0], "ROOT");
  h248_msg_free(m);

  char x[64];
  add_t2(43, "$", x);
  agw__reset(agw);

  /* out of file descriptors: 510 as well, never a crash */
  struct rlimit rl, low;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  int next = dup(0);
  ASSERT(next >= 0);
  close(next);
  low = rl;
  low.rlim_cur = (rlim_t)next;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  expect(510, "Insufficient resources", ask("Transaction = 44 { Context = $ { Add = $ { Media { "
                                            "Stream = 2 { " T2_LOCAL " } } } } }"));
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
  ASSERT_EQ(agw_context_count(agw), 0);
  add_t2(45, "$", x); /* and it recovers */
  agw__reset(agw);
  ASSERT_EQ(agw_context_count(agw), 0);
}

/* Modify with a stream's Local { } and Remote { } empty deletes that stream
 * (its TCP port comes back); in an Add it is refused. */
static void test_remove_stream(void)
{
  char t2[64], x[64], y[64];
  h248_msg_t *m = ask("Transaction = 60 { Context = $ { Add = $ { Media { Stream = 2 { "
                      "LocalControl { Mode = Inactive }, " T2_LOCAL " }, Stream = 3 { "
                      "LocalControl { Mode = Inactive }, " T2_LOCAL " } } } } }");
  ASSERT_EQ(code_of(m, NULL), 0);
  uint32_t c1 = m->trans->actions->ctx.id;
  snprintf(t2, sizeof t2, "%s", m->trans->actions->cmds->tid[0]);
  ASSERT_NOT_NULL(h248_cmd_stream(m->trans->actions->cmds, 3));
  h248_msg_free(m);
  expect(0, NULL, ask("Transaction = 61 { Context = %u { Modify = %s { Media { Stream = 3 { "
                      "Local { }, Remote { } } } } } }", c1, t2));
  m = ask("Transaction = 62 { Context = %u { AuditValue = %s { Audit { Media } } } }", c1, t2);
  ASSERT_EQ(code_of(m, NULL), 0);
  ASSERT_NOT_NULL(h248_cmd_stream(m->trans->actions->cmds, 2));
  ASSERT_NULL(h248_cmd_stream(m->trans->actions->cmds, 3));
  h248_msg_free(m);
  /* removing it again: nothing there, nothing to do */
  expect(0, NULL, ask("Transaction = 63 { Context = %u { Modify = %s { Media { Stream = 3 { "
                      "Local { }, Remote { } } } } } }", c1, t2));
  /* the port came back: two more T2s fit the three core ports */
  char cs[16];
  snprintf(cs, sizeof cs, "%u", c1);
  add_t2(64, cs, x);
  add_t2(65, "$", y);
  expect(449, "Add", ask("Transaction = 66 { Context = $ { Add = $ { Media { Stream = 2 { "
                         T2_LOCAL " }, Stream = 3 { Local { }, Remote { } } } } } }"));
  agw__reset(agw);
  ASSERT_EQ(agw_context_count(agw), 0);
}

/* MGC-directed HandOff: the MG answers, then registers with MgcIdToTry. */
static void test_handoff(void)
{
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd2 = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_EQ(bind(fd2, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t al = sizeof a;
  getsockname(fd2, (struct sockaddr *)&a, &al);
  expect(449, NULL, ask("Transaction = 50 { Context = - { ServiceChange = ROOT { Services { "
                        "Method = HandOff, Reason = 903, MgcIdToTry = mg/other } } } }"));
  expect(0, NULL, ask("Transaction = 51 { Context = - { ServiceChange = ROOT { Services { "
                      "Method = HandOff, Reason = 903, MgcIdToTry = [127.0.0.1]:%u } } } }",
                      ntohs(a.sin_port)));
  /* the new MGC gets ServiceChange HandOff */
  struct pollfd pf = {.fd = fd2, .events = POLLIN};
  ASSERT_EQ(poll(&pf, 1, 5000), 1);
  ssize_t r = recv(fd2, last, sizeof last - 1, 0);
  ASSERT_GT(r, 0);
  last[r] = '\0';
  h248_msg_t *m;
  ASSERT_EQ(h248_decode(last, (size_t)r, &m, NULL), 0);
  ASSERT_EQ(m->trans->type, H248_TRANS_REQUEST);
  const h248_cmd_t *c = m->trans->actions->cmds;
  ASSERT_EQ(c->type, H248_CMD_SERVICECHANGE);
  ASSERT_STR_EQ(c->svc->method, "HandOff");
  ASSERT_EQ(strncmp(c->svc->reason, "903", 3), 0);
  uint32_t tid = m->trans->id;
  h248_msg_free(m);
  /* until it answers, commands get 505; then they are executed */
  rfd = fd2;
  expect(505, NULL, ask("Transaction = 52 { Context = - { AuditValue = ROOT } }"));
  char rep[256];
  int n = snprintf(rep, sizeof rep,
                   "MEGACO/3 [127.0.0.1]:%u\r\nReply = %u { Context = - { ServiceChange = ROOT } }"
                   "\r\n",
                   ntohs(a.sin_port), tid);
  ASSERT_EQ(agw__input(agw, rep, (size_t)n), 0);
  expect(0, NULL, ask("Transaction = 53 { Context = - { AuditValue = ROOT } }"));
  rfd = fd;
  close(fd2);
}

int main(void)
{
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t al = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &al);
  mgc_port = ntohs(a.sin_port);
  rfd = fd;
  unsigned salt = (unsigned)getpid() % 400;
  char cfgtext[512], err[256];
  snprintf(cfgtext, sizeof cfgtext,
           "[agw]\nh248-listen = 127.0.0.1:0\nmgc = 127.0.0.1:%u\n"
           "core-address = ::1\n"
           "access-ports = %u-%u\ncore-ports = %u-%u\nmax-contexts = 2\n"
           "max-terminations = 2\nlong-timer = 100000\n",
           mgc_port, 46000 + salt * 4, 46000 + salt * 4 + 1, 48000 + salt * 4,
           48000 + salt * 4 + 2);
  wg_config_t *cfg = wg_config_new();
  ASSERT_EQ(wg_config_load_string(cfg, "test", cfgtext, err, sizeof err), 0);
  wg_log_set_level(WG_LOG_ERROR);
  int rc = agw_create(&agw, cfg, err, sizeof err);
  if (rc < 0)
    TASK_FAIL("agw_create: %s", err);

  /* config errors name the key */
  agw_t *bad;
  ASSERT_EQ(wg_config_set(cfg, "agw.core-ports", "9-1"), 0);
  ASSERT_EQ(agw_create(&bad, cfg, err, sizeof err), -EINVAL);
  ASSERT_NULL(bad);
  ASSERT_NOT_NULL(strstr(err, "agw.core-ports"));
  ASSERT_EQ(wg_config_set(cfg, "agw.core-ports", "48000-48001"), 0);
  ASSERT_EQ(wg_config_set(cfg, "agw.access-address", "0.0.0.0"), 0);
  ASSERT_EQ(agw_create(&bad, cfg, err, sizeof err), -EINVAL);
  ASSERT_NOT_NULL(strstr(err, "agw.access-address"));
  ASSERT_EQ(wg_config_set(cfg, "agw.access-address", "127.0.0.1"), 0);
  ASSERT_EQ(wg_config_set(cfg, "agw.no-such-key", "1"), 0);
  ASSERT_EQ(agw_create(&bad, cfg, err, sizeof err), -EINVAL);
  ASSERT_NOT_NULL(strstr(err, "agw.no-such-key"));
  wg_config_free(cfg);

  TEST_RUN(test_exec);
  TEST_RUN(test_remove_stream);
  TEST_RUN(test_handoff);
  agw_destroy(agw);
  close(fd);
  return 0;
}
