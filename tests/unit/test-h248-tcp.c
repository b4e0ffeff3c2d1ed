/* test-h248-tcp.c -- H.248 over TCP with TPKT framing (Annex D.2).
 *
 * First the TPKT stream reader alone (every split of a stream, several
 * frames at once, bad headers). Then two endpoints on a real loopback TCP
 * connection (127.0.0.1), each a transaction layer in reliable mode plus a
 * reader, driven by a poll() loop: the senders write their bytes one at a
 * time or in odd pieces and the receivers read odd amounts, so frames are
 * split across arbitrary read boundaries; a batch of frames is read in one
 * read; every transaction completes and executes exactly once and nothing is
 * retransmitted or acknowledged. A peer sending a bad TPKT header gets its
 * connection closed by the owner code (the test), which then frees its layer:
 * its outstanding request is cancelled exactly once. */
#include "config.h"
#include "h248/h248.h"
#include "tests/task.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXN 64

static uint64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ================================================= the reader on its own */

/* A stream of frames with the given payloads, concatenated. */
static uint8_t *make_stream(const char **payloads, const size_t *lens, size_t n, size_t *outlen)
{
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += H248_TPKT_HDR + lens[i];
  uint8_t *s = malloc(total ? total : 1);
  ASSERT_NOT_NULL(s);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    ASSERT_EQ(h248_tpkt_header(s + o, lens[i]), 0);
    memcpy(s + o + H248_TPKT_HDR, payloads[i], lens[i]);
    o += H248_TPKT_HDR + lens[i];
  }
  *outlen = total;
  return s;
}

static void test_reader_api(void)
{
  h248_tpkt_reader_t *r = (void *)1;
  ASSERT_EQ(h248_tpkt_reader_new(NULL, 0), -EINVAL);
  ASSERT_EQ(h248_tpkt_reader_new(&r, 3), -EINVAL);
  ASSERT_NULL(r);
  ASSERT_EQ(h248_tpkt_reader_new(&r, H248_TPKT_MAX + 1), -EINVAL);
  ASSERT_EQ(h248_tpkt_reader_new(&r, 0), 0);
  ASSERT_NOT_NULL(r);
  const uint8_t *p = NULL;
  size_t pl = 0;
  ASSERT_EQ(h248_tpkt_reader_feed(NULL, "x", 1), -EINVAL);
  ASSERT_EQ(h248_tpkt_reader_feed(r, NULL, 1), -EINVAL);
  ASSERT_EQ(h248_tpkt_reader_feed(r, NULL, 0), 0);
  ASSERT_EQ(h248_tpkt_reader_next(NULL, &p, &pl), -EINVAL);
  ASSERT_EQ(h248_tpkt_reader_next(r, NULL, &pl), -EINVAL);
  ASSERT_EQ(h248_tpkt_reader_next(r, &p, NULL), -EINVAL);
  ASSERT_EQ(h248_tpkt_reader_next(r, &p, &pl), 0); /* empty: need more */
  ASSERT_EQ(h248_tpkt_reader_buffered(r), 0);
  ASSERT_EQ(h248_tpkt_reader_buffered(NULL), 0);
  h248_tpkt_reader_reset(NULL);
  h248_tpkt_reader_free(r);
  h248_tpkt_reader_free(NULL);
}

