/* h248_encode.c -- H.248.1 Annex B text encoder (pretty and compact). */
#include "config.h"
#include "h248/h248_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct enc {
  h248_buf_t *b;
  char *p, *end; /* write position and end of b->data (NULL while it has none);
                  * b->len is set from p at the end */
  int compact;
  const char *eol;
  int err; /* first error: -ENOMEM / -EINVAL */
} enc_t;

void h248_buf_free(h248_buf_t *buf)
{
  if (!buf)
    return;
  free(buf->data);
  buf->data = NULL;
  buf->len = buf->cap = 0;
}

/* bytes written in b->data so far */
static size_t cur_len(const enc_t *e)
{
  return e->b->data ? (size_t)(e->p - e->b->data) : e->b->len;
}

/* The slow path of putn: grow the buffer (doubling, at least 256 bytes) so
 * that n more bytes and the final NUL fit; 0 when out of memory. */
static __attribute__((noinline)) int grow(enc_t *e, size_t n)
{
  if (e->err == -ENOMEM)
    return 0;
  h248_buf_t *b = e->b;
  size_t len = cur_len(e);
  size_t cap = b->cap ? b->cap : 256;
  while (cap < len + n + 1)
    cap *= 2;
  char *d = realloc(b->data, cap);
  if (!d) {
    e->err = -ENOMEM;
    return 0;
  }
  b->data = d;
  b->cap = cap;
  e->p = d + len;
  e->end = d + cap;
  return 1;
}

/* Append n bytes: a cursor, so the common case is a compare and a copy. The
 * terminating NUL is written once, at the end of h248_encode; after an error
 * the output is thrown away, so writing on does no harm. */
static inline void putn(enc_t *e, const char *s, size_t n)
{
  if (__builtin_expect((size_t)(e->end - e->p) <= n, 0) && !grow(e, n))
    return;
  memcpy(e->p, s, n);
  e->p += n;
}

static inline void put(enc_t *e, const char *s) { putn(e, s, strlen(s)); }

/* an unsigned number in decimal, without printf (ids and numbers are in
 * every message) */
static void putu(enc_t *e, unsigned v)
{
  char buf[16], *p = buf + sizeof buf;
  do
    *--p = (char)('0' + v % 10);
  while (v /= 10);
  putn(e, p, (size_t)(buf + sizeof buf - p));
}

static void bad(enc_t *e)
{
  if (!e->err)
    e->err = -EINVAL;
}

/* token in the chosen spelling */
static void tok(enc_t *e, int tk)
{
  size_t n;
  const char *s = h248__tok_spell(tk, e->compact, &n);
  putn(e, s, n);
}
/* " = " or "=" */
static void eq(enc_t *e) { put(e, e->compact ? "=" : " = "); }
/* " {" or "{" */
static void ob(enc_t *e) { put(e, e->compact ? "{" : " {"); }
/* ", " or "," */
static void comma(enc_t *e) { put(e, e->compact ? "," : ", "); }
/* new line + indentation (pretty), nothing (compact) */
/* 3 spaces per level */
static void indent(enc_t *e, int ind)
{
  static const char spaces[31] = "                              "; /* 10 levels */
  for (; ind > 10; ind -= 10)
    putn(e, spaces, 30);
  if (ind > 0)
    putn(e, spaces, 3 * (size_t)ind);
}
static void nl(enc_t *e, int ind)
{
  if (e->compact)
    return;
  put(e, e->eol);
  indent(e, ind);
}
/* inline opening " { " / "{" and closing " }" / "}" */
static void iob(enc_t *e) { put(e, e->compact ? "{" : " { "); }
static void icb(enc_t *e) { put(e, e->compact ? "}" : " }"); }
static void empty_braces(enc_t *e) { put(e, e->compact ? "{}" : " { }"); }

static void name(enc_t *e, const char *s, int pkgd)
{
  if (!s || !(pkgd ? h248__valid_pkgd(s) : h248__valid_pname(s))) {
    bad(e);
    return;
  }
  put(e, s);
}

