/* h248_tl.c -- H.248.1 Annex D.1 transaction layer (UDP; reliable mode for
 * TCP/TPKT and SCTP): requester retransmission with RTT estimate and
 * back-off, Pending handling, TransactionResponseAck batching; responder
 * at-most-once cache (LONG-TIMER), provisional Pending, ImmAckRequired.
 *
 * All timers live in one binary heap; the caller's single timer is armed for
 * the earliest deadline (set_timer). No I/O besides transport->send.
 */
#include "config.h"
#include "h248/h248_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024
#define ACK_BATCH_MAX 256

enum tkind { T_OREQ = 1, T_RENTRY, T_ACKQ };

typedef struct tnode {
  uint64_t due;
  size_t idx; /* position in the heap, SIZE_MAX when not armed */
  int kind;
} tnode_t;

typedef struct addr {
  struct sockaddr_storage ss;
  socklen_t len;
} addr_t;

typedef struct peer {
  struct peer *next;
  addr_t a;
  unsigned refs; /* requests, cache entries and ack queues that point here */
  int has_rtt;   /* peers that answered us are kept for their RTT */
  double srtt, rttvar;
} peer_t;

/* an outstanding request of ours */
typedef struct oreq {
  tnode_t t; /* first member */
  struct oreq *next;
  uint32_t tid;
  peer_t *peer;
  char *bytes;
  size_t len;
  h248_tl_reply_cb cb;
  void *arg;
  uint64_t first_sent, deadline;
  unsigned rto, retx;
  int pending; /* number of Pendings received */
} oreq_t;

enum rstate { R_EXECUTING = 0, R_REPLIED, R_ACKED };

/* a request we received: the txn handle while executing, then the cache */
struct h248_tl_txn {
  tnode_t t; /* first member */
  struct h248_tl_txn *next;
  uint32_t tid;
  peer_t *peer;
  int state;
  char *bytes; /* the reply, while REPLIED */
  size_t len;
  uint64_t expire; /* LONG-TIMER end, once replied */
  unsigned rto;    /* ImmAckRequired reply retransmission */
  int imm;
};
typedef struct h248_tl_txn rentry_t;

/* acks to send to one peer */
typedef struct ackq {
  tnode_t t; /* first member */
  struct ackq *next;
  peer_t *peer;
  uint32_t ids[ACK_BATCH_MAX];
  size_t n;
} ackq_t;

struct h248_tl {
  h248_transport_t tr;
  h248_tl_config_t cfg;
  char *mid_name;
  h248_tl_request_cb on_request;
  void *request_arg;
  oreq_t *oreqs[NBUCKETS];
  rentry_t *rentries[NBUCKETS];
  size_t n_oreq, n_rentry;
  peer_t *peers;
  ackq_t *ackqs;
  tnode_t **heap;
  size_t nheap, capheap;
  int64_t armed; /* due currently armed in the caller's timer, -1 none */
  uint32_t next_tid;
  h248_tl_stats_t st;
};

/* ------------------------------------------------------------------ helpers */

static uint64_t now(h248_tl_t *tl) { return tl->tr.now_ms(tl->tr.ctx); }

static int addr_eq(const addr_t *a, const struct sockaddr *b, socklen_t blen)
{
  const struct sockaddr *x = (const struct sockaddr *)&a->ss;
  if (x->sa_family != b->sa_family)
    return 0;
  if (b->sa_family == AF_INET) {
    const struct sockaddr_in *p = (const void *)x, *q = (const void *)b;
    return blen >= sizeof *q && p->sin_port == q->sin_port &&
           p->sin_addr.s_addr == q->sin_addr.s_addr;
  }
  if (b->sa_family == AF_INET6) {
    const struct sockaddr_in6 *p = (const void *)x, *q = (const void *)b;
    return blen >= sizeof *q && p->sin6_port == q->sin6_port &&
           memcmp(&p->sin6_addr, &q->sin6_addr, sizeof p->sin6_addr) == 0;
  }
  return a->len == blen && memcmp(&a->ss, b, blen) == 0;
}

