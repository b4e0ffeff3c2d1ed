/* test-h248-tl.c -- the Annex D.1 transaction layer over real loopback UDP.
 *
 * Two endpoints, each a UDP socket on 127.0.0.1 driven by a small poll()
 * loop, send requests to each other while a loss injector drops a share of
 * the datagrams in both directions. Every transaction must complete exactly
 * once at the requester and execute exactly once at the responder, some
 * replies are given late (Pending), and the layer must answer bad input. */
#include "config.h"
#include "h248/h248.h"
#include "tests/task.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXN 400

static uint64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef struct deferred {
  h248_tl_txn_t *txn;
  h248_msg_t *req; /* kept with h248_msg_ref */
  uint32_t k;
  uint64_t at;
} deferred_t;

typedef struct ep {
  const char *name;
  int fd;
  struct sockaddr_in addr;
  h248_tl_t *tl;
  int64_t due; /* absolute ms of the layer's timer, -1 = none */
  unsigned drop_pct;
  uint64_t rng;
  unsigned sent, dropped;
  /* responder side */
  int exec[MAXN];
  int defer_every;      /* reply late to every n-th request (0 = never) */
  unsigned defer_ms;
  deferred_t defq[MAXN];
  size_t ndef;
  /* requester side */
  int done[MAXN];
  int timeouts, cancelled;
  void *args[MAXN];
  int bad_replies;
  size_t issued, completed;
} ep_t;

static uint32_t rnd(ep_t *e)
{
  e->rng ^= e->rng << 13;
  e->rng ^= e->rng >> 7;
  e->rng ^= e->rng << 17;
  return (uint32_t)e->rng;
}

static int tr_send(void *ctx, const struct sockaddr *to, socklen_t tolen, const void *data,
                   size_t len)
{
  ep_t *e = ctx;
  e->sent++;
  if (e->drop_pct && rnd(e) % 100 < e->drop_pct) {
    e->dropped++;
    return 0;
  }
  ssize_t n = sendto(e->fd, data, len, 0, to, tolen);
  return n < 0 ? -errno : 0;
}

static void tr_timer(void *ctx, int64_t delay)
{
  ep_t *e = ctx;
  e->due = delay < 0 ? -1 : (int64_t)(mono_ms() + (uint64_t)delay);
}

static uint64_t tr_now(void *ctx)
{
  (void)ctx;
  return mono_ms();
}

static uint32_t ctx_of(const h248_trans_t *t)
{
  ASSERT_NOT_NULL(t->actions);
  return t->actions->ctx.id;
}

static void send_reply(ep_t *e, h248_tl_txn_t *txn, uint32_t k)
{
  h248_msg_t *r = h248_msg_new();
  ASSERT_NOT_NULL(r);
  h248_msg_set_mid(r, H248_MID_IP4, "127.0.0.1", ntohs(e->addr.sin_port));
  h248_action_t *a = h248_add_action(r, h248_add_reply(r, 0), h248_ctx_num(k));
  char tid[32];
  snprintf(tid, sizeof tid, "t/%u", (unsigned)k);
  ASSERT_NOT_NULL(h248_add_cmd(r, a, H248_CMD_MODIFY, tid));
  ASSERT_EQ(h248_tl_reply(e->tl, txn, r), 0);
  h248_msg_free(r);
}

static void on_request(void *arg, h248_tl_txn_t *txn, h248_msg_t *msg, const h248_trans_t *req,
                       const struct sockaddr *from, socklen_t fromlen)
{
  ep_t *e = arg;
  ASSERT_EQ(from->sa_family, AF_INET);
  ASSERT_EQ(h248_tl_txn_id(txn), req->id);
  uint32_t k = ctx_of(req);
  ASSERT_LT(k, MAXN);
  e->exec[k]++;
  if (e->defer_every && k % (uint32_t)e->defer_every == 0) {
    ASSERT_LT(e->ndef, MAXN);
    e->defq[e->ndef++] = (deferred_t){txn, h248_msg_ref(msg), k, mono_ms() + e->defer_ms};
    return;
  }
  send_reply(e, txn, k);
}

static void on_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  ep_t *e = *(ep_t **)arg;
  uint32_t k = (uint32_t)(uintptr_t)((void **)arg)[1];
  free(arg);
  if (status == -ECANCELED) {
    e->cancelled++;
    e->completed++;
    return;
  }
  if (status == -ETIMEDOUT) {
    e->timeouts++;
    e->completed++;
    return;
  }
  ASSERT_EQ(status, 0);
  ASSERT_NOT_NULL(msg);
  ASSERT_EQ(reply->type, H248_TRANS_REPLY);
  if (ctx_of(reply) != k || !reply->actions->cmds)
    e->bad_replies++;
  ASSERT_LT(k, MAXN);
  e->done[k]++;
  e->completed++;
}