static void value(enc_t *e, const h248_value_t *v)
{
  const char *s = v->str;
  if (!s) {
    bad(e);
    return;
  }
  int q = v->quoted || !*s;
  for (const char *p = s; *p && !q; p++)
    if (!h248__is_safe((unsigned char)*p))
      q = 1;
  if (q) {
    for (const char *p = s; *p; p++)
      if (!h248__is_qchar((unsigned char)*p)) {
        bad(e);
        return;
      }
    put(e, "\"");
    put(e, s);
    put(e, "\"");
  } else
    put(e, s);
}

static void quoted(enc_t *e, const char *s)
{
  h248_value_t v = {(char *)s, 1};
  value(e, &v);
}

static void prop(enc_t *e, const h248_prop_t *p, int pkgd)
{
  name(e, p->name, pkgd);
  switch (p->kind) {
  case H248_VAL_NONE:
    return;
  case H248_VAL_SINGLE:
    if (p->n != 1 || !p->v) {
      bad(e);
      return;
    }
    put(e, p->rel == H248_REL_NE   ? (e->compact ? "!=" : " != ")
           : p->rel == H248_REL_LT ? (e->compact ? "<" : " < ")
           : p->rel == H248_REL_GT ? (e->compact ? ">" : " > ")
                                   : (e->compact ? "=" : " = "));
    value(e, &p->v[0]);
    return;
  case H248_VAL_LIST:
  case H248_VAL_ALT:
  case H248_VAL_RANGE:
    if (p->rel != H248_REL_EQ || p->n == 0 || !p->v ||
        (p->kind == H248_VAL_RANGE && p->n != 2)) {
      bad(e);
      return;
    }
    eq(e);
    put(e, p->kind == H248_VAL_ALT ? "{" : "[");
    for (size_t i = 0; i < p->n; i++) {
      if (i)
        put(e, p->kind == H248_VAL_RANGE ? ":" : e->compact ? "," : ", ");
      value(e, &p->v[i]);
    }
    put(e, p->kind == H248_VAL_ALT ? "}" : "]");
    return;
  }
  bad(e);
}

static void props(enc_t *e, const h248_prop_t *p, int first, int pkgd)
{
  for (; p; p = p->next) {
    if (!first)
      comma(e);
    first = 0;
    prop(e, p, pkgd);
  }
}

static void error_desc(enc_t *e, const h248_error_t *er)
{
  tok(e, TK_ERROR);
  eq(e);
  putu(e, (unsigned)er->code);
  if (er->text) {
    iob(e);
    quoted(e, er->text);
    icb(e);
  } else
    empty_braces(e);
}

static void sdp(enc_t *e, int tk, const char *s, int ind)
{
  tok(e, tk);
  if (!*s) {
    empty_braces(e);
    return;
  }
  put(e, e->compact ? "{" : " {");
  put(e, e->eol);
  for (const char *p = s; *p;) {
    size_t run = strcspn(p, "}"); /* copy up to the next "}" at once */
    putn(e, p, run);
    p += run;
    if (*p == '}') {
      put(e, "\\}");
      p++;
    }
  }
  size_t n = strlen(s);
  if (s[n - 1] != '\n')
    put(e, e->eol);
  if (!e->compact)
    indent(e, ind);
  put(e, "}");
}

static void local_control(enc_t *e, const h248_local_control_t *lc)
{
  tok(e, TK_LOCALCONTROL);
  if (lc->mode == H248_MODE_UNSET && lc->reserve_group == H248_FLAG_UNSET &&
      lc->reserve_value == H248_FLAG_UNSET && !lc->props) {
    empty_braces(e);
    return;
  }
  iob(e);
  int first = 1;
  if (lc->mode != H248_MODE_UNSET) {
    static const int mt[] = {0, TK_SENDONLY, TK_RECVONLY, TK_SENDRECV, TK_INACTIVE, TK_LOOPBACK};
    if ((unsigned)lc->mode > H248_MODE_LOOPBACK) {
      bad(e);
      return;
    }
    tok(e, TK_MODE);
    eq(e);
    tok(e, mt[lc->mode]);
    first = 0;
  }
  if (lc->reserve_group != H248_FLAG_UNSET) {
    if (!first)
      comma(e);
    tok(e, TK_RESERVEDGROUP);
    eq(e);
    tok(e, lc->reserve_group ? TK_ON : TK_OFF);
    first = 0;
  }
  if (lc->reserve_value != H248_FLAG_UNSET) {
    if (!first)
      comma(e);
    tok(e, TK_RESERVEDVALUE);
    eq(e);
    tok(e, lc->reserve_value ? TK_ON : TK_OFF);
    first = 0;
  }
  props(e, lc->props, first, 1);
  icb(e);
}