/* Every chunk size from 1 byte to the whole stream gives the same frames. */
static void test_reader_every_split(void)
{
  static char big[3000];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (char)('a' + i % 26);
  const char *pay[] = {"MEGACO/3 [127.0.0.1]:1 T=1{C=-{MF=t1}}", "", big, "x"};
  size_t lens[] = {strlen(pay[0]), 0, sizeof big, 1};
  size_t slen;
  uint8_t *s = make_stream(pay, lens, 4, &slen);
  for (size_t chunk = 1; chunk <= slen; chunk += chunk < 64 ? 1 : 97) {
    h248_tpkt_reader_t *r;
    ASSERT_EQ(h248_tpkt_reader_new(&r, 0), 0);
    size_t got = 0, fed = 0;
    while (fed < slen) {
      size_t n = slen - fed < chunk ? slen - fed : chunk;
      ASSERT_EQ(h248_tpkt_reader_feed(r, s + fed, n), 0);
      fed += n;
      const uint8_t *p;
      size_t pl;
      int rc;
      while ((rc = h248_tpkt_reader_next(r, &p, &pl)) == 1) {
        ASSERT_LT(got, 4);
        ASSERT_EQ(pl, lens[got]);
        ASSERT_MEM_EQ(p, pay[got], pl);
        got++;
      }
      ASSERT_EQ(rc, 0);
    }
    ASSERT_EQ(got, 4);
    ASSERT_EQ(h248_tpkt_reader_buffered(r), 0);
    h248_tpkt_reader_free(r);
  }
  /* all four frames in one feed come out one by one; a partial fifth stays */
  h248_tpkt_reader_t *r;
  ASSERT_EQ(h248_tpkt_reader_new(&r, 0), 0);
  ASSERT_EQ(h248_tpkt_reader_feed(r, s, slen), 0);
  ASSERT_EQ(h248_tpkt_reader_feed(r, s, 10), 0);
  const uint8_t *p;
  size_t pl;
  for (size_t i = 0; i < 4; i++) {
    ASSERT_EQ(h248_tpkt_reader_next(r, &p, &pl), 1);
    ASSERT_EQ(pl, lens[i]);
    ASSERT_MEM_EQ(p, pay[i], pl);
  }
  ASSERT_EQ(h248_tpkt_reader_next(r, &p, &pl), 0);
  ASSERT_EQ(h248_tpkt_reader_buffered(r), 10); /* a truncated frame if the peer closes now */
  h248_tpkt_reader_free(r);
  free(s);

  /* the largest frame, fed in 7-byte pieces */
  size_t maxpl = H248_TPKT_MAX - H248_TPKT_HDR;
  char *m = malloc(maxpl);
  ASSERT_NOT_NULL(m);
  for (size_t i = 0; i < maxpl; i++)
    m[i] = (char)(i * 31);
  const char *mp[] = {m};
  s = make_stream(mp, &maxpl, 1, &slen);
  ASSERT_EQ(slen, H248_TPKT_MAX);
  ASSERT_EQ(h248_tpkt_reader_new(&r, 0), 0);
  size_t frames = 0;
  for (size_t fed = 0; fed < slen; fed += 7) {
    ASSERT_EQ(h248_tpkt_reader_feed(r, s + fed, slen - fed < 7 ? slen - fed : 7), 0);
    int rc = h248_tpkt_reader_next(r, &p, &pl);
    ASSERT(rc == 0 || rc == 1);
    if (rc == 1) {
      ASSERT_EQ(pl, maxpl);
      ASSERT_MEM_EQ(p, m, maxpl);
      frames++;
    }
  }
  ASSERT_EQ(frames, 1);
  h248_tpkt_reader_free(r);
  free(s);
  free(m);
}

/* Feed bytes one at a time; return the first non-zero next() result and the
 * number of bytes fed when it came. */
static int feed_until(h248_tpkt_reader_t *r, const uint8_t *b, size_t n, size_t *at)
{
  for (size_t i = 0; i < n; i++) {
    ASSERT_EQ(h248_tpkt_reader_feed(r, b + i, 1), 0);
    const uint8_t *p;
    size_t pl;
    int rc = h248_tpkt_reader_next(r, &p, &pl);
    if (rc != 0) {
      *at = i + 1;
      return rc;
    }
  }
  *at = n;
  return 0;
}

