/* h248_decode.c -- H.248.1 Annex B text decoder (recursive descent).
 *
 * Errors unwind with longjmp: every node lives in the message arena, so
 * nothing leaks when h248_decode frees the half-built message. Recursion is
 * bounded (Embed is one level deep), so hostile input cannot exhaust the stack.
 */
#include "config.h"
#include "h248/h248_int.h"

#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dec {
  const char *s;
  size_t n, i;
  h248_msg_t *m;
  h248_error_info_t *ei;
  jmp_buf jb;
  int in_request;  /* inside a transaction request */
  int lvl;         /* 0 message, 1 transaction, 2 action, 3 command */
  int oom;
  /* the word last scanned (scan_word): [wpos, wend) and its token, so that
   * peek_tok and the rd_name that follows scan and look it up once */
  size_t wpos, wend;
  int wtk;
} dec_t;

typedef struct word {
  const char *p;
  size_t n;
  size_t at;
  int tk; /* its token, or TK_NONE */
} word_t;

#define NEW(d, T) ((T *)xalloc((d), sizeof(T)))
#define APPEND(head, node)                                                         \
  do {                                                                             \
    __typeof__(node) *pp_ = &(head);                                               \
    while (*pp_)                                                                   \
      pp_ = &(*pp_)->next;                                                         \
    *pp_ = (node);                                                                 \
  } while (0)

static _Noreturn void fail_at(dec_t *d, size_t at, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static _Noreturn void fail_at(dec_t *d, size_t at, int code, const char *fmt, ...)
{
  h248_error_info_t *e = d->ei;
  if (at > d->n)
    at = d->n;
  e->code = code;
  e->offset = at;
  unsigned line = 1, col = 1;
  for (size_t k = 0; k < at; k++) {
    if (d->s[k] == '\n') {
      line++;
      col = 1;
    } else
      col++;
  }
  e->line = line;
  e->column = col;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->reason, sizeof e->reason, fmt, ap);
  va_end(ap);
  longjmp(d->jb, 1);
}

/* The syntax-error code of the current level (H.248.1 §8.2.2). */
static int syntax_code(dec_t *d)
{
  if (!d->in_request)
    return 400;
  switch (d->lvl) {
  case 1: return 403;
  case 2: return 422;
  case 3: return 442;
  default: return 400;
  }
}

#define SYNTAX(d, ...) fail_at((d), (d)->i, syntax_code(d), __VA_ARGS__)
#define SYNTAX_AT(d, at, ...) fail_at((d), (at), syntax_code(d), __VA_ARGS__)

static void *xalloc(dec_t *d, size_t size)
{
  void *p = h248__arena_alloc(d->m->arena_, size);
  if (!p) {
    d->oom = 1;
    longjmp(d->jb, 1);
  }
  return p;
}

/* not zeroed */
static void *xraw(dec_t *d, size_t size)
{
  void *p = h248__arena_raw(d->m->arena_, size);
  if (!p) {
    d->oom = 1;
    longjmp(d->jb, 1);
  }
  return p;
}

static char *xstrndup(dec_t *d, const char *s, size_t n)
{
  char *p = h248__arena_raw(d->m->arena_, n + 1);
  if (!p) {
    d->oom = 1;
    longjmp(d->jb, 1);
  }
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* ------------------------------------------------------------------- lexer */

static inline int at_end(dec_t *d) { return d->i >= d->n; }
static inline int cur(dec_t *d) { return d->i < d->n ? (unsigned char)d->s[d->i] : -1; }

/* LWSP: white space, line ends and ";" comments. */
static void skip_slow(dec_t *d)
{
  const char *s = d->s;
  size_t i = d->i, n = d->n;
  /* bits of " \t\r\n" */
  const uint64_t ws = (1ull << ' ') | (1ull << '\t') | (1ull << '\r') | (1ull << '\n');
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ') {
      do
        i++;
      while (i < n && s[i] == ' ');
    } else if (c < ' ' && (ws >> c) & 1)
      i++;
    else if (c == ';') {
      while (i < n && s[i] != '\n' && s[i] != '\r')
        i++;
    } else
      break;
  }
  d->i = i;
}

static inline void skip(dec_t *d)
{
  /* mostly there is nothing to skip */
  if (d->i < d->n) {
    unsigned char c = (unsigned char)d->s[d->i];
    if (c > ' ' && c != ';')
      return;
    /* or one space (" = ", ", " of the pretty form) */
    if (c == ' ' && d->i + 1 < d->n) {
      c = (unsigned char)d->s[d->i + 1];
      if (c > ' ' && c != ';') {
        d->i++;
        return;
      }
    }
  }
  skip_slow(d);
}

static inline __attribute__((always_inline)) int peekc(dec_t *d)
{
  skip(d);
  return cur(d);
}

static inline __attribute__((always_inline)) int acc(dec_t *d, char c)
{
  if (peekc(d) == (unsigned char)c) {
    d->i++;
    return 1;
  }
  return 0;
}

static const char *what(dec_t *d)
{
  static __thread char buf[16];
  int c = cur(d);
  if (c < 0)
    return "end of message";
  if (c >= 0x21 && c < 0x7f)
    snprintf(buf, sizeof buf, "'%c'", c);
  else
    snprintf(buf, sizeof buf, "byte 0x%02x", c);
  return buf;
}

static _Noreturn __attribute__((noinline, cold)) void expect_fail(dec_t *d, char c,
                                                                   const char *ctx)
{
  SYNTAX(d, "expected '%c' %s, found %s", c, ctx, what(d));
}

static inline __attribute__((always_inline)) void expect(dec_t *d, char c, const char *ctx)
{
  if (!acc(d, c))
    expect_fail(d, c, ctx);
}

/* Scan the name (ALPHA / DIGIT / "_" / "/" / "*") at d->i once: its end and
 * token stay in d, so the peek_tok and rd_name at the same place reuse it. */
static inline void scan_word(dec_t *d)
{
  if (d->wpos == d->i)
    return;
  const unsigned char *s = (const unsigned char *)d->s;
  size_t j = d->i;
  uint32_t h = 0;
  while (j < d->n && h248__is_name(s[j])) {
    h = h248__tok_step(h, s[j]);
    j++;
  }
  d->wpos = d->i;
  d->wend = j;
  d->wtk = h248__tok_hashed(d->s + d->i, j - d->i, h);
}

/* A name/token: ALPHA / DIGIT / "_" / "/" / "*". */
static word_t rd_name(dec_t *d, const char *ctx)
{
  skip(d);
  scan_word(d);
  word_t w = {d->s + d->i, d->wend - d->i, d->i, d->wtk};
  if (w.n == 0)
    SYNTAX(d, "expected %s, found %s", ctx, what(d));
  if (w.n >= 256)
    SYNTAX_AT(d, w.at, "name too long");
  d->i = d->wend;
  return w;
}

/* Look at the next token without consuming it. */
static int peek_tok(dec_t *d)
{
  skip(d);
  scan_word(d);
  return d->wtk;
}

static char *wdup(dec_t *d, word_t w) { return xstrndup(d, w.p, w.n); }