static void stats(enc_t *e, const h248_prop_t *p)
{
  tok(e, TK_STATISTICS);
  if (!p) {
    empty_braces(e);
    return;
  }
  iob(e);
  props(e, p, 1, 1);
  icb(e);
}

static void stream_parms(enc_t *e, const h248_stream_t *s, int ind, int first)
{
  if (s->lc) {
    if (!first)
      put(e, ",");
    nl(e, ind);
    local_control(e, s->lc);
    first = 0;
  }
  if (s->local) {
    if (!first)
      put(e, ",");
    nl(e, ind);
    sdp(e, TK_LOCAL, s->local, ind);
    first = 0;
  }
  if (s->remote) {
    if (!first)
      put(e, ",");
    nl(e, ind);
    sdp(e, TK_REMOTE, s->remote, ind);
    first = 0;
  }
  if (s->has_stats) {
    if (!first)
      put(e, ",");
    nl(e, ind);
    stats(e, s->stats);
  }
}

static int stream_empty(const h248_stream_t *s)
{
  return !s->lc && !s->local && !s->remote && !s->has_stats;
}

static void media(enc_t *e, const h248_media_t *m, int ind)
{
  tok(e, TK_MEDIA);
  if (!m->ts && !m->streams) {
    empty_braces(e);
    return;
  }
  ob(e);
  int first = 1;
  if (m->ts) {
    const h248_term_state_t *ts = m->ts;
    nl(e, ind + 1);
    tok(e, TK_TERMSTATE);
    if (!ts->service_state && !ts->buffer && !ts->props) {
      empty_braces(e);
    } else {
      iob(e);
      int f = 1;
      if (ts->service_state) {
        static const int st[] = {0, TK_TEST, TK_OUTOFSERVICE, TK_INSERVICE};
        if ((unsigned)ts->service_state > H248_SS_INSERVICE) {
          bad(e);
          return;
        }
        tok(e, TK_SERVICESTATES);
        eq(e);
        tok(e, st[ts->service_state]);
        f = 0;
      }
      if (ts->buffer) {
        if (!f)
          comma(e);
        tok(e, TK_BUFFER);
        eq(e);
        tok(e, ts->buffer == H248_BUF_LOCKSTEP ? TK_LOCKSTEP : TK_OFF);
        f = 0;
      }
      props(e, ts->props, f, 1);
      icb(e);
    }
    first = 0;
  }
  const h248_stream_t *s = m->streams;
  if (s && s->implicit && !s->next && !stream_empty(s)) {
    stream_parms(e, s, ind + 1, first);
  } else {
    for (; s; s = s->next) {
      if (s->id == 0) {
        bad(e);
        return;
      }
      if (!first)
        put(e, ",");
      first = 0;
      nl(e, ind + 1);
      tok(e, TK_STREAM);
      eq(e);
      putu(e, (unsigned)s->id);
      if (stream_empty(s)) {
        empty_braces(e);
        continue;
      }
      ob(e);
      stream_parms(e, s, ind + 2, 1);
      nl(e, ind + 1);
      put(e, "}");
    }
  }
  nl(e, ind);
  put(e, "}");
}

static void stream_param(enc_t *e, uint16_t stream, int *first)
{
  if (!stream)
    return;
  if (!*first)
    comma(e);
  *first = 0;
  tok(e, TK_STREAM);
  eq(e);
  putu(e, (unsigned)stream);
}

static void signals(enc_t *e, const h248_signals_t *sg);
static void events(enc_t *e, const h248_events_t *ev);

