/* agw-figure.c -- the eIMS-AGW end to end, over real loopback sockets.
 *
 * Starts tests/integration/agw-run (libwgagw alone) and plays, in this one
 * process:
 *   - a scripted MGC: H.248 text over UDP, the figure's Add T2 / Modify T2 /
 *     Add T1 with real SDP values, Subtract, and the error cases;
 *   - the WIC: libwgmedia, ICE controlling + DTLS server + SCTP + the
 *     negotiated data channel (sid 1);
 *   - UE-B: a TCP MSRP peer (libwgmedia TCP endpoint).
 * Checks: registration (ServiceChange Restart 901, profile), liveness audit,
 * unauthorized peer (504), the retransmitted Add answered from the reply
 * cache (same bytes, not re-executed), MSRP both ways byte-exact, Subtract
 * statistics and every port bindable again, the DTLS failure Notify (exactly
 * one, armed RequestID, time stamp) and its reply handled, error codes
 * 411/430/433/435/441/445/449/474/510, ServiceChange Graceful on SIGTERM.
 * Every H.248 message the gateway sent is decoded with h248/ and, when it is
 * built, linted with `h248tool parse`. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "agw/media/wgmedia.h"
#include "h248/h248.h"
#include "tests/task.h"

#define DEADLINE_MS (getenv("AGW_WRAP") ? 60000 : 15000)

static uv_loop_t loop;
static wgm_ctx_t *mctx;
static int mgc_fd, rogue_fd;
static struct sockaddr_in agw_addr;
static uint16_t mgc_port;
static char tmpdir[512], logpath[600];
static pid_t agw_pid;
static char agw_fp[512];

/* ----------------------------------------------------------- received */

typedef struct rx {
  char *text;
  size_t len;
  h248_msg_t *msg;
} rx_t;

#define MAXRX 1024
static rx_t rxq[MAXRX];
static int nrx;

/* requests the gateway sent (auto-answered) */
typedef struct seen_req {
  uint32_t tid;
  h248_cmd_type_t type;
  char method[32], reason[64], profile[32];
  uint32_t ctx, rid;
  char tid_name[64], event[64], timestamp[32];
  uint16_t stream;
} seen_req_t;
static seen_req_t reqs[256];
static int nreqs;

static void send_to(int fd, const struct sockaddr_in *to, const char *text)
{
  /* templates use LF; the wire uses CRLF like the examples */
  size_t n = strlen(text);
  char *out = malloc(2 * n + 1), *o = out;
  for (size_t i = 0; i < n; i++) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
      *o++ = '\r';
    *o++ = text[i];
  }
  ASSERT(sendto(fd, out, (size_t)(o - out), 0, (const struct sockaddr *)to, sizeof *to) ==
         (ssize_t)(o - out));
  free(out);
}

static void mgc_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mgc_send(const char *fmt, ...)
{
  char body[8192], all[8400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(body, sizeof body, fmt, ap);
  va_end(ap);
  snprintf(all, sizeof all, "MEGACO/3 [127.0.0.1]:%u\n%s", mgc_port, body);
  send_to(mgc_fd, &agw_addr, all);
}

static void answer_request(const h248_trans_t *t)
{
  const h248_action_t *a = t->actions;
  ASSERT_NOT_NULL(a);
  const h248_cmd_t *c = a->cmds;
  ASSERT_NOT_NULL(c);
  seen_req_t *r = &reqs[nreqs < 255 ? nreqs++ : 255];
  memset(r, 0, sizeof *r);
  r->tid = t->id;
  r->type = c->type;
  r->ctx = a->ctx.kind == H248_CTX_ID ? a->ctx.id : 0;
  snprintf(r->tid_name, sizeof r->tid_name, "%s", c->tid[0]);
  char ctxs[12];
  h248_ctx_str(a->ctx, ctxs);
  if (c->type == H248_CMD_SERVICECHANGE) {
    ASSERT_NOT_NULL(c->svc);
    snprintf(r->method, sizeof r->method, "%s", c->svc->method ? c->svc->method : "");
    snprintf(r->reason, sizeof r->reason, "%s", c->svc->reason ? c->svc->reason : "");
    snprintf(r->profile, sizeof r->profile, "%s", c->svc->profile ? c->svc->profile : "");
    mgc_send("Reply = %u {\n   Context = - {\n      ServiceChange = ROOT\n   }\n}\n", t->id);
  } else if (c->type == H248_CMD_NOTIFY) {
    ASSERT_NOT_NULL(c->observed);
    r->rid = c->observed->request_id;
    const h248_event_t *ev = c->observed->events;
    ASSERT_NOT_NULL(ev);
    snprintf(r->event, sizeof r->event, "%s", ev->name);
    snprintf(r->timestamp, sizeof r->timestamp, "%s", ev->timestamp ? ev->timestamp : "");
    r->stream = ev->stream;
    mgc_send("Reply = %u {\n   Context = %s {\n      Notify = %s\n   }\n}\n", t->id, ctxs,
             c->tid[0]);
  } else {
    TASK_FAIL("unexpected request %s from the gateway", h248_cmd_name(c->type));
  }
}

static void lint_file(const char *path)
{
  const char *b = getenv("top_builddir");
  char tool[700], cmd[1600];
  snprintf(tool, sizeof tool, "%s/h248tool", b ? b : ".");
  if (access(tool, X_OK) != 0) {
    static int said;
    if (!said++)
      printf("# %s not built: messages are decoded by h248/ only\n", tool);
    return;
  }
  snprintf(cmd, sizeof cmd, "'%s' parse '%s' >/dev/null", tool, path);
  int rc = system(cmd);
  if (rc != 0)
    TASK_FAIL("h248tool parse %s failed (%d)", path, rc);
}

static int read_one(int fd, rx_t *out)
{
  char buf[65536];
  ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n <= 0)
    return 0;
  out->text = malloc((size_t)n + 1);
  memcpy(out->text, buf, (size_t)n);
  out->text[n] = '\0';
  out->len = (size_t)n;
  h248_error_info_t ei;
  int rc = h248_decode(out->text, out->len, &out->msg, &ei);
  if (rc < 0)
    TASK_FAIL("the gateway sent a message h248 cannot decode (%d, line %u: %s):\n%s", ei.code,
              ei.line, ei.reason, out->text);
  static int nfile;
  char path[700];
  snprintf(path, sizeof path, "%s/h248-%04d.txt", tmpdir, nfile++);
  FILE *f = fopen(path, "w");
  ASSERT_NOT_NULL(f);
  fwrite(out->text, 1, out->len, f);
  fclose(f);
  lint_file(path);
  return 1;
}

/* Run the loop and read the MGC socket for up to ms. */
static void pump(int ms)
{
  uv_run(&loop, UV_RUN_NOWAIT);
  struct pollfd p = {.fd = mgc_fd, .events = POLLIN};
  if (poll(&p, 1, ms) <= 0)
    return;
  rx_t r;
  while (read_one(mgc_fd, &r)) {
    ASSERT_EQ(r.msg->version, 3);
    int keep = 0;
    for (h248_trans_t *t = r.msg->trans; t; t = t->next)
      if (t->type == H248_TRANS_REQUEST)
        answer_request(t);
      else if (t->type == H248_TRANS_REPLY)
        keep = 1;
    if (keep && nrx < MAXRX)
      rxq[nrx++] = r;
    else {
      h248_msg_free(r.msg);
      free(r.text);
    }
  }
  uv_run(&loop, UV_RUN_NOWAIT);
}