static peer_t *peer_get(h248_tl_t *tl, const struct sockaddr *sa, socklen_t len)
{
  for (peer_t *p = tl->peers; p; p = p->next)
    if (addr_eq(&p->a, sa, len))
      return p;
  if (len > sizeof(struct sockaddr_storage) || len == 0)
    return NULL;
  peer_t *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  memcpy(&p->a.ss, sa, len);
  p->a.len = len;
  p->next = tl->peers;
  tl->peers = p;
  return p;
}

/* Forget a peer nobody points to and that never answered us (bounds memory
 * when datagrams come from many addresses). */
static void peer_maybe_free(h248_tl_t *tl, peer_t *p)
{
  if (!p || p->refs || p->has_rtt)
    return;
  peer_t **pp = &tl->peers;
  while (*pp && *pp != p)
    pp = &(*pp)->next;
  if (*pp) {
    *pp = p->next;
    free(p);
  }
}

static void peer_release(h248_tl_t *tl, peer_t *p)
{
  if (p->refs)
    p->refs--;
  peer_maybe_free(tl, p);
}

static unsigned peer_rto(h248_tl_t *tl, const peer_t *p)
{
  double rto = p->has_rtt ? p->srtt + 4 * p->rttvar : (double)tl->cfg.rto_initial_ms;
  if (rto < tl->cfg.rto_min_ms)
    rto = tl->cfg.rto_min_ms;
  if (rto > tl->cfg.rto_max_ms)
    rto = tl->cfg.rto_max_ms;
  return (unsigned)rto;
}

/* RFC 6298 style update (alpha 1/8, beta 1/4). */
static void peer_sample(peer_t *p, double r)
{
  if (!p->has_rtt) {
    p->srtt = r;
    p->rttvar = r / 2;
    p->has_rtt = 1;
  } else {
    double d = p->srtt - r;
    p->rttvar = 0.75 * p->rttvar + 0.25 * (d < 0 ? -d : d);
    p->srtt = 0.875 * p->srtt + 0.125 * r;
  }
}

static void xsend(h248_tl_t *tl, const peer_t *p, const char *data, size_t len)
{
  /* a failed send is a lost datagram: retransmission covers it */
  (void)tl->tr.send(tl->tr.ctx, (const struct sockaddr *)&p->a.ss, p->a.len, data, len);
}

/* --------------------------------------------------------------------- heap */

static int heap_less(tnode_t *a, tnode_t *b) { return a->due < b->due; }

static void heap_swap(h248_tl_t *tl, size_t i, size_t j)
{
  tnode_t *t = tl->heap[i];
  tl->heap[i] = tl->heap[j];
  tl->heap[j] = t;
  tl->heap[i]->idx = i;
  tl->heap[j]->idx = j;
}

static void heap_up(h248_tl_t *tl, size_t i)
{
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!heap_less(tl->heap[i], tl->heap[p]))
      break;
    heap_swap(tl, i, p);
    i = p;
  }
}

static void heap_down(h248_tl_t *tl, size_t i)
{
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < tl->nheap && heap_less(tl->heap[l], tl->heap[m]))
      m = l;
    if (r < tl->nheap && heap_less(tl->heap[r], tl->heap[m]))
      m = r;
    if (m == i)
      break;
    heap_swap(tl, i, m);
    i = m;
  }
}

static void heap_del(h248_tl_t *tl, tnode_t *n)
{
  if (n->idx == SIZE_MAX)
    return;
  size_t i = n->idx;
  tl->nheap--;
  if (i != tl->nheap) {
    tl->heap[i] = tl->heap[tl->nheap];
    tl->heap[i]->idx = i;
    heap_down(tl, i);
    heap_up(tl, i);
  }
  n->idx = SIZE_MAX;
}