static void test_reader_bad_headers(void)
{
  h248_tpkt_reader_t *r;
  const uint8_t *p;
  size_t pl, at;
  ASSERT_EQ(h248_tpkt_reader_new(&r, 4096), 0);

  /* version 4: the first byte is enough; the error is sticky */
  const uint8_t v4[] = {4, 0, 0, 8, 'a', 'b', 'c', 'd'};
  ASSERT_EQ(feed_until(r, v4, sizeof v4, &at), -EBADMSG);
  ASSERT_EQ(at, 1);
  ASSERT_EQ(h248_tpkt_reader_feed(r, v4 + 1, 3), -EBADMSG);
  ASSERT_EQ(h248_tpkt_reader_next(r, &p, &pl), -EBADMSG);
  h248_tpkt_reader_reset(r);
  ASSERT_EQ(h248_tpkt_reader_buffered(r), 0);

  /* length 3 (< header): need more until the 4th header byte, then bad */
  const uint8_t l3[] = {3, 0, 0, 3, 'a'};
  ASSERT_EQ(feed_until(r, l3, sizeof l3, &at), -EBADMSG);
  ASSERT_EQ(at, 4);
  h248_tpkt_reader_reset(r);

  /* length 0 */
  const uint8_t l0[] = {3, 0, 0, 0};
  ASSERT_EQ(feed_until(r, l0, sizeof l0, &at), -EBADMSG);
  ASSERT_EQ(at, 4);
  h248_tpkt_reader_reset(r);

  /* longer than max_frame (4096): -EMSGSIZE at once, not "need more" */
  const uint8_t big[] = {3, 0, 0x10, 0x01, 'a'};
  ASSERT_EQ(feed_until(r, big, sizeof big, &at), -EMSGSIZE);
  ASSERT_EQ(at, 4);
  ASSERT_EQ(h248_tpkt_reader_feed(r, "x", 1), -EMSGSIZE);
  h248_tpkt_reader_reset(r);

  /* exactly max_frame is fine; an empty payload is fine */
  uint8_t *ok = calloc(1, 4096 + 4);
  ASSERT_NOT_NULL(ok);
  ASSERT_EQ(h248_tpkt_header(ok, 4096 - 4), 0);
  ASSERT_EQ(h248_tpkt_header(ok + 4096, 0), 0);
  ASSERT_EQ(h248_tpkt_reader_feed(r, ok, 4096 + 4), 0);
  ASSERT_EQ(h248_tpkt_reader_next(r, &p, &pl), 1);
  ASSERT_EQ(pl, 4092);
  ASSERT_EQ(h248_tpkt_reader_next(r, &p, &pl), 1);
  ASSERT_EQ(pl, 0);
  ASSERT_EQ(h248_tpkt_reader_next(r, &p, &pl), 0);
  free(ok);

  /* a good frame followed by garbage: the good frame still comes out first */
  const uint8_t mixed[] = {3, 0, 0, 6, 'h', 'i', 'G', 'E', 'T'};
  ASSERT_EQ(h248_tpkt_reader_feed(r, mixed, sizeof mixed), 0);
  ASSERT_EQ(h248_tpkt_reader_next(r, &p, &pl), 1);
  ASSERT_EQ(pl, 2);
  ASSERT_MEM_EQ(p, "hi", 2);
  ASSERT_EQ(h248_tpkt_reader_next(r, &p, &pl), -EBADMSG);
  h248_tpkt_reader_free(r);
}

/* ========================================= two endpoints over loopback TCP */

typedef struct deferred {
  h248_tl_txn_t *txn;
  h248_msg_t *req;
  uint32_t k;
  uint64_t at;
} deferred_t;

