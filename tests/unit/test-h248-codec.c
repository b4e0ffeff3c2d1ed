/* test-h248-codec.c -- H.248 text codec: every example of the spec parses and
 * round-trips (pretty and compact), known-bad messages get the right error
 * code, builders produce the example messages, and the corner cases of
 * Annex B (compact tokens, comments, LF, "\}" escapes, property values, mId
 * forms, prefixes, acks) decode to the same model as their long forms. */
#include "config.h"
#include "h248/h248.h"
#include "tests/task.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char srcdir[1024];

static char *slurp(const char *path, size_t *n)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    TASK_FAIL("cannot open %s", path);
  char *buf = malloc(1 << 20);
  ASSERT_NOT_NULL(buf);
  *n = fread(buf, 1, (1 << 20) - 1, fp);
  buf[*n] = '\0';
  fclose(fp);
  return buf;
}

static h248_msg_t *dec_ok(const char *text, size_t len)
{
  h248_msg_t *m = NULL;
  h248_error_info_t ei;
  int rc = h248_decode(text, len, &m, &ei);
  if (rc != 0)
    TASK_FAIL("decode failed (%d): error %d at %u:%u: %s\n---\n%.*s", rc, ei.code, ei.line,
              ei.column, ei.reason, (int)len, text);
  ASSERT_NOT_NULL(m);
  return m;
}

static h248_msg_t *dec_str(const char *text) { return dec_ok(text, strlen(text)); }

static int dec_err(const char *text, h248_error_info_t *ei)
{
  h248_msg_t *m = (h248_msg_t *)1;
  int rc = h248_decode(text, strlen(text), &m, ei);
  ASSERT_EQ(rc, -EBADMSG);
  ASSERT_NULL(m);
  return ei->code;
}

static char *enc(const h248_msg_t *m, unsigned flags)
{
  h248_buf_t b = {0};
  int rc = h248_encode(m, flags, &b);
  if (rc != 0)
    TASK_FAIL("encode failed: %d", rc);
  return b.data;
}

/* decode(encode(m, flags)) must be equal to m, and encoding it again must
 * give the same bytes (canonical). */
static void roundtrip(const h248_msg_t *m, unsigned flags)
{
  char *t1 = enc(m, flags);
  h248_msg_t *m2 = dec_str(t1);
  ASSERT(h248_msg_equal(m, m2));
  char *t2 = enc(m2, flags);
  ASSERT_STR_EQ(t1, t2);
  free(t1);
  free(t2);
  h248_msg_free(m2);
}

static void test_examples(void)
{
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/tests/unit/h248-examples", srcdir);
  DIR *dp = opendir(dir);
  ASSERT_NOT_NULL(dp);
  struct dirent *de;
  int count = 0;
  while ((de = readdir(dp))) {
    size_t l = strlen(de->d_name);
    if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0)
      continue;
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t n;
    char *text = slurp(path, &n);
    h248_msg_t *m = dec_ok(text, n);
    ASSERT_GE(h248_msg_ntrans(m) + (m->error != NULL), 1);
    roundtrip(m, H248_ENC_PRETTY);
    roundtrip(m, H248_ENC_COMPACT);
    roundtrip(m, H248_ENC_PRETTY | H248_ENC_LF);
    /* the long-form examples are written the way our pretty printer writes */
    if (strncmp(text, "MEGACO/", 7) == 0) {
      char *p = enc(m, H248_ENC_PRETTY);
      if (strcmp(p, text) != 0)
        TASK_FAIL("%s: pretty output differs:\n%s", de->d_name, p);
      free(p);
    }
    h248_msg_free(m);
    free(text);
    count++;
  }
  closedir(dp);
  ASSERT_GE(count, 15);
}

/* The compact example c01 is step 2 (s02) written with compact tokens. */
static void test_compact_equals_long(void)
{
  char p1[1200], p2[1200];
  snprintf(p1, sizeof p1, "%s/tests/unit/h248-examples/s02_add_T2.txt", srcdir);
  snprintf(p2, sizeof p2, "%s/tests/unit/h248-examples/c01_compact_add.txt", srcdir);
  size_t n1, n2;
  char *t1 = slurp(p1, &n1), *t2 = slurp(p2, &n2);
  h248_msg_t *a = dec_ok(t1, n1), *b = dec_ok(t2, n2);
  ASSERT(h248_msg_equal(a, b));
  char *c = enc(a, H248_ENC_COMPACT);
  ASSERT_STR_EQ(c, t2);
  free(c);
  h248_msg_free(a);
  h248_msg_free(b);
  free(t1);
  free(t2);
}