#define WAIT_UNTIL(cond)                                                                   \
  do {                                                                                     \
    uint64_t t0_ = uv_hrtime() / 1000000;                                                  \
    while (!(cond)) {                                                                      \
      if (uv_hrtime() / 1000000 - t0_ > DEADLINE_MS)                                       \
        TASK_FAIL("timed out waiting for %s", #cond);                                      \
      pump(10);                                                                            \
    }                                                                                      \
  } while (0)

static const rx_t *find_reply(uint32_t tid, int nth)
{
  for (int i = 0; i < nrx; i++)
    for (h248_trans_t *t = rxq[i].msg->trans; t; t = t->next)
      if (t->type == H248_TRANS_REPLY && t->id == tid && nth-- == 0)
        return &rxq[i];
  return NULL;
}

static const h248_trans_t *reply_trans(const rx_t *r, uint32_t tid)
{
  for (h248_trans_t *t = r->msg->trans; t; t = t->next)
    if (t->type == H248_TRANS_REPLY && t->id == tid)
      return t;
  return NULL;
}

static const h248_trans_t *wait_reply(uint32_t tid)
{
  WAIT_UNTIL(find_reply(tid, 0) != NULL);
  return reply_trans(find_reply(tid, 0), tid);
}

/* The first error code anywhere in a reply, 0 when none. */
static int reply_code(const h248_trans_t *t, const char **text)
{
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

static int expect_error(uint32_t tid, int code, const char *needle)
{
  const char *text;
  const h248_trans_t *t = wait_reply(tid);
  int got = reply_code(t, &text);
  if (got != code)
    TASK_FAIL("transaction %u: Error %d expected, got %d \"%s\"", tid, code, got, text);
  if (needle && !strstr(text, needle))
    TASK_FAIL("transaction %u: error text \"%s\" does not name \"%s\"", tid, text, needle);
  printf("# transaction %u: Error %d \"%s\"\n", tid, got, text);
  return got;
}

/* value of "<prefix>..." line in SDP text (rest of line), or NULL */
static const char *sdp_line(const char *sdp, const char *prefix, char *out, size_t n)
{
  const char *p = strstr(sdp, prefix);
  if (!p)
    return NULL;
  p += strlen(prefix);
  size_t l = strcspn(p, "\r\n");
  if (l >= n)
    l = n - 1;
  memcpy(out, p, l);
  out[l] = '\0';
  return out;
}

/* -------------------------------------------------------------- peers */

typedef struct wic {
  wgm_dc_t *dc;
  int ice, dtls, dtls_failed, sctp, chan_open, chan3_open;
  uint16_t rxsid[16];
  char rx[16][2048];
  size_t rxlen[16];
  int nrx;
} wic_t;

static void w_ice(wgm_dc_t *dc, const struct sockaddr *peer)
{
  ((wic_t *)wgm_dc_get_data(dc))->ice = 1;
  (void)peer;
}
static void w_dtls(wgm_dc_t *dc) { ((wic_t *)wgm_dc_get_data(dc))->dtls = 1; }
static void w_dtls_failed(wgm_dc_t *dc, enum wgm_dtls_fail r, const char *d)
{
  ((wic_t *)wgm_dc_get_data(dc))->dtls_failed = 1;
  (void)r;
  (void)d;
}
static void w_sctp(wgm_dc_t *dc) { ((wic_t *)wgm_dc_get_data(dc))->sctp = 1; }
static void w_open(wgm_dc_t *dc, const wgm_channel_info_t *ci)
{
  if (ci->sid == 1)
    ((wic_t *)wgm_dc_get_data(dc))->chan_open = 1;
  if (ci->sid == 3)
    ((wic_t *)wgm_dc_get_data(dc))->chan3_open = 1;
}
static void w_msg(wgm_dc_t *dc, uint16_t sid, uint32_t ppid, const uint8_t *d, size_t len)
{
  wic_t *w = wgm_dc_get_data(dc);
  (void)ppid;
  ASSERT(w->nrx < 16 && len < 2048);
  w->rxsid[w->nrx] = sid;
  memcpy(w->rx[w->nrx], d, len);
  w->rxlen[w->nrx++] = len;
}
static const wgm_dc_callbacks_t wic_cb = {.ice_connected = w_ice,
                                          .dtls_connected = w_dtls,
                                          .dtls_failed = w_dtls_failed,
                                          .sctp_up = w_sctp,
                                          .channel_open = w_open,
                                          .message = w_msg};

static void wic_new(wic_t *w)
{
  memset(w, 0, sizeof *w);
  struct sockaddr_in b;
  uv_ip4_addr("127.0.0.1", 0, &b);
  wgm_dc_config_t c;
  wgm_dc_config_init(&c);
  c.bind_addr = (const struct sockaddr *)&b;
  c.ice = WGM_ICE_CONTROLLING;
  c.role = WGM_DTLS_SERVER; /* the AGW is the client (tlsbsc/tlsest) */
  c.accept_any_fingerprint = 1; /* the AGW's fingerprint comes with the Add reply */
  c.local_sctp_port = c.remote_sctp_port = 5000;
  c.local_max_message_size = 262144;
  c.cb = &wic_cb;
  c.data = w;
  ASSERT_EQ(wgm_dc_new(mctx, &c, &w->dc), 0);
}

typedef struct ueb {
  wgm_tcp_t *tcp;
  int connected, closed, nbig;
  char rx[16][2048];
  size_t rxlen[16];
  int nrx;
} ueb_t;

static void u_conn(wgm_tcp_t *t, const struct sockaddr *p)
{
  ((ueb_t *)wgm_tcp_get_data(t))->connected = 1;
  (void)p;
}
static void u_closed(wgm_tcp_t *t, int err)
{
  ((ueb_t *)wgm_tcp_get_data(t))->closed = 1;
  (void)err;
}
static void u_msg(wgm_tcp_t *t, const uint8_t *d, size_t len)
{
  ueb_t *u = wgm_tcp_get_data(t);
  if (len >= 2048) { /* bulk (phase_modes): counted, not kept */
    u->nbig++;
    return;
  }
  ASSERT(u->nrx < 16);
  memcpy(u->rx[u->nrx], d, len);
  u->rxlen[u->nrx++] = len;
}
static const wgm_tcp_callbacks_t ueb_cb = {.connected = u_conn, .closed = u_closed,
                                           .message = u_msg};

static int closes;
static void dc_closed(wgm_dc_t *dc) { (void)dc; closes--; }
static void tcp_closed(wgm_tcp_t *t) { (void)t; closes--; }

/* ---------------------------------------------------------- messages */

static const char msrp_send_b[] = "MSRP a786hjs2 SEND\r\n"
                                  "To-Path: msrp://wic-a.example.invalid:9/iau39soe2843z;dc\r\n"
                                  "From-Path: msrp://203.0.113.77:2855/9di4eae923wzd;tcp\r\n"
                                  "Message-ID: 87652491\r\n"
                                  "Success-Report: no\r\n"
                                  "Failure-Report: yes\r\n"
                                  "Byte-Range: 1-23/23\r\n"
                                  "Content-Type: text/plain\r\n"
                                  "\r\n"
                                  "Hello from the IMS side\r\n"
                                  "-------a786hjs2$\r\n";
static const char msrp_200[] = "MSRP a786hjs2 200 OK\r\n"
                               "To-Path: msrp://203.0.113.77:2855/9di4eae923wzd;tcp\r\n"
                               "From-Path: msrp://wic-a.example.invalid:9/iau39soe2843z;dc\r\n"
                               "-------a786hjs2$\r\n";
static const char msrp_send_a[] = "MSRP wq82kx0z SEND\r\n"
                                  "To-Path: msrp://203.0.113.77:2855/9di4eae923wzd;tcp\r\n"
                                  "From-Path: msrp://wic-a.example.invalid:9/iau39soe2843z;dc\r\n"
                                  "Message-ID: 1\r\n"
                                  "Byte-Range: 1-20/20\r\n"
                                  "Content-Type: text/plain\r\n"
                                  "\r\n"
                                  "Hello from the WIC!!\r\n"
                                  "-------wq82kx0z$\r\n";

/* ------------------------------------------------------------ helpers */

static int port_bindable(int type, uint16_t port)
{
  int fd = socket(AF_INET, type, 0);
  int one = 1;
  if (type == SOCK_STREAM)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* as libuv does */
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", port, &a);
  int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
           (type != SOCK_STREAM || listen(fd, 1) == 0);
  close(fd);
  return ok;
}

static uint16_t local_port(const h248_trans_t *t, char *addr_out, char *sdp_out, size_t n)
{
  const h248_action_t *a = t->actions;
  ASSERT_NOT_NULL(a);
  ASSERT_NOT_NULL(a->cmds);
  ASSERT_NOT_NULL(a->cmds->media);
  const h248_stream_t *s = a->cmds->media->streams;
  ASSERT_NOT_NULL(s);
  ASSERT_NOT_NULL(s->local);
  snprintf(sdp_out, n, "%s", s->local);
  char line[256];
  ASSERT_NOT_NULL(sdp_line(s->local, "c=IN IP4 ", line, sizeof line));
  strcpy(addr_out, line);
  ASSERT_NOT_NULL(sdp_line(s->local, "\nm=", line, sizeof line));
  char media[32];
  unsigned port;
  ASSERT_EQ(sscanf(line, "%31s %u", media, &port), 2);
  return (uint16_t)port;
}

static int count_notifies(const char *event)
{
  /* distinct transaction ids: a retransmitted Notify counts once */
  int n = 0;
  for (int i = 0; i < nreqs; i++) {
    if (reqs[i].type != H248_CMD_NOTIFY || (event && strcmp(reqs[i].event, event) != 0))
      continue;
    int dup = 0;
    for (int j = 0; j < i; j++)
      if (reqs[j].type == H248_CMD_NOTIFY && reqs[j].tid == reqs[i].tid)
        dup = 1;
    n += !dup;
  }
  return n;
}

static int log_has(const char *needle)
{
  FILE *f = fopen(logpath, "r");
  if (!f)
    return 0;
  char line[4096];
  int found = 0;
  while (!found && fgets(line, sizeof line, f))
    found = strstr(line, needle) != NULL;
  fclose(f);
  return found;
}

static const char t2_local[] = "v=0\nc=IN IP4 $\nm=message $ TCP -";

static void add_t2(uint32_t tid, const char *ctx)
{
  mgc_send("Transaction = %u {\n   Context = %s {\n      Add = $ {\n         Media {\n"
           "            Stream = 2 {\n               LocalControl { Mode = Inactive },\n"
           "               Local {\n%s\n               }\n            }\n         }\n"
           "      }\n   }\n}\n",
           tid, ctx, t2_local);
}

static void add_t1(uint32_t tid, uint32_t ctx, uint32_t rid, uint16_t wic_port, const char *fp,
                   const char *ufrag, const char *pwd)
{
  mgc_send("Transaction = %u {\n   Context = %u {\n      Add = $ {\n"
           "         Events = %u { tlsbsc/tlsfail {Stream = 1} },\n"
           "         Signals { tlsbsc/tlsest {Stream = 1} },\n"
           "         Media {\n"
           "            TerminationState { mgrp/groupse = [\"SCTP 2\"] },\n"
           "            Stream = 1 {\n"
           "               LocalControl { Mode = SendReceive, mgrp/strdeagg = [2] },\n"
           "               Local {\nv=0\nc=IN IP4 $\n"
           "m=application $ UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:$\na=max-message-size:$\na=fingerprint:$\n"
           "a=ice-ufrag:$\na=ice-pwd:$\na=ice-lite\n               },\n"
           "               Remote {\nv=0\nc=IN IP4 127.0.0.1\n"
           "m=application %u UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:5000\na=max-message-size:262144\na=fingerprint:%s\n"
           "a=ice-ufrag:%s\na=ice-pwd:%s\n               }\n            },\n"
           "            Stream = 2 {\n"
           "               LocalControl { Mode = SendReceive, sctp/sctpid = 1 }\n"
           "            }\n         }\n      }\n   }\n}\n",
           tid, ctx, rid, wic_port, fp, ufrag, pwd);
}

/* ------------------------------------------------------------ phases */

static uint16_t acc_lo, core_lo;
static uint16_t fig_p2a, fig_p2o; /* the figure's T1 and T2 ports, for the capture check */

static void start_agw(void)
{
  char cfg[700];
  snprintf(cfg, sizeof cfg, "%s/agw.conf", tmpdir);
  snprintf(logpath, sizeof logpath, "%s/agw.log", tmpdir);
  FILE *f = fopen(cfg, "w");
  ASSERT_NOT_NULL(f);
  fprintf(f,
          "[agw]\nh248-listen = 127.0.0.1:0\nmgc = 127.0.0.1:%u\naccess-address = 127.0.0.1\n"
          "access-ports = %u-%u\ncore-address = 127.0.0.1\ncore-ports = %u-%u\n"
          "dtls-timeout = 5\nregister-retry = 100\n[log]\nlevel = debug\n"
          "[test]\npcap = %s/agw.pcap\nkeylog = %s/agw.keys\n",
          mgc_port, acc_lo, acc_lo + 3, core_lo, core_lo + 3, tmpdir, tmpdir);
  fclose(f);
  const char *b = getenv("top_builddir");
  char exe[700];
  snprintf(exe, sizeof exe, "%s/tests/integration/agw-run", b ? b : ".");
  int pfd[2];
  ASSERT_EQ(pipe(pfd), 0);
  agw_pid = fork();
  ASSERT(agw_pid >= 0);
  if (agw_pid == 0) {
    dup2(pfd[1], 1);
    close(pfd[0]);
    /* AGW_WRAP="valgrind --error-exitcode=9 --leak-check=full" runs the gateway
     * under a checker; the exit status is checked in phase_stop */
    const char *wrap = getenv("AGW_WRAP");
    if (wrap && *wrap) {
      char cmd[2400];
      snprintf(cmd, sizeof cmd, "exec %s '%s' '%s' '%s'", wrap, exe, cfg, logpath);
      execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    }
    execl(exe, exe, cfg, logpath, (char *)NULL);
    _exit(127);
  }
  close(pfd[1]);
  FILE *in = fdopen(pfd[0], "r");
  char line[512];
  char host[64];
  unsigned port = 0;
  while (fgets(line, sizeof line, in)) {
    if (sscanf(line, "H248 %63[^:]:%u", host, &port) == 2)
      continue;
    if (strncmp(line, "FINGERPRINT ", 12) == 0) {
      snprintf(agw_fp, sizeof agw_fp, "%s", line + 12);
      agw_fp[strcspn(agw_fp, "\r\n")] = '\0';
      break;
    }
  }
  fclose(in);
  if (port == 0)
    TASK_FAIL("agw-run did not start (see %s)", logpath);
  uv_ip4_addr("127.0.0.1", (int)port, &agw_addr);
  printf("# agw-run pid %d on 127.0.0.1:%u, fingerprint %s\n", (int)agw_pid, port, agw_fp);
}

static void phase_register(void)
{
  WAIT_UNTIL(nreqs > 0);
  ASSERT_EQ(reqs[0].type, H248_CMD_SERVICECHANGE);
  ASSERT_STR_EQ(reqs[0].method, "Restart");
  ASSERT_STR_EQ(reqs[0].reason, "901 Cold Boot");
  ASSERT_STR_EQ(reqs[0].profile, "ims_iq/1");
  ASSERT_STR_EQ(reqs[0].tid_name, "ROOT");
  /* liveness: empty AuditValue on ROOT (it is answered once registered) */
  WAIT_UNTIL(log_has("registered with the MGC"));
  mgc_send("Transaction = 9001 {\n   Context = - {\n      AuditValue = ROOT\n   }\n}\n");
  const h248_trans_t *t = wait_reply(9001);
  ASSERT_EQ(reply_code(t, NULL), 0);
  ASSERT_EQ(t->actions->cmds->type, H248_CMD_AUDITVALUE);
  ASSERT_STR_EQ(t->actions->cmds->tid[0], "ROOT");
  /* a command from another address is refused and changes nothing */
  char rogue[2048];
  snprintf(rogue, sizeof rogue,
           "MEGACO/3 [127.0.0.1]:9\nTransaction = 9002 {\n   Context = $ {\n      Add = $ {\n"
           "         Media { Stream = 2 { Local {\n%s\n} } }\n      }\n   }\n}\n",
           t2_local);
  send_to(rogue_fd, &agw_addr, rogue);
  struct pollfd p = {.fd = rogue_fd, .events = POLLIN};
  rx_t r;
  uint64_t t0 = uv_hrtime() / 1000000;
  while (!read_one(rogue_fd, &r)) {
    ASSERT(uv_hrtime() / 1000000 - t0 < DEADLINE_MS);
    poll(&p, 1, 50);
  }
  ASSERT_EQ(r.msg->trans->type, H248_TRANS_REPLY);
  ASSERT_EQ(reply_code(r.msg->trans, NULL), 504);
  h248_msg_free(r.msg);
  free(r.text);
}

static void phase_figure(void)
{
  char addr[64], sdp[2048], line[256];
  /* step 2: Add T2 */
  add_t2(10001, "$");
  const h248_trans_t *t = wait_reply(10001);
  ASSERT_EQ(reply_code(t, NULL), 0);
  ASSERT_EQ(t->actions->ctx.kind, H248_CTX_ID);
  uint32_t c1 = t->actions->ctx.id;
  char t2id[64];
  snprintf(t2id, sizeof t2id, "%s", t->actions->cmds->tid[0]);
  ASSERT_EQ(strncmp(t2id, "ip/2/core/", 10), 0);
  ASSERT_EQ(t->actions->cmds->type, H248_CMD_ADD);
  uint16_t p2o = local_port(t, addr, sdp, sizeof sdp);
  ASSERT_STR_EQ(addr, "127.0.0.1");
  ASSERT(p2o >= core_lo && p2o <= core_lo + 3);
  ASSERT(strstr(sdp, "m=message ") && strstr(sdp, " TCP -"));
  printf("# step 4: context %u, %s, Local 127.0.0.1:%u\n", c1, t2id, p2o);

  /* the same request again (a retransmission): the same reply, not a new context */
  const rx_t *first = find_reply(10001, 0);
  add_t2(10001, "$");
  WAIT_UNTIL(find_reply(10001, 1) != NULL);
  const rx_t *second = find_reply(10001, 1);
  ASSERT_EQ(first->len, second->len);
  ASSERT_MEM_EQ(first->text, second->text, first->len);

  /* step 8: Modify T2 (remote active: the AGW listens) */
  mgc_send("Transaction = 10002 {\n   Context = %u {\n      Modify = %s {\n         Media {\n"
           "            Stream = 2 {\n               LocalControl { Mode = SendReceive },\n"
           "               Remote {\nv=0\nc=IN IP4 127.0.0.1\nm=message 2855 TCP -\n"
           "               }\n            }\n         }\n      }\n   }\n}\n",
           c1, t2id);
  t = wait_reply(10002);
  ASSERT_EQ(reply_code(t, NULL), 0);
  ASSERT_EQ(t->actions->cmds->type, H248_CMD_MODIFY);
  ASSERT_STR_EQ(t->actions->cmds->tid[0], t2id);
  ASSERT_NULL(t->actions->cmds->media);

  /* step 11: Add T1 with the WIC's values */
  wic_t w;
  wic_new(&w);
  add_t1(10003, c1, 2, wgm_dc_port(w.dc), wgm_dc_fingerprint(w.dc), wgm_dc_local_ufrag(w.dc),
         wgm_dc_local_pwd(w.dc));
  t = wait_reply(10003);
  const char *etext;
  if (reply_code(t, &etext))
    TASK_FAIL("Add T1: %d %s", reply_code(t, NULL), etext);
  ASSERT_EQ(t->actions->ctx.id, c1);
  char t1id[64];
  snprintf(t1id, sizeof t1id, "%s", t->actions->cmds->tid[0]);
  ASSERT_EQ(strncmp(t1id, "ip/1/access/", 12), 0);
  uint16_t p2a = local_port(t, addr, sdp, sizeof sdp);
  ASSERT_STR_EQ(addr, "127.0.0.1");
  ASSERT(p2a >= acc_lo && p2a <= acc_lo + 3);
  ASSERT_NOT_NULL(strstr(sdp, " UDP/DTLS/SCTP webrtc-datachannel"));
  ASSERT_STR_EQ(sdp_line(sdp, "a=sctp-port:", line, sizeof line), "5000");
  ASSERT_NOT_NULL(sdp_line(sdp, "a=max-message-size:", line, sizeof line));
  ASSERT_STR_EQ(sdp_line(sdp, "a=fingerprint:", line, sizeof line), agw_fp);
  ASSERT_NOT_NULL(strstr(sdp, "a=ice-lite"));
  ASSERT_NOT_NULL(strstr(sdp, "typ host"));
  char ufrag[64], pwd[128];
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-ufrag:", ufrag, sizeof ufrag));
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-pwd:", pwd, sizeof pwd));
  printf("# step 13: %s, Local 127.0.0.1:%u\n", t1id, p2a);
  fig_p2a = p2a;
  fig_p2o = p2o;

  /* steps 15-18: the WIC runs ICE, DTLS (server) and SCTP with the AGW */
  struct sockaddr_in pa;
  uv_ip4_addr("127.0.0.1", p2a, &pa);
  const char *fps[1] = {agw_fp};
  ASSERT_EQ(wgm_dc_set_remote(w.dc, ufrag, pwd, (const struct sockaddr *)&pa, fps, 1), 0);
  ASSERT_EQ(wgm_dc_start_dtls(w.dc), 0);
  wgm_channel_info_t ci = {.sid = 1, .negotiated = 1, .channel_type = WGM_DC_RELIABLE,
                           .label = "msrp", .protocol = "MSRP"};
  ASSERT_EQ(wgm_dc_open_channel(w.dc, &ci), 0);
  /* UE-B connects to T2 (its answer said a=setup:active) */
  ueb_t u;
  memset(&u, 0, sizeof u);
  struct sockaddr_in po;
  uv_ip4_addr("127.0.0.1", p2o, &po);
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.listen = 0;
  tc.connect_addr = (const struct sockaddr *)&po;
  tc.framing = WGM_TCP_MSRP;
  tc.cb = &ueb_cb;
  tc.data = &u;
  ASSERT_EQ(wgm_tcp_new(mctx, &tc, &u.tcp), 0);
  WAIT_UNTIL(w.ice && w.dtls && w.sctp && w.chan_open && u.connected);
  printf("# ICE, DTLS, SCTP and the data channel are up; UE-B connected\n");

  /* MSRP both ways, byte-exact */
  ASSERT_EQ(wgm_tcp_send(u.tcp, msrp_send_b, strlen(msrp_send_b)), 0);
  WAIT_UNTIL(w.nrx >= 1);
  ASSERT_EQ(w.rxsid[0], 1);
  ASSERT_EQ(w.rxlen[0], strlen(msrp_send_b));
  ASSERT_MEM_EQ(w.rx[0], msrp_send_b, w.rxlen[0]);
  ASSERT_EQ(wgm_dc_send(w.dc, 1, WGM_PPID_BINARY, msrp_200, strlen(msrp_200)), 0);
  ASSERT_EQ(wgm_dc_send(w.dc, 1, WGM_PPID_STRING, msrp_send_a, strlen(msrp_send_a)), 0);
  WAIT_UNTIL(u.nrx >= 2);
  ASSERT_EQ(u.rxlen[0], strlen(msrp_200));
  ASSERT_MEM_EQ(u.rx[0], msrp_200, u.rxlen[0]);
  ASSERT_EQ(u.rxlen[1], strlen(msrp_send_a));
  ASSERT_MEM_EQ(u.rx[1], msrp_send_a, u.rxlen[1]);
  printf("# MSRP relayed both ways (SEND, 200 OK, SEND), byte-exact\n");

  /* release: Subtract both, statistics asked for T1 */
  mgc_send("Transaction = 10004 {\n   Context = %u {\n"
           "      Subtract = %s { Audit { Statistics } },\n"
           "      Subtract = %s { Audit { } }\n   }\n}\n",
           c1, t1id, t2id);
  t = wait_reply(10004);
  ASSERT_EQ(reply_code(t, NULL), 0);
  const h248_cmd_t *s1 = t->actions->cmds;
  ASSERT_NOT_NULL(s1);
  ASSERT_NOT_NULL(s1->next);
  ASSERT_EQ(s1->type, H248_CMD_SUBTRACT);
  ASSERT_STR_EQ(s1->tid[0], t1id);
  ASSERT_STR_EQ(s1->next->tid[0], t2id);
  const h248_prop_t *os = h248_prop_find(s1->stats, H248_IQ_STAT_OCTETS_TX);
  ASSERT_NOT_NULL(os);
  uint64_t v;
  ASSERT_EQ(h248_value_uint(h248_prop_value(os), &v), 0);
  ASSERT_GT(v, 0);
  ASSERT_NULL(s1->next->stats);
  /* every port is free again */
  WAIT_UNTIL(port_bindable(SOCK_DGRAM, p2a) && port_bindable(SOCK_STREAM, p2o));
  /* the context went with its last termination */
  mgc_send("Transaction = 10005 {\n   Context = %u {\n      AuditValue = %s\n   }\n}\n", c1,
           t1id);
  expect_error(10005, 411, NULL);
  printf("# Subtract released the context and ports %u/udp, %u/tcp\n", p2a, p2o);
  closes = 2;
  wgm_dc_close(w.dc, dc_closed);
  wgm_tcp_close(u.tcp, tcp_closed);
  WAIT_UNTIL(closes == 0);
}

static void phase_dtls_failure(void)
{
  char addr[64], sdp[2048], ufrag[64], pwd[128];
  add_t2(10010, "$");
  const h248_trans_t *t = wait_reply(10010);
  ASSERT_EQ(reply_code(t, NULL), 0);
  uint32_t c2 = t->actions->ctx.id;
  wic_t w;
  wic_new(&w);
  /* the MGC names a fingerprint that is not the WIC's certificate */
  const char *wrong = "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3C:"
                      "B2:6F:A5:BA:8C:7A:1B:2E:9F:1D:08";
  add_t1(10011, c2, 77, wgm_dc_port(w.dc), wrong, wgm_dc_local_ufrag(w.dc),
         wgm_dc_local_pwd(w.dc));
  t = wait_reply(10011);
  ASSERT_EQ(reply_code(t, NULL), 0);
  char t1id[64];
  snprintf(t1id, sizeof t1id, "%s", t->actions->cmds->tid[0]);
  uint16_t p2a = local_port(t, addr, sdp, sizeof sdp);
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-ufrag:", ufrag, sizeof ufrag));
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-pwd:", pwd, sizeof pwd));
  struct sockaddr_in pa;
  uv_ip4_addr("127.0.0.1", p2a, &pa);
  const char *fps[1] = {agw_fp};
  ASSERT_EQ(wgm_dc_set_remote(w.dc, ufrag, pwd, (const struct sockaddr *)&pa, fps, 1), 0);
  ASSERT_EQ(wgm_dc_start_dtls(w.dc), 0);
  WAIT_UNTIL(count_notifies(H248_IQ_EVT_TLS_FAIL) >= 1);
  int i;
  for (i = 0; i < nreqs; i++)
    if (reqs[i].type == H248_CMD_NOTIFY)
      break;
  ASSERT_EQ(reqs[i].rid, 77);
  ASSERT_EQ(reqs[i].ctx, c2);
  ASSERT_STR_EQ(reqs[i].tid_name, t1id);
  ASSERT_EQ(reqs[i].stream, 1);
  ASSERT_EQ(strlen(reqs[i].timestamp), 17);
  ASSERT_EQ(reqs[i].timestamp[8], 'T');
  printf("# Notify %s ObservedEvents = %u { %s:%s {Stream = 1} }\n", t1id, reqs[i].rid,
         reqs[i].timestamp, reqs[i].event);
  /* the gateway handled our reply (logged) and sent no second Notify: a
   * later round trip is answered and the count is still one */
  WAIT_UNTIL(log_has("answered by the MGC"));
  mgc_send("Transaction = 10012 {\n   Context = - {\n      AuditValue = ROOT\n   }\n}\n");
  wait_reply(10012);
  mgc_send("Transaction = 10013 {\n   Context = %u {\n      Subtract = *\n   }\n}\n", c2);
  t = wait_reply(10013);
  ASSERT_EQ(reply_code(t, NULL), 0);
  ASSERT(t->actions->cmds && t->actions->cmds->next);
  ASSERT_EQ(count_notifies(H248_IQ_EVT_TLS_FAIL), 1);
  ASSERT_EQ(count_notifies(NULL), 1);
  closes = 1;
  wgm_dc_close(w.dc, dc_closed);
  WAIT_UNTIL(closes == 0);
}

static void phase_errors(void)
{
  /* 411: unknown context */
  mgc_send("Transaction = 10020 {\n   Context = 424242 {\n      Modify = ip/2/core/1 {\n"
           "         Media { Stream = 2 { LocalControl { Mode = SendReceive } } }\n"
           "      }\n   }\n}\n");
  expect_error(10020, 411, NULL);
  add_t2(10021, "$");
  const h248_trans_t *t = wait_reply(10021);
  ASSERT_EQ(reply_code(t, NULL), 0);
  uint32_t c3 = t->actions->ctx.id;
  char t2id[64];
  snprintf(t2id, sizeof t2id, "%s", t->actions->cmds->tid[0]);
  /* 430: unknown termination */
  mgc_send("Transaction = 10022 {\n   Context = %u {\n      Subtract = ip/1/access/99999\n"
           "   }\n}\n", c3);
  expect_error(10022, 430, NULL);
  /* 433: already in a context */
  mgc_send("Transaction = 10023 {\n   Context = %u {\n      Add = %s {\n         Media {\n"
           "            Stream = 2 { Local {\n%s\n} }\n         }\n      }\n   }\n}\n",
           c3, t2id, t2_local);
  expect_error(10023, 433, NULL);
  /* 441: no Local/Remote */
  mgc_send("Transaction = 10024 {\n   Context = %u {\n      Add = $ {\n         Media {\n"
           "            Stream = 2 { LocalControl { Mode = Inactive } }\n         }\n"
           "      }\n   }\n}\n",
           c3);
  expect_error(10024, 441, NULL);
  /* 445: unknown property of a known package */
  mgc_send("Transaction = 10025 {\n   Context = %u {\n      Modify = %s {\n         Media {\n"
           "            Stream = 2 { LocalControl { Mode = SendReceive, mgrp/nosuch = 1 } }\n"
           "         }\n      }\n   }\n}\n",
           c3, t2id);
  expect_error(10025, 445, "mgrp/nosuch");
  /* 449: value not supported, named in the text */
  mgc_send("Transaction = 10026 {\n   Context = %u {\n      Modify = %s {\n         Media {\n"
           "            Stream = 2 { Remote {\nv=0\nc=IN IP4 127.0.0.1\nm=message 9 TCP -\n"
           "a=setup:sideways\n} }\n         }\n      }\n   }\n}\n",
           c3, t2id);
  expect_error(10026, 449, "sideways");
  /* 474: SDP that is not SDP */
  mgc_send("Transaction = 10027 {\n   Context = %u {\n      Modify = %s {\n         Media {\n"
           "            Stream = 2 { Remote {\nv=0\nm=message port TCP -\n} }\n         }\n"
           "      }\n   }\n}\n",
           c3, t2id);
  expect_error(10027, 474, NULL);
  /* 435: termination of another context */
  add_t2(10028, "$");
  t = wait_reply(10028);
  ASSERT_EQ(reply_code(t, NULL), 0);
  uint32_t c4 = t->actions->ctx.id;
  mgc_send("Transaction = 10029 {\n   Context = %u {\n      Modify = %s {\n         Media {\n"
           "            Stream = 2 { LocalControl { Mode = SendReceive } }\n         }\n"
           "      }\n   }\n}\n",
           c4, t2id);
  expect_error(10029, 435, NULL);
  /* nothing changed by the errors: the termination still answers an audit */
  mgc_send("Transaction = 10030 {\n   Context = %u {\n      AuditValue = %s { Audit { Media } }\n"
           "   }\n}\n", c3, t2id);
  t = wait_reply(10030);
  ASSERT_EQ(reply_code(t, NULL), 0);
  ASSERT_NOT_NULL(t->actions->cmds->media);
  ASSERT_EQ(t->actions->cmds->media->streams->lc->mode, H248_MODE_INACTIVE);
  /* 510: the core port range (4 ports) runs out, never a crash */
  int got510 = 0;
  uint32_t ctxs[8];
  uint16_t ports[8];
  int nctx = 0, nports = 0;
  char addr[64], sdp[2048];
  ctxs[nctx++] = c3;
  ctxs[nctx++] = c4;
  for (uint32_t tid = 10031; tid < 10037 && !got510; tid++) {
    add_t2(tid, "$");
    t = wait_reply(tid);
    int code = reply_code(t, NULL);
    if (code == 510) {
      expect_error(tid, 510, "TCP port");
      got510 = 1;
    } else {
      ASSERT_EQ(code, 0);
      ctxs[nctx++] = t->actions->ctx.id;
      ports[nports++] = local_port(t, addr, sdp, sizeof sdp);
    }
  }
  ASSERT(got510);
  for (int i = 0; i < nctx; i++) {
    mgc_send("Transaction = %d {\n   Context = %u {\n      Subtract = *\n   }\n}\n", 10040 + i,
             ctxs[i]);
    t = wait_reply((uint32_t)(10040 + i));
    ASSERT_EQ(reply_code(t, NULL), 0);
  }
  /* every port handed out is free again after Subtract */
  for (int i = 0; i < nports; i++)
    WAIT_UNTIL(port_bindable(SOCK_STREAM, ports[i]));
}

static uint16_t stream_port(const h248_trans_t *t, uint16_t sid)
{
  const h248_stream_t *s = h248_cmd_stream(t->actions->cmds, sid);
  ASSERT_NOT_NULL(s);
  ASSERT_NOT_NULL(s->local);
  char line[256], media[32];
  unsigned port;
  ASSERT_NOT_NULL(sdp_line(s->local, "\nm=", line, sizeof line));
  ASSERT_EQ(sscanf(line, "%31s %u", media, &port), 2);
  return (uint16_t)port;
}

static void ueb_connect(ueb_t *u, uint16_t port)
{
  memset(u, 0, sizeof *u);
  struct sockaddr_in po;
  uv_ip4_addr("127.0.0.1", port, &po);
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.listen = 0;
  tc.connect_addr = (const struct sockaddr *)&po;
  tc.framing = WGM_TCP_MSRP;
  tc.cb = &ueb_cb;
  tc.data = u;
  ASSERT_EQ(wgm_tcp_new(mctx, &tc, &u->tcp), 0);
}

/* Two MSRP channels on one association: H.248 streams 2 and 3 of T1 (SCTP
 * stream ids 1 and 3) relayed to streams 2 and 3 of T2 (two TCP ports). The
 * WIC sends on each channel before UE-B has connected: the messages are held
 * and delivered in order. */
static void phase_two_channels(void)
{
  mgc_send("Transaction = 10060 {\n   Context = $ {\n      Add = $ {\n         Media {\n"
           "            Stream = 2 {\n               LocalControl { Mode = SendReceive },\n"
           "               Local {\n%s\n               }\n            },\n"
           "            Stream = 3 {\n               LocalControl { Mode = SendReceive },\n"
           "               Local {\n%s\n               }\n            }\n         }\n"
           "      }\n   }\n}\n",
           t2_local, t2_local);
  const h248_trans_t *t = wait_reply(10060);
  ASSERT_EQ(reply_code(t, NULL), 0);
  uint32_t c = t->actions->ctx.id;
  uint16_t pa = stream_port(t, 2), pb = stream_port(t, 3);
  ASSERT(pa != pb);
  wic_t w;
  wic_new(&w);
  mgc_send("Transaction = 10061 {\n   Context = %u {\n      Add = $ {\n"
           "         Signals { tlsbsc/tlsest {Stream = 1} },\n         Media {\n"
           "            TerminationState { mgrp/groupse = [\"SCTP 2 3\"] },\n"
           "            Stream = 1 {\n"
           "               LocalControl { Mode = SendReceive, mgrp/strdeagg = [2, 3] },\n"
           "               Local {\nv=0\nc=IN IP4 $\n"
           "m=application $ UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:$\na=max-message-size:$\na=fingerprint:$\n               },\n"
           "               Remote {\nv=0\nc=IN IP4 127.0.0.1\n"
           "m=application %u UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:5000\na=max-message-size:262144\na=fingerprint:%s\n"
           "a=ice-ufrag:%s\na=ice-pwd:%s\n               }\n            },\n"
           "            Stream = 2 { LocalControl { Mode = SendReceive, sctp/sctpid = 1 } },\n"
           "            Stream = 3 { LocalControl { Mode = SendReceive, sctp/sctpid = 3 } }\n"
           "         }\n      }\n   }\n}\n",
           c, wgm_dc_port(w.dc), wgm_dc_fingerprint(w.dc), wgm_dc_local_ufrag(w.dc),
           wgm_dc_local_pwd(w.dc));
  t = wait_reply(10061);
  const char *etext;
  if (reply_code(t, &etext))
    TASK_FAIL("Add T1 with two channels: %d %s", reply_code(t, NULL), etext);
  char addr[64], sdp[2048], ufrag[64], pwd[128];
  uint16_t p1 = local_port(t, addr, sdp, sizeof sdp);
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-ufrag:", ufrag, sizeof ufrag));
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-pwd:", pwd, sizeof pwd));
  struct sockaddr_in p1a;
  uv_ip4_addr("127.0.0.1", p1, &p1a);
  const char *fps[1] = {agw_fp};
  ASSERT_EQ(wgm_dc_set_remote(w.dc, ufrag, pwd, (const struct sockaddr *)&p1a, fps, 1), 0);
  ASSERT_EQ(wgm_dc_start_dtls(w.dc), 0);
  wgm_channel_info_t ci = {.sid = 1, .negotiated = 1, .channel_type = WGM_DC_RELIABLE,
                           .label = "msrp", .protocol = "MSRP"};
  ASSERT_EQ(wgm_dc_open_channel(w.dc, &ci), 0);
  ci.sid = 3;
  ASSERT_EQ(wgm_dc_open_channel(w.dc, &ci), 0);
  WAIT_UNTIL(w.sctp && w.chan_open && w.chan3_open);
  /* the WIC speaks first on both: held by the MG until UE-B is there */
  ASSERT_EQ(wgm_dc_send(w.dc, 1, WGM_PPID_BINARY, msrp_send_a, strlen(msrp_send_a)), 0);
  ASSERT_EQ(wgm_dc_send(w.dc, 3, WGM_PPID_BINARY, msrp_200, strlen(msrp_200)), 0);
  ueb_t ua, ub;
  ueb_connect(&ua, pa);
  ueb_connect(&ub, pb);
  WAIT_UNTIL(ua.nrx >= 1 && ub.nrx >= 1);
  ASSERT_EQ(ua.rxlen[0], strlen(msrp_send_a));
  ASSERT_MEM_EQ(ua.rx[0], msrp_send_a, ua.rxlen[0]);
  ASSERT_EQ(ub.rxlen[0], strlen(msrp_200));
  ASSERT_MEM_EQ(ub.rx[0], msrp_200, ub.rxlen[0]);
  /* and back, each TCP connection to its own channel */
  ASSERT_EQ(wgm_tcp_send(ub.tcp, msrp_send_b, strlen(msrp_send_b)), 0);
  WAIT_UNTIL(w.nrx >= 1);
  ASSERT_EQ(w.rxsid[0], 3);
  ASSERT_EQ(w.rxlen[0], strlen(msrp_send_b));
  ASSERT_MEM_EQ(w.rx[0], msrp_send_b, w.rxlen[0]);
  printf("# two channels (sctp 1 <-> %u/tcp, sctp 3 <-> %u/tcp) relayed separately\n", pa, pb);
  /* the WIC goes away (SCTP ABORT): one bearer-released Notify for T1,
   * although the MGC did not arm it (agw.notify-released-bearer = yes) */
  int before = count_notifies(H248_IQ_EVT_RELEASED);
  closes = 1;
  wgm_dc_close(w.dc, dc_closed);
  WAIT_UNTIL(closes == 0 && count_notifies(H248_IQ_EVT_RELEASED) == before + 1);
  ASSERT_STR_EQ(reqs[nreqs - 1].event, H248_IQ_EVT_RELEASED);
  ASSERT_EQ(reqs[nreqs - 1].rid, 0);
  ASSERT_EQ(reqs[nreqs - 1].stream, 1);
  ASSERT_EQ(strncmp(reqs[nreqs - 1].tid_name, "ip/1/access/", 12), 0);
  printf("# the WIC left: Notify %s {Stream = 1} on %s\n", H248_IQ_EVT_RELEASED,
         reqs[nreqs - 1].tid_name);
  mgc_send("Transaction = 10062 {\n   Context = %u {\n      Subtract = *\n   }\n}\n", c);
  t = wait_reply(10062);
  ASSERT_EQ(reply_code(t, NULL), 0);
  WAIT_UNTIL(port_bindable(SOCK_STREAM, pa) && port_bindable(SOCK_STREAM, pb) &&
             port_bindable(SOCK_DGRAM, p1));
  closes = 2;
  wgm_tcp_close(ua.tcp, tcp_closed);
  wgm_tcp_close(ub.tcp, tcp_closed);
  WAIT_UNTIL(closes == 0);
}

static int log_count(const char *needle)
{
  FILE *f = fopen(logpath, "r");
  if (!f)
    return 0;
  char line[4096];
  int n = 0;
  while (fgets(line, sizeof line, f))
    n += strstr(line, needle) != NULL;
  fclose(f);
  return n;
}

/* Modify the Mode of stream 2 of tid (T1 keeps its sctpid) and wait for the
 * reply and for the gateway's log line that says how the relay now runs. */
static void set_mode(uint32_t trid, uint32_t c, const char *tid, const char *mode,
                     const char *gates)
{
  int before = log_count(gates);
  int t1 = strncmp(tid, "ip/1/", 5) == 0;
  mgc_send("Transaction = %u {\n   Context = %u {\n      Modify = %s {\n         Media {\n"
           "            Stream = 2 { LocalControl { Mode = %s%s } }\n         }\n"
           "      }\n   }\n}\n",
           trid, c, tid, mode, t1 ? ", sctp/sctpid = 1" : "");
  const h248_trans_t *t = wait_reply(trid);
  ASSERT_EQ(reply_code(t, NULL), 0);
  WAIT_UNTIL(log_count(gates) > before);
}

#define FLOWS_HELD "data channel -> TCP flows, TCP -> data channel held"
#define HELD_FLOWS "data channel -> TCP held, TCP -> data channel flows"
#define BOTH_HELD "data channel -> TCP held, TCP -> data channel held"
#define BOTH_FLOW "data channel -> TCP flows, TCP -> data channel flows"
#define DC_HELD "-byte message held ("
#define TCP_HELD "-byte message from TCP held ("

/* H.248.1 7.1.7 Mode per direction (doc/agw.md): T2 SendOnly lets
 * DC -> TCP flow and holds TCP -> DC, T2 ReceiveOnly the reverse, T1 the
 * mirror of that; Inactive holds both. What is held is delivered in order,
 * byte-exact, when the Mode opens the direction again. A DC hold beyond its
 * bound answers the SEND with 413. */
static void phase_modes(void)
{
  add_t2(10100, "$");
  const h248_trans_t *t = wait_reply(10100);
  ASSERT_EQ(reply_code(t, NULL), 0);
  uint32_t c = t->actions->ctx.id;
  char t2id[64], t1id[64];
  snprintf(t2id, sizeof t2id, "%s", t->actions->cmds->tid[0]);
  uint16_t p2 = stream_port(t, 2);
  mgc_send("Transaction = 10101 {\n   Context = %u {\n      Modify = %s {\n         Media {\n"
           "            Stream = 2 { LocalControl { Mode = SendReceive } }\n         }\n"
           "      }\n   }\n}\n",
           c, t2id);
  t = wait_reply(10101);
  ASSERT_EQ(reply_code(t, NULL), 0);
  wic_t w;
  wic_new(&w);
  add_t1(10102, c, 7, wgm_dc_port(w.dc), wgm_dc_fingerprint(w.dc), wgm_dc_local_ufrag(w.dc),
         wgm_dc_local_pwd(w.dc));
  t = wait_reply(10102);
  ASSERT_EQ(reply_code(t, NULL), 0);
  snprintf(t1id, sizeof t1id, "%s", t->actions->cmds->tid[0]);
  char addr[64], sdp[2048], ufrag[64], pwd[128];
  uint16_t p1 = local_port(t, addr, sdp, sizeof sdp);
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-ufrag:", ufrag, sizeof ufrag));
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-pwd:", pwd, sizeof pwd));
  struct sockaddr_in p1a;
  uv_ip4_addr("127.0.0.1", p1, &p1a);
  const char *fps[1] = {agw_fp};
  ASSERT_EQ(wgm_dc_set_remote(w.dc, ufrag, pwd, (const struct sockaddr *)&p1a, fps, 1), 0);
  ASSERT_EQ(wgm_dc_start_dtls(w.dc), 0);
  wgm_channel_info_t ci = {.sid = 1, .negotiated = 1, .channel_type = WGM_DC_RELIABLE,
                           .label = "msrp", .protocol = "MSRP"};
  ASSERT_EQ(wgm_dc_open_channel(w.dc, &ci), 0);
  ueb_t u;
  ueb_connect(&u, p2);
  WAIT_UNTIL(w.sctp && w.chan_open && u.connected);
  WAIT_UNTIL(log_count(BOTH_FLOW) >= 1);
  int wn = 0, un = 0;

  /* T2 SendOnly: the WIC's SEND reaches UE-B; UE-B's is held */
  set_mode(10103, c, t2id, "SendOnly", FLOWS_HELD);
  int held = log_count(TCP_HELD);
  ASSERT_EQ(wgm_tcp_send(u.tcp, msrp_send_b, strlen(msrp_send_b)), 0);
  WAIT_UNTIL(log_count(TCP_HELD) == held + 1);
  ASSERT_EQ(wgm_dc_send(w.dc, 1, WGM_PPID_BINARY, msrp_send_a, strlen(msrp_send_a)), 0);
  WAIT_UNTIL(u.nrx == un + 1);
  ASSERT_MEM_EQ(u.rx[un], msrp_send_a, u.rxlen[un]);
  un++;
  ASSERT_EQ(w.nrx, wn);
  set_mode(10104, c, t2id, "SendReceive", BOTH_FLOW);
  WAIT_UNTIL(w.nrx == wn + 1);
  ASSERT_EQ(w.rxlen[wn], strlen(msrp_send_b));
  ASSERT_MEM_EQ(w.rx[wn], msrp_send_b, w.rxlen[wn]);
  wn++;
  printf("# T2 SendOnly: DC -> TCP flowed, TCP -> DC held and delivered on SendReceive\n");

  /* T2 ReceiveOnly: UE-B's SEND reaches the WIC; the WIC's is held */
  set_mode(10105, c, t2id, "ReceiveOnly", HELD_FLOWS);
  held = log_count(DC_HELD);
  ASSERT_EQ(wgm_dc_send(w.dc, 1, WGM_PPID_BINARY, msrp_send_a, strlen(msrp_send_a)), 0);
  WAIT_UNTIL(log_count(DC_HELD) == held + 1);
  ASSERT_EQ(wgm_tcp_send(u.tcp, msrp_send_b, strlen(msrp_send_b)), 0);
  WAIT_UNTIL(w.nrx == wn + 1);
  ASSERT_MEM_EQ(w.rx[wn], msrp_send_b, w.rxlen[wn]);
  wn++;
  ASSERT_EQ(u.nrx, un);
  set_mode(10106, c, t2id, "SendReceive", BOTH_FLOW);
  WAIT_UNTIL(u.nrx == un + 1);
  ASSERT_EQ(u.rxlen[un], strlen(msrp_send_a));
  ASSERT_MEM_EQ(u.rx[un], msrp_send_a, u.rxlen[un]);
  un++;
  printf("# T2 ReceiveOnly: TCP -> DC flowed, DC -> TCP held and delivered on SendReceive\n");

  /* T1 SendOnly (its outside is the WIC): TCP -> DC flows, DC -> TCP held */
  set_mode(10107, c, t1id, "SendOnly", HELD_FLOWS);
  held = log_count(DC_HELD);
  ASSERT_EQ(wgm_dc_send(w.dc, 1, WGM_PPID_BINARY, msrp_200, strlen(msrp_200)), 0);
  WAIT_UNTIL(log_count(DC_HELD) == held + 1);
  ASSERT_EQ(wgm_tcp_send(u.tcp, msrp_send_b, strlen(msrp_send_b)), 0);
  WAIT_UNTIL(w.nrx == wn + 1);
  wn++;
  ASSERT_EQ(u.nrx, un);
  /* T1 ReceiveOnly: the held message goes out, TCP -> DC is held now */
  set_mode(10108, c, t1id, "ReceiveOnly", FLOWS_HELD);
  WAIT_UNTIL(u.nrx == un + 1);
  ASSERT_MEM_EQ(u.rx[un], msrp_200, u.rxlen[un]);
  un++;
  held = log_count(TCP_HELD);
  ASSERT_EQ(wgm_tcp_send(u.tcp, msrp_200, strlen(msrp_200)), 0);
  WAIT_UNTIL(log_count(TCP_HELD) == held + 1);
  ASSERT_EQ(w.nrx, wn);
  set_mode(10109, c, t1id, "SendReceive", BOTH_FLOW);
  WAIT_UNTIL(w.nrx == wn + 1);
  ASSERT_MEM_EQ(w.rx[wn], msrp_200, w.rxlen[wn]);
  wn++;
  printf("# T1 SendOnly / ReceiveOnly: the mirror directions held and delivered\n");

  /* Inactive holds both; SendReceive delivers both, in order */
  set_mode(10110, c, t2id, "Inactive", BOTH_HELD);
  int hd = log_count(DC_HELD), ht = log_count(TCP_HELD);
  ASSERT_EQ(wgm_dc_send(w.dc, 1, WGM_PPID_BINARY, msrp_send_a, strlen(msrp_send_a)), 0);
  ASSERT_EQ(wgm_dc_send(w.dc, 1, WGM_PPID_BINARY, msrp_200, strlen(msrp_200)), 0);
  ASSERT_EQ(wgm_tcp_send(u.tcp, msrp_send_b, strlen(msrp_send_b)), 0);
  WAIT_UNTIL(log_count(DC_HELD) == hd + 2 && log_count(TCP_HELD) == ht + 1);
  ASSERT_EQ(w.nrx, wn);
  ASSERT_EQ(u.nrx, un);
  set_mode(10111, c, t2id, "SendReceive", BOTH_FLOW);
  WAIT_UNTIL(w.nrx == wn + 1 && u.nrx == un + 2);
  ASSERT_MEM_EQ(w.rx[wn], msrp_send_b, w.rxlen[wn]);
  ASSERT_MEM_EQ(u.rx[un], msrp_send_a, u.rxlen[un]);
  ASSERT_MEM_EQ(u.rx[un + 1], msrp_200, u.rxlen[un + 1]);
  wn++;
  un += 2;
  printf("# Inactive: both directions held, delivered in order on SendReceive\n");

  /* the DC hold is bounded (1 MiB): beyond it a SEND is answered 413 on
   * the channel, the messages held so far stay held */
  set_mode(10112, c, t2id, "ReceiveOnly", HELD_FLOWS);
  static char big[61000];
  const char body_hdr[] = "MSRP big%02d SEND\r\n"
                          "To-Path: msrp://203.0.113.77:2855/9di4eae923wzd;tcp\r\n"
                          "From-Path: msrp://wic-a.example.invalid:9/iau39soe2843z;dc\r\n"
                          "Message-ID: %02d\r\nByte-Range: 1-60000/60000\r\n"
                          "Content-Type: text/plain\r\n\r\n";
  int hn = snprintf(big, sizeof big, body_hdr, 0, 0);
  size_t blen = (size_t)hn + 60000 + strlen("\r\n-------big00$\r\n");
  int fit = (int)((1u << 20) / blen); /* the hold is empty here */
  for (int k = 0; k <= fit; k++) {
    int n = snprintf(big, sizeof big, body_hdr, k, k);
    memset(big + n, 'x', 60000);
    n += 60000;
    n += snprintf(big + n, sizeof big - (size_t)n, "\r\n-------big%02d$\r\n", k);
    ASSERT_EQ((size_t)n, blen);
    int rc;
    while ((rc = wgm_dc_send(w.dc, 1, WGM_PPID_BINARY, big, (size_t)n)) == -EAGAIN)
      pump(10);
    ASSERT_EQ(rc, 0);
  }
  WAIT_UNTIL(w.nrx == wn + 1);
  char want[64];
  snprintf(want, sizeof want, "MSRP big%02d 413 Held queue full\r\n", fit);
  ASSERT_EQ(strncmp(w.rx[wn], want, strlen(want)), 0);
  ASSERT_NOT_NULL(strstr(w.rx[wn], "To-Path: msrp://wic-a.example.invalid:9/iau39soe2843z;dc\r\n"));
  ASSERT(log_has("not held (hold full"));
  printf("# DC hold full after %d messages of %zu bytes: the next SEND answered 413\n", fit, blen);
  wn++;
  /* what was held before the bound is all delivered on resume */
  ASSERT_EQ(u.nbig, 0);
  set_mode(10114, c, t2id, "SendReceive", BOTH_FLOW);
  WAIT_UNTIL(u.nbig == fit);
  ASSERT_EQ(w.nrx, wn);
  printf("# resumed: UE-B got the %d held messages\n", fit);

  /* a held TCP SEND the data channel cannot carry (over the WIC's
   * max-message-size) is answered 413 on TCP when it would go out */
  set_mode(10115, c, t2id, "SendOnly", FLOWS_HELD);
  static char huge[301000];
  int hn2 = snprintf(huge, sizeof huge,
                     "MSRP bigtcp01 SEND\r\n"
                     "To-Path: msrp://wic-a.example.invalid:9/iau39soe2843z;dc\r\n"
                     "From-Path: msrp://203.0.113.77:2855/9di4eae923wzd;tcp\r\n"
                     "Message-ID: 99\r\nByte-Range: 1-300000/300000\r\n"
                     "Content-Type: text/plain\r\n\r\n");
  memset(huge + hn2, 'y', 300000);
  hn2 += 300000;
  hn2 += snprintf(huge + hn2, sizeof huge - (size_t)hn2, "\r\n-------bigtcp01$\r\n");
  ASSERT((size_t)hn2 < sizeof huge);
  held = log_count(TCP_HELD);
  ASSERT_EQ(wgm_tcp_send(u.tcp, huge, (size_t)hn2), 0);
  WAIT_UNTIL(log_count(TCP_HELD) == held + 1);
  set_mode(10116, c, t2id, "SendReceive", BOTH_FLOW);
  WAIT_UNTIL(u.nrx == un + 1);
  const char want413[] = "MSRP bigtcp01 413 Message too large\r\n"
                         "To-Path: msrp://203.0.113.77:2855/9di4eae923wzd;tcp\r\n";
  ASSERT_EQ(strncmp(u.rx[un], want413, strlen(want413)), 0);
  un++;
  ASSERT_EQ(w.nrx, wn);
  printf("# a held TCP SEND over the WIC's max-message-size: answered 413 on resume\n");

  mgc_send("Transaction = 10113 {\n   Context = %u {\n      Subtract = *\n   }\n}\n", c);
  t = wait_reply(10113);
  ASSERT_EQ(reply_code(t, NULL), 0);
  WAIT_UNTIL(port_bindable(SOCK_STREAM, p2) && port_bindable(SOCK_DGRAM, p1));
  closes = 2;
  wgm_dc_close(w.dc, dc_closed);
  wgm_tcp_close(u.tcp, tcp_closed);
  WAIT_UNTIL(closes == 0);
}

/* The mirror flow (digest 7.1): T1 is added with Local only (the MG is the
 * DTLS server, nothing known of the WIC yet); the WIC's answer comes with a
 * Modify (Remote: address, fingerprint, ICE), then the WIC, DTLS client,
 * connects. A second T1 whose WIC never answers fails with the DTLS timeout:
 * one tlsfail Notify. */
static void phase_mirror_and_timeout(void)
{
  add_t2(10070, "$");
  const h248_trans_t *t = wait_reply(10070);
  ASSERT_EQ(reply_code(t, NULL), 0);
  uint32_t c = t->actions->ctx.id;
  mgc_send("Transaction = 10071 {\n   Context = %u {\n      Add = $ {\n"
           "         Events = 5 { tlsbsc/tlsfail {Stream = 1} },\n         Media {\n"
           "            Stream = 1 {\n               Local {\nv=0\nc=IN IP4 $\n"
           "m=application $ UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:$\na=max-message-size:$\na=fingerprint:$\n               }\n"
           "            },\n"
           "            Stream = 2 { LocalControl { Mode = SendReceive, sctp/sctpid = 0 } }\n"
           "         }\n      }\n   }\n}\n",
           c);
  t = wait_reply(10071);
  const char *etext;
  if (reply_code(t, &etext))
    TASK_FAIL("Add T1 Local only: %d %s", reply_code(t, NULL), etext);
  char t1id[64], addr[64], sdp[2048], ufrag[64], pwd[128];
  snprintf(t1id, sizeof t1id, "%s", t->actions->cmds->tid[0]);
  uint16_t p1 = local_port(t, addr, sdp, sizeof sdp);
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-ufrag:", ufrag, sizeof ufrag));
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-pwd:", pwd, sizeof pwd));
  /* the WIC answers a=setup:active: it is the DTLS client */
  wic_t w;
  memset(&w, 0, sizeof w);
  struct sockaddr_in b;
  uv_ip4_addr("127.0.0.1", 0, &b);
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.bind_addr = (const struct sockaddr *)&b;
  cfg.ice = WGM_ICE_CONTROLLING;
  cfg.role = WGM_DTLS_CLIENT;
  cfg.dtls_autostart = 1;
  const char *fps[1] = {agw_fp};
  cfg.remote_fingerprints = fps;
  cfg.n_remote_fingerprints = 1;
  cfg.remote_ufrag = ufrag;
  cfg.remote_pwd = pwd;
  cfg.local_sctp_port = cfg.remote_sctp_port = 5000;
  cfg.cb = &wic_cb;
  cfg.data = &w;
  ASSERT_EQ(wgm_dc_new(mctx, &cfg, &w.dc), 0);
  mgc_send("Transaction = 10072 {\n   Context = %u {\n      Modify = %s {\n         Media {\n"
           "            Stream = 1 {\n               Remote {\nv=0\nc=IN IP4 127.0.0.1\n"
           "m=application %u UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:5000\na=max-message-size:262144\na=fingerprint:%s\n"
           "a=ice-ufrag:%s\na=ice-pwd:%s\n               }\n            }\n         }\n"
           "      }\n   }\n}\n",
           c, t1id, wgm_dc_port(w.dc), wgm_dc_fingerprint(w.dc), wgm_dc_local_ufrag(w.dc),
           wgm_dc_local_pwd(w.dc));
  t = wait_reply(10072);
  ASSERT_EQ(reply_code(t, NULL), 0);
  struct sockaddr_in pa;
  uv_ip4_addr("127.0.0.1", p1, &pa);
  ASSERT_EQ(wgm_dc_set_remote(w.dc, NULL, NULL, (const struct sockaddr *)&pa, NULL, 0), 0);
  wgm_channel_info_t ci = {.sid = 0, .negotiated = 1, .channel_type = WGM_DC_RELIABLE,
                           .label = "msrp", .protocol = "MSRP"};
  ASSERT_EQ(wgm_dc_open_channel(w.dc, &ci), 0);
  WAIT_UNTIL(w.dtls && w.sctp);
  ASSERT_EQ(w.dtls_failed, 0);
  printf("# mirror flow: Local first, Remote by Modify, the WIC as DTLS client: up\n");

  /* the same, but the WIC answers a=setup:passive: Modify brings Est_DTLS and
   * the MG, created as DTLS server, becomes the client on the same port */
  mgc_send("Transaction = 10075 {\n   Context = %u {\n      Add = $ {\n         Media {\n"
           "            Stream = 1 {\n               Local {\nv=0\nc=IN IP4 $\n"
           "m=application $ UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:$\na=max-message-size:$\na=fingerprint:$\n               }\n"
           "            }\n         }\n      }\n   }\n}\n",
           c);
  t = wait_reply(10075);
  ASSERT_EQ(reply_code(t, NULL), 0);
  char t1b[64], ufrag2[64], pwd2[128];
  snprintf(t1b, sizeof t1b, "%s", t->actions->cmds->tid[0]);
  uint16_t p1b = local_port(t, addr, sdp, sizeof sdp);
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-ufrag:", ufrag2, sizeof ufrag2));
  ASSERT_NOT_NULL(sdp_line(sdp, "a=ice-pwd:", pwd2, sizeof pwd2));
  wic_t w2;
  wic_new(&w2); /* DTLS server */
  mgc_send("Transaction = 10076 {\n   Context = %u {\n      Modify = %s {\n"
           "         Signals { tlsbsc/tlsest {Stream = 1} },\n         Media {\n"
           "            Stream = 1 {\n               Local {\nv=0\nc=IN IP4 $\n"
           "m=application $ UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:$\na=max-message-size:$\na=fingerprint:$\n               },\n"
           "               Remote {\nv=0\nc=IN IP4 127.0.0.1\n"
           "m=application %u UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:5000\na=max-message-size:262144\na=fingerprint:%s\n"
           "a=ice-ufrag:%s\na=ice-pwd:%s\n               }\n            }\n         }\n"
           "      }\n   }\n}\n",
           c, t1b, wgm_dc_port(w2.dc), wgm_dc_fingerprint(w2.dc), wgm_dc_local_ufrag(w2.dc),
           wgm_dc_local_pwd(w2.dc));
  t = wait_reply(10076);
  ASSERT_EQ(reply_code(t, NULL), 0);
  /* the answer the WIC already has stays valid: same port, same ICE credentials */
  char u3[64];
  ASSERT_EQ(local_port(t, addr, sdp, sizeof sdp), p1b);
  ASSERT_STR_EQ(sdp_line(sdp, "a=ice-ufrag:", u3, sizeof u3), ufrag2);
  uv_ip4_addr("127.0.0.1", p1b, &pa);
  ASSERT_EQ(wgm_dc_set_remote(w2.dc, ufrag2, pwd2, (const struct sockaddr *)&pa, fps, 1), 0);
  ASSERT_EQ(wgm_dc_start_dtls(w2.dc), 0);
  WAIT_UNTIL(w2.dtls && w2.sctp);
  printf("# mirror flow, WIC passive: Est_DTLS by Modify, the MG as DTLS client: up\n");
  closes = 1;
  wgm_dc_close(w2.dc, dc_closed);
  WAIT_UNTIL(closes == 0);

  /* a second access termination whose WIC never answers: DTLS timeout */
  int before = count_notifies(H248_IQ_EVT_TLS_FAIL);
  mgc_send("Transaction = 10073 {\n   Context = %u {\n      Add = $ {\n"
           "         Events = 6 { tlsbsc/tlsfail {Stream = 1} },\n"
           "         Signals { tlsbsc/tlsest {Stream = 1} },\n         Media {\n"
           "            Stream = 1 {\n               Local {\nv=0\nc=IN IP4 $\n"
           "m=application $ UDP/DTLS/SCTP webrtc-datachannel\n"
           "a=sctp-port:$\na=max-message-size:$\na=fingerprint:$\n               },\n"
           "               Remote {\nv=0\nc=IN IP4 127.0.0.1\n"
           "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=fingerprint:%s\n"
           "a=ice-ufrag:abcd\na=ice-pwd:0123456789abcdef01234567\n"
           "               }\n            }\n         }\n      }\n   }\n}\n",
           c, agw_fp);
  t = wait_reply(10073);
  ASSERT_EQ(reply_code(t, NULL), 0);
  WAIT_UNTIL(count_notifies(H248_IQ_EVT_TLS_FAIL) == before + 1);
  int i;
  for (i = nreqs - 1; i >= 0; i--)
    if (strcmp(reqs[i].event, H248_IQ_EVT_TLS_FAIL) == 0)
      break;
  ASSERT_EQ(reqs[i].rid, 6);
  printf("# no answer from the WIC: Notify tlsfail (RequestID 6) after agw.dtls-timeout\n");
  mgc_send("Transaction = 10074 {\n   Context = %u {\n      Subtract = *\n   }\n}\n", c);
  t = wait_reply(10074);
  ASSERT_EQ(reply_code(t, NULL), 0);
  ASSERT_EQ(count_notifies(H248_IQ_EVT_TLS_FAIL), before + 1);
  closes = 1;
  wgm_dc_close(w.dc, dc_closed);
  WAIT_UNTIL(closes == 0);
}

/* T2 alone: the MG connects when the Remote says a=setup:passive; the far
 * end closing the connection gives one bearer-released Notify with the armed
 * RequestID; an armed heartbeat gives hangterm/thb Notifies. */
static void phase_t2_roles(void)
{
  /* UE-B listens (it answered a=setup:passive) */
  ueb_t u;
  memset(&u, 0, sizeof u);
  struct sockaddr_in lb;
  uv_ip4_addr("127.0.0.1", 0, &lb);
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.listen = 1;
  tc.bind_addr = (const struct sockaddr *)&lb;
  tc.framing = WGM_TCP_MSRP;
  tc.cb = &ueb_cb;
  tc.data = &u;
  ASSERT_EQ(wgm_tcp_new(mctx, &tc, &u.tcp), 0);
  uint16_t ueb_port = wgm_tcp_port(u.tcp);
  mgc_send("Transaction = 10050 {\n   Context = $ {\n      Add = $ {\n"
           "         Events = 9 { ipnwr/rel {Stream = 2}, hangterm/thb {timerx = 1} },\n"
           "         Media {\n            Stream = 2 {\n"
           "               LocalControl { Mode = SendReceive },\n"
           "               Local {\n%s\n               },\n"
           "               Remote {\nv=0\nc=IN IP4 127.0.0.1\nm=message %u TCP/MSRP *\n"
           "a=setup:passive\n               }\n            }\n         }\n      }\n   }\n}\n",
           t2_local, ueb_port);
  const h248_trans_t *t = wait_reply(10050);
  const char *etext;
  if (reply_code(t, &etext))
    TASK_FAIL("Add T2 with Remote: %d %s", reply_code(t, NULL), etext);
  uint32_t c = t->actions->ctx.id;
  char t2id[64];
  snprintf(t2id, sizeof t2id, "%s", t->actions->cmds->tid[0]);
  WAIT_UNTIL(u.connected);
  printf("# a=setup:passive in Remote: the MG connected to UE-B\n");
  /* heartbeat */
  WAIT_UNTIL(count_notifies(H248_IQ_EVT_THB) >= 1);
  /* UE-B goes away: the MG reports the bearer once */
  int before = count_notifies(H248_IQ_EVT_RELEASED);
  closes = 1;
  wgm_tcp_close(u.tcp, tcp_closed);
  WAIT_UNTIL(closes == 0 && count_notifies(H248_IQ_EVT_RELEASED) == before + 1);
  for (int i = nreqs - 1; i >= 0; i--)
    if (strcmp(reqs[i].event, H248_IQ_EVT_RELEASED) == 0) {
      ASSERT_EQ(reqs[i].rid, 9);
      ASSERT_EQ(reqs[i].ctx, c);
      ASSERT_STR_EQ(reqs[i].tid_name, t2id);
      ASSERT_EQ(reqs[i].stream, 2);
      break;
    }
  printf("# TCP closed by the far end: Notify %s {Stream = 2}\n", H248_IQ_EVT_RELEASED);
  mgc_send("Transaction = 10051 {\n   Context = %u {\n      Subtract = %s\n   }\n}\n", c, t2id);
  t = wait_reply(10051);
  ASSERT_EQ(reply_code(t, NULL), 0);
  mgc_send("Transaction = 10052 {\n   Context = - {\n      AuditValue = ROOT\n   }\n}\n");
  wait_reply(10052);
  ASSERT_EQ(count_notifies(H248_IQ_EVT_RELEASED), before + 1);
}

/* Count packets in the gateway's pcap (LINKTYPE_RAW, IPv4) by protocol and
 * port: what agw_set_capture was asked to write. */
static int pcap_count(int proto, uint16_t port)
{
  char path[700];
  snprintf(path, sizeof path, "%s/agw.pcap", tmpdir);
  FILE *f = fopen(path, "rb");
  ASSERT_NOT_NULL(f);
  uint8_t gh[24], rh[16], pkt[65600];
  ASSERT_EQ(fread(gh, 1, 24, f), 24);
  int n = 0;
  while (fread(rh, 1, 16, f) == 16) {
    uint32_t incl = (uint32_t)rh[8] | (uint32_t)rh[9] << 8 | (uint32_t)rh[10] << 16 |
                    (uint32_t)rh[11] << 24;
    if (incl > sizeof pkt || fread(pkt, 1, incl, f) != incl)
      break;
    if (incl < 24 || (pkt[0] >> 4) != 4)
      continue;
    size_t ihl = (size_t)(pkt[0] & 15) * 4;
    uint16_t sp = (uint16_t)(pkt[ihl] << 8 | pkt[ihl + 1]);
    uint16_t dp = (uint16_t)(pkt[ihl + 2] << 8 | pkt[ihl + 3]);
    if (pkt[9] == proto && (sp == port || dp == port))
      n++;
  }
  fclose(f);
  return n;
}


static void phase_stop(void)
{
  int before = nreqs;
  kill(agw_pid, SIGTERM);
  WAIT_UNTIL(nreqs > before);
  ASSERT_EQ(reqs[before].type, H248_CMD_SERVICECHANGE);
  ASSERT_STR_EQ(reqs[before].method, "Graceful");
  int st = 0;
  WAIT_UNTIL(waitpid(agw_pid, &st, WNOHANG) == agw_pid);
  ASSERT(WIFEXITED(st));
  ASSERT_EQ(WEXITSTATUS(st), 0);
  printf("# SIGTERM: ServiceChange Graceful, clean exit\n");
  /* the capture has the H.248, the figure's T1 datagrams and T2 segments */
  ASSERT_GT(pcap_count(17, ntohs(agw_addr.sin_port)), 10);
  ASSERT_GT(pcap_count(17, fig_p2a), 10);
  ASSERT_GT(pcap_count(6, fig_p2o), 2);
  char kp[700], line[512];
  snprintf(kp, sizeof kp, "%s/agw.keys", tmpdir);
  FILE *f = fopen(kp, "r");
  ASSERT_NOT_NULL(f);
  int keys = 0;
  while (fgets(line, sizeof line, f))
    keys += strncmp(line, "CLIENT_RANDOM ", 14) == 0 || strstr(line, "_SECRET ") != NULL;
  fclose(f);
  ASSERT_GT(keys, 0);
  printf("# capture: H.248, T1 and T2 packets in the pcap, %d DTLS key-log lines\n", keys);
}

int main(void)
{
  const char *tmp = getenv("WG_TEST_TMP");
  snprintf(tmpdir, sizeof tmpdir, "%s", tmp ? tmp : "/tmp");
  signal(SIGPIPE, SIG_IGN);
  unsigned salt = (unsigned)getpid() % 500;
  acc_lo = (uint16_t)(42000 + salt * 4);
  core_lo = (uint16_t)(44000 + salt * 4);
  ASSERT_EQ(uv_loop_init(&loop), 0);
  ASSERT_EQ(wgm_ctx_new(&loop, NULL, &mctx), 0);
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  mgc_fd = socket(AF_INET, SOCK_DGRAM, 0);
  rogue_fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_EQ(bind(mgc_fd, (struct sockaddr *)&a, sizeof a), 0);
  ASSERT_EQ(bind(rogue_fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t al = sizeof a;
  getsockname(mgc_fd, (struct sockaddr *)&a, &al);
  mgc_port = ntohs(a.sin_port);

  start_agw();
  TEST_RUN(phase_register);
  TEST_RUN(phase_figure);
  TEST_RUN(phase_dtls_failure);
  TEST_RUN(phase_errors);
  TEST_RUN(phase_t2_roles);
  TEST_RUN(phase_two_channels);
  TEST_RUN(phase_modes);
  TEST_RUN(phase_mirror_and_timeout);
  TEST_RUN(phase_stop);

  ASSERT_EQ(wgm_ctx_free(mctx), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  for (int i = 0; i < nrx; i++) {
    h248_msg_free(rxq[i].msg);
    free(rxq[i].text);
  }
  close(mgc_fd);
  close(rogue_fd);
  return 0;
}