static uint32_t rd_uint(dec_t *d, uint64_t max, const char *ctx)
{
  skip(d);
  size_t at = d->i;
  uint64_t v = 0;
  int k = 0;
  while (d->i < d->n && H248__IS(d->s[d->i], H248__C_DIGIT)) {
    if (++k > 10)
      SYNTAX_AT(d, at, "%s: number too long", ctx);
    v = v * 10 + (uint64_t)(d->s[d->i] - '0');
    d->i++;
  }
  if (k == 0)
    SYNTAX(d, "expected %s, found %s", ctx, what(d));
  if (d->i < d->n && (H248__IS(d->s[d->i], H248__C_ALPHA) || d->s[d->i] == '_'))
    SYNTAX_AT(d, at, "%s: not a number", ctx);
  if (v > max)
    SYNTAX_AT(d, at, "%s: %llu out of range (max %llu)", ctx, (unsigned long long)v,
              (unsigned long long)max);
  return (uint32_t)v;
}

/* VALUE = quotedString / 1*(SafeChar) */
static void rd_value(dec_t *d, h248_value_t *v, const char *ctx)
{
  skip(d);
  size_t at = d->i;
  if (cur(d) == '"') {
    d->i++;
    size_t b = d->i;
    while (d->i < d->n && d->s[d->i] != '"') {
      if (!h248__is_qchar((unsigned char)d->s[d->i]))
        SYNTAX(d, "%s: %s not allowed in a quoted string", ctx, what(d));
      d->i++;
    }
    if (at_end(d))
      SYNTAX_AT(d, at, "%s: unterminated quoted string", ctx);
    v->str = xstrndup(d, d->s + b, d->i - b);
    v->quoted = 1;
    d->i++;
    return;
  }
  while (d->i < d->n && h248__is_safe((unsigned char)d->s[d->i]) && d->i - at < 4096)
    d->i++;
  if (d->i == at)
    SYNTAX(d, "expected %s value, found %s", ctx, what(d));
  v->str = xstrndup(d, d->s + at, d->i - at);
  v->quoted = 0;
}

/* Termination id: ROOT / $ / * / pathNAME. */
static char *rd_tid(dec_t *d)
{
  skip(d);
  size_t at = d->i;
  while (d->i < d->n && h248__is_tidchar((unsigned char)d->s[d->i]) && d->i - at <= 256)
    d->i++;
  if (d->i == at) {
    if (cur(d) == '{' || cur(d) == ',' || cur(d) == '}' || cur(d) < 0)
      SYNTAX(d, "expected a termination id, found %s", what(d));
    fail_at(d, d->i, 410, "incorrect termination id: %s", what(d));
  }
  if (d->i - at > 256)
    fail_at(d, at, 410, "termination id too long");
  /* the next character must end the id */
  int c = cur(d);
  if (c >= 0 && !H248__IS(c, H248__C_TIDEND))
    fail_at(d, d->i, 410, "incorrect character %s in termination id", what(d));
  return xstrndup(d, d->s + at, d->i - at);
}

static int is_ts_at(dec_t *d, size_t j)
{
  if (j + 17 > d->n)
    return 0;
  for (int k = 0; k < 17; k++) {
    char c = d->s[j + k];
    if (k == 8 ? (c != 'T' && c != 't') : !H248__IS(c, H248__C_DIGIT))
      return 0;
  }
  return 1;
}

/* ---------------------------------------------------------- property values */

static h248_prop_t *p_prop(dec_t *d, word_t name, int allow_none)
{
  h248_prop_t *p = NEW(d, h248_prop_t);
  p->name = wdup(d, name);
  int c = peekc(d);
  if (c == '!' && d->i + 1 < d->n && d->s[d->i + 1] == '=') {
    d->i += 2;
    p->rel = H248_REL_NE;
  } else if (c == '<' || c == '>') {
    d->i++;
    p->rel = c == '<' ? H248_REL_LT : H248_REL_GT;
  } else if (c == '=') {
    d->i++;
  } else {
    if (!allow_none)
      SYNTAX(d, "expected '=' after %.*s, found %s", (int)name.n, name.p, what(d));
    p->kind = H248_VAL_NONE;
    return p;
  }
  if (p->rel != H248_REL_EQ) {
    p->kind = H248_VAL_SINGLE;
    p->v = NEW(d, h248_value_t);
    p->n = 1;
    rd_value(d, &p->v[0], "property");
    return p;
  }
  c = peekc(d);
  if (c == '[' || c == '{') {
    char close = c == '[' ? ']' : '}';
    d->i++;
    size_t cap = 4, n = 0;
    h248_value_t *v = xalloc(d, cap * sizeof *v);
    p->kind = c == '[' ? H248_VAL_LIST : H248_VAL_ALT;
    for (;;) {
      if (n == cap) {
        if (cap >= 1024)
          SYNTAX(d, "too many values");
        h248_value_t *nv = xalloc(d, 2 * cap * sizeof *v);
        memcpy(nv, v, n * sizeof *v);
        v = nv;
        cap *= 2;
      }
      rd_value(d, &v[n++], "list");
      if (c == '[' && n == 1 && acc(d, ':')) {
        rd_value(d, &v[n++], "range");
        p->kind = H248_VAL_RANGE;
        expect(d, ']', "to end a range");
        break;
      }
      if (acc(d, ','))
        continue;
      expect(d, close, "to end a value list");
      break;
    }
    p->v = v;
    p->n = n;
    return p;
  }
  p->kind = H248_VAL_SINGLE;
  p->v = NEW(d, h248_value_t);
  p->n = 1;
  rd_value(d, &p->v[0], "property");
  return p;
}

/* A package property name pkg/item: bare names get 445. */
static word_t rd_pkgd(dec_t *d, int bare_code, const char *what_)
{
  word_t w = rd_name(d, what_);
  char tmp[260];
  memcpy(tmp, w.p, w.n);
  tmp[w.n] = '\0';
  if (!memchr(w.p, '/', w.n))
    fail_at(d, w.at, bare_code, "%s '%s' must be package/item", what_, tmp);
  if (!h248__valid_pkgd(tmp))
    SYNTAX_AT(d, w.at, "bad %s name '%s'", what_, tmp);
  return w;
}

static void check_dup_prop(dec_t *d, h248_prop_t *list, h248_prop_t *p, size_t at)
{
  for (; list; list = list->next)
    if (strcasecmp(list->name, p->name) == 0)
      fail_at(d, at, 456, "property %s appears twice", p->name);
}

/* ------------------------------------------------------------- descriptors */

static h248_error_t *p_error(dec_t *d)
{
  h248_error_t *e = NEW(d, h248_error_t);
  expect(d, '=', "after Error");
  skip(d);
  size_t at = d->i;
  uint32_t code = rd_uint(d, 9999, "error code");
  if (d->i - at > 4)
    SYNTAX_AT(d, at, "error code has more than 4 digits");
  e->code = (uint16_t)code;
  expect(d, '{', "after the error code");
  if (peekc(d) == '"') {
    h248_value_t v;
    rd_value(d, &v, "error text");
    e->text = v.str;
  }
  expect(d, '}', "to end the Error descriptor");
  return e;
}