static void test_bad_messages(void)
{
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/tests/unit/h248-bad", srcdir);
  DIR *dp = opendir(dir);
  ASSERT_NOT_NULL(dp);
  struct dirent *de;
  int count = 0;
  while ((de = readdir(dp))) {
    size_t l = strlen(de->d_name);
    if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0)
      continue;
    int want = atoi(de->d_name); /* file names start with the expected code */
    ASSERT_GE(want, 400);
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t n;
    char *text = slurp(path, &n);
    h248_msg_t *m = (h248_msg_t *)1;
    h248_error_info_t ei;
    int rc = h248_decode(text, n, &m, &ei);
    if (rc != -EBADMSG || ei.code != want)
      TASK_FAIL("%s: rc %d code %d (want %d): %s", de->d_name, rc, ei.code, want, ei.reason);
    ASSERT_NULL(m);
    ASSERT_GE(ei.line, 1);
    ASSERT_LE(ei.offset, n);
    ASSERT(ei.reason[0] != '\0');
    /* errors inside a request carry its transaction id */
    if (want == 403 || want == 422 || want == 442 || want == 443 || want == 444) {
      ASSERT_EQ(ei.has_trans_id, 1);
      ASSERT_EQ(ei.trans_id, strstr(text, "Transaction = 1 ") ? 1 : 7);
    }
    free(text);
    count++;
  }
  closedir(dp);
  ASSERT_GE(count, 20);
}

static void test_error_position(void)
{
  h248_error_info_t ei;
  ASSERT_EQ(dec_err("MEGACO/3 [192.0.2.1]:2944\r\nTransaction = 9 {\r\n"
                    "   Context = 1 {\r\n      Add = t1 { Bogus }\r\n   }\r\n}\r\n",
                    &ei),
            444);
  ASSERT_EQ(ei.line, 4);
  ASSERT_EQ(ei.column, 18);
  ASSERT_EQ(ei.has_trans_id, 1);
  ASSERT_EQ(ei.trans_id, 9);
  ASSERT(strstr(ei.reason, "Bogus") != NULL);
  /* a reply error is not tied to a request id */
  ASSERT_EQ(dec_err("MEGACO/3 [192.0.2.1]:2944 Reply = 9 { Context = 1 { Add = } }", &ei),
            400);
  ASSERT_EQ(ei.has_trans_id, 0);
}

/* Compact tokens in any case, comments, LF-only, extra white space: same model. */
static void test_spelling_variants(void)
{
  const char *longf =
      "MEGACO/3 [203.0.113.1]:2944\r\n"
      "Transaction = 10001 {\r\n"
      "   Context = $ {\r\n"
      "      Add = $ {\r\n"
      "         Media {\r\n"
      "            Stream = 2 {\r\n"
      "               LocalControl { Mode = Inactive },\r\n"
      "               Local {\r\n"
      "v=0\r\n"
      "c=IN IP4 $\r\n"
      "m=message $ TCP -\r\n"
      "               }\r\n"
      "            }\r\n"
      "         }\r\n"
      "      }\r\n"
      "   }\r\n"
      "}\r\n";
  const char *variant =
      "; a comment before the header\n"
      "megaco/3   [203.0.113.1]:2944 ; comment after the mId\n"
      "t = 10001 { c=$ {a=${m{ st = 2 { o { mo = in } ,l{\n"
      "v=0\n"
      "c=IN IP4 $\n"
      "m=message $ TCP -\n"
      "\t}}}}}}\n";
  h248_msg_t *a = dec_str(longf), *b = dec_str(variant);
  /* the SDP keeps its own line ends, so compare the model except SDP */
  h248_stream_t *sa = h248_cmd_stream(a->trans->actions->cmds, 2);
  h248_stream_t *sb = h248_cmd_stream(b->trans->actions->cmds, 2);
  ASSERT_NOT_NULL(sa);
  ASSERT_NOT_NULL(sb);
  ASSERT_STR_EQ(sa->local, "v=0\r\nc=IN IP4 $\r\nm=message $ TCP -\r\n");
  ASSERT_STR_EQ(sb->local, "v=0\nc=IN IP4 $\nm=message $ TCP -\n");
  ASSERT_EQ(sb->lc->mode, H248_MODE_INACTIVE);
  ASSERT_EQ(a->trans->actions->ctx.kind, H248_CTX_CHOOSE);
  ASSERT_STR_EQ(b->trans->actions->cmds->tid[0], "$");
  sb->local = sa->local;
  ASSERT(h248_msg_equal(a, b));
  h248_msg_free(a);
  h248_msg_free(b);
}