static void event(enc_t *e, const h248_event_t *ev, int observed)
{
  if (observed && ev->timestamp) {
    if (!h248__valid_timestamp(ev->timestamp)) {
      bad(e);
      return;
    }
    put(e, ev->timestamp);
    put(e, ":");
  }
  name(e, ev->name, 1);
  if (!ev->stream && !ev->params && !ev->keep_active && !ev->embed_events &&
      !ev->embed_signals)
    return;
  put(e, e->compact ? "{" : " {");
  int first = 1;
  stream_param(e, ev->stream, &first);
  if (ev->keep_active && !observed) {
    if (!first)
      comma(e);
    first = 0;
    tok(e, TK_KEEPACTIVE);
  }
  if ((ev->embed_events || ev->embed_signals) && !observed) {
    if (!first)
      comma(e);
    first = 0;
    tok(e, TK_EMBED);
    iob(e);
    if (ev->embed_signals)
      signals(e, ev->embed_signals);
    if (ev->embed_events) {
      if (!ev->embed_events->has_request_id) {
        bad(e);
        return;
      }
      if (ev->embed_signals)
        comma(e);
      events(e, ev->embed_events);
    }
    icb(e);
  }
  props(e, ev->params, first, 0);
  put(e, "}");
}

static void events(enc_t *e, const h248_events_t *ev)
{
  tok(e, TK_EVENTS);
  if (!ev->has_request_id) {
    if (ev->events)
      bad(e);
    return;
  }
  eq(e);
  putu(e, (unsigned)ev->request_id);
  if (!ev->events) {
    empty_braces(e);
    return;
  }
  iob(e);
  for (const h248_event_t *x = ev->events; x; x = x->next) {
    if (x != ev->events)
      comma(e);
    event(e, x, 0);
  }
  icb(e);
}

static void signals(enc_t *e, const h248_signals_t *sg)
{
  tok(e, TK_SIGNALS);
  if (!sg->signals)
    return; /* bare "Signals": stop all */
  iob(e);
  for (const h248_signal_t *s = sg->signals; s; s = s->next) {
    if (s != sg->signals)
      comma(e);
    name(e, s->name, 1);
    if (!s->stream && !s->type && !s->has_duration && !s->notify_completion &&
        !s->keep_active && !s->params)
      continue;
    put(e, e->compact ? "{" : " {");
    int first = 1;
    stream_param(e, s->stream, &first);
    if (s->type) {
      static const int st[] = {0, TK_ONOFF, TK_TIMEOUT, TK_BRIEF};
      if ((unsigned)s->type > H248_SIGTYPE_BRIEF) {
        bad(e);
        return;
      }
      if (!first)
        comma(e);
      first = 0;
      tok(e, TK_SIGNALTYPE);
      eq(e);
      tok(e, st[s->type]);
    }
    if (s->has_duration) {
      if (!first)
        comma(e);
      first = 0;
      tok(e, TK_DURATION);
      eq(e);
      putu(e, (unsigned)s->duration);
    }
    if (s->notify_completion) {
      static const int nc[] = {TK_TIMEOUT, TK_INTBYEVENT, TK_INTBYSIGDESCR, TK_OTHERREASON,
                               TK_ITERATION};
      if (!first)
        comma(e);
      first = 0;
      tok(e, TK_NOTIFYCOMPLETION);
      eq(e);
      put(e, "{");
      int f2 = 1;
      for (int i = 0; i < 5; i++)
        if (s->notify_completion & (1u << i)) {
          if (!f2)
            comma(e);
          f2 = 0;
          tok(e, nc[i]);
        }
      put(e, "}");
      if (s->notify_completion >= (1u << 5))
        bad(e);
    }
    if (s->keep_active) {
      if (!first)
        comma(e);
      first = 0;
      tok(e, TK_KEEPACTIVE);
    }
    props(e, s->params, first, 0);
    put(e, "}");
  }
  icb(e);
}

