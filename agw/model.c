/* model.c -- the MG's contexts, terminations, streams and port pools.
 * No I/O and no logging: see agw_model.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agw/agw_model.h"

int agw_fail(agw_err_t *e, int code, const char *fmt, ...)
{
  if (e) {
    va_list ap;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    /* the text goes between quotes in H.248: no quote may survive */
    for (char *p = e->text; *p; p++)
      if (*p == '"' || *p == '\r' || *p == '\n')
        *p = '\'';
  }
  return -code;
}

/* ------------------------------------------------------------ port pools */

int agw_pool_init(agw_pool_t *p, uint16_t lo, uint16_t hi)
{
  memset(p, 0, sizeof *p);
  if (lo == 0 || hi < lo)
    return -EINVAL;
  p->used = calloc((size_t)(hi - lo) + 1, 1);
  if (!p->used)
    return -ENOMEM;
  p->lo = lo;
  p->hi = hi;
  return 0;
}

void agw_pool_free(agw_pool_t *p)
{
  free(p->used);
  p->used = NULL;
  p->in_use = 0;
}

uint32_t agw_pool_size(const agw_pool_t *p) { return p->used ? (uint32_t)(p->hi - p->lo) + 1 : 0; }

int agw_pool_take(agw_pool_t *p, uint16_t *port)
{
  uint32_t n = agw_pool_size(p);
  if (n == 0 || p->in_use >= n)
    return -EAGAIN;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k = (p->cursor + i) % n;
    if (!p->used[k]) {
      p->used[k] = 1;
      p->in_use++;
      p->cursor = (k + 1) % n;
      *port = (uint16_t)(p->lo + k);
      return 0;
    }
  }
  return -EAGAIN;
}

void agw_pool_give(agw_pool_t *p, uint16_t port)
{
  if (!p->used || port < p->lo || port > p->hi)
    return;
  if (p->used[port - p->lo]) {
    p->used[port - p->lo] = 0;
    p->in_use--;
  }
}

static int parse_u16(const char *s, char **end, uint16_t *out)
{
  if (!isdigit((unsigned char)*s))
    return -EINVAL;
  errno = 0;
  unsigned long v = strtoul(s, end, 10);
  if (errno || v == 0 || v > 65535)
    return -EINVAL;
  *out = (uint16_t)v;
  return 0;
}

int agw_parse_range(const char *text, uint16_t *lo, uint16_t *hi)
{
  char *end;
  if (!text)
    return -EINVAL;
  while (isspace((unsigned char)*text))
    text++;
  if (parse_u16(text, &end, lo) < 0)
    return -EINVAL;
  while (isspace((unsigned char)*end))
    end++;
  if (*end == '\0') {
    *hi = *lo;
    return 0;
  }
  if (*end != '-')
    return -EINVAL;
  end++;
  while (isspace((unsigned char)*end))
    end++;
  if (parse_u16(end, &end, hi) < 0)
    return -EINVAL;
  while (isspace((unsigned char)*end))
    end++;
  if (*end || *hi < *lo)
    return -EINVAL;
  return 0;
}

/* --------------------------------------------------------------- model */

const char *agw_mode_name(int mode)
{
  switch (mode) {
  case AGW_MODE_INACTIVE: return "Inactive";
  case AGW_MODE_SENDONLY: return "SendOnly";
  case AGW_MODE_RECVONLY: return "ReceiveOnly";
  case AGW_MODE_SENDRECV: return "SendReceive";
  case AGW_MODE_LOOPBACK: return "Loopback";
  }
  return "?";
}

void agw_model_init(agw_model_t *m, unsigned max_ctxs, unsigned max_terms_per_ctx)
{
  memset(m, 0, sizeof *m);
  m->max_ctxs = max_ctxs;
  m->max_terms_per_ctx = max_terms_per_ctx ? max_terms_per_ctx : 2;
  m->next_ctx = 1001;
  m->next_term = 1;
}

/* ---- hash tables: chained through c->hnext / t->hnext, power-of-two
 * sizes, grown by doubling when the load reaches 1. A failed grow keeps the
 * old (still correct, only longer-chained) table. */

#define HASH_MIN_CAP 64

static size_t ctx_slot(uint32_t id, size_t cap)
{
  uint32_t h = id * 0x9E3779B1u; /* Fibonacci hashing: spreads runs of ids */
  h ^= h >> 15;
  return h & (cap - 1);
}

/* FNV-1a over the ASCII-lower-cased id, matching strcasecmp equality */
static uint32_t tid_hash(const char *id)
{
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
    h ^= (uint32_t)tolower(*p);
    h *= 16777619u;
  }
  return h;
}