/* Local/Remote: "\}" escapes, trailing indentation trimmed, LF kept. */
static void test_sdp_escape(void)
{
  const char *text = "MEGACO/3 [192.0.2.1]:2944\nReply = 3 { Context = 5 { Add = t1 { Media { "
                     "Stream = 1 { Local {\n   v=0\na=x:{a\\}b\\}\n      } } } } } }\n";
  h248_msg_t *m = dec_str(text);
  h248_stream_t *s = h248_cmd_stream(m->trans->actions->cmds, 1);
  ASSERT_NOT_NULL(s);
  ASSERT_STR_EQ(s->local, "v=0\na=x:{a}b}\n");
  char *c = enc(m, H248_ENC_COMPACT);
  ASSERT(strstr(c, "a=x:{a\\}b\\}\n}") != NULL);
  free(c);
  roundtrip(m, H248_ENC_PRETTY);
  roundtrip(m, H248_ENC_COMPACT);
  h248_msg_free(m);
  /* SDP without a final line end gets one; an empty Local stays empty */
  m = dec_str("!/3 [192.0.2.1] P=3{C=5{A=t1{M{L{v=0},R{ }}}}}");
  s = m->trans->actions->cmds->media->streams;
  ASSERT_EQ(s->implicit, 1);
  ASSERT_EQ(s->id, 1);
  ASSERT_STR_EQ(s->local, "v=0\r\n");
  ASSERT_STR_EQ(s->remote, "");
  roundtrip(m, H248_ENC_PRETTY);
  roundtrip(m, H248_ENC_COMPACT);
  h248_msg_free(m);
}