static void ep_open(ep_t *e, const char *name, const h248_tl_config_t *base, uint64_t seed)
{
  memset(e, 0, sizeof *e);
  e->name = name;
  e->due = -1;
  e->rng = seed;
  e->fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(e->fd, 0);
  e->addr.sin_family = AF_INET;
  e->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(e->fd, (struct sockaddr *)&e->addr, sizeof e->addr), 0);
  socklen_t l = sizeof e->addr;
  ASSERT_EQ(getsockname(e->fd, (struct sockaddr *)&e->addr, &l), 0);
  ASSERT_EQ(fcntl(e->fd, F_SETFL, O_NONBLOCK), 0);
  h248_transport_t tr = {e, tr_send, tr_timer, tr_now};
  h248_tl_config_t cfg = *base;
  cfg.mid_kind = H248_MID_IP4;
  cfg.mid_name = "127.0.0.1";
  cfg.mid_port = ntohs(e->addr.sin_port);
  ASSERT_EQ(h248_tl_new(&e->tl, &tr, &cfg, on_request, e), 0);
}

static void ep_close(ep_t *e)
{
  for (size_t i = 0; i < e->ndef; i++)
    h248_msg_free(e->defq[i].req);
  h248_tl_free(e->tl);
  close(e->fd);
}

static uint32_t issue(ep_t *from, ep_t *to, uint32_t k)
{
  h248_msg_t *m = h248_msg_new();
  ASSERT_NOT_NULL(m);
  h248_msg_set_mid(m, H248_MID_IP4, "127.0.0.1", ntohs(from->addr.sin_port));
  h248_action_t *a = h248_add_action(m, h248_add_request(m, 0), h248_ctx_num(k));
  char tid[32];
  snprintf(tid, sizeof tid, "t/%u", (unsigned)k);
  ASSERT_NOT_NULL(h248_add_cmd(m, a, H248_CMD_MODIFY, tid));
  void **arg = malloc(2 * sizeof(void *));
  arg[0] = from;
  arg[1] = (void *)(uintptr_t)k;
  uint32_t id = 0;
  ASSERT_EQ(h248_tl_request(from->tl, (struct sockaddr *)&to->addr, sizeof to->addr, m,
                            on_reply, arg, &id),
            0);
  ASSERT_NE(id, 0);
  ASSERT_EQ(m->trans->id, id);
  from->issued++;
  from->args[k] = arg;
  h248_msg_free(m);
  return id;
}

/* One turn of the loop: wait for a datagram or the earliest timer. */
static void loop_once(ep_t **eps, size_t n, int max_wait)
{
  uint64_t now = mono_ms();
  int64_t wait = max_wait;
  for (size_t i = 0; i < n; i++) {
    if (eps[i]->due >= 0) {
      int64_t d = eps[i]->due - (int64_t)now;
      if (d < wait)
        wait = d < 0 ? 0 : d;
    }
    for (size_t j = 0; j < eps[i]->ndef; j++)
      if (eps[i]->defq[j].txn) {
        int64_t d = (int64_t)eps[i]->defq[j].at - (int64_t)now;
        if (d < wait)
          wait = d < 0 ? 0 : d;
      }
  }
  struct pollfd pfd[4];
  for (size_t i = 0; i < n; i++)
    pfd[i] = (struct pollfd){eps[i]->fd, POLLIN, 0};
  int pr = poll(pfd, (nfds_t)n, (int)wait);
  ASSERT(pr >= 0 || errno == EINTR);
  for (size_t i = 0; i < n; i++) {
    ep_t *e = eps[i];
    if (pr > 0 && (pfd[i].revents & POLLIN)) {
      char buf[65536];
      struct sockaddr_storage ss;
      for (;;) {
        socklen_t sl = sizeof ss;
        ssize_t r = recvfrom(e->fd, buf, sizeof buf, 0, (struct sockaddr *)&ss, &sl);
        if (r < 0)
          break;
        ASSERT_EQ(h248_tl_input(e->tl, (struct sockaddr *)&ss, sl, buf, (size_t)r), 0);
      }
    }
    now = mono_ms();
    if (e->due >= 0 && (uint64_t)e->due <= now) {
      e->due = -1;
      h248_tl_on_timer(e->tl);
    }
    for (size_t j = 0; j < e->ndef; j++) {
      deferred_t *d = &e->defq[j];
      if (d->txn && d->at <= now) {
        h248_tl_txn_t *txn = d->txn;
        d->txn = NULL;
        send_reply(e, txn, d->k);
      }
    }
  }
}