/* strchr(" \t\r\n", c) != NULL (NUL included; it never gets here) */
static inline int is_sdp_trim(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

/* Local / Remote: octetString up to the first unescaped '}'. */
static char *p_sdp(dec_t *d, const char *which)
{
  expect(d, '{', which);
  size_t b = d->i;
  size_t esc = 0;
  /* find the closing '}' (one not escaped as "\}") with memchr, checking the
   * octets before it for NUL */
  for (;;) {
    const char *q = memchr(d->s + d->i, '}', d->n - d->i);
    size_t stop = q ? (size_t)(q - d->s) : d->n;
    const char *z = memchr(d->s + d->i, '\0', stop - d->i);
    if (z)
      fail_at(d, (size_t)(z - d->s), 474, "NUL byte in %s SDP", which);
    d->i = stop;
    if (q && stop > b && d->s[stop - 1] == '\\') {
      d->i++;
      esc++;
      continue;
    }
    break;
  }
  if (at_end(d))
    SYNTAX_AT(d, b, "unterminated %s descriptor (no closing '}')", which);
  size_t e = d->i;
  d->i++;
  /* the input without leading and trailing white space / line ends */
  size_t k = b, end = e;
  while (k < end && is_sdp_trim(d->s[k]))
    k++;
  while (end > k && is_sdp_trim(d->s[end - 1]))
    end--;
  char *sdp;
  size_t n = 0;
  if (!esc) {
    /* nothing to unescape: the trimmed input is the text */
    sdp = xraw(d, end - k + 3);
    memcpy(sdp, d->s + k, end - k);
    n = end - k;
  } else {
    /* unescape, then trim */
    char *raw = xraw(d, e - b + 3);
    for (size_t q = b; q < e; q++) {
      if (d->s[q] == '\\' && q + 1 < e && d->s[q + 1] == '}') {
        raw[n++] = '}';
        q++;
      } else
        raw[n++] = d->s[q];
    }
    size_t s0 = 0;
    while (s0 < n && is_sdp_trim(raw[s0]))
      s0++;
    while (n > s0 && is_sdp_trim(raw[n - 1]))
      n--;
    sdp = raw + s0;
    n -= s0;
  }
  if (n > 0) {
    char *lf = memchr(sdp, '\n', n);
    int crlf = !lf || (lf > sdp && lf[-1] == '\r');
    if (crlf) {
      sdp[n++] = '\r';
      sdp[n++] = '\n';
    } else
      sdp[n++] = '\n';
  }
  sdp[n] = '\0';
  /* light check on the input text, so that the position names the line:
   * lines "<letter>=" and the first one "v=" */
  for (size_t ln = 0; k < end; ln++) {
    const char *nl = memchr(d->s + k, '\n', end - k);
    size_t le = nl ? (size_t)(nl - d->s) : end;
    size_t len = le - k;
    if (len && d->s[le - 1] == '\r')
      len--;
    if (len < 2 || d->s[k] < 'a' || d->s[k] > 'z' || d->s[k + 1] != '=')
      fail_at(d, k, 474, "invalid SDP line in %s: \"%.*s\"", which,
              (int)(len > 40 ? 40 : len), d->s + k);
    if (ln == 0 && d->s[k] != 'v')
      fail_at(d, k, 474, "SDP in %s must start with v=", which);
    k = le + 1;
  }
  return sdp;
}

static h248_local_control_t *p_lc(dec_t *d)
{
  h248_local_control_t *lc = NEW(d, h248_local_control_t);
  lc->reserve_group = lc->reserve_value = H248_FLAG_UNSET;
  expect(d, '{', "after LocalControl");
  if (acc(d, '}'))
    return lc;
  do {
    skip(d);
    size_t at = d->i;
    int tk = peek_tok(d);
    if (tk == TK_MODE) {
      rd_name(d, "Mode");
      expect(d, '=', "after Mode");
      word_t v = rd_name(d, "a mode");
      int m;
      switch (v.tk) {
      case TK_SENDONLY: m = H248_MODE_SENDONLY; break;
      case TK_RECVONLY: m = H248_MODE_RECVONLY; break;
      case TK_SENDRECV: m = H248_MODE_SENDRECV; break;
      case TK_INACTIVE: m = H248_MODE_INACTIVE; break;
      case TK_LOOPBACK: m = H248_MODE_LOOPBACK; break;
      default: fail_at(d, v.at, 449, "unknown Mode value '%.*s'", (int)v.n, v.p);
      }
      if (lc->mode != H248_MODE_UNSET)
        fail_at(d, at, 456, "Mode appears twice in LocalControl");
      lc->mode = (h248_mode_t)m;
    } else if (tk == TK_RESERVEDGROUP || tk == TK_RESERVEDVALUE) {
      rd_name(d, "token");
      expect(d, '=', "after ReservedGroup/ReservedValue");
      word_t v = rd_name(d, "ON or OFF");
      int t2 = v.tk;
      if (t2 != TK_ON && t2 != TK_OFF)
        fail_at(d, v.at, 449, "expected ON or OFF, found '%.*s'", (int)v.n, v.p);
      int *f = tk == TK_RESERVEDGROUP ? &lc->reserve_group : &lc->reserve_value;
      if (*f != H248_FLAG_UNSET)
        fail_at(d, at, 456, "%s appears twice in LocalControl", h248__tok_long(tk));
      *f = t2 == TK_ON ? H248_FLAG_ON : H248_FLAG_OFF;
    } else {
      word_t w = rd_pkgd(d, 445, "LocalControl property");
      h248_prop_t *p = p_prop(d, w, 0);
      check_dup_prop(d, lc->props, p, at);
      APPEND(lc->props, p);
    }
  } while (acc(d, ','));
  expect(d, '}', "to end LocalControl");
  return lc;
}

/* Statistics { name [= value], ... } */
static h248_prop_t *p_stats(dec_t *d)
{
  h248_prop_t *list = NULL;
  expect(d, '{', "after Statistics");
  if (acc(d, '}'))
    return NULL;
  do {
    skip(d);
    size_t at = d->i;
    word_t w = rd_pkgd(d, 453, "statistic");
    h248_prop_t *p = p_prop(d, w, 1);
    check_dup_prop(d, list, p, at);
    APPEND(list, p);
  } while (acc(d, ','));
  expect(d, '}', "to end Statistics");
  return list;
}

static h248_term_state_t *p_termstate(dec_t *d)
{
  h248_term_state_t *ts = NEW(d, h248_term_state_t);
  expect(d, '{', "after TerminationState");
  if (acc(d, '}'))
    return ts;
  do {
    skip(d);
    size_t at = d->i;
    int tk = peek_tok(d);
    if (tk == TK_SERVICESTATES) {
      rd_name(d, "ServiceStates");
      expect(d, '=', "after ServiceStates");
      word_t v = rd_name(d, "a service state");
      h248_service_state_t ss;
      switch (v.tk) {
      case TK_TEST: ss = H248_SS_TEST; break;
      case TK_OUTOFSERVICE: ss = H248_SS_OUTOFSERVICE; break;
      case TK_INSERVICE: ss = H248_SS_INSERVICE; break;
      default: fail_at(d, v.at, 449, "unknown ServiceStates value '%.*s'", (int)v.n, v.p);
      }
      if (ts->service_state)
        fail_at(d, at, 456, "ServiceStates appears twice");
      ts->service_state = ss;
    } else if (tk == TK_BUFFER) {
      rd_name(d, "Buffer");
      expect(d, '=', "after Buffer");
      word_t v = rd_name(d, "LockStep or Off");
      int t2 = v.tk;
      if (t2 != TK_LOCKSTEP && t2 != TK_OFF)
        fail_at(d, v.at, 449, "unknown Buffer value '%.*s'", (int)v.n, v.p);
      if (ts->buffer)
        fail_at(d, at, 456, "Buffer appears twice");
      ts->buffer = t2 == TK_LOCKSTEP ? H248_BUF_LOCKSTEP : H248_BUF_OFF;
    } else {
      word_t w = rd_pkgd(d, 445, "TerminationState property");
      h248_prop_t *p = p_prop(d, w, 0);
      check_dup_prop(d, ts->props, p, at);
      APPEND(ts->props, p);
    }
  } while (acc(d, ','));
  expect(d, '}', "to end TerminationState");
  return ts;
}

/* streamParm into s; returns 0 when the token is not a stream parameter. */
static int p_stream_parm(dec_t *d, h248_stream_t *s, int tk, size_t at)
{
  switch (tk) {
  case TK_LOCALCONTROL:
    if (s->lc)
      fail_at(d, at, 448, "LocalControl appears twice in a stream");
    rd_name(d, "LocalControl");
    s->lc = p_lc(d);
    return 1;
  case TK_LOCAL:
    if (s->local)
      fail_at(d, at, 448, "Local appears twice in a stream");
    rd_name(d, "Local");
    s->local = p_sdp(d, "Local");
    return 1;
  case TK_REMOTE:
    if (s->remote)
      fail_at(d, at, 448, "Remote appears twice in a stream");
    rd_name(d, "Remote");
    s->remote = p_sdp(d, "Remote");
    return 1;
  case TK_STATISTICS:
    if (s->has_stats)
      fail_at(d, at, 448, "Statistics appears twice in a stream");
    rd_name(d, "Statistics");
    s->has_stats = 1;
    s->stats = p_stats(d);
    return 1;
  default:
    return 0;
  }
}

static h248_media_t *p_media(dec_t *d)
{
  h248_media_t *m = NEW(d, h248_media_t);
  h248_stream_t *implicit = NULL;
  expect(d, '{', "after Media");
  if (acc(d, '}'))
    return m;
  do {
    skip(d);
    size_t at = d->i;
    int tk = peek_tok(d);
    if (tk == TK_TERMSTATE) {
      if (m->ts)
        fail_at(d, at, 448, "TerminationState appears twice in Media");
      rd_name(d, "TerminationState");
      m->ts = p_termstate(d);
    } else if (tk == TK_STREAM) {
      if (implicit)
        SYNTAX_AT(d, at, "Stream descriptor mixed with stream parameters in one Media");
      rd_name(d, "Stream");
      expect(d, '=', "after Stream");
      size_t idat = d->i;
      uint32_t id = rd_uint(d, 65535, "stream id");
      if (id == 0)
        fail_at(d, idat, 449, "stream id 0 is not supported");
      for (h248_stream_t *o = m->streams; o; o = o->next)
        if (o->id == id)
          SYNTAX_AT(d, idat, "Stream %u appears twice in Media", (unsigned)id);
      h248_stream_t *s = NEW(d, h248_stream_t);
      s->id = (uint16_t)id;
      expect(d, '{', "after the stream id");
      if (!acc(d, '}')) {
        do {
          skip(d);
          size_t pat = d->i;
          int ptk = peek_tok(d);
          if (!p_stream_parm(d, s, ptk, pat)) {
            word_t w = rd_name(d, "a stream parameter");
            fail_at(d, w.at, 444, "unknown descriptor '%.*s' in Stream", (int)w.n, w.p);
          }
        } while (acc(d, ','));
        expect(d, '}', "to end Stream");
      }
      APPEND(m->streams, s);
    } else {
      if (!implicit) {
        if (m->streams)
          SYNTAX_AT(d, at, "stream parameters mixed with Stream descriptors in one Media");
        implicit = NEW(d, h248_stream_t);
        implicit->id = 1;
        implicit->implicit = 1;
        m->streams = implicit;
      }
      if (!p_stream_parm(d, implicit, tk, at)) {
        word_t w = rd_name(d, "a media parameter");
        fail_at(d, w.at, 444, "unknown descriptor '%.*s' in Media", (int)w.n, w.p);
      }
    }
  } while (acc(d, ','));
  expect(d, '}', "to end Media");
  return m;
}

static struct h248_signals *p_signals(dec_t *d);
static h248_events_t *p_events(dec_t *d, int depth);

/* Parameters of a requested event / observed event / signal. */
static uint16_t rd_stream_param(dec_t *d, uint16_t prev, size_t at)
{
  expect(d, '=', "after Stream");
  size_t idat = d->i;
  uint32_t id = rd_uint(d, 65535, "stream id");
  if (id == 0)
    fail_at(d, idat, 449, "stream id 0 is not supported");
  if (prev)
    fail_at(d, at, 456, "Stream appears twice");
  return (uint16_t)id;
}

static word_t rd_param_name(dec_t *d)
{
  word_t w = rd_name(d, "a parameter");
  char tmp[260];
  memcpy(tmp, w.p, w.n);
  tmp[w.n] = '\0';
  if (!h248__valid_pname(tmp))
    fail_at(d, w.at, 446, "bad parameter name '%s'", tmp);
  return w;
}

static h248_event_t *p_event(dec_t *d, int observed, int depth)
{
  h248_event_t *e = NEW(d, h248_event_t);
  skip(d);
  if (observed && is_ts_at(d, d->i)) {
    e->timestamp = xstrndup(d, d->s + d->i, 17);
    d->i += 17;
    expect(d, ':', "after the time stamp");
  }
  word_t w = rd_pkgd(d, 451, "event");
  e->name = wdup(d, w);
  if (!acc(d, '{'))
    return e;
  if (acc(d, '}'))
    return e;
  do {
    skip(d);
    size_t at = d->i;
    int tk = peek_tok(d);
    if (tk == TK_STREAM) {
      rd_name(d, "Stream");
      e->stream = rd_stream_param(d, e->stream, at);
    } else if (tk == TK_KEEPACTIVE && !observed) {
      rd_name(d, "KeepActive");
      e->keep_active = 1;
    } else if (tk == TK_EMBED && !observed) {
      rd_name(d, "Embed");
      if (depth > 0)
        SYNTAX_AT(d, at, "Embed inside an embedded event");
      if (e->embed_events || e->embed_signals)
        fail_at(d, at, 456, "Embed appears twice");
      expect(d, '{', "after Embed");
      do {
        skip(d);
        size_t eat = d->i;
        int etk = peek_tok(d);
        if (etk == TK_SIGNALS && !e->embed_signals && !e->embed_events) {
          rd_name(d, "Signals");
          e->embed_signals = p_signals(d);
        } else if (etk == TK_EVENTS && !e->embed_events) {
          rd_name(d, "Events");
          e->embed_events = p_events(d, depth + 1);
          if (!e->embed_events->has_request_id)
            SYNTAX_AT(d, eat, "embedded Events needs a RequestID");
        } else
          SYNTAX_AT(d, eat, "expected Signals or Events in Embed");
      } while (acc(d, ','));
      expect(d, '}', "to end Embed");
    } else if (tk == TK_DIGITMAP) {
      fail_at(d, at, 501, "DigitMap in an event is not implemented");
    } else {
      word_t pn = rd_param_name(d);
      h248_prop_t *p = p_prop(d, pn, 1);
      check_dup_prop(d, e->params, p, at);
      APPEND(e->params, p);
    }
  } while (acc(d, ','));
  expect(d, '}', "to end the event parameters");
  return e;
}

/* After the Events token. */
static h248_events_t *p_events(dec_t *d, int depth)
{
  h248_events_t *ev = NEW(d, h248_events_t);
  if (!acc(d, '='))
    return ev; /* bare "Events" */
  ev->has_request_id = 1;
  ev->request_id = rd_uint(d, UINT32_MAX, "RequestID");
  expect(d, '{', "after the Events RequestID");
  if (acc(d, '}'))
    return ev;
  do {
    h248_event_t *e = p_event(d, 0, depth);
    APPEND(ev->events, e);
  } while (acc(d, ','));
  expect(d, '}', "to end Events");
  return ev;
}

static h248_observed_t *p_observed(dec_t *d)
{
  h248_observed_t *o = NEW(d, h248_observed_t);
  expect(d, '=', "after ObservedEvents");
  o->request_id = rd_uint(d, UINT32_MAX, "RequestID");
  expect(d, '{', "after the ObservedEvents RequestID");
  if (acc(d, '}'))
    return o;
  do {
    h248_event_t *e = p_event(d, 1, 1);
    APPEND(o->events, e);
  } while (acc(d, ','));
  expect(d, '}', "to end ObservedEvents");
  return o;
}

static unsigned rd_nc_reason(dec_t *d)
{
  word_t w = rd_name(d, "a NotifyCompletion reason");
  switch (w.tk) {
  case TK_TIMEOUT: return H248_NC_TIMEOUT;
  case TK_INTBYEVENT: return H248_NC_INTBYEVENT;
  case TK_INTBYSIGDESCR: return H248_NC_INTBYSIGDESCR;
  case TK_OTHERREASON: return H248_NC_OTHERREASON;
  case TK_ITERATION: return H248_NC_ITERATION;
  default: fail_at(d, w.at, 449, "unknown NotifyCompletion reason '%.*s'", (int)w.n, w.p);
  }
}

/* After the Signals token. */
static h248_signals_t *p_signals(dec_t *d)
{
  h248_signals_t *sg = NEW(d, h248_signals_t);
  if (!acc(d, '{'))
    return sg; /* bare "Signals" */
  if (acc(d, '}'))
    return sg;
  do {
    skip(d);
    size_t at = d->i;
    if (peek_tok(d) == TK_SIGNALLIST)
      fail_at(d, at, 501, "SignalList is not implemented");
    h248_signal_t *s = NEW(d, h248_signal_t);
    word_t w = rd_pkgd(d, 452, "signal");
    s->name = wdup(d, w);
    if (acc(d, '{') && !acc(d, '}')) {
      do {
        skip(d);
        size_t pat = d->i;
        int tk = peek_tok(d);
        if (tk == TK_STREAM) {
          rd_name(d, "Stream");
          s->stream = rd_stream_param(d, s->stream, pat);
        } else if (tk == TK_SIGNALTYPE) {
          rd_name(d, "SignalType");
          expect(d, '=', "after SignalType");
          word_t v = rd_name(d, "a signal type");
          h248_signal_type_t st;
          switch (v.tk) {
          case TK_ONOFF: st = H248_SIGTYPE_ONOFF; break;
          case TK_TIMEOUT: st = H248_SIGTYPE_TIMEOUT; break;
          case TK_BRIEF: st = H248_SIGTYPE_BRIEF; break;
          default: fail_at(d, v.at, 449, "unknown SignalType '%.*s'", (int)v.n, v.p);
          }
          if (s->type)
            fail_at(d, pat, 456, "SignalType appears twice");
          s->type = st;
        } else if (tk == TK_DURATION) {
          rd_name(d, "Duration");
          expect(d, '=', "after Duration");
          if (s->has_duration)
            fail_at(d, pat, 456, "Duration appears twice");
          s->duration = rd_uint(d, 65535, "Duration");
          s->has_duration = 1;
        } else if (tk == TK_NOTIFYCOMPLETION) {
          rd_name(d, "NotifyCompletion");
          expect(d, '=', "after NotifyCompletion");
          if (s->notify_completion)
            fail_at(d, pat, 456, "NotifyCompletion appears twice");
          if (acc(d, '{')) {
            do
              s->notify_completion |= rd_nc_reason(d);
            while (acc(d, ','));
            expect(d, '}', "to end NotifyCompletion");
          } else
            s->notify_completion = rd_nc_reason(d);
        } else if (tk == TK_KEEPACTIVE) {
          rd_name(d, "KeepActive");
          s->keep_active = 1;
        } else {
          word_t pn = rd_param_name(d);
          h248_prop_t *p = p_prop(d, pn, 1);
          check_dup_prop(d, s->params, p, pat);
          APPEND(s->params, p);
        }
      } while (acc(d, ','));
      expect(d, '}', "to end the signal parameters");
    }
    APPEND(sg->signals, s);
  } while (acc(d, ','));
  expect(d, '}', "to end Signals");
  return sg;
}

static h248_audit_t *p_audit(dec_t *d)
{
  h248_audit_t *au = NEW(d, h248_audit_t);
  expect(d, '{', "after Audit");
  if (acc(d, '}'))
    return au;
  char *items[16];
  size_t n = 0;
  do {
    word_t w = rd_name(d, "an audit item");
    int tk = w.tk;
    switch (tk) {
    case TK_MEDIA: case TK_EVENTS: case TK_SIGNALS: case TK_OBSERVEDEVENTS:
    case TK_DIGITMAP: case TK_STATISTICS: case TK_PACKAGES: case TK_EVENTBUFFER:
    case TK_MODEM: case TK_MUX:
      break;
    default:
      fail_at(d, w.at, 444, "unknown audit item '%.*s'", (int)w.n, w.p);
    }
    if (peekc(d) == '{' || peekc(d) == '=')
      fail_at(d, d->i, 501, "individual audit descriptors are not implemented");
    for (size_t k = 0; k < n; k++)
      if (strcmp(items[k], h248__tok_long(tk)) == 0)
        fail_at(d, w.at, 456, "audit item %s appears twice", items[k]);
    if (n == 16)
      SYNTAX_AT(d, w.at, "too many audit items");
    items[n++] = (char *)h248__tok_long(tk);
  } while (acc(d, ','));
  expect(d, '}', "to end Audit");
  au->items = xalloc(d, n * sizeof(char *));
  for (size_t k = 0; k < n; k++)
    au->items[k] = xstrndup(d, items[k], strlen(items[k]));
  au->n = n;
  return au;
}

static h248_prop_t *p_packages(dec_t *d)
{
  h248_prop_t *list = NULL;
  expect(d, '{', "after Packages");
  if (acc(d, '}'))
    return NULL;
  do {
    word_t w = rd_name(d, "a package name");
    if (memchr(w.p, '/', w.n) || memchr(w.p, '*', w.n))
      SYNTAX_AT(d, w.at, "bad package name");
    if (cur(d) != '-')
      SYNTAX(d, "expected '-' and a version after the package name");
    d->i++;
    size_t vat = d->i;
    uint32_t v = rd_uint(d, 99, "package version");
    if (d->i - vat > 2)
      SYNTAX_AT(d, vat, "bad package version");
    h248_prop_t *p = NEW(d, h248_prop_t);
    char buf[300];
    snprintf(buf, sizeof buf, "%.*s-%u", (int)w.n, w.p, (unsigned)v);
    p->name = xstrndup(d, buf, strlen(buf));
    APPEND(list, p);
  } while (acc(d, ','));
  expect(d, '}', "to end Packages");
  return list;
}

/* mId-valued ServiceChange parameters (kept as written). */
static char *rd_mid_text(dec_t *d, const char *ctx, int port_ok)
{
  skip(d);
  size_t at = d->i;
  if (port_ok && H248__IS(cur(d), H248__C_DIGIT)) {
    uint32_t p = rd_uint(d, 65535, "port");
    (void)p;
    if (d->i - at > 5)
      SYNTAX_AT(d, at, "%s: port number too long", ctx);
    return xstrndup(d, d->s + at, d->i - at);
  }
  h248_mid_t mid;
  size_t used = h248__scan_mid(d->s + at, d->n - at, NULL, &mid);
  if (!used)
    SYNTAX(d, "expected an mId for %s, found %s", ctx, what(d));
  d->i += used;
  return xstrndup(d, d->s + at, used);
}

static h248_service_change_t *p_services(dec_t *d)
{
  h248_service_change_t *sc = NEW(d, h248_service_change_t);
  expect(d, '{', "after Services");
  if (acc(d, '}'))
    return sc;
  do {
    skip(d);
    size_t at = d->i;
    if (is_ts_at(d, d->i)) {
      if (sc->timestamp)
        fail_at(d, at, 456, "TimeStamp appears twice");
      sc->timestamp = xstrndup(d, d->s + d->i, 17);
      d->i += 17;
      continue;
    }
    word_t w = rd_name(d, "a ServiceChange parameter");
    int tk = w.tk;
    expect(d, '=', "after the ServiceChange parameter");
    switch (tk) {
    case TK_METHOD: {
      if (sc->method)
        fail_at(d, at, 456, "Method appears twice");
      skip(d);
      size_t vat = d->i;
      h248_value_t v;
      rd_value(d, &v, "Method");
      int mt = h248__tok(v.str, strlen(v.str));
      switch (mt) {
      case TK_FAILOVER: case TK_FORCED: case TK_GRACEFUL: case TK_RESTART:
      case TK_DISCONNECTED: case TK_HANDOFF:
        sc->method = xstrndup(d, h248__tok_long(mt), strlen(h248__tok_long(mt)));
        break;
      default:
        if ((v.str[0] == 'X' || v.str[0] == 'x') && (v.str[1] == '-' || v.str[1] == '+') &&
            !v.quoted && h248__valid_pname(v.str + 2))
          sc->method = v.str;
        else
          fail_at(d, vat, 449, "unknown ServiceChange Method '%s'", v.str);
      }
      break;
    }
    case TK_REASON: {
      if (sc->reason)
        fail_at(d, at, 456, "Reason appears twice");
      h248_value_t v;
      rd_value(d, &v, "Reason");
      sc->reason = v.str;
      break;
    }
    case TK_DELAY:
      if (sc->has_delay)
        fail_at(d, at, 456, "Delay appears twice");
      sc->delay = rd_uint(d, UINT32_MAX, "Delay");
      sc->has_delay = 1;
      break;
    case TK_SCADDRESS:
      if (sc->address)
        fail_at(d, at, 456, "ServiceChangeAddress appears twice");
      sc->address = rd_mid_text(d, "ServiceChangeAddress", 1);
      break;
    case TK_MGCIDTOTRY:
      if (sc->mgc_id)
        fail_at(d, at, 456, "MgcIdToTry appears twice");
      sc->mgc_id = rd_mid_text(d, "MgcIdToTry", 0);
      break;
    case TK_PROFILE: {
      if (sc->profile)
        fail_at(d, at, 456, "Profile appears twice");
      word_t v = rd_name(d, "a profile name");
      if (!H248__IS(v.p[0], H248__C_ALPHA))
        SYNTAX_AT(d, v.at, "a profile name starts with a letter");
      size_t e = d->i;
      /* NAME "/" Version; allow "-"/"." inside the name as seen in the field */
      while (e < d->n && (h248__is_name((unsigned char)d->s[e]) || d->s[e] == '-' ||
                          d->s[e] == '.'))
        e++;
      d->i = e;
      v.n = e - v.at;
      sc->profile = wdup(d, v);
      break;
    }
    case TK_VERSION: {
      if (sc->version)
        fail_at(d, at, 456, "Version appears twice");
      uint32_t v = rd_uint(d, 99, "Version");
      if (v == 0)
        fail_at(d, at, 449, "Version 0");
      sc->version = (int)v;
      break;
    }
    default:
      fail_at(d, w.at, 446, "unknown ServiceChange parameter '%.*s'", (int)w.n, w.p);
    }
  } while (acc(d, ','));
  expect(d, '}', "to end Services");
  return sc;
}

/* ---------------------------------------------------------------- commands */

static const char *tkname(word_t w)
{
  static __thread char buf[40];
  snprintf(buf, sizeof buf, "%.*s", (int)(w.n > 32 ? 32 : w.n), w.p);
  return buf;
}

static int legal(h248_cmd_type_t ct, int reply, int tk)
{
  if (reply) {
    if (ct == H248_CMD_SERVICECHANGE)
      return tk == TK_SERVICES || tk == TK_ERROR;
    switch (tk) {
    case TK_MEDIA: case TK_EVENTS: case TK_SIGNALS: case TK_DIGITMAP:
    case TK_OBSERVEDEVENTS: case TK_STATISTICS: case TK_PACKAGES: case TK_ERROR:
      return 1;
    default:
      return 0;
    }
  }
  switch (ct) {
  case H248_CMD_ADD: case H248_CMD_MODIFY: case H248_CMD_MOVE:
    return tk == TK_MEDIA || tk == TK_EVENTS || tk == TK_SIGNALS || tk == TK_DIGITMAP ||
           tk == TK_AUDIT || tk == TK_STATISTICS;
  case H248_CMD_SUBTRACT: case H248_CMD_AUDITVALUE: case H248_CMD_AUDITCAP:
    return tk == TK_AUDIT;
  case H248_CMD_NOTIFY:
    return tk == TK_OBSERVEDEVENTS || tk == TK_ERROR;
  case H248_CMD_SERVICECHANGE:
    return tk == TK_SERVICES;
  }
  return 0;
}

static void p_descriptor(dec_t *d, h248_cmd_t *c, int reply)
{
  skip(d);
  size_t at = d->i;
  word_t w = rd_name(d, "a descriptor");
  int tk = w.tk;
  switch (tk) {
  case TK_MEDIA: case TK_EVENTS: case TK_SIGNALS: case TK_DIGITMAP: case TK_AUDIT:
  case TK_STATISTICS: case TK_OBSERVEDEVENTS: case TK_SERVICES: case TK_ERROR:
  case TK_PACKAGES:
    break;
  case TK_MODEM: case TK_MUX: case TK_EVENTBUFFER: case TK_TOPOLOGY:
    fail_at(d, at, 501, "%s descriptor is not implemented", h248__tok_long(tk));
  default:
    fail_at(d, at, 444, "unknown descriptor '%s'", tkname(w));
  }
  if (!legal(c->type, reply, tk))
    fail_at(d, at, 447, "%s descriptor not legal in %s %s", h248__tok_long(tk),
            h248_cmd_name(c->type), reply ? "reply" : "request");
#define ONCE(cond)                                                                 \
  if (cond)                                                                        \
  fail_at(d, at, 448, "%s descriptor appears twice", h248__tok_long(tk))
  switch (tk) {
  case TK_MEDIA: ONCE(c->media); c->media = p_media(d); break;
  case TK_EVENTS: ONCE(c->events); c->events = p_events(d, 0); break;
  case TK_SIGNALS: ONCE(c->signals); c->signals = p_signals(d); break;
  case TK_AUDIT: ONCE(c->audit); c->audit = p_audit(d); break;
  case TK_STATISTICS: ONCE(c->has_stats); c->has_stats = 1; c->stats = p_stats(d); break;
  case TK_OBSERVEDEVENTS: ONCE(c->observed); c->observed = p_observed(d); break;
  case TK_SERVICES: ONCE(c->svc); c->svc = p_services(d); break;
  case TK_ERROR: ONCE(c->error); c->error = p_error(d); break;
  case TK_PACKAGES: ONCE(c->has_packages); c->has_packages = 1; c->packages = p_packages(d); break;
  case TK_DIGITMAP: {
    ONCE(c->digitmap);
    if (!acc(d, '='))
      fail_at(d, d->i, 501, "DigitMap value form is not implemented");
    word_t v = rd_name(d, "a digit map name");
    char tmp[260];
    memcpy(tmp, v.p, v.n);
    tmp[v.n] = '\0';
    if (strchr(tmp, '/') || !h248__valid_pname(tmp))
      SYNTAX_AT(d, v.at, "bad digit map name '%s'", tmp);
    if (peekc(d) == '{')
      fail_at(d, d->i, 501, "DigitMap value form is not implemented");
    c->digitmap = wdup(d, v);
    break;
  }
  }
#undef ONCE
}

static h248_cmd_t *p_command(dec_t *d, int reply)
{
  skip(d);
  size_t at = d->i;
  h248_cmd_t *c = NEW(d, h248_cmd_t);
  /* "O-" and "W-" prefixes */
  for (;;) {
    if (d->i + 2 < d->n && d->s[d->i + 1] == '-' && H248__IS(d->s[d->i + 2], H248__C_ALPHA)) {
      char p = (char)toupper((unsigned char)d->s[d->i]);
      if (p == 'O' && !c->optional && !c->wildcard_reply) {
        c->optional = 1;
        d->i += 2;
        continue;
      }
      if (p == 'W' && !c->wildcard_reply) {
        c->wildcard_reply = 1;
        d->i += 2;
        continue;
      }
    }
    break;
  }
  word_t w = rd_name(d, "a command");
  switch (w.tk) {
  case TK_ADD: c->type = H248_CMD_ADD; break;
  case TK_MODIFY: c->type = H248_CMD_MODIFY; break;
  case TK_SUBTRACT: c->type = H248_CMD_SUBTRACT; break;
  case TK_MOVE: c->type = H248_CMD_MOVE; break;
  case TK_AUDITVALUE: c->type = H248_CMD_AUDITVALUE; break;
  case TK_AUDITCAP: c->type = H248_CMD_AUDITCAP; break;
  case TK_NOTIFY: c->type = H248_CMD_NOTIFY; break;
  case TK_SERVICECHANGE: c->type = H248_CMD_SERVICECHANGE; break;
  default:
    fail_at(d, w.at, 443, "unknown command '%s'", tkname(w));
  }
  if ((c->optional || c->wildcard_reply) && reply)
    SYNTAX_AT(d, at, "O-/W- prefix in a reply");
  int save = d->lvl;
  d->lvl = 3;
  expect(d, '=', "after the command");
  /* termIDList */
  if (acc(d, '[')) {
    size_t cap = 4;
    c->tid = xalloc(d, cap * sizeof(char *));
    do {
      if (c->ntid == cap) {
        if (cap >= 256)
          SYNTAX(d, "too many termination ids");
        char **nt = xalloc(d, 2 * cap * sizeof(char *));
        memcpy(nt, c->tid, c->ntid * sizeof(char *));
        c->tid = nt;
        cap *= 2;
      }
      c->tid[c->ntid++] = rd_tid(d);
    } while (acc(d, ','));
    expect(d, ']', "to end the termination id list");
  } else {
    c->tid = xalloc(d, sizeof(char *));
    c->tid[0] = rd_tid(d);
    c->ntid = 1;
  }
  if (acc(d, '{')) {
    do
      p_descriptor(d, c, reply);
    while (acc(d, ','));
    expect(d, '}', "to end the command");
  }
  if (!reply) {
    if (c->type == H248_CMD_NOTIFY && !c->observed)
      SYNTAX_AT(d, at, "Notify without ObservedEvents");
    if (c->type == H248_CMD_SERVICECHANGE) {
      if (!c->svc)
        SYNTAX_AT(d, at, "ServiceChange without Services");
      if (!c->svc->method || !c->svc->reason)
        SYNTAX_AT(d, at, "ServiceChange needs Method and Reason");
    }
  }
  d->lvl = save;
  return c;
}

/* ----------------------------------------------------------------- actions */

static h248_action_t *p_action(dec_t *d, int reply)
{
  h248_action_t *a = NEW(d, h248_action_t);
  a->priority = -1;
  a->emergency = H248_FLAG_UNSET;
  skip(d);
  word_t w = rd_name(d, "Context");
  if (w.tk != TK_CONTEXT)
    SYNTAX_AT(d, w.at, "expected Context, found '%s'", tkname(w));
  d->lvl = 2;
  expect(d, '=', "after Context");
  int c = peekc(d);
  if (c == '$' || c == '-' || c == '*') {
    d->i++;
    a->ctx.kind = c == '$' ? H248_CTX_CHOOSE : c == '-' ? H248_CTX_NULL : H248_CTX_ALL;
  } else {
    a->ctx.kind = H248_CTX_ID;
    a->ctx.id = rd_uint(d, UINT32_MAX, "context id");
  }
  if (!acc(d, '{')) {
    if (!reply)
      SYNTAX(d, "expected '{' after the context id, found %s", what(d));
    return a;
  }
  int items = 0;
  do {
    skip(d);
    size_t at = d->i;
    int tk = peek_tok(d);
    items++;
    switch (tk) {
    case TK_PRIORITY: {
      rd_name(d, "Priority");
      expect(d, '=', "after Priority");
      size_t vat = d->i;
      uint32_t p = rd_uint(d, UINT32_MAX, "Priority");
      if (p > 15)
        fail_at(d, vat, 449, "Priority %u out of range 0..15", (unsigned)p);
      if (a->priority >= 0)
        fail_at(d, at, 456, "Priority appears twice");
      a->priority = (int)p;
      break;
    }
    case TK_EMERGENCY: case TK_EMERGENCYOFF:
      rd_name(d, "Emergency");
      if (a->emergency != H248_FLAG_UNSET)
        fail_at(d, at, 456, "Emergency appears twice");
      a->emergency = tk == TK_EMERGENCY ? H248_FLAG_ON : H248_FLAG_OFF;
      break;
    case TK_TOPOLOGY: case TK_IEPS: case TK_CONTEXTAUDIT: case TK_CONTEXTATTR:
      fail_at(d, at, 501, "%s is not implemented", h248__tok_long(tk));
    case TK_ERROR:
      if (!reply)
        SYNTAX_AT(d, at, "Error in an action request");
      if (a->error)
        fail_at(d, at, 448, "Error appears twice in an action");
      rd_name(d, "Error");
      a->error = p_error(d);
      break;
    default: {
      h248_cmd_t *cmd = p_command(d, reply);
      APPEND(a->cmds, cmd);
      d->lvl = 2;
    }
    }
  } while (acc(d, ','));
  expect(d, '}', "to end the Context");
  if (!reply && !a->cmds)
    SYNTAX(d, "action without a command");
  return a;
}

/* ------------------------------------------------------------ transactions */

static h248_trans_t *p_transaction(dec_t *d)
{
  skip(d);
  size_t at = d->i;
  word_t w = rd_name(d, "a transaction");
  int tk = w.tk;
  h248_trans_t *t = NEW(d, h248_trans_t);
  d->in_request = 0;
  d->lvl = 1;
  switch (tk) {
  case TK_TRANSACTION:
    t->type = H248_TRANS_REQUEST;
    expect(d, '=', "after Transaction");
    t->id = rd_uint(d, UINT32_MAX, "TransactionID");
    d->in_request = 1;
    d->ei->has_trans_id = 1;
    d->ei->trans_id = t->id;
    expect(d, '{', "after the TransactionID");
    do {
      h248_action_t *a = p_action(d, 0);
      APPEND(t->actions, a);
      d->lvl = 1;
    } while (acc(d, ','));
    expect(d, '}', "to end the Transaction");
    d->in_request = 0;
    d->ei->has_trans_id = 0;
    break;
  case TK_REPLY:
    t->type = H248_TRANS_REPLY;
    expect(d, '=', "after Reply");
    t->id = rd_uint(d, UINT32_MAX, "TransactionID");
    if (peekc(d) == '/')
      fail_at(d, d->i, 501, "segmented replies are not implemented");
    expect(d, '{', "after the TransactionID");
    if (peek_tok(d) == TK_IMMACK) {
      rd_name(d, "ImmAckRequired");
      t->imm_ack = 1;
      if (!acc(d, ',')) {
        expect(d, '}', "after ImmAckRequired");
        SYNTAX(d, "Reply without an action or error");
      }
    }
    if (peek_tok(d) == TK_ERROR) {
      rd_name(d, "Error");
      t->error = p_error(d);
    } else {
      do {
        h248_action_t *a = p_action(d, 1);
        APPEND(t->actions, a);
        d->lvl = 1;
      } while (acc(d, ','));
    }
    expect(d, '}', "to end the Reply");
    break;
  case TK_PENDING:
    t->type = H248_TRANS_PENDING;
    expect(d, '=', "after Pending");
    t->id = rd_uint(d, UINT32_MAX, "TransactionID");
    expect(d, '{', "after the TransactionID");
    expect(d, '}', "to end Pending");
    break;
  case TK_RESPONSEACK: {
    t->type = H248_TRANS_ACK;
    expect(d, '{', "after TransactionResponseAck");
    size_t cap = 4;
    t->acks = xalloc(d, cap * sizeof *t->acks);
    do {
      if (t->nacks == cap) {
        if (cap >= 4096)
          SYNTAX(d, "too many acknowledged transactions");
        h248_ack_range_t *na = xalloc(d, 2 * cap * sizeof *na);
        memcpy(na, t->acks, t->nacks * sizeof *na);
        t->acks = na;
        cap *= 2;
      }
      skip(d);
      size_t rat = d->i;
      uint32_t first = rd_uint(d, UINT32_MAX, "TransactionID"), last = first;
      if (acc(d, '-'))
        last = rd_uint(d, UINT32_MAX, "TransactionID");
      if (last < first)
        SYNTAX_AT(d, rat, "acknowledged range %u-%u is reversed", (unsigned)first,
                  (unsigned)last);
      t->acks[t->nacks].first = first;
      t->acks[t->nacks].last = last;
      t->nacks++;
    } while (acc(d, ','));
    expect(d, '}', "to end TransactionResponseAck");
    break;
  }
  case TK_SEGMENTREPLY:
    fail_at(d, at, 501, "segment replies are not implemented");
  default:
    fail_at(d, at, 400, "expected Transaction, Reply, Pending or TransactionResponseAck, "
                        "found '%s'", tkname(w));
  }
  d->lvl = 0;
  return t;
}

static void p_message(dec_t *d)
{
  h248_msg_t *m = d->m;
  skip(d);
  size_t at = d->i;
  if (cur(d) == '!') {
    d->i++;
  } else {
    word_t w = {d->s + d->i, 0, d->i, TK_NONE};
    while (d->i < d->n && H248__IS(d->s[d->i], H248__C_ALPHA) && w.n < 32) {
      d->i++;
      w.n++;
    }
    int tk = h248__tok(w.p, w.n);
    if (tk == TK_AUTH)
      fail_at(d, at, 501, "authentication header is not implemented");
    if (tk != TK_MEGACO)
      fail_at(d, at, 400, "expected MEGACO/<version>, found '%s'", tkname(w));
  }
  if (cur(d) != '/')
    fail_at(d, d->i, 400, "expected '/' after MEGACO");
  d->i++;
  size_t vat = d->i;
  int v = 0, k = 0;
  while (H248__IS(cur(d), H248__C_DIGIT) && k < 3) {
    v = v * 10 + (cur(d) - '0');
    d->i++;
    k++;
  }
  if (k == 0 || k > 2)
    fail_at(d, vat, 400, "bad version number");
  if (v < 1 || v > 3)
    fail_at(d, vat, 406, "version %d not supported (1..3)", v);
  m->version = v;
  size_t b = d->i;
  skip(d);
  if (d->i == b)
    fail_at(d, d->i, 400, "expected white space after the version");
  size_t mat = d->i;
  size_t used = h248__scan_mid(d->s + d->i, d->n - d->i, m, &m->mid);
  if (!used)
    fail_at(d, mat, 400, "bad mId");
  if (!m->mid.name) {
    d->oom = 1;
    longjmp(d->jb, 1);
  }
  d->i += used;
  b = d->i;
  skip(d);
  if (d->i == b && !at_end(d))
    fail_at(d, d->i, 400, "expected white space after the mId");
  if (at_end(d))
    fail_at(d, d->i, 400, "message has no body");
  if (peek_tok(d) == TK_ERROR) {
    rd_name(d, "Error");
    m->error = p_error(d);
  } else {
    size_t count = 0;
    while (!(skip(d), at_end(d))) {
      if (++count > H248_IQ_MAX_TRANS)
        fail_at(d, d->i, 413, "more than %d transactions in one message", H248_IQ_MAX_TRANS);
      h248_trans_t *t = p_transaction(d);
      APPEND(m->trans, t);
    }
  }
  skip(d);
  if (!at_end(d))
    fail_at(d, d->i, 400, "unexpected %s after the message", what(d));
}

/* Runs the parser under setjmp; returns 0, -EBADMSG or -ENOMEM. */
static int run(dec_t *d, const char *nul)
{
  if (setjmp(d->jb))
    return d->oom ? -ENOMEM : -EBADMSG;
  if (nul)
    fail_at(d, (size_t)(nul - d->s), 400, "NUL byte in message");
  p_message(d);
  return 0;
}

int h248_decode(const char *text, size_t len, h248_msg_t **out, h248_error_info_t *err)
{
  h248_error_info_t dummy;
  h248_error_info_t *ei = err ? err : &dummy;
  if (!out)
    return -EINVAL;
  *out = NULL;
  if (!text)
    return -EINVAL;
  memset(ei, 0, sizeof *ei);
  dec_t d = {.s = text, .n = len, .ei = ei, .wpos = SIZE_MAX};
  /* the model of a message takes up to about twice its text; a first chunk
   * under 1 KiB stays in malloc's per-thread cache */
  d.m = h248__msg_new_sized(len < 1500 ? 2 * len + 256 : 4000);
  if (!d.m)
    return -ENOMEM;
  /* NUL bytes are never legal: refuse them early */
  int rc = run(&d, memchr(text, '\0', len));
  if (rc < 0) {
    h248_msg_free(d.m);
    if (rc == -ENOMEM) {
      memset(ei, 0, sizeof *ei);
      ei->code = 500;
      snprintf(ei->reason, sizeof ei->reason, "out of memory");
    }
    return rc;
  }
  *out = d.m;
  return 0;
}