static void test_property_values(void)
{
  const char *text =
      "MEGACO/2 <mgc.example.net>:2944\r\n"
      "Transaction = 4 {\r\n"
      "   Context = 7 {\r\n"
      "      Priority = 3, Emergency,\r\n"
      "      O-Modify = ip/1/access/18 {\r\n"
      "         Media {\r\n"
      "            TerminationState { ServiceStates = InService, Buffer = Off, "
      "mgrp/groupse = [\"SCTP 2\", \"X 1\"] },\r\n"
      "            Stream = 1 { LocalControl { Mode = SendReceive, ReservedGroup = ON, "
      "a/b != 3, a/c < 10, a/d > 2, a/e = [1:5], a/f = {x, y, \"z w\"}, a/g = \"q\" } },\r\n"
      "            Stream = 2 { LocalControl { sctp/sctpid = 1 }, Statistics { nt/os = 5 } }\r\n"
      "         }\r\n"
      "      },\r\n"
      "      W-Subtract = * { Audit { Media, Statistics } }\r\n"
      "   }\r\n"
      "}\r\n";
  h248_msg_t *m = dec_str(text);
  ASSERT_EQ(m->version, 2);
  ASSERT_EQ(m->mid.kind, H248_MID_DOMAIN);
  ASSERT_STR_EQ(m->mid.name, "mgc.example.net");
  ASSERT_EQ(m->mid.port, 2944);
  h248_action_t *a = m->trans->actions;
  ASSERT_EQ(a->priority, 3);
  ASSERT_EQ(a->emergency, H248_FLAG_ON);
  h248_cmd_t *c = a->cmds;
  ASSERT_EQ(c->type, H248_CMD_MODIFY);
  ASSERT_EQ(c->optional, 1);
  ASSERT_EQ(c->media->ts->service_state, H248_SS_INSERVICE);
  ASSERT_EQ(c->media->ts->buffer, H248_BUF_OFF);
  h248_prop_t *g = h248_prop_find(c->media->ts->props, H248_IQ_PROP_GROUPSE);
  ASSERT_NOT_NULL(g);
  ASSERT_EQ(g->kind, H248_VAL_LIST);
  ASSERT_EQ(g->n, 2);
  ASSERT_STR_EQ(g->v[0].str, "SCTP 2");
  ASSERT_EQ(g->v[0].quoted, 1);
  h248_local_control_t *lc = h248_cmd_stream(c, 1)->lc;
  ASSERT_EQ(lc->reserve_group, H248_FLAG_ON);
  ASSERT_EQ(lc->reserve_value, H248_FLAG_UNSET);
  ASSERT_EQ(h248_prop_find(lc->props, "a/b")->rel, H248_REL_NE);
  ASSERT_EQ(h248_prop_find(lc->props, "a/c")->rel, H248_REL_LT);
  ASSERT_EQ(h248_prop_find(lc->props, "A/D")->rel, H248_REL_GT);
  h248_prop_t *r = h248_prop_find(lc->props, "a/e");
  ASSERT_EQ(r->kind, H248_VAL_RANGE);
  ASSERT_STR_EQ(r->v[1].str, "5");
  h248_prop_t *f = h248_prop_find(lc->props, "a/f");
  ASSERT_EQ(f->kind, H248_VAL_ALT);
  ASSERT_EQ(f->n, 3);
  ASSERT_STR_EQ(f->v[2].str, "z w");
  ASSERT_STR_EQ(h248_prop_value(h248_prop_find(lc->props, "a/g")), "q");
  h248_stream_t *s2 = h248_cmd_stream(c, 2);
  ASSERT_STR_EQ(h248_prop_value(h248_prop_find(s2->lc->props, H248_IQ_PROP_SCTPID)), "1");
  ASSERT_EQ(s2->has_stats, 1);
  c = c->next;
  ASSERT_EQ(c->type, H248_CMD_SUBTRACT);
  ASSERT_EQ(c->wildcard_reply, 1);
  ASSERT_EQ(c->audit->n, 2);
  ASSERT_STR_EQ(c->audit->items[1], "Statistics");
  roundtrip(m, H248_ENC_PRETTY);
  roundtrip(m, H248_ENC_COMPACT);
  h248_msg_free(m);
}

static void test_mid_forms(void)
{
  static const struct {
    const char *text;
    h248_mid_kind_t kind;
    const char *name;
    unsigned port;
  } t[] = {
      {"MEGACO/1 [192.0.2.1]:2944 PN=1{}", H248_MID_IP4, "192.0.2.1", 2944},
      {"MEGACO/1 [2001:db8::1]:2945 PN=1{}", H248_MID_IP6, "2001:db8::1", 2945},
      {"MEGACO/1 [::1] PN=1{}", H248_MID_IP6, "::1", 0},
      {"MEGACO/2 <mg-1.example.net> PN=1{}", H248_MID_DOMAIN, "mg-1.example.net", 0},
      {"MEGACO/3 mg1/west PN=1{}", H248_MID_DEVICE, "mg1/west", 0},
      {"MEGACO/3 MTP{0A1B2C3D} PN=1{}", H248_MID_MTP, "0A1B2C3D", 0},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    h248_msg_t *m = dec_str(t[i].text);
    ASSERT_EQ(m->mid.kind, t[i].kind);
    ASSERT_STR_EQ(m->mid.name, t[i].name);
    ASSERT_EQ(m->mid.port, t[i].port);
    ASSERT_EQ(m->trans->type, H248_TRANS_PENDING);
    roundtrip(m, H248_ENC_PRETTY);
    roundtrip(m, H248_ENC_COMPACT);
    h248_msg_free(m);
  }
  h248_error_info_t ei;
  ASSERT_EQ(dec_err("MEGACO/3 [192.0.2.1]:70000 PN=1{}", &ei), 400);
  ASSERT_EQ(dec_err("MEGACO/3 <-bad> PN=1{}", &ei), 400);
  h248_msg_t *m = h248_msg_new();
  ASSERT_EQ(h248_msg_parse_mid(m, "[2001:db8::2]:2944"), 0);
  ASSERT_EQ(m->mid.kind, H248_MID_IP6);
  ASSERT_EQ(h248_msg_parse_mid(m, "[1.2.3]:2944"), -EINVAL);
  h248_msg_free(m);
}