static const h248_tl_config_t fast = {
  .rto_initial_ms = 40,
  .rto_min_ms = 20,
  .rto_max_ms = 320,
  .max_total_ms = 30000,
  .pending_retx_ms = 250,
  .pending_timeout_ms = 10000,
  .ack_delay_ms = 15,
  .long_timer_ms = 60000,
  .provisional_ms = 50,
};

/* Both endpoints request from each other with 20 % loss each way. */
static void test_loss_both_ways(void)
{
  ep_t a, b;
  ep_open(&a, "A", &fast, 0x9e3779b97f4a7c15ull);
  ep_open(&b, "B", &fast, 0xd1b54a32d192ed03ull);
  a.drop_pct = b.drop_pct = 20;
  a.defer_every = 7;
  b.defer_every = 5;
  a.defer_ms = b.defer_ms = 150; /* > provisional_ms: Pending is sent */
  const uint32_t N = 300, WINDOW = 24;
  ep_t *eps[2] = {&a, &b};
  uint64_t limit = mono_ms() + 120000;
  while (a.completed < N || b.completed < N) {
    while (a.issued < N && a.issued - a.completed < WINDOW)
      issue(&a, &b, (uint32_t)a.issued);
    while (b.issued < N && b.issued - b.completed < WINDOW)
      issue(&b, &a, (uint32_t)b.issued);
    loop_once(eps, 2, 100);
    if (mono_ms() > limit)
      TASK_FAIL("not finished: A %zu/%u B %zu/%u", a.completed, N, b.completed, N);
  }
  for (uint32_t k = 0; k < N; k++) {
    if (a.done[k] != 1 || b.done[k] != 1 || a.exec[k] != 1 || b.exec[k] != 1)
      TASK_FAIL("transaction %u: A done %d exec %d, B done %d exec %d", (unsigned)k, a.done[k],
                a.exec[k], b.done[k], b.exec[k]);
  }
  ASSERT_EQ(a.timeouts, 0);
  ASSERT_EQ(b.timeouts, 0);
  ASSERT_EQ(a.bad_replies, 0);
  ASSERT_EQ(b.bad_replies, 0);
  h248_tl_stats_t sa, sb;
  h248_tl_get_stats(a.tl, &sa);
  h248_tl_get_stats(b.tl, &sb);
  printf("# A: sent %u dropped %u retx %llu dup-req %llu resent %llu pend-tx %llu pend-rx %llu "
         "acks-tx %llu acks-rx %llu\n",
         a.sent, a.dropped, (unsigned long long)sa.retransmissions,
         (unsigned long long)sa.duplicate_requests, (unsigned long long)sa.replies_resent,
         (unsigned long long)sa.pendings_sent, (unsigned long long)sa.pendings_received,
         (unsigned long long)sa.acks_sent, (unsigned long long)sa.acks_received);
  printf("# B: sent %u dropped %u retx %llu dup-req %llu resent %llu pend-tx %llu pend-rx %llu "
         "acks-tx %llu acks-rx %llu\n",
         b.sent, b.dropped, (unsigned long long)sb.retransmissions,
         (unsigned long long)sb.duplicate_requests, (unsigned long long)sb.replies_resent,
         (unsigned long long)sb.pendings_sent, (unsigned long long)sb.pendings_received,
         (unsigned long long)sb.acks_sent, (unsigned long long)sb.acks_received);
  /* the loss really happened and was repaired by the mechanisms under test */
  ASSERT_GT(a.dropped, 0);
  ASSERT_GT(b.dropped, 0);
  ASSERT_GT(sa.retransmissions, 0);
  ASSERT_GT(sb.retransmissions, 0);
  ASSERT_GT(sa.duplicate_requests + sb.duplicate_requests, 0);
  ASSERT_GT(sa.replies_resent + sb.replies_resent, 0);
  ASSERT_GT(sa.pendings_sent, 0);
  ASSERT_GT(sb.pendings_received, 0);
  ASSERT_EQ(sa.requests_received, N);
  ASSERT_EQ(sb.requests_received, N);
  ASSERT_EQ(sa.replies_received, N);
  ASSERT_EQ(sb.replies_received, N);
  ASSERT_GT(sa.acks_sent, 0);
  ASSERT_GT(sb.acks_received, 0);
  /* replies stay remembered for LONG-TIMER */
  ASSERT_EQ(h248_tl_remembered(a.tl), N);
  ASSERT_EQ(h248_tl_remembered(b.tl), N);
  ASSERT_EQ(h248_tl_outstanding(a.tl), 0);
  ep_close(&a);
  ep_close(&b);
}