static int heap_set(h248_tl_t *tl, tnode_t *n, uint64_t due)
{
  if (n->idx != SIZE_MAX) {
    n->due = due;
    heap_down(tl, n->idx);
    heap_up(tl, n->idx);
    return 0;
  }
  if (tl->nheap == tl->capheap) {
    size_t cap = tl->capheap ? tl->capheap * 2 : 64;
    tnode_t **h = realloc(tl->heap, cap * sizeof *h);
    if (!h)
      return -ENOMEM;
    tl->heap = h;
    tl->capheap = cap;
  }
  n->due = due;
  n->idx = tl->nheap;
  tl->heap[tl->nheap++] = n;
  heap_up(tl, n->idx);
  return 0;
}

static void rearm(h248_tl_t *tl)
{
  if (tl->nheap == 0) {
    if (tl->armed >= 0) {
      tl->armed = -1;
      tl->tr.set_timer(tl->tr.ctx, -1);
    }
    return;
  }
  uint64_t due = tl->heap[0]->due;
  if (tl->armed >= 0 && (uint64_t)tl->armed == due)
    return;
  tl->armed = (int64_t)due;
  uint64_t t = now(tl);
  tl->tr.set_timer(tl->tr.ctx, due > t ? (int64_t)(due - t) : 0);
}

/* -------------------------------------------------------------- hash tables */

static size_t obucket(uint32_t tid) { return tid % NBUCKETS; }

static oreq_t *oreq_find(h248_tl_t *tl, uint32_t tid)
{
  for (oreq_t *o = tl->oreqs[obucket(tid)]; o; o = o->next)
    if (o->tid == tid)
      return o;
  return NULL;
}

static void oreq_unlink(h248_tl_t *tl, oreq_t *o)
{
  oreq_t **pp = &tl->oreqs[obucket(o->tid)];
  while (*pp && *pp != o)
    pp = &(*pp)->next;
  if (*pp) {
    *pp = o->next;
    tl->n_oreq--;
  }
  heap_del(tl, &o->t);
}

static size_t rbucket(const peer_t *p, uint32_t tid)
{
  return ((uintptr_t)p / sizeof(void *) * 31u + tid) % NBUCKETS;
}

static rentry_t *rentry_find(h248_tl_t *tl, const peer_t *p, uint32_t tid)
{
  for (rentry_t *r = tl->rentries[rbucket(p, tid)]; r; r = r->next)
    if (r->tid == tid && r->peer == p)
      return r;
  return NULL;
}

static void rentry_free(h248_tl_t *tl, rentry_t *r)
{
  rentry_t **pp = &tl->rentries[rbucket(r->peer, r->tid)];
  while (*pp && *pp != r)
    pp = &(*pp)->next;
  if (*pp) {
    *pp = r->next;
    tl->n_rentry--;
  }
  heap_del(tl, &r->t);
  free(r->bytes);
  peer_t *p = r->peer;
  free(r);
  peer_release(tl, p);
}

/* ------------------------------------------------------------ small messages */

static h248_msg_t *own_msg(h248_tl_t *tl)
{
  h248_msg_t *m = h248_msg_new();
  if (!m)
    return NULL;
  m->version = tl->cfg.version;
  if (h248_msg_set_mid(m, tl->cfg.mid_kind, tl->mid_name, tl->cfg.mid_port) < 0) {
    h248_msg_free(m);
    return NULL;
  }
  return m;
}

static void send_msg(h248_tl_t *tl, const peer_t *p, h248_msg_t *m)
{
  h248_buf_t b = {0};
  if (m && h248_encode(m, tl->cfg.encode_flags, &b) == 0)
    xsend(tl, p, b.data, b.len);
  h248_buf_free(&b);
  h248_msg_free(m);
}

static void send_pending(h248_tl_t *tl, const peer_t *p, uint32_t tid)
{
  h248_msg_t *m = own_msg(tl);
  if (m && h248_add_pending(m, tid)) {
    tl->st.pendings_sent++;
    send_msg(tl, p, m);
  } else
    h248_msg_free(m);
}