static void mid_text(enc_t *e, const char *s, int port_ok)
{
  if (!s || !*s) {
    bad(e);
    return;
  }
  size_t n = strlen(s);
  int digits = 1;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      digits = 0;
  h248_mid_t mid;
  if ((port_ok && digits && n <= 5) || h248__scan_mid(s, n, NULL, &mid) == n)
    put(e, s);
  else
    bad(e);
}

static void services(enc_t *e, const h248_service_change_t *sc)
{
  tok(e, TK_SERVICES);
  int first = 1;
  iob(e);
#define SEP_()                                                                     \
  do {                                                                             \
    if (!first)                                                                    \
      comma(e);                                                                    \
    first = 0;                                                                     \
  } while (0)
  if (sc->method) {
    SEP_();
    tok(e, TK_METHOD);
    eq(e);
    int tk = h248__tok(sc->method, strlen(sc->method));
    if (tk == TK_FAILOVER || tk == TK_FORCED || tk == TK_GRACEFUL || tk == TK_RESTART ||
        tk == TK_DISCONNECTED || tk == TK_HANDOFF)
      tok(e, tk);
    else if ((sc->method[0] == 'X' || sc->method[0] == 'x') &&
             (sc->method[1] == '-' || sc->method[1] == '+') && h248__valid_pname(sc->method + 2))
      put(e, sc->method);
    else
      bad(e);
  }
  if (sc->reason) {
    SEP_();
    tok(e, TK_REASON);
    eq(e);
    quoted(e, sc->reason);
  }
  if (sc->has_delay) {
    SEP_();
    tok(e, TK_DELAY);
    eq(e);
    putu(e, (unsigned)sc->delay);
  }
  if (sc->address) {
    SEP_();
    tok(e, TK_SCADDRESS);
    eq(e);
    mid_text(e, sc->address, 1);
  }
  if (sc->mgc_id) {
    SEP_();
    tok(e, TK_MGCIDTOTRY);
    eq(e);
    mid_text(e, sc->mgc_id, 0);
  }
  if (sc->profile) {
    SEP_();
    tok(e, TK_PROFILE);
    eq(e);
    const char *p = sc->profile;
    if (!*p || (!(p[0] >= 'A' && p[0] <= 'Z') && !(p[0] >= 'a' && p[0] <= 'z')))
      bad(e);
    for (; *p; p++)
      if (!h248__is_name((unsigned char)*p) && *p != '-' && *p != '.')
        bad(e);
    put(e, sc->profile);
  }
  if (sc->version) {
    SEP_();
    if (sc->version < 1 || sc->version > 99)
      bad(e);
    tok(e, TK_VERSION);
    eq(e);
    putu(e, (unsigned)sc->version); /* bad() above when out of 1..99 */
  }
  if (sc->timestamp) {
    SEP_();
    if (!h248__valid_timestamp(sc->timestamp))
      bad(e);
    put(e, sc->timestamp);
  }
#undef SEP_
  if (first) {
    /* nothing inside: " { " was written; turn it into "{ }" form */
    if (e->p)
      e->p -= e->compact ? 1 : 3;
    empty_braces(e);
    return;
  }
  icb(e);
}

static void audit(enc_t *e, const h248_audit_t *au)
{
  tok(e, TK_AUDIT);
  if (au->n == 0) {
    empty_braces(e);
    return;
  }
  iob(e);
  for (size_t i = 0; i < au->n; i++) {
    if (i)
      comma(e);
    int tk = au->items[i] ? h248__tok(au->items[i], strlen(au->items[i])) : TK_NONE;
    switch (tk) {
    case TK_MEDIA: case TK_EVENTS: case TK_SIGNALS: case TK_OBSERVEDEVENTS:
    case TK_DIGITMAP: case TK_STATISTICS: case TK_PACKAGES: case TK_EVENTBUFFER:
    case TK_MODEM: case TK_MUX:
      tok(e, tk);
      break;
    default:
      bad(e);
      return;
    }
  }
  icb(e);
}