/* ImmAckRequired replies are acknowledged; LONG-TIMER forgets them. */
static void test_imm_ack_long_timer(void)
{
  h248_tl_config_t cb = fast;
  cb.imm_ack = 1;
  cb.long_timer_ms = 300;
  cb.ack_delay_ms = 10000; /* would be late: ImmAckRequired must make it immediate */
  ep_t a, b;
  h248_tl_config_t ca = fast;
  ca.ack_delay_ms = 10000;
  ep_open(&a, "A", &ca, 1);
  ep_open(&b, "B", &cb, 2);
  ep_t *eps[2] = {&a, &b};
  for (uint32_t k = 0; k < 20; k++)
    issue(&a, &b, k);
  uint64_t limit = mono_ms() + 20000;
  h248_tl_stats_t sb;
  for (;;) {
    h248_tl_get_stats(b.tl, &sb);
    if (a.completed == 20 && sb.acks_received == 20 && h248_tl_remembered(b.tl) == 0)
      break;
    loop_once(eps, 2, 50);
    if (mono_ms() > limit)
      TASK_FAIL("completed %zu acks %llu remembered %zu", a.completed,
                (unsigned long long)sb.acks_received, h248_tl_remembered(b.tl));
  }
  for (uint32_t k = 0; k < 20; k++)
    ASSERT_EQ(a.done[k], 1);
  ASSERT_EQ(sb.requests_received, 20);
  ep_close(&a);
  ep_close(&b);
}