static void test_reply_forms(void)
{
  const char *text =
      "MEGACO/3 [203.0.113.2]:2944\r\n"
      "Reply = 10004 {\r\n"
      "   ImmAckRequired,\r\n"
      "   Context = 1001 {\r\n"
      "      Subtract = ip/1/access/18 { Statistics { nt/os = 1200, nt/or = 800, nt/dur = 61000 } },\r\n"
      "      Subtract = ip/2/core/17 { Error = 430 { \"Unknown TerminationID\" } }\r\n"
      "   },\r\n"
      "   Context = 1002 { Error = 411 }\r\n"
      "}\r\n"
      "Pending = 10005 { }\r\n"
      "TransactionResponseAck { 1, 3-7, 9 }\r\n";
  /* Error without braces is not legal: the decoder insists on { } */
  h248_error_info_t ei;
  ASSERT_EQ(dec_err(text, &ei), 400);
  char fixed[1024];
  snprintf(fixed, sizeof fixed, "%s", text);
  char *p = strstr(fixed, "Error = 411 }");
  memcpy(p, "ER=411{} }   ", 13);
  h248_msg_t *m = dec_str(fixed);
  h248_trans_t *t = m->trans;
  ASSERT_EQ(t->type, H248_TRANS_REPLY);
  ASSERT_EQ(t->imm_ack, 1);
  h248_cmd_t *c = t->actions->cmds;
  ASSERT_EQ(c->has_stats, 1);
  uint64_t v;
  ASSERT_EQ(h248_value_uint(h248_prop_value(h248_prop_find(c->stats, H248_IQ_STAT_OCTETS_TX)), &v),
            0);
  ASSERT_EQ(v, 1200);
  ASSERT_EQ(c->next->error->code, 430);
  ASSERT_STR_EQ(c->next->error->text, "Unknown TerminationID");
  ASSERT_EQ(t->actions->next->error->code, 411);
  ASSERT_NULL(t->actions->next->error->text);
  ASSERT_EQ(t->next->type, H248_TRANS_PENDING);
  ASSERT_EQ(t->next->id, 10005);
  t = t->next->next;
  ASSERT_EQ(t->type, H248_TRANS_ACK);
  ASSERT_EQ(t->nacks, 3);
  ASSERT_EQ(t->acks[1].first, 3);
  ASSERT_EQ(t->acks[1].last, 7);
  roundtrip(m, H248_ENC_PRETTY);
  roundtrip(m, H248_ENC_COMPACT);
  h248_msg_free(m);

  /* message-level error */
  m = dec_str("MEGACO/3 [192.0.2.1]:2944 Error = 413 { \"too many\" }");
  ASSERT_EQ(m->error->code, 413);
  ASSERT_NULL(m->trans);
  roundtrip(m, H248_ENC_PRETTY);
  h248_msg_free(m);
}