static void packages(enc_t *e, const h248_prop_t *p)
{
  tok(e, TK_PACKAGES);
  if (!p) {
    empty_braces(e);
    return;
  }
  iob(e);
  for (const h248_prop_t *x = p; x; x = x->next) {
    if (x != p)
      comma(e);
    const char *dash = x->name ? strrchr(x->name, '-') : NULL;
    if (!dash || dash == x->name || !dash[1]) {
      bad(e);
      return;
    }
    for (const char *c = x->name; c < dash; c++)
      if (!h248__is_name((unsigned char)*c) || *c == '/' || *c == '*')
        bad(e);
    for (const char *c = dash + 1; *c; c++)
      if (*c < '0' || *c > '9' || c - dash > 2)
        bad(e);
    put(e, x->name);
  }
  icb(e);
}

static void tid_list(enc_t *e, const h248_cmd_t *c)
{
  if (c->ntid == 0 || !c->tid) {
    bad(e);
    return;
  }
  if (c->ntid > 1)
    put(e, "[");
  for (size_t i = 0; i < c->ntid; i++) {
    if (i)
      comma(e);
    if (!c->tid[i] || !h248__valid_tid(c->tid[i])) {
      bad(e);
      return;
    }
    put(e, c->tid[i]);
  }
  if (c->ntid > 1)
    put(e, "]");
}

static const int cmd_tok[] = {TK_ADD,        TK_MODIFY,   TK_SUBTRACT, TK_MOVE,
                              TK_AUDITVALUE, TK_AUDITCAP, TK_NOTIFY,   TK_SERVICECHANGE};

static void command(enc_t *e, const h248_cmd_t *c, int ind)
{
  if ((unsigned)c->type > H248_CMD_SERVICECHANGE) {
    bad(e);
    return;
  }
  if (c->optional)
    put(e, "O-");
  if (c->wildcard_reply)
    put(e, "W-");
  tok(e, cmd_tok[c->type]);
  eq(e);
  tid_list(e, c);
  int n = !!c->events + !!c->signals + !!c->media + !!c->digitmap + !!c->observed + !!c->svc +
          !!c->audit + !!c->has_stats + !!c->has_packages + !!c->error;
  if (n == 0)
    return;
  int multi = !e->compact && (c->media || c->observed);
  int di = ind + 1;
  if (multi)
    ob(e);
  else
    iob(e);
  int first = 1;
#define NEXT_()                                                                    \
  do {                                                                             \
    if (!first)                                                                    \
      put(e, multi ? "," : (e->compact ? "," : ", "));                             \
    first = 0;                                                                     \
    if (multi)                                                                     \
      nl(e, di);                                                                   \
  } while (0)
  if (c->events) {
    NEXT_();
    events(e, c->events);
  }
  if (c->signals) {
    NEXT_();
    signals(e, c->signals);
  }
  if (c->media) {
    NEXT_();
    media(e, c->media, di);
  }
  if (c->digitmap) {
    NEXT_();
    tok(e, TK_DIGITMAP);
    eq(e);
    name(e, c->digitmap, 0);
  }
  if (c->observed) {
    NEXT_();
    tok(e, TK_OBSERVEDEVENTS);
    eq(e);
    putu(e, (unsigned)c->observed->request_id);
    if (!c->observed->events) {
      empty_braces(e);
    } else {
      ob(e);
      for (const h248_event_t *x = c->observed->events; x; x = x->next) {
        if (x != c->observed->events)
          put(e, ",");
        nl(e, di + 1);
        event(e, x, 1);
      }
      nl(e, di);
      put(e, "}");
    }
  }
  if (c->svc) {
    NEXT_();
    services(e, c->svc);
  }
  if (c->audit) {
    NEXT_();
    audit(e, c->audit);
  }
  if (c->has_stats) {
    NEXT_();
    stats(e, c->stats);
  }
  if (c->has_packages) {
    NEXT_();
    packages(e, c->packages);
  }
  if (c->error) {
    NEXT_();
    error_desc(e, c->error);
  }
#undef NEXT_
  if (multi) {
    nl(e, ind);
    put(e, "}");
  } else
    icb(e);
}