static int ctx_tab_grow(agw_model_t *m)
{
  size_t cap = m->ctx_cap ? m->ctx_cap * 2 : HASH_MIN_CAP;
  agw_ctx_t **tab = calloc(cap, sizeof *tab);
  if (!tab)
    return m->ctx_tab ? 0 : -ENOMEM;
  for (size_t i = 0; i < m->ctx_cap; i++)
    for (agw_ctx_t *c = m->ctx_tab[i], *nx; c; c = nx) {
      nx = c->hnext;
      size_t k = ctx_slot(c->id, cap);
      c->hnext = tab[k];
      tab[k] = c;
    }
  free(m->ctx_tab);
  m->ctx_tab = tab;
  m->ctx_cap = cap;
  return 0;
}

static int term_tab_grow(agw_model_t *m)
{
  size_t cap = m->term_cap ? m->term_cap * 2 : HASH_MIN_CAP;
  agw_term_t **tab = calloc(cap, sizeof *tab);
  if (!tab)
    return m->term_tab ? 0 : -ENOMEM;
  for (size_t i = 0; i < m->term_cap; i++)
    for (agw_term_t *t = m->term_tab[i], *nx; t; t = nx) {
      nx = t->hnext;
      size_t k = t->hash & (cap - 1);
      t->hnext = tab[k];
      tab[k] = t;
    }
  free(m->term_tab);
  m->term_tab = tab;
  m->term_cap = cap;
  return 0;
}

static void term_unhash(agw_model_t *m, agw_term_t *t)
{
  if (!m->term_cap)
    return;
  for (agw_term_t **pp = &m->term_tab[t->hash & (m->term_cap - 1)]; *pp; pp = &(*pp)->hnext)
    if (*pp == t) {
      *pp = t->hnext;
      t->hnext = NULL;
      return;
    }
}

/* Frees t after taking it out of the table and of its context's list;
 * does not touch the context itself. */
static void term_drop(agw_model_t *m, agw_term_t *t)
{
  agw_ctx_t *c = t->ctx;
  term_unhash(m, t);
  if (t->prev)
    t->prev->next = t->next;
  else
    c->terms = t->next;
  if (t->next)
    t->next->prev = t->prev;
  else
    c->terms_tail = t->prev;
  c->n_terms--;
  m->n_terms--;
  for (unsigned i = 0; i < AGW_MAX_STREAMS; i++)
    free(t->streams[i]);
  free(t);
}

void agw_model_clear(agw_model_t *m)
{
  while (m->ctxs)
    agw_ctx_delete(m, m->ctxs); /* frees its terminations too */
  free(m->ctx_tab);
  free(m->term_tab);
  m->ctx_tab = NULL;
  m->term_tab = NULL;
  m->ctx_cap = m->term_cap = 0;
}

agw_ctx_t *agw_ctx_find(const agw_model_t *m, uint32_t id)
{
  if (!m->ctx_cap)
    return NULL;
  for (agw_ctx_t *c = m->ctx_tab[ctx_slot(id, m->ctx_cap)]; c; c = c->hnext)
    if (c->id == id)
      return c;
  return NULL;
}

int agw_ctx_new(agw_model_t *m, agw_ctx_t **out, agw_err_t *e)
{
  *out = NULL;
  if (m->n_ctxs >= m->max_ctxs)
    return agw_fail(e, 510, "Insufficient resources: all %u contexts in use", m->max_ctxs);
  if (m->n_ctxs + 1 > m->ctx_cap && ctx_tab_grow(m) < 0)
    return agw_fail(e, 510, "Insufficient resources: out of memory");
  uint32_t id = m->next_ctx;
  /* ids 0, 0xFFFFFFFE ($) and 0xFFFFFFFF (*) are reserved in the binary
   * encoding; stay below them. With at most max_ctxs live this terminates;
   * the ids only run into live ones after a wrap, so each probe is O(1). */
  for (;;) {
    if (id == 0 || id >= 0xFFFFFFF0u)
      id = 1;
    if (!agw_ctx_find(m, id))
      break;
    id++;
  }
  agw_ctx_t *c = calloc(1, sizeof *c);
  if (!c)
    return agw_fail(e, 510, "Insufficient resources: out of memory");
  c->id = id;
  m->next_ctx = id + 1;
  c->next = m->ctxs;
  if (m->ctxs)
    m->ctxs->prev = c;
  m->ctxs = c;
  size_t k = ctx_slot(id, m->ctx_cap);
  c->hnext = m->ctx_tab[k];
  m->ctx_tab[k] = c;
  m->n_ctxs++;
  *out = c;
  return 0;
}

void agw_ctx_delete(agw_model_t *m, agw_ctx_t *c)
{
  if (!c || !m->ctx_cap)
    return;
  agw_ctx_t **pp = &m->ctx_tab[ctx_slot(c->id, m->ctx_cap)];
  while (*pp && *pp != c)
    pp = &(*pp)->hnext;
  if (!*pp)
    return; /* not ours (or already gone) */
  *pp = c->hnext;
  while (c->terms)
    term_drop(m, c->terms);
  if (c->prev)
    c->prev->next = c->next;
  else
    m->ctxs = c->next;
  if (c->next)
    c->next->prev = c->prev;
  m->n_ctxs--;
  free(c);
}