static void test_events_signals(void)
{
  const char *text =
      "MEGACO/3 [203.0.113.1]:2944\r\n"
      "T=1{C=1001{MF=ip/1/access/18{E=7{tlsbsc/tlsfail{ST=1,KA},hangterm/thb{timerx=30},"
      "g/x{EM{SG{a/b},E=8{c/d{ST=2}}}}},SG{tlsbsc/tlsest{ST=1,SY=BR,DR=100,NC={TO,IBE},KA,p=q},"
      "z/z},DM=dm1}}}\r\n"
      "T=2{C=1001{N=ip/1/access/18{OE=7{20240611T10302512:tlsbsc/tlsfail{ST=1},g/cause{"
      "Generalcause=1}},ER=500{\"x\"}}}}\r\n"
      "T=3{C=-{SC=ROOT{SV{MT=FO,RE=\"905 Termination taken out of service\",DL=5,AD=2944,"
      "MG=<mgc2.example.net>:2944,PF=ims_iq/1,V=3,20240611T10302512}}}}\r\n"
      "T=4{C=1001{AV=ROOT{AT{}},MV=t9,A=t8{SG},A=t7{E}}}\r\n";
  h248_msg_t *m = dec_str(text);
  h248_cmd_t *c = m->trans->actions->cmds;
  ASSERT_EQ(c->events->request_id, 7);
  h248_event_t *e = c->events->events;
  ASSERT_STR_EQ(e->name, H248_IQ_EVT_TLS_FAIL);
  ASSERT_EQ(e->stream, 1);
  ASSERT_EQ(e->keep_active, 1);
  ASSERT_STR_EQ(e->next->name, H248_IQ_EVT_THB);
  ASSERT_STR_EQ(h248_prop_value(h248_prop_find(e->next->params, H248_IQ_PAR_TIMERX)), "30");
  ASSERT_NOT_NULL(e->next->next->embed_signals);
  ASSERT_EQ(e->next->next->embed_events->request_id, 8);
  h248_signal_t *s = c->signals->signals;
  ASSERT_STR_EQ(s->name, H248_IQ_SIG_TLS_EST);
  ASSERT_EQ(s->stream, 1);
  ASSERT_EQ(s->type, H248_SIGTYPE_BRIEF);
  ASSERT_EQ(s->duration, 100);
  ASSERT_EQ(s->notify_completion, H248_NC_TIMEOUT | H248_NC_INTBYEVENT);
  ASSERT_STR_EQ(c->digitmap, "dm1");
  c = m->trans->next->actions->cmds;
  ASSERT_STR_EQ(c->observed->events->timestamp, "20240611T10302512");
  ASSERT_EQ(c->error->code, 500);
  c = m->trans->next->next->actions->cmds;
  ASSERT_STR_EQ(c->svc->method, "Forced");
  ASSERT_STR_EQ(c->svc->reason, "905 Termination taken out of service");
  ASSERT_EQ(c->svc->delay, 5);
  ASSERT_STR_EQ(c->svc->address, "2944");
  ASSERT_STR_EQ(c->svc->mgc_id, "<mgc2.example.net>:2944");
  ASSERT_STR_EQ(c->svc->profile, H248_IQ_PROFILE);
  ASSERT_EQ(c->svc->version, 3);
  c = m->trans->next->next->next->actions->cmds;
  ASSERT_EQ(c->type, H248_CMD_AUDITVALUE);
  ASSERT_EQ(c->audit->n, 0);
  ASSERT_EQ(c->next->type, H248_CMD_MOVE);
  ASSERT_NULL(c->next->next->signals->signals);
  ASSERT_EQ(c->next->next->next->events->has_request_id, 0);
  roundtrip(m, H248_ENC_PRETTY);
  roundtrip(m, H248_ENC_COMPACT);
  h248_msg_free(m);
}