static void ctx_id(enc_t *e, h248_ctx_id_t c)
{
  switch (c.kind) {
  case H248_CTX_NULL: putn(e, "-", 1); break;
  case H248_CTX_CHOOSE: putn(e, "$", 1); break;
  case H248_CTX_ALL: putn(e, "*", 1); break;
  case H248_CTX_ID: putu(e, (unsigned)c.id); break;
  default: bad(e);
  }
}

static void action(enc_t *e, const h248_action_t *a, int reply, int ind)
{
  tok(e, TK_CONTEXT);
  eq(e);
  ctx_id(e, a->ctx);
  int n = (a->priority >= 0) + (a->emergency != H248_FLAG_UNSET) + !!a->error + !!a->cmds;
  if (n == 0) {
    if (!reply)
      bad(e); /* an action request needs a command */
    return;
  }
  if (!reply && !a->cmds)
    bad(e);
  if (!reply && a->error)
    bad(e);
  ob(e);
  int first = 1;
#define NEXT_()                                                                    \
  do {                                                                             \
    if (!first)                                                                    \
      put(e, ",");                                                                 \
    first = 0;                                                                     \
    nl(e, ind + 1);                                                                \
  } while (0)
  if (a->error) {
    NEXT_();
    error_desc(e, a->error);
  }
  if (a->priority >= 0) {
    NEXT_();
    if (a->priority > 15)
      bad(e);
    tok(e, TK_PRIORITY);
    eq(e);
    putu(e, (unsigned)a->priority);
  }
  if (a->emergency != H248_FLAG_UNSET) {
    NEXT_();
    tok(e, a->emergency ? TK_EMERGENCY : TK_EMERGENCYOFF);
  }
  for (const h248_cmd_t *c = a->cmds; c; c = c->next) {
    NEXT_();
    if (reply && (c->optional || c->wildcard_reply))
      bad(e);
    command(e, c, ind + 1);
  }
#undef NEXT_
  nl(e, ind);
  put(e, "}");
}

static void transaction(enc_t *e, const h248_trans_t *t)
{
  switch (t->type) {
  case H248_TRANS_REQUEST:
    tok(e, TK_TRANSACTION);
    eq(e);
    putu(e, (unsigned)t->id);
    if (!t->actions || t->error || t->imm_ack) {
      bad(e);
      return;
    }
    ob(e);
    for (const h248_action_t *a = t->actions; a; a = a->next) {
      if (a != t->actions)
        put(e, ",");
      nl(e, 1);
      action(e, a, 0, 1);
    }
    nl(e, 0);
    put(e, "}");
    return;
  case H248_TRANS_REPLY:
    tok(e, TK_REPLY);
    eq(e);
    putu(e, (unsigned)t->id);
    if (!t->actions && !t->error) {
      bad(e);
      return;
    }
    ob(e);
    if (t->imm_ack) {
      nl(e, 1);
      tok(e, TK_IMMACK);
      put(e, ",");
    }
    if (t->error) {
      if (t->actions)
        bad(e);
      nl(e, 1);
      error_desc(e, t->error);
    } else {
      for (const h248_action_t *a = t->actions; a; a = a->next) {
        if (a != t->actions)
          put(e, ",");
        nl(e, 1);
        action(e, a, 1, 1);
      }
    }
    nl(e, 0);
    put(e, "}");
    return;
  case H248_TRANS_PENDING:
    tok(e, TK_PENDING);
    eq(e);
    putu(e, (unsigned)t->id);
    empty_braces(e);
    return;
  case H248_TRANS_ACK:
    tok(e, TK_RESPONSEACK);
    if (t->nacks == 0 || !t->acks) {
      bad(e);
      return;
    }
    iob(e);
    for (size_t i = 0; i < t->nacks; i++) {
      if (i)
        comma(e);
      if (t->acks[i].first > t->acks[i].last)
        bad(e);
      if (t->acks[i].first == t->acks[i].last)
        putu(e, (unsigned)t->acks[i].first);
      else
      {
        putu(e, (unsigned)t->acks[i].first);
        putn(e, "-", 1);
        putu(e, (unsigned)t->acks[i].last);
      }
    }
    icb(e);
    return;
  }
  bad(e);
}