static agw_term_t *term_lookup(const agw_model_t *m, const char *id, uint32_t h)
{
  if (!m->term_cap)
    return NULL;
  for (agw_term_t *t = m->term_tab[h & (m->term_cap - 1)]; t; t = t->hnext)
    if (t->hash == h && strcasecmp(t->id, id) == 0)
      return t;
  return NULL;
}

agw_term_t *agw_term_find(const agw_model_t *m, const char *id)
{
  if (!id)
    return NULL;
  return term_lookup(m, id, tid_hash(id));
}

int agw_term_new(agw_model_t *m, agw_ctx_t *c, enum agw_kind kind, agw_term_t **out,
                 agw_err_t *e)
{
  *out = NULL;
  if (c->n_terms >= m->max_terms_per_ctx)
    return agw_fail(e, 434, "Max number of terminations in a context exceeded (%u)",
                    m->max_terms_per_ctx);
  if (m->n_terms + 1 > m->term_cap && term_tab_grow(m) < 0)
    return agw_fail(e, 510, "Insufficient resources: out of memory");
  agw_term_t *t = calloc(1, sizeof *t);
  if (!t)
    return agw_fail(e, 510, "Insufficient resources: out of memory");
  t->kind = kind;
  for (;;) {
    uint32_t k = m->next_term++;
    if (m->next_term > 99999999u)
      m->next_term = 1;
    snprintf(t->id, sizeof t->id, "ip/%d/%s/%u", kind == AGW_KIND_ACCESS ? 1 : 2,
             kind == AGW_KIND_ACCESS ? "access" : "core", k);
    t->hash = tid_hash(t->id);
    if (!term_lookup(m, t->id, t->hash)) {
      t->num = k;
      break;
    }
  }
  t->ctx = c;
  /* append, so that replies list terminations in the order they were added */
  t->prev = c->terms_tail;
  if (c->terms_tail)
    c->terms_tail->next = t;
  else
    c->terms = t;
  c->terms_tail = t;
  size_t slot = t->hash & (m->term_cap - 1);
  t->hnext = m->term_tab[slot];
  m->term_tab[slot] = t;
  c->n_terms++;
  m->n_terms++;
  *out = t;
  return 0;
}

int agw_term_delete(agw_model_t *m, agw_term_t *t)
{
  agw_ctx_t *c = t->ctx;
  term_drop(m, t);
  if (c->n_terms == 0) {
    agw_ctx_delete(m, c);
    return 1;
  }
  return 0;
}

int agw_tid_check(const char *id, agw_err_t *e)
{
  size_t n = id ? strlen(id) : 0;
  if (n == 0 || n >= AGW_TID_MAX)
    return agw_fail(e, 410, "Incorrect identifier: termination id length %zu", n);
  for (const char *p = id; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    if (!(isalnum(ch) || strchr("/_.-*@$", ch)))
      return agw_fail(e, 410, "Incorrect identifier: '%s'", id);
  }
  return 0;
}

int agw_tid_is_wild(const char *id) { return strchr(id, '*') != NULL; }

int agw_tid_match(const char *pat, const char *id)
{
  /* '*' matches any run of characters (at least one unless it is the whole
   * pattern's tail after '/'); case-insensitive. Simple backtracking. */
  if (*pat == '\0')
    return *id == '\0';
  if (*pat == '*') {
    for (const char *s = id; *s; s++)
      if (agw_tid_match(pat + 1, s + 1))
        return 1;
    return 0;
  }
  if (*id && tolower((unsigned char)*pat) == tolower((unsigned char)*id))
    return agw_tid_match(pat + 1, id + 1);
  return 0;
}

agw_stream_t *agw_stream_get(agw_term_t *t, uint16_t id, int create)
{
  agw_stream_t **freeslot = NULL;
  if (id == 0)
    return NULL;
  for (unsigned i = 0; i < AGW_MAX_STREAMS; i++) {
    agw_stream_t *s = t->streams[i];
    if (s && s->used && s->id == id)
      return s;
    if ((!s || !s->used) && !freeslot)
      freeslot = &t->streams[i];
  }
  if (!create || !freeslot)
    return NULL;
  if (!*freeslot && !(*freeslot = malloc(sizeof **freeslot)))
    return NULL;
  agw_stream_t *s = *freeslot;
  memset(s, 0, sizeof *s);
  s->used = 1;
  s->id = id;
  s->sctpid = -1;
  s->mode = AGW_MODE_INACTIVE;
  return s;
}