/* Build step 11 and step 13 with the builders: equal to the examples. */
static void test_builders(void)
{
  char path[1200];
  size_t n;
  h248_msg_t *m = h248_msg_new();
  ASSERT_NOT_NULL(m);
  ASSERT_EQ(h248_msg_parse_mid(m, "[203.0.113.1]:2944"), 0);
  h248_trans_t *t = h248_add_request(m, 10003);
  h248_action_t *a = h248_add_action(m, t, h248_ctx_num(1001));
  h248_cmd_t *c = h248_add_cmd(m, a, H248_CMD_ADD, "$");
  h248_events_add(m, h248_cmd_set_events(m, c, 2), H248_IQ_EVT_TLS_FAIL, 1);
  h248_cmd_add_signal(m, c, H248_IQ_SIG_TLS_EST, 1);
  const char *grp[] = {"SCTP 2"};
  h248_media_t *md = h248_cmd_media(m, c);
  ASSERT_NOT_NULL(h248_cmd_add_ts_prop(m, c, "x/y", "1"));
  md->ts->props = NULL; /* replace with the list form */
  ASSERT_NOT_NULL(h248_prop_add_multi(m, &md->ts->props, H248_IQ_PROP_GROUPSE, H248_VAL_LIST,
                                      grp, 1, 1));
  h248_stream_t *s1 = h248_add_stream(m, c, 1);
  ASSERT_EQ(h248_stream_set_mode(m, s1, H248_MODE_SENDRECV), 0);
  const char *two[] = {"2"};
  ASSERT_NOT_NULL(h248_prop_add_multi(m, &h248_stream_lc(m, s1)->props, H248_IQ_PROP_STRDEAGG,
                                      H248_VAL_LIST, two, 1, 0));
  h248_stream_set_local(m, s1, "v=0\r\nc=IN IP4 $\r\n"
                               "m=application $ UDP/DTLS/SCTP webrtc-datachannel\r\n"
                               "a=sctp-port:$\r\na=max-message-size:$\r\na=fingerprint:$\r\n");
  h248_stream_set_remote(m, s1, "v=0\r\nc=IN IP4 192.0.2.10\r\n"
                                "m=application 50000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                "a=sctp-port:5000\r\na=max-message-size:262144\r\n"
                                "a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:"
                                "5D:49:6B:19:E5:7C:AB:3C:B2:6F:A5:BA:8C:7A:1B:2E:9F:1D:08\r\n");
  h248_stream_t *s2 = h248_add_stream(m, c, 2);
  h248_stream_set_mode(m, s2, H248_MODE_SENDRECV);
  ASSERT_NOT_NULL(h248_stream_add_prop(m, s2, H248_IQ_PROP_SCTPID, "1"));
  ASSERT(h248_add_stream(m, c, 2) == s2);
  snprintf(path, sizeof path, "%s/tests/unit/h248-examples/s11_add_T1.txt", srcdir);
  char *text = slurp(path, &n);
  char *out = enc(m, H248_ENC_PRETTY);
  ASSERT_STR_EQ(out, text);
  free(out);
  free(text);
  h248_msg_free(m);

  /* Notify with a time stamp (DTLS failure) */
  m = h248_msg_new();
  h248_msg_set_mid(m, H248_MID_IP4, "203.0.113.2", 2944);
  a = h248_add_action(m, h248_add_request(m, 50001), h248_ctx_num(1001));
  c = h248_add_cmd(m, a, H248_CMD_NOTIFY, "ip/1/access/18");
  char ts[18];
  ASSERT_STR_EQ(h248_timestamp(1718101825, 12, ts), "20240611T10302512");
  h248_observed_add(m, h248_cmd_set_observed(m, c, 2), ts, H248_IQ_EVT_TLS_FAIL, 1);
  snprintf(path, sizeof path, "%s/tests/unit/h248-examples/n01_notify_fail.txt", srcdir);
  text = slurp(path, &n);
  out = enc(m, H248_ENC_PRETTY);
  ASSERT_STR_EQ(out, text);
  free(out);
  free(text);
  h248_msg_free(m);

  /* error reply + ack + pending + statistics; errors sanitise quotes */
  m = h248_msg_new();
  h248_msg_set_mid(m, H248_MID_IP4, "203.0.113.2", 2944);
  a = h248_add_action(m, h248_add_reply(m, 10003), h248_ctx_num(1001));
  ASSERT_EQ(h248_action_set_error(m, a, 510, "Insufficient resources: no UDP port available"), 0);
  snprintf(path, sizeof path, "%s/tests/unit/h248-examples/e01_error_reply.txt", srcdir);
  text = slurp(path, &n);
  out = enc(m, H248_ENC_PRETTY);
  ASSERT_STR_EQ(out, text);
  free(out);
  free(text);
  h248_trans_t *r = h248_add_reply(m, 10004);
  ASSERT_EQ(h248_trans_set_error(m, r, 400, "bad \"quote\"\r\n"), 0);
  ASSERT_STR_EQ(r->error->text, "bad 'quote'  ");
  h248_action_t *a2 = h248_add_action(m, h248_add_reply(m, 10005), h248_ctx_num(1001));
  h248_cmd_t *sub = h248_add_cmd(m, a2, H248_CMD_SUBTRACT, "ip/1/access/18");
  h248_cmd_add_stat(m, sub, H248_IQ_STAT_OCTETS_TX, 42);
  ASSERT_NOT_NULL(h248_add_ack(m, 1, 1));
  ASSERT_NOT_NULL(h248_add_ack(m, 3, 9));
  ASSERT_NULL(h248_add_ack(m, 9, 3));
  ASSERT_NOT_NULL(h248_add_pending(m, 77));
  roundtrip(m, H248_ENC_PRETTY);
  roundtrip(m, H248_ENC_COMPACT);
  h248_msg_free(m);
}