typedef struct ep {
  const char *name;
  int fd; /* -1 once closed */
  struct sockaddr_in self, peer;
  h248_tl_t *tl;
  h248_tpkt_reader_t *rd;
  int64_t due;
  /* output queue: whole frames are queued by send, written in pieces */
  uint8_t *out;
  size_t outlen, outcap;
  const size_t *wpat; /* write piece sizes, cycled; NULL = everything */
  size_t nwpat, wi;
  const size_t *rpat; /* read sizes, cycled; NULL = 64 KiB */
  size_t nrpat, ri;
  int hold_reads;     /* 1: do not read (to let a batch pile up) */
  unsigned frames_sent, frames_in, reads, writes, max_frames_per_read;
  int read_err;       /* the reader's error that made us close */
  int peer_closed;    /* EOF or reset seen */
  /* responder */
  int exec[MAXN];
  int defer_every;
  unsigned defer_ms;
  deferred_t defq[MAXN];
  size_t ndef;
  /* requester */
  int done[MAXN];
  int timeouts, cancelled, bad_replies;
  size_t issued, completed;
} ep_t;

static int tr_send(void *ctx, const struct sockaddr *to, socklen_t tolen, const void *data,
                   size_t len)
{
  ep_t *e = ctx;
  ASSERT_EQ(tolen, sizeof e->peer);
  ASSERT_MEM_EQ(to, &e->peer, sizeof e->peer);
  if (e->fd < 0)
    return -ENOTCONN;
  uint8_t hdr[H248_TPKT_HDR];
  int rc = h248_tpkt_header(hdr, len);
  if (rc < 0)
    return rc;
  if (e->outlen + H248_TPKT_HDR + len > e->outcap) {
    size_t cap = e->outcap ? e->outcap : 4096;
    while (cap < e->outlen + H248_TPKT_HDR + len)
      cap *= 2;
    uint8_t *nb = realloc(e->out, cap);
    if (!nb)
      return -ENOMEM; /* nothing queued: the frame is lost as a whole */
    e->out = nb;
    e->outcap = cap;
  }
  memcpy(e->out + e->outlen, hdr, H248_TPKT_HDR);
  memcpy(e->out + e->outlen + H248_TPKT_HDR, data, len);
  e->outlen += H248_TPKT_HDR + len;
  e->frames_sent++;
  return 0;
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
  h248_msg_set_mid(r, H248_MID_IP4, "127.0.0.1", ntohs(e->self.sin_port));
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
  ASSERT_EQ(fromlen, sizeof e->peer);
  ASSERT_MEM_EQ(from, &e->peer, sizeof e->peer);
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

typedef struct req_arg {
  ep_t *e;
  uint32_t k;
} req_arg_t;

static void on_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  req_arg_t *ra = arg;
  ep_t *e = ra->e;
  uint32_t k = ra->k;
  free(ra);
  e->completed++;
  if (status == -ECANCELED) {
    e->cancelled++;
    return;
  }
  if (status == -ETIMEDOUT) {
    e->timeouts++;
    return;
  }
  ASSERT_EQ(status, 0);
  ASSERT_NOT_NULL(msg);
  ASSERT_EQ(reply->type, H248_TRANS_REPLY);
  if (ctx_of(reply) != k || !reply->actions->cmds)
    e->bad_replies++;
  ASSERT_LT(k, MAXN);
  e->done[k]++;
}