static int cmp_u32(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void ackq_flush(h248_tl_t *tl, ackq_t *q)
{
  heap_del(tl, &q->t);
  ackq_t **pp = &tl->ackqs;
  while (*pp && *pp != q)
    pp = &(*pp)->next;
  if (*pp)
    *pp = q->next;
  peer_t *peer = q->peer;
  if (q->n == 0) {
    free(q);
    peer_release(tl, peer);
    return;
  }
  qsort(q->ids, q->n, sizeof q->ids[0], cmp_u32);
  h248_msg_t *m = own_msg(tl);
  int ok = m != NULL;
  for (size_t i = 0; i < q->n && ok;) {
    size_t j = i;
    while (j + 1 < q->n && (q->ids[j + 1] == q->ids[j] || q->ids[j + 1] == q->ids[j] + 1))
      j++;
    ok = h248_add_ack(m, q->ids[i], q->ids[j]) != NULL;
    i = j + 1;
  }
  free(q);
  if (ok) {
    tl->st.acks_sent++;
    send_msg(tl, peer, m);
  } else
    h248_msg_free(m);
  peer_release(tl, peer);
}

static void queue_ack(h248_tl_t *tl, peer_t *p, uint32_t tid, int imm)
{
  if (tl->cfg.reliable)
    return;
  ackq_t *q = tl->ackqs;
  while (q && q->peer != p)
    q = q->next;
  if (!q) {
    q = calloc(1, sizeof *q);
    if (!q)
      return; /* the peer will resend its reply and we ack then */
    q->t.idx = SIZE_MAX;
    q->t.kind = T_ACKQ;
    q->peer = p;
    p->refs++;
    q->next = tl->ackqs;
    tl->ackqs = q;
  }
  q->ids[q->n++] = tid;
  if (imm || q->n == ACK_BATCH_MAX || tl->cfg.ack_delay_ms == 0)
    ackq_flush(tl, q);
  else if (q->t.idx == SIZE_MAX)
    heap_set(tl, &q->t, now(tl) + tl->cfg.ack_delay_ms);
}

/* ---------------------------------------------------------------- lifecycle */

int h248_tl_new(h248_tl_t **out, const h248_transport_t *transport,
                const h248_tl_config_t *cfg, h248_tl_request_cb on_request, void *request_arg)
{
  if (!out)
    return -EINVAL;
  *out = NULL;
  if (!transport || !transport->send || !transport->set_timer || !transport->now_ms || !cfg ||
      !cfg->mid_name || !*cfg->mid_name)
    return -EINVAL;
  h248_tl_t *tl = calloc(1, sizeof *tl);
  if (!tl)
    return -ENOMEM;
  tl->tr = *transport;
  tl->cfg = *cfg;
  tl->mid_name = strdup(cfg->mid_name);
  if (!tl->mid_name) {
    free(tl);
    return -ENOMEM;
  }
  tl->cfg.mid_name = tl->mid_name;
  h248_tl_config_t *c = &tl->cfg;
  if (!c->version)
    c->version = H248_IQ_VERSION;
  if (c->version < 1 || c->version > 3) {
    free(tl->mid_name);
    free(tl);
    return -EINVAL;
  }
#define DEF(f, v)                                                                  \
  if (!c->f)                                                                       \
  c->f = (v)
  DEF(rto_initial_ms, 500);
  DEF(rto_min_ms, 100);
  DEF(rto_max_ms, 4000);
  DEF(max_total_ms, 30000);
  DEF(pending_retx_ms, 5000);
  DEF(pending_timeout_ms, 30000);
  DEF(ack_delay_ms, 100);
  DEF(long_timer_ms, 30000);
  DEF(provisional_ms, 1000);
  DEF(pending_limit, 30);
#undef DEF
  if (c->rto_max_ms < c->rto_min_ms)
    c->rto_max_ms = c->rto_min_ms;
  tl->next_tid = c->first_tid ? c->first_tid : 1;
  tl->on_request = on_request;
  tl->request_arg = request_arg;
  tl->armed = -1;
  /* verify the header can be encoded */
  h248_msg_t *m = own_msg(tl);
  h248_buf_t b = {0};
  int ok = m && h248_add_pending(m, 1) && h248_encode(m, c->encode_flags, &b) == 0;
  h248_buf_free(&b);
  h248_msg_free(m);
  if (!ok) {
    free(tl->mid_name);
    free(tl);
    return -EINVAL;
  }
  *out = tl;
  return 0;
}

void h248_tl_free(h248_tl_t *tl)
{
  if (!tl)
    return;
  for (size_t i = 0; i < NBUCKETS; i++) {
    while (tl->oreqs[i]) {
      oreq_t *o = tl->oreqs[i];
      oreq_unlink(tl, o);
      if (o->cb)
        o->cb(o->arg, -ECANCELED, NULL, NULL);
      free(o->bytes);
      free(o);
    }
    while (tl->rentries[i])
      rentry_free(tl, tl->rentries[i]);
  }
  while (tl->ackqs) {
    ackq_t *q = tl->ackqs;
    tl->ackqs = q->next;
    free(q);
  }
  while (tl->peers) {
    peer_t *p = tl->peers;
    tl->peers = p->next;
    free(p);
  }
  if (tl->armed >= 0)
    tl->tr.set_timer(tl->tr.ctx, -1);
  free(tl->heap);
  free(tl->mid_name);
  free(tl);
}

/* ---------------------------------------------------------------- requester */

int h248_tl_request(h248_tl_t *tl, const struct sockaddr *to, socklen_t tolen,
                    h248_msg_t *req, h248_tl_reply_cb cb, void *arg, uint32_t *tid_out)
{
  if (!tl || !to || !req || !cb || !req->trans || req->trans->next ||
      req->trans->type != H248_TRANS_REQUEST)
    return -EINVAL;
  h248_trans_t *t = req->trans;
  if (t->id == 0) {
    for (unsigned tries = 0; tries < 1000000; tries++) {
      uint32_t id = tl->next_tid++;
      if (tl->next_tid == 0)
        tl->next_tid = 1;
      if (id && !oreq_find(tl, id)) {
        t->id = id;
        break;
      }
    }
    if (t->id == 0)
      return -ENOMEM;
  } else if (oreq_find(tl, t->id))
    return -EINVAL;
  if (tolen == 0 || tolen > sizeof(struct sockaddr_storage))
    return -EINVAL;
  peer_t *p = peer_get(tl, to, tolen);
  if (!p)
    return -ENOMEM;
  h248_buf_t b = {0};
  int rc = h248_encode(req, tl->cfg.encode_flags, &b);
  if (rc == 0 && b.len > H248_TPKT_MAX - H248_TPKT_HDR)
    rc = -EMSGSIZE;
  oreq_t *o = rc == 0 ? calloc(1, sizeof *o) : NULL;
  if (rc == 0 && !o)
    rc = -ENOMEM;
  if (rc < 0) {
    h248_buf_free(&b);
    peer_maybe_free(tl, p);
    return rc;
  }
  o->t.idx = SIZE_MAX;
  o->t.kind = T_OREQ;
  o->tid = t->id;
  o->peer = p;
  o->bytes = b.data;
  o->len = b.len;
  o->cb = cb;
  o->arg = arg;
  uint64_t n = now(tl);
  o->first_sent = n;
  o->deadline = n + tl->cfg.max_total_ms;
  o->rto = peer_rto(tl, p);
  uint64_t due = tl->cfg.reliable ? o->deadline : n + o->rto;
  if (due > o->deadline)
    due = o->deadline;
  if (heap_set(tl, &o->t, due) < 0) {
    free(o->bytes);
    free(o);
    peer_maybe_free(tl, p);
    return -ENOMEM;
  }
  p->refs++;
  o->next = tl->oreqs[obucket(o->tid)];
  tl->oreqs[obucket(o->tid)] = o;
  tl->n_oreq++;
  tl->st.requests_sent++;
  if (tid_out)
    *tid_out = o->tid;
  xsend(tl, p, o->bytes, o->len);
  rearm(tl);
  return 0;
}

int h248_tl_cancel(h248_tl_t *tl, uint32_t tid)
{
  oreq_t *o = tl ? oreq_find(tl, tid) : NULL;
  if (!o)
    return -ENOENT;
  oreq_unlink(tl, o);
  free(o->bytes);
  peer_release(tl, o->peer);
  free(o);
  rearm(tl);
  return 0;
}

static void oreq_timer(h248_tl_t *tl, oreq_t *o, uint64_t n)
{
  if (n >= o->deadline) {
    oreq_unlink(tl, o);
    tl->st.timeouts++;
    o->cb(o->arg, -ETIMEDOUT, NULL, NULL);
    free(o->bytes);
    peer_release(tl, o->peer);
    free(o);
    return;
  }
  xsend(tl, o->peer, o->bytes, o->len);
  tl->st.retransmissions++;
  o->retx++;
  uint64_t next;
  if (o->pending) {
    next = n + tl->cfg.pending_retx_ms;
  } else {
    unsigned r = o->rto * 2;
    o->rto = r > tl->cfg.rto_max_ms ? tl->cfg.rto_max_ms : r;
    next = n + o->rto;
  }
  if (next > o->deadline)
    next = o->deadline;
  heap_set(tl, &o->t, next);
}

/* ---------------------------------------------------------------- responder */

uint32_t h248_tl_txn_id(const h248_tl_txn_t *txn) { return txn ? txn->tid : 0; }

int h248_tl_pending(h248_tl_t *tl, h248_tl_txn_t *txn)
{
  if (!tl || !txn || txn->state != R_EXECUTING)
    return -EINVAL;
  send_pending(tl, txn->peer, txn->tid);
  return 0;
}

static int reply_bytes(h248_tl_t *tl, rentry_t *r, char *bytes, size_t len, int imm)
{
  uint64_t n = now(tl);
  r->state = R_REPLIED;
  r->bytes = bytes;
  r->len = len;
  r->expire = n + tl->cfg.long_timer_ms;
  r->imm = imm && !tl->cfg.reliable;
  xsend(tl, r->peer, bytes, len);
  if (r->imm) {
    r->rto = peer_rto(tl, r->peer);
    heap_set(tl, &r->t, n + r->rto < r->expire ? n + r->rto : r->expire);
  } else
    heap_set(tl, &r->t, r->expire);
  rearm(tl);
  return 0;
}

static int reply_error_raw(h248_tl_t *tl, rentry_t *r, int code, const char *text)
{
  h248_msg_t *m = own_msg(tl);
  h248_trans_t *t = m ? h248_add_reply(m, r->tid) : NULL;
  h248_buf_t b = {0};
  if (!t || h248_trans_set_error(m, t, code, text) < 0 ||
      h248_encode(m, tl->cfg.encode_flags, &b) < 0) {
    h248_msg_free(m);
    h248_buf_free(&b);
    /* cannot even build an error: forget the entry; a duplicate re-executes */
    rentry_free(tl, r);
    rearm(tl);
    return -ENOMEM;
  }
  h248_msg_free(m);
  return reply_bytes(tl, r, b.data, b.len, tl->cfg.imm_ack);
}

int h248_tl_reply(h248_tl_t *tl, h248_tl_txn_t *txn, h248_msg_t *reply)
{
  if (!tl || !txn || txn->state != R_EXECUTING)
    return -EINVAL;
  if (!reply || !reply->trans || reply->trans->next || reply->trans->type != H248_TRANS_REPLY) {
    reply_error_raw(tl, txn, 500, "internal error: bad reply");
    return -EINVAL;
  }
  reply->trans->id = txn->tid;
  if (tl->cfg.imm_ack && !tl->cfg.reliable)
    reply->trans->imm_ack = 1;
  h248_buf_t b = {0};
  int rc = h248_encode(reply, tl->cfg.encode_flags, &b);
  if (rc < 0 || b.len > H248_TPKT_MAX - H248_TPKT_HDR) {
    h248_buf_free(&b);
    reply_error_raw(tl, txn, rc == -ENOMEM ? 500 : 533,
                    rc == -ENOMEM ? "internal error: out of memory"
                                  : "reply could not be encoded");
    return rc < 0 ? rc : -EMSGSIZE;
  }
  return reply_bytes(tl, txn, b.data, b.len, reply->trans->imm_ack);
}

int h248_tl_reply_error(h248_tl_t *tl, h248_tl_txn_t *txn, int code, const char *text)
{
  if (!tl || !txn || txn->state != R_EXECUTING)
    return -EINVAL;
  return reply_error_raw(tl, txn, code, text);
}

static void rentry_timer(h248_tl_t *tl, rentry_t *r, uint64_t n)
{
  switch (r->state) {
  case R_EXECUTING:
    send_pending(tl, r->peer, r->tid);
    heap_set(tl, &r->t, n + tl->cfg.provisional_ms);
    return;
  case R_REPLIED:
    if (n >= r->expire) {
      rentry_free(tl, r);
      return;
    }
    if (r->imm) {
      /* ImmAckRequired: resend until acknowledged */
      xsend(tl, r->peer, r->bytes, r->len);
      tl->st.replies_resent++;
      unsigned x = r->rto * 2;
      r->rto = x > tl->cfg.rto_max_ms ? tl->cfg.rto_max_ms : x;
      heap_set(tl, &r->t, n + r->rto < r->expire ? n + r->rto : r->expire);
    } else
      heap_set(tl, &r->t, r->expire);
    return;
  default:
    rentry_free(tl, r);
    return;
  }
}

static void ack_range(h248_tl_t *tl, peer_t *p, uint32_t first, uint32_t last)
{
  if ((uint64_t)last - first < 64) {
    for (uint64_t id = first; id <= last; id++) {
      rentry_t *r = rentry_find(tl, p, (uint32_t)id);
      if (r && r->state == R_REPLIED) {
        r->state = R_ACKED;
        free(r->bytes);
        r->bytes = NULL;
        r->imm = 0;
        tl->st.acks_received++;
        heap_set(tl, &r->t, r->expire);
      }
    }
    return;
  }
  for (size_t i = 0; i < NBUCKETS; i++)
    for (rentry_t *r = tl->rentries[i]; r; r = r->next)
      if (r->peer == p && r->tid >= first && r->tid <= last && r->state == R_REPLIED) {
        r->state = R_ACKED;
        free(r->bytes);
        r->bytes = NULL;
        r->imm = 0;
        tl->st.acks_received++;
        heap_set(tl, &r->t, r->expire);
      }
}

/* -------------------------------------------------------------------- input */

static void answer_bad(h248_tl_t *tl, peer_t *p, const h248_error_info_t *ei)
{
  h248_msg_t *m = own_msg(tl);
  if (!m)
    return;
  int ok;
  if (ei->has_trans_id) {
    h248_trans_t *t = h248_add_reply(m, ei->trans_id);
    ok = t && h248_trans_set_error(m, t, ei->code, ei->reason) == 0;
  } else
    ok = h248_msg_set_error(m, ei->code ? ei->code : 400, ei->reason) == 0;
  if (ok)
    send_msg(tl, p, m);
  else
    h248_msg_free(m);
}

int h248_tl_input(h248_tl_t *tl, const struct sockaddr *from, socklen_t fromlen,
                  const void *data, size_t len)
{
  if (!tl || !from || (!data && len))
    return -EINVAL;
  peer_t *p = peer_get(tl, from, fromlen);
  if (!p)
    return -EINVAL;
  p->refs++; /* callbacks below must not free it under us */
  h248_msg_t *m = NULL;
  h248_error_info_t ei;
  int rc = h248_decode(data ? data : "", len, &m, &ei);
  if (rc < 0) {
    tl->st.bad_messages++;
    /* never answer what may itself be an error answer */
    if (rc == -EBADMSG)
      answer_bad(tl, p, &ei);
    peer_release(tl, p);
    rearm(tl);
    return 0;
  }
  for (h248_trans_t *t = m->trans; t; t = t->next) {
    switch (t->type) {
    case H248_TRANS_REQUEST: {
      rentry_t *r = rentry_find(tl, p, t->id);
      if (r) {
        tl->st.duplicate_requests++;
        if (r->state == R_EXECUTING)
          send_pending(tl, p, t->id);
        else if (r->state == R_REPLIED) {
          xsend(tl, p, r->bytes, r->len);
          tl->st.replies_resent++;
        }
        break;
      }
      r = calloc(1, sizeof *r);
      if (!r)
        break; /* the peer retransmits */
      r->t.idx = SIZE_MAX;
      r->t.kind = T_RENTRY;
      r->tid = t->id;
      r->peer = p;
      p->refs++;
      r->state = R_EXECUTING;
      if (heap_set(tl, &r->t, now(tl) + tl->cfg.provisional_ms) < 0) {
        p->refs--;
        free(r);
        break;
      }
      size_t bk = rbucket(p, t->id);
      r->next = tl->rentries[bk];
      tl->rentries[bk] = r;
      tl->n_rentry++;
      tl->st.requests_received++;
      if (tl->on_request)
        tl->on_request(tl->request_arg, r, m, t, (const struct sockaddr *)&p->a.ss, p->a.len);
      else
        reply_error_raw(tl, r, 501, "no request handler");
      break;
    }
    case H248_TRANS_REPLY: {
      oreq_t *o = oreq_find(tl, t->id);
      if (!o) {
        tl->st.duplicate_replies++;
        queue_ack(tl, p, t->id, 1);
        break;
      }
      oreq_unlink(tl, o);
      if (o->retx == 0 && !o->pending)
        peer_sample(o->peer, (double)(now(tl) - o->first_sent));
      tl->st.replies_received++;
      queue_ack(tl, p, t->id, t->imm_ack);
      o->cb(o->arg, 0, m, t);
      free(o->bytes);
      peer_release(tl, o->peer);
      free(o);
      break;
    }
    case H248_TRANS_PENDING: {
      oreq_t *o = oreq_find(tl, t->id);
      if (!o)
        break;
      tl->st.pendings_received++;
      uint64_t n = now(tl);
      if ((unsigned)++o->pending > tl->cfg.pending_limit) {
        /* the peer keeps us waiting beyond the limit: give up at once */
        heap_set(tl, &o->t, n);
        o->deadline = n;
        break;
      }
      o->deadline = n + tl->cfg.pending_timeout_ms;
      uint64_t next = tl->cfg.reliable ? o->deadline : n + tl->cfg.pending_retx_ms;
      heap_set(tl, &o->t, next < o->deadline ? next : o->deadline);
      break;
    }
    case H248_TRANS_ACK:
      for (size_t i = 0; i < t->nacks; i++)
        ack_range(tl, p, t->acks[i].first, t->acks[i].last);
      break;
    }
  }
  h248_msg_free(m);
  peer_release(tl, p);
  rearm(tl);
  return 0;
}

void h248_tl_on_timer(h248_tl_t *tl)
{
  if (!tl)
    return;
  tl->armed = -1;
  uint64_t n = now(tl);
  while (tl->nheap && tl->heap[0]->due <= n) {
    tnode_t *t = tl->heap[0];
    heap_del(tl, t);
    switch (t->kind) {
    case T_OREQ: oreq_timer(tl, (oreq_t *)t, n); break;
    case T_RENTRY: rentry_timer(tl, (rentry_t *)t, n); break;
    case T_ACKQ: ackq_flush(tl, (ackq_t *)t); break;
    }
  }
  rearm(tl);
}

/* ------------------------------------------------------------------- stats */

void h248_tl_get_stats(const h248_tl_t *tl, h248_tl_stats_t *out)
{
  if (tl && out)
    *out = tl->st;
}

size_t h248_tl_outstanding(const h248_tl_t *tl) { return tl ? tl->n_oreq : 0; }
size_t h248_tl_remembered(const h248_tl_t *tl) { return tl ? tl->n_rentry : 0; }