static void test_encode_errors(void)
{
  h248_msg_t *m = h248_msg_new();
  h248_trans_t *t = h248_add_request(m, 1);
  h248_buf_t b = {0};
  /* a request with no action cannot be encoded */
  ASSERT_EQ(h248_encode(m, 0, &b), -EINVAL);
  ASSERT_EQ(b.len, 0);
  h248_action_t *a = h248_add_action(m, t, h248_ctx_num(1));
  h248_cmd_t *c = h248_add_cmd(m, a, H248_CMD_MODIFY, "t1");
  h248_stream_t *s = h248_add_stream(m, c, 1);
  h248_stream_add_prop(m, s, "bare", "1"); /* not pkg/item */
  ASSERT_EQ(h248_encode(m, 0, &b), -EINVAL);
  s->lc->props = NULL;
  h248_stream_add_prop(m, s, "a/b", "has \"quote\""); /* cannot be quoted */
  ASSERT_EQ(h248_encode(m, 0, &b), -EINVAL);
  s->lc->props = NULL;
  h248_stream_add_prop(m, s, "a/b", "needs quotes, yes");
  ASSERT_EQ(h248_encode(m, 0, &b), 0);
  ASSERT(strstr(b.data, "a/b = \"needs quotes, yes\"") != NULL);
  char small[16];
  ASSERT_EQ(h248_encode_to(m, 0, small, sizeof small), -ENOSPC);
  char big[4096];
  int n = h248_encode_to(m, H248_ENC_COMPACT, big, sizeof big);
  ASSERT_GT(n, 0);
  ASSERT_EQ((size_t)n, strlen(big));
  c->tid[0] = h248_strdup(m, "bad id");
  ASSERT_EQ(h248_encode(m, 0, &b), -EINVAL);
  h248_buf_free(&b);
  h248_msg_free(m);
  /* ref counting */
  m = h248_msg_new();
  ASSERT(h248_msg_ref(m) == m);
  h248_msg_free(m);
  h248_msg_free(m);
  h248_msg_free(NULL);
}

static void test_tpkt(void)
{
  uint8_t buf[64];
  ASSERT_EQ(h248_tpkt_header(buf, 10), 0);
  ASSERT_EQ(buf[0], 3);
  ASSERT_EQ(buf[1], 0);
  ASSERT_EQ(buf[2] << 8 | buf[3], 14);
  ASSERT_EQ(h248_tpkt_header(buf, 65532), -EMSGSIZE);
  memcpy(buf + 4, "0123456789", 10);
  size_t pl = 0;
  for (size_t have = 0; have < 14; have++)
    ASSERT_EQ(h248_tpkt_read(buf, have, &pl), 0); /* need more */
  ASSERT_EQ(h248_tpkt_read(buf, 14, &pl), 14);
  ASSERT_EQ(pl, 10);
  ASSERT_EQ(h248_tpkt_read(buf, 20, &pl), 14); /* followed by the next frame */
  buf[0] = 4;
  ASSERT_EQ(h248_tpkt_read(buf, 14, &pl), -EBADMSG);
  buf[0] = 3;
  buf[2] = 0;
  buf[3] = 3;
  ASSERT_EQ(h248_tpkt_read(buf, 14, &pl), -EBADMSG);
}

int main(void)
{
  const char *top = getenv("top_srcdir");
  snprintf(srcdir, sizeof srcdir, "%s", top ? top : "..");
  TEST_RUN(test_examples);
  TEST_RUN(test_compact_equals_long);
  TEST_RUN(test_bad_messages);
  TEST_RUN(test_error_position);
  TEST_RUN(test_spelling_variants);
  TEST_RUN(test_sdp_escape);
  TEST_RUN(test_property_values);
  TEST_RUN(test_mid_forms);
  TEST_RUN(test_reply_forms);
  TEST_RUN(test_events_signals);
  TEST_RUN(test_builders);
  TEST_RUN(test_encode_errors);
  TEST_RUN(test_tpkt);
  return 0;
}