int h248_encode(const h248_msg_t *msg, unsigned flags, h248_buf_t *buf)
{
  if (!msg || !buf)
    return -EINVAL;
  size_t len0 = buf->len;
  enc_t e = {.b = buf, .compact = !!(flags & H248_ENC_COMPACT),
             .eol = (flags & H248_ENC_LF) ? "\n" : "\r\n"};
  if (buf->data) {
    e.p = buf->data + buf->len;
    e.end = buf->data + buf->cap;
  }
  /* header */
  if (msg->version < 1 || msg->version > 3 || !msg->mid.name || !*msg->mid.name)
    return -EINVAL;
  put(&e, e.compact ? "!/" : "MEGACO/");
  putu(&e, (unsigned)msg->version);
  putn(&e, " ", 1);
  const h248_mid_t *m = &msg->mid;
  size_t mstart = cur_len(&e);
  switch (m->kind) {
  case H248_MID_IP4: case H248_MID_IP6:
    put(&e, "[");
    put(&e, m->name);
    put(&e, "]");
    break;
  case H248_MID_DOMAIN:
    put(&e, "<");
    put(&e, m->name);
    put(&e, ">");
    break;
  case H248_MID_DEVICE:
    put(&e, m->name);
    break;
  case H248_MID_MTP:
    put(&e, "MTP{");
    put(&e, m->name);
    put(&e, "}");
    break;
  default:
    bad(&e);
  }
  if (m->port && (m->kind == H248_MID_IP4 || m->kind == H248_MID_IP6 ||
                  m->kind == H248_MID_DOMAIN))
  {
    putn(&e, ":", 1);
    putu(&e, (unsigned)m->port);
  }
  if (!e.err) {
    /* what was written must read back as an mId of the same kind; for a
     * dotted quad (the usual case) that is the name being one: the port is
     * a uint16 in decimal and always reads back */
    if (m->kind == H248_MID_IP4) {
      if (!h248__is_ip4(m->name, strlen(m->name)))
        bad(&e);
    } else {
      h248_mid_t chk;
      size_t ml = cur_len(&e) - mstart;
      if (h248__scan_mid(buf->data + mstart, ml, NULL, &chk) != ml || chk.kind != m->kind)
        bad(&e);
    }
  }
  if (msg->error) {
    put(&e, e.compact ? " " : e.eol);
    error_desc(&e, msg->error);
    put(&e, e.eol);
    if (msg->trans)
      bad(&e);
  } else {
    if (!msg->trans)
      bad(&e);
    put(&e, e.compact ? " " : e.eol);
    for (const h248_trans_t *t = msg->trans; t && !e.err; t = t->next) {
      transaction(&e, t);
      put(&e, e.eol);
    }
  }
  if (e.err) {
    buf->len = len0;
    if (buf->data)
      buf->data[len0] = '\0';
    return e.err;
  }
  buf->len = cur_len(&e);
  buf->data[buf->len] = '\0'; /* putn keeps room for it */
  return 0;
}

int h248_encode_to(const h248_msg_t *msg, unsigned flags, char *out, size_t size)
{
  if (!out || size == 0)
    return -EINVAL;
  out[0] = '\0';
  h248_buf_t b = {0};
  int rc = h248_encode(msg, flags, &b);
  if (rc < 0) {
    h248_buf_free(&b);
    return rc;
  }
  if (b.len + 1 > size || b.len > INT32_MAX) {
    h248_buf_free(&b);
    return -ENOSPC;
  }
  memcpy(out, b.data, b.len + 1);
  rc = (int)b.len;
  h248_buf_free(&b);
  return rc;
}

int h248_msg_equal(const h248_msg_t *a, const h248_msg_t *b)
{
  h248_buf_t ba = {0}, bb = {0};
  int eq_ = h248_encode(a, H248_ENC_COMPACT, &ba) == 0 &&
            h248_encode(b, H248_ENC_COMPACT, &bb) == 0 && ba.len == bb.len &&
            memcmp(ba.data, bb.data, ba.len) == 0;
  h248_buf_free(&ba);
  h248_buf_free(&bb);
  return eq_;
}