static void set_nonblock(int fd)
{
  int fl = fcntl(fd, F_GETFL);
  ASSERT_GE(fl, 0);
  ASSERT_EQ(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
  int one = 1;
  ASSERT_EQ(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
}

static void ep_setup(ep_t *e, const char *name, int fd, const h248_tl_config_t *base,
                     size_t max_frame)
{
  memset(e, 0, sizeof *e);
  e->name = name;
  e->fd = fd;
  e->due = -1;
  socklen_t l = sizeof e->self;
  ASSERT_EQ(getsockname(fd, (struct sockaddr *)&e->self, &l), 0);
  l = sizeof e->peer;
  ASSERT_EQ(getpeername(fd, (struct sockaddr *)&e->peer, &l), 0);
  ASSERT_EQ(e->peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  set_nonblock(fd);
  h248_transport_t tr = {e, tr_send, tr_timer, tr_now};
  h248_tl_config_t cfg = *base;
  cfg.reliable = 1;
  cfg.mid_kind = H248_MID_IP4;
  cfg.mid_name = "127.0.0.1";
  cfg.mid_port = ntohs(e->self.sin_port);
  ASSERT_EQ(h248_tl_new(&e->tl, &tr, &cfg, on_request, e), 0);
  ASSERT_EQ(h248_tpkt_reader_new(&e->rd, max_frame), 0);
}

/* A (client) connected to B (accepted) over 127.0.0.1. */
static void ep_pair(ep_t *a, ep_t *b, const h248_tl_config_t *cfg, size_t max_frame)
{
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(ls, 0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
  ASSERT_EQ(listen(ls, 1), 0);
  socklen_t l = sizeof sa;
  ASSERT_EQ(getsockname(ls, (struct sockaddr *)&sa, &l), 0);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(c, 0);
  ASSERT_EQ(connect(c, (struct sockaddr *)&sa, sizeof sa), 0); /* blocking; loopback */
  int s = accept(ls, NULL, NULL);
  ASSERT_GE(s, 0);
  close(ls);
  ep_setup(a, "A", c, cfg, max_frame);
  ep_setup(b, "B", s, cfg, max_frame);
}

/* The owner's reaction to a dead connection: close the socket, then free the
 * layer (outstanding requests get -ECANCELED) and the reader. */
static void ep_close_conn(ep_t *e)
{
  if (e->fd >= 0)
    close(e->fd);
  e->fd = -1;
  for (size_t i = 0; i < e->ndef; i++)
    h248_msg_free(e->defq[i].req);
  e->ndef = 0;
  h248_tl_free(e->tl);
  e->tl = NULL;
  h248_tpkt_reader_free(e->rd);
  e->rd = NULL;
  e->outlen = 0;
}

static void ep_free(ep_t *e)
{
  ep_close_conn(e);
  free(e->out);
}

static void issue(ep_t *from, uint32_t k)
{
  h248_msg_t *m = h248_msg_new();
  ASSERT_NOT_NULL(m);
  h248_msg_set_mid(m, H248_MID_IP4, "127.0.0.1", ntohs(from->self.sin_port));
  h248_action_t *a = h248_add_action(m, h248_add_request(m, 0), h248_ctx_num(k));
  char tid[32];
  snprintf(tid, sizeof tid, "t/%u", (unsigned)k);
  ASSERT_NOT_NULL(h248_add_cmd(m, a, H248_CMD_MODIFY, tid));
  req_arg_t *ra = malloc(sizeof *ra);
  ASSERT_NOT_NULL(ra);
  *ra = (req_arg_t){from, k};
  uint32_t id = 0;
  ASSERT_EQ(h248_tl_request(from->tl, (struct sockaddr *)&from->peer, sizeof from->peer, m,
                            on_reply, ra, &id),
            0);
  ASSERT_NE(id, 0);
  from->issued++;
  h248_msg_free(m);
}

/* Read once (the next size of the read pattern) and hand whole frames to the
 * layer. On a bad header or EOF the owner closes the connection. */
static void ep_read(ep_t *e)
{
  static uint8_t buf[65536];
  size_t want = e->rpat ? e->rpat[e->ri++ % e->nrpat] : sizeof buf;
  ssize_t n = read(e->fd, buf, want);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0) {
    ASSERT(n == 0 || errno == ECONNRESET);
    e->peer_closed = 1;
    ep_close_conn(e);
    return;
  }
  e->reads++;
  int rc = h248_tpkt_reader_feed(e->rd, buf, (size_t)n);
  unsigned frames = 0;
  const uint8_t *p;
  size_t pl;
  while (rc >= 0 && (rc = h248_tpkt_reader_next(e->rd, &p, &pl)) == 1) {
    frames++;
    ASSERT_EQ(h248_tl_input(e->tl, (struct sockaddr *)&e->peer, sizeof e->peer, p, pl), 0);
  }
  e->frames_in += frames;
  if (frames > e->max_frames_per_read)
    e->max_frames_per_read = frames;
  if (rc < 0) {
    e->read_err = rc;
    ep_close_conn(e);
  }
}

/* Write once: the next piece size of the write pattern. */
static void ep_write(ep_t *e)
{
  size_t want = e->wpat ? e->wpat[e->wi % e->nwpat] : e->outlen;
  if (want > e->outlen)
    want = e->outlen;
  ssize_t n = write(e->fd, e->out, want);
  if (n < 0) {
    ASSERT(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == EPIPE ||
           errno == ECONNRESET);
    return;
  }
  e->wi++;
  e->writes++;
  memmove(e->out, e->out + n, e->outlen - (size_t)n);
  e->outlen -= (size_t)n;
}

static void loop_once(ep_t **eps, size_t n, int max_wait)
{
  uint64_t now = mono_ms();
  int64_t wait = max_wait;
  for (size_t i = 0; i < n; i++) {
    if (eps[i]->fd < 0)
      continue;
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
  struct pollfd pfd[2];
  for (size_t i = 0; i < n; i++) {
    short ev = 0;
    if (eps[i]->fd >= 0) {
      ev = eps[i]->hold_reads ? 0 : POLLIN;
      if (eps[i]->outlen)
        ev |= POLLOUT;
    }
    pfd[i] = (struct pollfd){eps[i]->fd, ev, 0};
  }
  int pr = poll(pfd, (nfds_t)n, (int)wait);
  ASSERT(pr >= 0 || errno == EINTR);
  for (size_t i = 0; i < n; i++) {
    ep_t *e = eps[i];
    if (pr > 0 && e->fd >= 0 && (pfd[i].revents & POLLOUT))
      ep_write(e);
    if (pr > 0 && e->fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
        !e->hold_reads)
      ep_read(e);
    if (e->fd < 0)
      continue;
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

static const h248_tl_config_t base_cfg = {
  .max_total_ms = 30000,
  .provisional_ms = 40,
  .long_timer_ms = 60000,
};

static void assert_no_retx(ep_t *e)
{
  h248_tl_stats_t s;
  h248_tl_get_stats(e->tl, &s);
  ASSERT_EQ(s.retransmissions, 0);
  ASSERT_EQ(s.acks_sent, 0);
  ASSERT_EQ(s.acks_received, 0);
  ASSERT_EQ(s.duplicate_requests, 0);
  ASSERT_EQ(s.duplicate_replies, 0);
  ASSERT_EQ(s.replies_resent, 0);
  ASSERT_EQ(s.timeouts, 0);
  ASSERT_EQ(s.bad_messages, 0);
}

/* Both sides request from each other; A writes byte by byte, B in odd
 * pieces; both read odd amounts. Some replies are late (Pending in between). */
static void test_tcp_split_frames(void)
{
  static const size_t wodd[] = {3, 1, 7, 2, 13, 5, 29, 11, 64, 2};
  static const size_t one[] = {1};
  static const size_t rodd[] = {5, 1, 17, 3, 8, 41, 2, 97};
  static const size_t rodd2[] = {2, 9, 1, 33, 6, 4, 123};
  ep_t a, b;
  ep_pair(&a, &b, &base_cfg, 0);
  a.wpat = one, a.nwpat = 1;
  b.wpat = wodd, b.nwpat = sizeof wodd / sizeof wodd[0];
  a.rpat = rodd, a.nrpat = sizeof rodd / sizeof rodd[0];
  b.rpat = rodd2, b.nrpat = sizeof rodd2 / sizeof rodd2[0];
  b.defer_every = 6;
  b.defer_ms = 150; /* > provisional_ms: B sends Pending first */
  const uint32_t N = 24;
  for (uint32_t k = 0; k < N; k++) {
    issue(&a, k);
    issue(&b, k);
  }
  ep_t *eps[2] = {&a, &b};
  uint64_t limit = mono_ms() + 60000;
  while (a.completed < N || b.completed < N) {
    loop_once(eps, 2, 100);
    ASSERT(a.fd >= 0 && b.fd >= 0);
    if (mono_ms() > limit)
      TASK_FAIL("not finished: A %zu/%u B %zu/%u", a.completed, N, b.completed, N);
  }
  for (uint32_t k = 0; k < N; k++)
    if (a.done[k] != 1 || b.done[k] != 1 || a.exec[k] != 1 || b.exec[k] != 1)
      TASK_FAIL("transaction %u: A done %d exec %d, B done %d exec %d", (unsigned)k, a.done[k],
                a.exec[k], b.done[k], b.exec[k]);
  ASSERT_EQ(a.timeouts + b.timeouts + a.cancelled + b.cancelled, 0);
  ASSERT_EQ(a.bad_replies + b.bad_replies, 0);
  assert_no_retx(&a);
  assert_no_retx(&b);
  h248_tl_stats_t sa, sb;
  h248_tl_get_stats(a.tl, &sa);
  h248_tl_get_stats(b.tl, &sb);
  ASSERT_EQ(sa.requests_received, N);
  ASSERT_EQ(sb.requests_received, N);
  ASSERT_GT(sb.pendings_sent, 0);        /* the late replies were Pended ... */
  ASSERT_EQ(sa.pendings_received, sb.pendings_sent); /* ... and every frame arrived */
  ASSERT_EQ(a.frames_in, b.frames_sent);
  ASSERT_EQ(b.frames_in, a.frames_sent);
  /* the frames really were cut: far more reads and writes than frames */
  ASSERT_GT(a.writes, 10 * a.frames_sent);
  ASSERT_GT(b.writes, b.frames_sent);
  ASSERT_GT(b.reads, 4 * a.frames_sent);
  ASSERT_GT(a.reads, 4 * b.frames_sent);
  ASSERT_EQ(h248_tpkt_reader_buffered(a.rd), 0);
  ASSERT_EQ(h248_tpkt_reader_buffered(b.rd), 0);
  printf("# A: %u frames out in %u writes, %u in over %u reads; B: %u out in %u writes, %u in "
         "over %u reads; Pending %llu\n",
         a.frames_sent, a.writes, a.frames_in, a.reads, b.frames_sent, b.writes, b.frames_in,
         b.reads, (unsigned long long)sb.pendings_sent);
  ep_free(&a);
  ep_free(&b);
}

/* A batch of requests written at once is read by B in ONE read and each
 * frame goes to the layer; the replies come back (also batched). */
static void test_tcp_batch_in_one_read(void)
{
  ep_t a, b;
  ep_pair(&a, &b, &base_cfg, 0);
  const uint32_t N = 8;
  for (uint32_t k = 0; k < N; k++)
    issue(&a, k);
  ASSERT_EQ(a.frames_sent, N);
  size_t total = a.outlen;
  ssize_t w = write(a.fd, a.out, a.outlen);
  ASSERT_EQ(w, (ssize_t)total);
  a.outlen = 0;
  /* wait (poll, no sleep) until the whole batch is in B's socket */
  for (;;) {
    int avail = 0;
    ASSERT_EQ(ioctl(b.fd, FIONREAD, &avail), 0);
    if ((size_t)avail >= total)
      break;
    struct pollfd p = {b.fd, POLLIN, 0};
    ASSERT(poll(&p, 1, 1000) >= 0 || errno == EINTR);
  }
  ep_read(&b); /* one read of up to 64 KiB */
  ASSERT_EQ(b.reads, 1);
  ASSERT_EQ(b.max_frames_per_read, N);
  ASSERT_EQ(b.frames_in, N);
  for (uint32_t k = 0; k < N; k++)
    ASSERT_EQ(b.exec[k], 1);
  ASSERT_EQ(b.frames_sent, N); /* all replies queued back in one buffer */
  ep_t *eps[2] = {&a, &b};
  uint64_t limit = mono_ms() + 30000;
  while (a.completed < N) {
    loop_once(eps, 2, 100);
    ASSERT(mono_ms() < limit);
  }
  for (uint32_t k = 0; k < N; k++)
    ASSERT_EQ(a.done[k], 1);
  ASSERT_GT(a.max_frames_per_read, 1);
  assert_no_retx(&a);
  assert_no_retx(&b);
  ep_free(&a);
  ep_free(&b);
}

/* After a good exchange A's peer sends a bad TPKT header: B's reader reports
 * it (not "need more"), B's owner code closes the connection and frees its
 * layer, which cancels B's outstanding request exactly once; A sees the
 * close. */
static void bad_header_case(const uint8_t *bad, size_t badlen, int want)
{
  static const size_t one[] = {1};
  ep_t a, b;
  ep_pair(&a, &b, &base_cfg, 4096);
  a.defer_every = 1;
  a.defer_ms = 1000000; /* A never answers B's request */
  b.rpat = one, b.nrpat = 1;
  issue(&a, 1);
  issue(&b, 2);
  ep_t *eps[2] = {&a, &b};
  uint64_t limit = mono_ms() + 30000;
  while (a.completed < 1 || a.exec[2] < 1 || a.outlen > 0) {
    loop_once(eps, 2, 100);
    ASSERT(mono_ms() < limit);
  }
  ASSERT_EQ(a.done[1], 1);
  ASSERT_EQ(b.exec[1], 1);
  ASSERT_EQ(b.completed, 0);
  ASSERT_EQ(b.read_err, 0);
  /* the broken peer: raw bytes after A's last whole frame, then a valid
   * frame B must never see */
  uint8_t raw[64];
  ASSERT_LT(badlen + 8, sizeof raw);
  memcpy(raw, bad, badlen);
  ASSERT_EQ(h248_tpkt_header(raw + badlen, 4), 0);
  memcpy(raw + badlen + 4, "junk", 4);
  ASSERT_EQ(write(a.fd, raw, badlen + 8), (ssize_t)(badlen + 8));
  unsigned a_frames = a.frames_sent; /* A's Pendings for request 2 go on after this */
  while (b.fd >= 0 || a.fd >= 0) {
    loop_once(eps, 2, 100);
    ASSERT(mono_ms() < limit);
  }
  ASSERT_EQ(b.read_err, want);
  ASSERT_EQ(b.peer_closed, 0); /* B closed, not A */
  ASSERT_EQ(a.peer_closed, 1);
  ASSERT_EQ(b.frames_in, a_frames); /* everything before the bad header, nothing after */
  ASSERT_EQ(b.cancelled, 1); /* freed with its request outstanding */
  ASSERT_EQ(b.completed, 1);
  ASSERT_EQ(b.done[2], 0);
  ASSERT_EQ(a.exec[2], 1);
  ep_free(&a);
  ep_free(&b);
}

static void test_tcp_bad_header(void)
{
  const uint8_t version[] = {2, 0, 0, 40};
  const uint8_t too_short[] = {3, 0, 0, 2};
  const uint8_t too_long[] = {3, 0, 0x10, 0x01}; /* 4097 > max_frame 4096 */
  const uint8_t http[] = {'G', 'E', 'T', ' '};
  bad_header_case(version, sizeof version, -EBADMSG);
  bad_header_case(too_short, sizeof too_short, -EBADMSG);
  bad_header_case(too_long, sizeof too_long, -EMSGSIZE);
  bad_header_case(http, sizeof http, -EBADMSG);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);
  TEST_RUN(test_reader_api);
  TEST_RUN(test_reader_every_split);
  TEST_RUN(test_reader_bad_headers);
  TEST_RUN(test_tcp_split_frames);
  TEST_RUN(test_tcp_batch_in_one_read);
  TEST_RUN(test_tcp_bad_header);
  return 0;
}