static int raw_socket(void)
{
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ASSERT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

/* Send text from a raw socket to e and return the answer datagram (malloc). */
static char *raw_exchange(ep_t *e, int fd, const char *text, size_t len)
{
  ASSERT_EQ(sendto(fd, text, len, 0, (struct sockaddr *)&e->addr, sizeof e->addr), (ssize_t)len);
  ep_t *eps[1] = {e};
  uint64_t limit = mono_ms() + 10000;
  for (;;) {
    loop_once(eps, 1, 20);
    char buf[65536];
    ssize_t r = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    if (r > 0) {
      buf[r] = '\0';
      return strdup(buf);
    }
    if (mono_ms() > limit)
      TASK_FAIL("no answer from %s", e->name);
  }
}

static int answer_code(const char *text, uint32_t *tid)
{
  h248_msg_t *m = NULL;
  ASSERT_EQ(h248_decode(text, strlen(text), &m, NULL), 0);
  int code = -1;
  if (m->error)
    code = m->error->code;
  else if (m->trans && m->trans->type == H248_TRANS_REPLY && m->trans->error) {
    code = m->trans->error->code;
    if (tid)
      *tid = m->trans->id;
  }
  h248_msg_free(m);
  return code;
}

static void test_duplicates_and_bad_input(void)
{
  ep_t b;
  ep_open(&b, "B", &fast, 3);
  int fd = raw_socket();
  const char *req = "MEGACO/3 [127.0.0.1]:9 Transaction = 77 { Context = 5 { Modify = t/5 } }";
  char *r1 = raw_exchange(&b, fd, req, strlen(req));
  char *r2 = raw_exchange(&b, fd, req, strlen(req)); /* duplicate: same bytes, no re-execution */
  ASSERT_STR_EQ(r1, r2);
  ASSERT(strstr(r1, "Reply = 77") != NULL);
  ASSERT_EQ(b.exec[5], 1);
  h248_tl_stats_t st;
  h248_tl_get_stats(b.tl, &st);
  ASSERT_EQ(st.duplicate_requests, 1);
  ASSERT_EQ(st.replies_resent, 1);
  /* the ack releases the stored reply; a late duplicate gets no answer */
  const char *ack = "MEGACO/3 [127.0.0.1]:9 K{70-80}";
  ASSERT_EQ(sendto(fd, ack, strlen(ack), 0, (struct sockaddr *)&b.addr, sizeof b.addr),
            (ssize_t)strlen(ack));
  ep_t *eps[1] = {&b};
  uint64_t limit = mono_ms() + 5000;
  do {
    loop_once(eps, 1, 10);
    h248_tl_get_stats(b.tl, &st);
    ASSERT(mono_ms() < limit);
  } while (st.acks_received < 1);
  free(r1);
  free(r2);
  /* a request still executing gets Pending */
  b.defer_every = 1;
  b.defer_ms = 100000;
  const char *req2 = "MEGACO/3 [127.0.0.1]:9 T=78{C=6{MF=t/6}}";
  ASSERT_EQ(sendto(fd, req2, strlen(req2), 0, (struct sockaddr *)&b.addr, sizeof b.addr),
            (ssize_t)strlen(req2));
  char *p = raw_exchange(&b, fd, req2, strlen(req2));
  ASSERT(strstr(p, "Pending = 78") != NULL);
  ASSERT_EQ(b.exec[6], 1);
  free(p);
  b.defer_every = 0;
  /* bad input is answered with the right code */
  static const struct {
    const char *text;
    int code;
    uint32_t tid; /* 0: message-level error */
  } bad[] = {
    {"garbage", 400, 0},
    {"MEGACO/3 [127.0.0.1]:9 T=79{C=1{Fly=t1}}", 443, 79},
    {"MEGACO/3 [127.0.0.1]:9 T=80{C=1{MF=t1{M{ST=1{O{strdeagg=[2]}}}}}}", 445, 80},
    {"MEGACO/3 [127.0.0.1]:9 PN=1{}PN=2{}PN=3{}PN=4{}PN=5{}PN=6{}PN=7{}PN=8{}PN=9{}PN=10{}"
     "PN=11{}", 413, 0},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *ans = raw_exchange(&b, fd, bad[i].text, strlen(bad[i].text));
    uint32_t tid = 0;
    ASSERT_EQ(answer_code(ans, &tid), bad[i].code);
    ASSERT_EQ(tid, bad[i].tid);
    free(ans);
  }
  h248_tl_get_stats(b.tl, &st);
  ASSERT_EQ(st.bad_messages, 4);
  close(fd);
  ep_close(&b);
}

/* A peer that never answers: the requester gives up once, with -ETIMEDOUT. */
static void test_timeout(void)
{
  h248_tl_config_t c = fast;
  c.max_total_ms = 400;
  ep_t a, b;
  ep_open(&a, "A", &c, 4);
  ep_open(&b, "B", &fast, 5);
  a.drop_pct = 100;
  ep_t *eps[2] = {&a, &b};
  issue(&a, &b, 1);
  issue(&a, &b, 2);
  /* a cancelled request: no more retransmission, its callback is never called */
  uint32_t id3 = issue(&a, &b, 3);
  ASSERT_EQ(h248_tl_outstanding(a.tl), 3);
  ASSERT_EQ(h248_tl_cancel(a.tl, id3), 0);
  ASSERT_EQ(h248_tl_cancel(a.tl, id3), -ENOENT);
  free(a.args[3]);
  uint64_t limit = mono_ms() + 10000;
  while (a.completed < 2) {
    loop_once(eps, 2, 50);
    ASSERT(mono_ms() < limit);
  }
  h248_tl_stats_t st;
  h248_tl_get_stats(a.tl, &st);
  ASSERT_GE(st.retransmissions, 2);
  ASSERT_EQ(st.timeouts, 2);
  ASSERT_EQ(a.timeouts, 2);
  ASSERT_EQ(b.exec[1] + b.exec[2] + b.exec[3], 0);
  ASSERT_EQ(h248_tl_outstanding(a.tl), 0);
  /* freeing the layer cancels what is still outstanding */
  issue(&a, &b, 4);
  ep_close(&b);
  h248_tl_free(a.tl);
  ASSERT_EQ(a.cancelled, 1);
  ASSERT_EQ(a.completed, 3);
  ASSERT_EQ(a.done[4], 0);
  close(a.fd);
}

static void test_api_errors(void)
{
  h248_transport_t tr = {NULL, tr_send, tr_timer, tr_now};
  h248_tl_config_t c = {.mid_name = "127.0.0.1"};
  h248_tl_t *tl = NULL;
  ASSERT_EQ(h248_tl_new(&tl, &tr, NULL, NULL, NULL), -EINVAL);
  h248_transport_t bad = {NULL, NULL, tr_timer, tr_now};
  ASSERT_EQ(h248_tl_new(&tl, &bad, &c, NULL, NULL), -EINVAL);
  c.mid_name = "bad mid with spaces";
  c.mid_kind = H248_MID_DEVICE;
  ASSERT_EQ(h248_tl_new(&tl, &tr, &c, NULL, NULL), -EINVAL);
  ASSERT_NULL(tl);
  h248_tl_free(NULL);
  ASSERT_EQ(h248_tl_cancel(NULL, 1), -ENOENT);
}

/* Stream mode (TCP/TPKT, SCTP): no retransmission and no acks; a bad reply
 * model is answered with an error so that the peer is never left waiting. */
static void test_reliable_mode(void)
{
  h248_tl_config_t c = fast;
  c.reliable = 1;
  c.max_total_ms = 2000;
  ep_t a, b;
  ep_open(&a, "A", &c, 6);
  ep_open(&b, "B", &c, 7);
  ep_t *eps[2] = {&a, &b};
  for (uint32_t k = 0; k < 10; k++)
    issue(&a, &b, k);
  uint64_t limit = mono_ms() + 10000;
  while (a.completed < 10) {
    loop_once(eps, 2, 50);
    ASSERT(mono_ms() < limit);
  }
  h248_tl_stats_t sa, sb;
  h248_tl_get_stats(a.tl, &sa);
  h248_tl_get_stats(b.tl, &sb);
  for (uint32_t k = 0; k < 10; k++)
    ASSERT_EQ(a.done[k], 1);
  ASSERT_EQ(sa.retransmissions, 0);
  ASSERT_EQ(sa.acks_sent, 0);
  ASSERT_EQ(sb.requests_received, 10);
  ep_close(&a);
  ep_close(&b);
}

static void bad_reply_handler(void *arg, h248_tl_txn_t *txn, h248_msg_t *msg,
                              const h248_trans_t *req, const struct sockaddr *from,
                              socklen_t fromlen)
{
  ep_t *e = arg;
  e->exec[0]++;
  h248_msg_t *r = h248_msg_new();
  h248_add_request(r, 5); /* not a reply */
  ASSERT_EQ(h248_tl_reply(e->tl, txn, r), -EINVAL);
  h248_msg_free(r);
}

static void test_bad_reply_model(void)
{
  ep_t b;
  ep_open(&b, "B", &fast, 8);
  h248_tl_free(b.tl);
  h248_transport_t tr = {&b, tr_send, tr_timer, tr_now};
  h248_tl_config_t cfg = fast;
  cfg.mid_name = "127.0.0.1";
  ASSERT_EQ(h248_tl_new(&b.tl, &tr, &cfg, bad_reply_handler, &b), 0);
  int fd = raw_socket();
  const char *req = "MEGACO/3 [127.0.0.1]:9 T=90{C=1{MF=t1}}";
  char *ans = raw_exchange(&b, fd, req, strlen(req));
  uint32_t tid = 0;
  ASSERT_EQ(answer_code(ans, &tid), 500);
  ASSERT_EQ(tid, 90);
  ASSERT_EQ(b.exec[0], 1);
  free(ans);
  close(fd);
  ep_close(&b);
}

/* A responder that only ever sends Pending: the requester gives up after
 * pending_limit Pendings instead of waiting forever. */
static void test_pending_limit(void)
{
  h248_tl_config_t c = fast;
  c.pending_limit = 3;
  c.provisional_ms = 30;
  ep_t a, b;
  ep_open(&a, "A", &c, 9);
  ep_open(&b, "B", &c, 10);
  b.defer_every = 1;
  b.defer_ms = 1000000; /* never answers */
  ep_t *eps[2] = {&a, &b};
  issue(&a, &b, 1);
  uint64_t limit = mono_ms() + 10000;
  while (a.completed < 1) {
    loop_once(eps, 2, 50);
    ASSERT(mono_ms() < limit);
  }
  h248_tl_stats_t sa;
  h248_tl_get_stats(a.tl, &sa);
  ASSERT_EQ(a.timeouts, 1);
  ASSERT_EQ(sa.pendings_received, 4);
  ASSERT_EQ(b.exec[1], 1);
  ep_close(&a);
  ep_close(&b);
}

int main(void)
{
  TEST_RUN(test_api_errors);
  TEST_RUN(test_duplicates_and_bad_input);
  TEST_RUN(test_timeout);
  TEST_RUN(test_imm_ack_long_timer);
  TEST_RUN(test_pending_limit);
  TEST_RUN(test_reliable_mode);
  TEST_RUN(test_bad_reply_model);
  TEST_RUN(test_loss_both_ways);
  return 0;
}
