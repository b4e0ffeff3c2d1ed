/* scn.c -- the wicsim scenario file parser and template expansion. */
#include "config.h"
#include "scenarios/scn.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS 64

struct pstate {
  struct scn *s;
  const char *file;
  int line;
  char *err;
  size_t errlen;
};

static int perr(struct pstate *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct pstate *p, const char *fmt, ...)
{
  if (p->err && p->errlen) {
    int n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, p->line);
    if (n < 0)
      n = 0;
    if ((size_t)n < p->errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return -EINVAL;
}

static void *grow(void *arr, size_t n, size_t size)
{
  /* grow by one element (amortised doubling on powers of two) */
  if (n == 0 || (n & (n - 1)) == 0) {
    size_t cap = n ? n * 2 : 4;
    return realloc(arr, cap * size);
  }
  return arr;
}

const char *scn_role_name(enum scn_role r)
{
  switch (r) {
  case SCN_ROLE_WIC: return "WIC";
  case SCN_ROLE_UEB: return "UE-B";
  case SCN_ROLE_H248: return "H248";
  default: return "?";
  }
}

static const char *const builtin_vars[] = {
  "wic.ip", "wic.port", "wic.port.2", "wic.sip-port", "wic.fingerprint", "wic.ufrag", "wic.pwd",
  "wic.path", "wic.path.2", "wic.uri", "wic.sess",
  "ueb.ip", "ueb.port", "ueb.port.2", "ueb.sip-port", "ueb.path", "ueb.path.2", "ueb.uri",
  "ueb.sess", "target", "bad.fingerprint", "rand", "call-id",
  /* WIC as callee: taken from the data-channel offer the WIC received */
  "agw.ip", "agw.port", "agw.ufrag", "agw.pwd", "agw.fingerprint", "agw.sctp-port",
  "agw.max-message-size", "dc.id", NULL,
};

int scn_builtin_var(const char *name)
{
  for (size_t i = 0; builtin_vars[i]; i++)
    if (strcmp(builtin_vars[i], name) == 0)
      return 1;
  return 0;
}

long scn_parse_duration(const char *s)
{
  if (!s || !*s)
    return -1;
  char *end;
  double v = strtod(s, &end);
  if (end == s || v < 0)
    return -1;
  double mul;
  if (*end == 0 || strcmp(end, "ms") == 0)
    mul = 1;
  else if (strcmp(end, "s") == 0)
    mul = 1000;
  else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
    mul = 60000;
  else
    return -1;
  double r = v * mul;
  if (r > 86400000.0)
    return -1;
  return (long)(r + 0.5);
}

int scn_glob(const char *pattern, const char *text)
{
  return fnmatch(pattern, text, 0) == 0;
}

/* Iterate the lines of a body; calls fn(line) with CR/LF stripped. */
static int each_line(const char *body, int (*fn)(const char *line, void *ctx), void *ctx)
{
  char buf[4096];
  const char *p = body;
  while (p && *p) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    size_t m = n;
    if (m && p[m - 1] == '\r')
      m--;
    if (m >= sizeof buf)
      m = sizeof buf - 1;
    memcpy(buf, p, m);
    buf[m] = 0;
    int r = fn(buf, ctx);
    if (r)
      return r;
    p = e ? e + 1 : NULL;
  }
  return 0;
}

static int glob_line_cb(const char *line, void *ctx)
{
  return scn_glob((const char *)ctx, line);
}

int scn_sdp_has_line(const char *sdp, const char *pattern)
{
  return sdp ? each_line(sdp, glob_line_cb, (void *)pattern) : 0;
}

static int attr_cb(const char *line, void *ctx)
{
  const char *name = ctx;
  size_t n = strlen(name);
  if (strncmp(line, name, n) != 0)
    return 0;
  return line[n] == 0 || line[n] == ':' || line[n] == ' ';
}

int scn_sdp_has_attr(const char *sdp, const char *name)
{
  return sdp ? each_line(sdp, attr_cb, (void *)name) : 0;
}

struct get_ctx {
  const char *prefix;
  int nth;
  char *buf;
  size_t len;
};

static int get_cb(const char *line, void *vctx)
{
  struct get_ctx *g = vctx;
  size_t n = strlen(g->prefix);
  if (strncmp(line, g->prefix, n) != 0)
    return 0;
  if (g->nth-- > 0)
    return 0;
  snprintf(g->buf, g->len, "%s", line + n);
  return 1;
}

int scn_sdp_get_nth(const char *sdp, const char *prefix, int nth, char *buf, size_t len)
{
  struct get_ctx g = { prefix, nth, buf, len };
  if (!sdp)
    return -ENOENT;
  return each_line(sdp, get_cb, &g) ? 0 : -ENOENT;
}

int scn_sdp_get(const char *sdp, const char *prefix, char *buf, size_t len)
{
  return scn_sdp_get_nth(sdp, prefix, 0, buf, len);
}

/* ------------------------------------------------------------ expansion */

struct sbuf {
  char *p;
  size_t n, cap;
};

static int sb_add(struct sbuf *b, const char *s, size_t n)
{
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1)
      cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q)
      return -ENOMEM;
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
  return 0;
}

int scn_expand(const char *tmpl, scn_lookup_fn lookup, void *ctx, char **out, char *err,
               size_t errlen)
{
  struct sbuf b = { 0 };
  const char *p = tmpl;
  *out = NULL;
  if (sb_add(&b, "", 0))
    return -ENOMEM;
  while (*p) {
    const char *d = strstr(p, "${");
    if (!d) {
      if (sb_add(&b, p, strlen(p)))
        goto nomem;
      break;
    }
    if (sb_add(&b, p, (size_t)(d - p)))
      goto nomem;
    const char *e = strchr(d + 2, '}');
    if (!e) {
      if (err)
        snprintf(err, errlen, "unterminated \"${\" in \"%.40s\"", d);
      free(b.p);
      return -EINVAL;
    }
    char name[128];
    size_t n = (size_t)(e - d - 2);
    if (n == 0 || n >= sizeof name) {
      if (err)
        snprintf(err, errlen, "bad variable name \"%.*s\"", (int)(n < 60 ? n : 60), d + 2);
      free(b.p);
      return -EINVAL;
    }
    memcpy(name, d + 2, n);
    name[n] = 0;
    const char *v = lookup ? lookup(ctx, name) : NULL;
    if (!v) {
      if (err)
        snprintf(err, errlen, "unknown variable ${%s}", name);
      free(b.p);
      return -EINVAL;
    }
    if (sb_add(&b, v, strlen(v)))
      goto nomem;
    p = e + 1;
  }
  *out = b.p;
  return 0;
nomem:
  free(b.p);
  return -ENOMEM;
}

/* --------------------------------------------------------------- parsing */

/* Split a line into tokens: whitespace-separated, "double quoted" with \"
 * and \\ escapes, '#' at a token start begins a comment. key="v a" stays one
 * token (quotes removed). Tokens are written into `store`. */
static void trim_right(char *l)
{
  size_t n = strlen(l);
  while (n && (l[n - 1] == '\r' || l[n - 1] == '\n' || l[n - 1] == ' ' || l[n - 1] == '\t'))
    l[--n] = 0;
}

static int tok_off[MAX_TOKENS]; /* offset of each token in the raw line */
static const char *tok_line;    /* the raw line of the last tokenize() */

static int tokenize(struct pstate *p, const char *line, char *store, size_t storelen,
                    char **tok, int *ntok)
{
  tok_line = line;
  int n = 0;
  size_t w = 0;
  const char *c = line;
  for (;;) {
    while (*c == ' ' || *c == '\t')
      c++;
    if (!*c || *c == '#' || *c == '\r' || *c == '\n')
      break;
    if (n >= MAX_TOKENS)
      return perr(p, "too many words on one line (at most %d)", MAX_TOKENS);
    tok_off[n] = (int)(c - line);
    tok[n++] = store + w;
    while (*c && *c != ' ' && *c != '\t' && *c != '\r' && *c != '\n') {
      if (*c == '"') {
        c++;
        while (*c && *c != '"') {
          if (*c == '\\' && (c[1] == '"' || c[1] == '\\'))
            c++;
          if (w + 1 >= storelen)
            return perr(p, "line too long");
          store[w++] = *c++;
        }
        if (*c != '"')
          return perr(p, "unterminated quoted string");
        c++;
        continue;
      }
      if (w + 1 >= storelen)
        return perr(p, "line too long");
      store[w++] = *c++;
    }
    store[w++] = 0;
  }
  *ntok = n;
  return 0;
}

static int parse_fig(struct pstate *p, const char *t, uint32_t *fig)
{
  /* 1 | 2-4 | 5,6 | 2-4,8 */
  const char *c = t;
  if (!*c)
    return perr(p, "step: a figure step number (1-%d) is missing", SCN_MAX_FIG);
  while (*c) {
    char *e;
    long a = strtol(c, &e, 10), b;
    if (e == c)
      return perr(p, "step \"%s\": expected a number, a range (2-4) or a list (5,6)", t);
    b = a;
    c = e;
    if (*c == '-') {
      b = strtol(c + 1, &e, 10);
      if (e == c + 1)
        return perr(p, "step \"%s\": bad range", t);
      c = e;
    }
    if (a < 1 || b > SCN_MAX_FIG || a > b)
      return perr(p, "step \"%s\": the figure has steps 1 to %d", t, SCN_MAX_FIG);
    for (long i = a; i <= b; i++)
      *fig |= 1u << i;
    if (*c == ',')
      c++;
    else if (*c)
      return perr(p, "step \"%s\": unexpected \"%s\"", t, c);
  }
  return 0;
}

static int check_vars(struct pstate *p, const char *text)
{
  const char *d = text;
  while ((d = strstr(d, "${")) != NULL) {
    const char *e = strchr(d, '}');
    if (!e)
      return perr(p, "unterminated \"${\"");
    char name[128];
    size_t n = (size_t)(e - d - 2);
    if (n == 0 || n >= sizeof name)
      return perr(p, "bad variable name");
    memcpy(name, d + 2, n);
    name[n] = 0;
    int ok = scn_builtin_var(name);
    for (size_t i = 0; !ok && i < p->s->nvars; i++)
      ok = strcmp(p->s->vars[i].name, name) == 0;
    if (!ok)
      return perr(p, "unknown variable ${%s} (known: wic.ip wic.port wic.port.2 wic.sip-port "
                     "wic.fingerprint wic.ufrag wic.pwd wic.path wic.path.2 wic.uri ueb.ip "
                     "ueb.port ueb.port.2 ueb.sip-port ueb.path ueb.path.2 ueb.uri target "
                     "bad.fingerprint rand, and those defined with `set`)",
                  name);
    d = e + 1;
  }
  return 0;
}

static int is_method(const char *t)
{
  static const char *const m[] = { "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "UPDATE",
                                   "INFO", "PRACK", "MESSAGE", NULL };
  for (int i = 0; m[i]; i++)
    if (strcasecmp(m[i], t) == 0)
      return 1;
  return 0;
}

/* "200" -> code 200; "2xx" -> class 2. Returns 0 or -1. */
static int parse_code(const char *t, int *code, int *cls)
{
  if (strlen(t) != 3)
    return -1;
  if (isdigit((unsigned char)t[0]) && (t[1] == 'x' || t[1] == 'X') && (t[2] == 'x' || t[2] == 'X')) {
    *code = t[0] - '0';
    *cls = 1;
    return (*code >= 1 && *code <= 6) ? 0 : -1;
  }
  for (int i = 0; i < 3; i++)
    if (!isdigit((unsigned char)t[i]))
      return -1;
  *code = atoi(t);
  *cls = 0;
  return (*code >= 100 && *code <= 699) ? 0 : -1;
}

static int join_rest(char **tok, int from, int n, char **out)
{
  size_t len = 1;
  for (int i = from; i < n; i++)
    len += strlen(tok[i]) + 1;
  char *s = malloc(len);
  if (!s)
    return -ENOMEM;
  s[0] = 0;
  for (int i = from; i < n; i++) {
    if (i > from)
      strcat(s, " ");
    strcat(s, tok[i]);
  }
  *out = s;
  return 0;
}

/* The rest of the raw line from token `from` on (tok points into the token
 * array of the last tokenize()): as written, quotes kept, except that a
 * pattern wholly inside one pair of double quotes loses them, and a comment
 * (" #...") is cut. */
static int raw_rest(char **tok_base, char **tok, int from, char **out)
{
  int idx = (int)(tok - tok_base) + from;
  const char *r = tok_line + tok_off[idx];
  char *s = strdup(r);
  if (!s)
    return -ENOMEM;
  for (char *h = s; (h = strchr(h, '#')) != NULL; h++)
    if (h > s && (h[-1] == ' ' || h[-1] == '\t')) {
      *h = 0;
      break;
    }
  trim_right(s);
  size_t n = strlen(s);
  if (n >= 2 && s[0] == '"' && s[n - 1] == '"' && !memchr(s + 1, '"', n - 2)) {
    memmove(s, s + 1, n - 2);
    s[n - 2] = 0;
  }
  *out = s;
  return 0;
}

/* Parse a matcher starting at tok[0] ("sdp", "header", "body", ...). */
static char **tok_base;

static int parse_matcher(struct pstate *p, struct scn_step *st, char **tok, int n)
{
  if (st->verb != SCN_EXPECT)
    return perr(p, "matchers (%s ...) belong to an expect step", tok[0]);
  struct scn_match m = { 0 };
  m.line = p->line;
  int r;
  if (strcasecmp(tok[0], "sdp") == 0) {
    if (n < 2)
      return perr(p, "sdp: expected a line pattern (e.g. sdp a=setup:active), "
                     "\"has a=NAME\" or \"lacks a=NAME\"");
    if ((strcasecmp(tok[1], "has") == 0 || strcasecmp(tok[1], "lacks") == 0 ||
         strcasecmp(tok[1], "!has") == 0)) {
      if (n != 3)
        return perr(p, "sdp %s: expected one attribute name, e.g. sdp %s a=fingerprint", tok[1],
                    tok[1]);
      m.kind = strcasecmp(tok[1], "has") == 0 ? SCN_M_SDP_HAS : SCN_M_SDP_LACKS;
      m.a = strdup(tok[2]);
    } else {
      m.kind = SCN_M_SDP_LINE;
      if ((r = raw_rest(tok_base, tok, 1, &m.a)))
        return r;
    }
  } else if (strcasecmp(tok[0], "header") == 0) {
    if (n < 2)
      return perr(p, "header: expected a header name, e.g. header Record-Route *lr*");
    m.a = strdup(tok[1]);
    if (n == 2) {
      m.kind = SCN_M_HDR_HAS;
    } else {
      m.kind = SCN_M_HDR;
      if ((r = raw_rest(tok_base, tok, 2, &m.b)))
        return r;
    }
  } else if (strcasecmp(tok[0], "!header") == 0 || strcasecmp(tok[0], "noheader") == 0) {
    if (n != 2)
      return perr(p, "%s: expected one header name", tok[0]);
    m.kind = SCN_M_HDR_LACKS;
    m.a = strdup(tok[1]);
  } else if (strcasecmp(tok[0], "body") == 0) {
    if (n < 2)
      return perr(p, "body: expected the text the body must contain");
    m.kind = SCN_M_BODY;
    if ((r = raw_rest(tok_base, tok, 1, &m.a)))
      return r;
  } else {
    return perr(p, "unknown matcher \"%s\" (use sdp, header, !header or body)", tok[0]);
  }
  if (!m.a)
    return -ENOMEM;
  if ((r = check_vars(p, m.a)) || (m.b && (r = check_vars(p, m.b)))) {
    free(m.a);
    free(m.b);
    return r;
  }
  st->matches = grow(st->matches, st->nmatches, sizeof *st->matches);
  if (!st->matches)
    return -ENOMEM;
  st->matches[st->nmatches++] = m;
  return 0;
}

static int is_matcher_word(const char *t)
{
  return strcasecmp(t, "sdp") == 0 || strcasecmp(t, "header") == 0 ||
         strcasecmp(t, "!header") == 0 || strcasecmp(t, "noheader") == 0 ||
         strcasecmp(t, "body") == 0;
}

static enum scn_role parse_role(const char *t)
{
  if (strcasecmp(t, "WIC") == 0 || strcasecmp(t, "WIC-A") == 0)
    return SCN_ROLE_WIC;
  if (strcasecmp(t, "UE-B") == 0 || strcasecmp(t, "UEB") == 0)
    return SCN_ROLE_UEB;
  if (strcasecmp(t, "H248") == 0 || strcasecmp(t, "H.248") == 0 || strcasecmp(t, "Iq") == 0)
    return SCN_ROLE_H248;
  return SCN_ROLE_NONE;
}

/* key=value option common to several verbs; returns 1 if consumed. */
static int parse_option(struct pstate *p, struct scn_step *st, const char *t, int *rc)
{
  const char *eq = strchr(t, '=');
  *rc = 0;
  if (!eq)
    return 0;
  size_t kl = (size_t)(eq - t);
  const char *v = eq + 1;
#define KEY(k) (kl == strlen(k) && strncasecmp(t, k, kl) == 0)
  if (KEY("timeout")) {
    st->timeout_ms = scn_parse_duration(v);
    if (st->timeout_ms <= 0)
      *rc = perr(p, "timeout=%s: expected a duration such as 500ms, 5s or 1m", v);
    return 1;
  }
  if (st->verb == SCN_SEND && KEY("sdp")) {
    free(st->sdp);
    st->sdp = strdup(v);
    return 1;
  }
  if (st->verb == SCN_SEND && KEY("to")) {
    if (!is_method(v))
      *rc = perr(p, "to=%s: expected the method of the request to answer (INVITE, BYE, CANCEL)", v);
    free(st->to);
    st->to = strdup(v);
    return 1;
  }
  if (st->verb == SCN_SEND && KEY("tag")) {
    if (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
                   strlen(v) || strlen(v) > 16)
      *rc = perr(p, "tag=%s: expected a short name (letters and digits) for the fork", v);
    free(st->tag);
    st->tag = strdup(v);
    return 1;
  }
  if (st->verb == SCN_SEND && KEY("header")) {
    if (!strchr(v, ':')) {
      *rc = perr(p, "header=\"%s\": expected \"Name: value\"", v);
      return 1;
    }
    st->headers = grow(st->headers, st->nheaders, sizeof *st->headers);
    if (!st->headers) {
      *rc = -ENOMEM;
      return 1;
    }
    st->headers[st->nheaders++] = strdup(v);
    *rc = check_vars(p, v);
    return 1;
  }
  if (st->what == SCN_W_MSRP && KEY("size") && strcasecmp(v, "max") == 0) {
    st->size = -2; /* the largest body that fits the peer's max-message-size */
    return 1;
  }
  if (st->what == SCN_W_MSRP && (KEY("size") || KEY("count"))) {
    char *e;
    long x = strtol(v, &e, 10);
    if (*e == 'k' || *e == 'K') {
      x *= 1024;
      e++;
    }
    if (e == v || *e || x < 0 || x > 64L * 1024 * 1024 || (KEY("count") && x < 1))
      *rc = perr(p, "%.*s=%s: expected a number%s", (int)kl, t, v,
                 KEY("size") ? " of bytes (e.g. 1024 or 64k)" : " of messages (1 or more)");
    if (KEY("size"))
      st->size = x;
    else
      st->count = x;
    return 1;
  }
  if (KEY("channel") || KEY("m")) {
    char *e;
    long x = strtol(v, &e, 10);
    if (e == v || *e || x < 0 || x > 65534)
      *rc = perr(p, "%.*s=%s: expected a number", (int)kl, t, v);
    st->channel = (int)x;
    return 1;
  }
  if (st->what == SCN_W_MSRP && st->verb == SCN_SEND && KEY("text")) {
    free(st->text);
    st->text = strdup(v);
    return 1;
  }
  if (st->verb == SCN_OPEN && KEY("label")) {
    free(st->label);
    st->label = strdup(v);
    return 1;
  }
#undef KEY
  return 0;
}

/* Fill *stp from the words of a step line. On error the caller frees what
 * was allocated into *stp (step_release). */
static int parse_step_fill(struct pstate *p, char **tok, int n, struct scn_step *stp)
{
#define st (*stp)
  int i = 0, r;
  if (strcasecmp(tok[0], "step") == 0) {
    if (n < 2)
      return perr(p, "step: expected a figure step number, then the role and action");
    if ((r = parse_fig(p, tok[1], &st.fig)))
      return r;
    i = 2;
  }
  if (i >= n)
    return perr(p, "expected a role (WIC, UE-B or H248) after \"step %s\"", tok[1]);
  /* "expect WIC 200" reads as well as "WIC expect 200": accept both */
  if (i + 1 < n && parse_role(tok[i]) == SCN_ROLE_NONE && parse_role(tok[i + 1]) != SCN_ROLE_NONE) {
    char *t = tok[i];
    tok[i] = tok[i + 1];
    tok[i + 1] = t;
    int o = tok_off[(int)(tok - tok_base) + i];
    tok_off[(int)(tok - tok_base) + i] = tok_off[(int)(tok - tok_base) + i + 1];
    tok_off[(int)(tok - tok_base) + i + 1] = o;
  }
  st.role = parse_role(tok[i]);
  if (st.role == SCN_ROLE_NONE)
    return perr(p, "unknown word \"%s\": expected a directive (name, timeout, set, daemon, "
                   "sdp) or a step (\"[step N] WIC|UE-B|H248 send|expect|wait|open|connect ...\")",
                tok[i]);
  i++;
  if (i >= n)
    return perr(p, "%s: expected an action (send, expect, wait, open, connect, close, hangup)",
                tok[i - 1]);
  const char *verb = tok[i++];
  if (strcasecmp(verb, "send") == 0)
    st.verb = SCN_SEND;
  else if (strcasecmp(verb, "expect") == 0)
    st.verb = SCN_EXPECT;
  else if (strcasecmp(verb, "wait") == 0)
    st.verb = SCN_WAIT;
  else if (strcasecmp(verb, "open") == 0)
    st.verb = SCN_OPEN;
  else if (strcasecmp(verb, "connect") == 0)
    st.verb = SCN_CONNECT;
  else if (strcasecmp(verb, "close") == 0)
    st.verb = SCN_CLOSE;
  else if (strcasecmp(verb, "hangup") == 0) {
    st.verb = SCN_SEND;
    st.what = SCN_W_REQUEST;
    st.method = strdup("BYE");
  } else
    return perr(p, "unknown action \"%s\" (send, expect, wait, open, connect, close, hangup)",
                verb);

  if (st.role == SCN_ROLE_H248 && st.verb != SCN_EXPECT)
    return perr(p, "H248 steps can only expect (wicsim observes the Iq, it does not speak it)");

  switch (st.verb) {
  case SCN_WAIT:
    if (i >= n || (st.wait_ms = scn_parse_duration(tok[i])) < 0)
      return perr(p, "wait: expected a duration such as 500ms or 2s");
    i++;
    break;
  case SCN_OPEN:
    if (st.role != SCN_ROLE_WIC)
      return perr(p, "open channel: only the WIC opens data channels");
    if (i + 1 >= n || strcasecmp(tok[i], "channel") != 0)
      return perr(p, "open: expected \"open channel ID [dcep] [label=NAME]\"");
    {
      char *e;
      long id = strtol(tok[i + 1], &e, 10);
      if (strcasecmp(tok[i + 1], "offered") == 0) { /* the id of the offer's a=dcmap */
        id = -2;
        e = tok[i + 1] + strlen(tok[i + 1]);
      }
      if (*e || id < -2 || id == -1 || id > 65534)
        return perr(p, "open channel %s: the id is an SCTP stream id, 0 to 65534, or \"offered\"",
                    tok[i + 1]);
      st.channel = (int)id;
    }
    st.what = SCN_W_CHANNEL;
    i += 2;
    if (i < n && strcasecmp(tok[i], "dcep") == 0) {
      st.dcep = 1;
      i++;
    }
    break;
  case SCN_CONNECT:
  case SCN_CLOSE:
    if (st.role != SCN_ROLE_UEB)
      return perr(p, "%s: only UE-B has MSRP TCP connections", verb);
    if (i < n && strcasecmp(tok[i], "msrp") == 0)
      i++;
    break;
  case SCN_SEND:
  case SCN_EXPECT:
    if (st.what == SCN_W_REQUEST) /* hangup */
      break;
    if (i >= n)
      return perr(p, "%s: expected what to %s (a SIP method, a status code, MSRP, ...)", verb,
                  verb);
    {
      const char *w = tok[i++];
      int code, cls;
      if (st.role == SCN_ROLE_H248) {
        if (strcasecmp(w, "request") != 0 && strcasecmp(w, "reply") != 0 &&
            strcasecmp(w, "notify") != 0 && strcasecmp(w, "next-request") != 0)
          return perr(p, "H248 expect: expected request, next-request, reply or notify, then a "
                         "command (Add, Modify, Subtract)");
        if (strcasecmp(w, "next-request") == 0 &&
            (i >= n || strchr(tok[i], '=') || is_matcher_word(tok[i])))
          return perr(p, "H248 expect next-request: name the command (e.g. Subtract)");
        st.what = SCN_W_H248;
        st.method = strdup(w);
        if (i < n && !strchr(tok[i], '=') && !is_matcher_word(tok[i]))
          st.command = strdup(tok[i++]);
      } else if (is_method(w)) {
        st.what = SCN_W_REQUEST;
        st.method = strdup(w);
        for (char *c = st.method; *c; c++)
          *c = (char)toupper((unsigned char)*c);
      } else if (parse_code(w, &code, &cls) == 0) {
        if (st.verb == SCN_SEND && cls)
          return perr(p, "send %s: send an exact status code (e.g. 486)", w);
        st.what = SCN_W_RESPONSE;
        st.code = code;
        st.code_class = cls;
      } else if (strcasecmp(w, "MSRP") == 0) {
        st.what = SCN_W_MSRP;
        if (st.verb == SCN_EXPECT) {
          if (i >= n || (strcasecmp(tok[i], "SEND") != 0 && strcasecmp(tok[i], "REPORT") != 0 &&
                         parse_code(tok[i], &code, &cls) != 0))
            return perr(p, "expect MSRP: expected SEND, REPORT or a status code (200)");
          if (parse_code(tok[i], &code, &cls) == 0) {
            st.code = code;
            st.code_class = cls;
          } else {
            st.method = strdup(tok[i]);
            for (char *c = st.method; *c; c++)
              *c = (char)toupper((unsigned char)*c);
          }
          i++;
        } else {
          if (i < n && strcasecmp(tok[i], "SEND") == 0)
            i++;
          st.method = strdup("SEND");
        }
      } else if (strcasecmp(w, "dtls") == 0 && st.verb == SCN_EXPECT) {
        st.what = SCN_W_DTLS;
      } else if ((strcasecmp(w, "dtls-failure") == 0 || strcasecmp(w, "release") == 0) &&
                 st.verb == SCN_EXPECT) {
        st.what = SCN_W_DTLS_FAIL;
      } else if (strcasecmp(w, "sctp") == 0 && st.verb == SCN_EXPECT) {
        st.what = SCN_W_SCTP;
      } else if (strcasecmp(w, "channel") == 0 && st.verb == SCN_EXPECT) {
        st.what = SCN_W_CHANNEL;
        if (i < n && isdigit((unsigned char)tok[i][0]))
          st.channel = atoi(tok[i++]);
      } else if (strcasecmp(w, "channel-closed") == 0 && st.verb == SCN_EXPECT) {
        st.what = SCN_W_CHANNEL_CLOSED;
        if (i < n && isdigit((unsigned char)tok[i][0]))
          st.channel = atoi(tok[i++]);
      } else if (strcasecmp(w, "connection-closed") == 0 && st.verb == SCN_EXPECT &&
                 st.role == SCN_ROLE_UEB) {
        st.what = SCN_W_CONN_CLOSED;
      } else if (strcasecmp(w, "nothing") == 0 && st.verb == SCN_EXPECT) {
        st.what = SCN_W_NOTHING;
      } else if (strcasecmp(w, "connection") == 0 && st.verb == SCN_EXPECT &&
                 st.role == SCN_ROLE_UEB) {
        st.what = SCN_W_MSRP_CONN;
      } else {
        return perr(p, "%s \"%s\": expected a SIP method (INVITE ACK BYE CANCEL), a status "
                       "code (200, 486, 4xx), MSRP%s",
                    verb, w,
                    st.verb == SCN_EXPECT ? ", dtls, dtls-failure, sctp, channel, "
                                            "channel-closed, connection, connection-closed, "
                                            "nothing" : "");
      }
      if (st.role == SCN_ROLE_UEB && st.what == SCN_W_REQUEST && st.verb == SCN_SEND &&
          strcmp(st.method, "BYE") != 0 && strcmp(st.method, "INVITE") != 0 &&
          strcmp(st.method, "ACK") != 0)
        return perr(p, "UE-B send %s: UE-B sends INVITE (as the caller), ACK, BYE and responses",
                    st.method);
      if (st.role == SCN_ROLE_WIC && st.what == SCN_W_RESPONSE && st.verb == SCN_SEND &&
          st.code < 200)
        return perr(p, "WIC send %d: the WIC (as the callee) sends only final responses to an "
                       "INVITE (100 Trying is automatic)",
                    st.code);
      if ((st.what == SCN_W_DTLS || st.what == SCN_W_SCTP || st.what == SCN_W_CHANNEL ||
           st.what == SCN_W_DTLS_FAIL || st.what == SCN_W_CHANNEL_CLOSED) &&
          st.role != SCN_ROLE_WIC)
        return perr(p, "expect %s: only the WIC sees DTLS, SCTP and data channels", w);
    }
    break;
  }
  /* options, then at most one inline matcher that takes the rest of the line */
  while (i < n) {
    if (is_matcher_word(tok[i])) {
      if ((r = parse_matcher(p, &st, tok + i, n - i)))
        return r;
      break;
    }
    int used = parse_option(p, &st, tok[i], &r);
    if (r)
      return r;
    if (!used) {
      if (st.verb == SCN_EXPECT && strcasecmp(tok[i], "optional") == 0) {
        st.optional = 1;
        i++;
        continue;
      }
      r = perr(p, "unexpected \"%s\"", tok[i]);
      return r;
    }
    i++;
  }
  return 0;
#undef st
}

static void step_release(struct scn_step *st)
{
  free(st->method);
  free(st->command);
  free(st->sdp);
  free(st->to);
  free(st->tag);
  free(st->text);
  free(st->label);
  free(st->src);
  for (size_t k = 0; k < st->nheaders; k++)
    free(st->headers[k]);
  free(st->headers);
  for (size_t k = 0; k < st->nmatches; k++) {
    free(st->matches[k].a);
    free(st->matches[k].b);
  }
  free(st->matches);
}

static int parse_step(struct pstate *p, char **tok, int n, const char *raw)
{
  struct scn *s = p->s;
  struct scn_step st;
  memset(&st, 0, sizeof st);
  st.line = p->line;
  st.size = -1;
  st.count = 1;
  st.channel = -1;
  int r = parse_step_fill(p, tok, n, &st);
  if (r) {
    step_release(&st);
    return r;
  }
  st.src = strdup(raw);
  struct scn_step *ns = grow(s->steps, s->nsteps, sizeof *s->steps);
  if (!ns || !st.src) {
    step_release(&st);
    return -ENOMEM;
  }
  s->steps = ns;
  s->steps[s->nsteps++] = st;
  return 0;
}

const struct scn_tmpl *scn_find_tmpl(const struct scn *s, const char *name)
{
  for (size_t i = 0; i < s->ntmpls; i++)
    if (strcmp(s->tmpls[i].name, name) == 0)
      return &s->tmpls[i];
  return NULL;
}

int scn_parse(const char *file, const char *text, struct scn **out, char *err, size_t errlen)
{
  struct pstate p = { 0 };
  struct scn *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->file = strdup(file ? file : "(scenario)");
  s->timeout_ms = 5000;
  p.s = s;
  p.file = s->file;
  p.err = err;
  p.errlen = errlen;
  if (err && errlen)
    err[0] = 0;
  int r = 0;
  const char *c = text;
  struct scn_tmpl *cur = NULL;
  struct sbuf tb = { 0 };
  static char line[8192], store[8192];
  char *tok[MAX_TOKENS];
  int ntok = 0;
  tok_base = tok;
  int last_expect = -1; /* index of the step continuation lines attach to */

  while (*c) {
    const char *e = strchr(c, '\n');
    size_t n = e ? (size_t)(e - c) : strlen(c);
    p.line++;
    if (n >= sizeof line) {
      r = perr(&p, "line longer than %zu characters", sizeof line - 1);
      goto done;
    }
    memcpy(line, c, n);
    line[n] = 0;
    c = e ? e + 1 : c + n;
    trim_right(line);
    for (char *q = line; *q; q++)
      if ((unsigned char)*q < 0x20 && *q != '\t') {
        r = perr(&p, "control character 0x%02x in the line", (unsigned char)*q);
        goto done;
      }

    if (cur) { /* inside an sdp block */
      char *l = line;
      while (*l == ' ' || *l == '\t')
        l++;
      if (strcmp(l, "end") == 0) {
        if (tb.n == 0) {
          r = perr(&p, "sdp %s: the template is empty", cur->name);
          goto done;
        }
        cur->text = tb.p;
        tb.p = NULL;
        tb.n = tb.cap = 0;
        cur = NULL;
        continue;
      }
      if (*l == '#' || *l == 0)
        continue;
      if (!(isalpha((unsigned char)l[0]) && l[1] == '=')) {
        r = perr(&p, "sdp %s: \"%s\" is not an SDP line (x=...); close the template with \"end\"",
                 cur->name, l);
        goto done;
      }
      if ((r = check_vars(&p, l)))
        goto done;
      if (sb_add(&tb, l, strlen(l)) || sb_add(&tb, "\r\n", 2)) {
        r = -ENOMEM;
        goto done;
      }
      continue;
    }

    int indented = line[0] == ' ' || line[0] == '\t';
    if ((r = tokenize(&p, line, store, sizeof store, tok, &ntok)))
      goto done;
    if (ntok == 0)
      continue;

    if (indented && is_matcher_word(tok[0])) {
      if (last_expect < 0) {
        r = perr(&p, "a matcher line (%s ...) must follow an expect step", tok[0]);
        goto done;
      }
      if ((r = parse_matcher(&p, &s->steps[last_expect], tok, ntok)))
        goto done;
      continue;
    }
    last_expect = -1;

    if (strcasecmp(tok[0], "name") == 0) {
      if (ntok < 2) {
        r = perr(&p, "name: expected a title");
        goto done;
      }
      free(s->name);
      if ((r = join_rest(tok, 1, ntok, &s->name)))
        goto done;
    } else if (strcasecmp(tok[0], "timeout") == 0) {
      if (ntok != 2 || (s->timeout_ms = scn_parse_duration(tok[1])) <= 0) {
        r = perr(&p, "timeout: expected one duration such as 5s or 500ms");
        goto done;
      }
    } else if (strcasecmp(tok[0], "set") == 0) {
      if (ntok != 3) {
        r = perr(&p, "set: expected \"set NAME VALUE\" (quote a value with spaces)");
        goto done;
      }
      for (const char *q = tok[1]; *q; q++)
        if (!isalnum((unsigned char)*q) && *q != '.' && *q != '-' && *q != '_') {
          r = perr(&p, "set %s: a variable name has letters, digits, '.', '-', '_'", tok[1]);
          goto done;
        }
      if (scn_builtin_var(tok[1])) {
        r = perr(&p, "set %s: that variable is provided by wicsim", tok[1]);
        goto done;
      }
      if ((r = check_vars(&p, tok[2])))
        goto done;
      s->vars = grow(s->vars, s->nvars, sizeof *s->vars);
      if (!s->vars) {
        r = -ENOMEM;
        goto done;
      }
      s->vars[s->nvars].name = strdup(tok[1]);
      s->vars[s->nvars].value = strdup(tok[2]);
      s->nvars++;
    } else if (strcasecmp(tok[0], "daemon") == 0) {
      if (ntok < 2) {
        r = perr(&p, "daemon: expected wicgated arguments, e.g. daemon --role alg");
        goto done;
      }
      for (int k = 1; k < ntok; k++) {
        if ((r = check_vars(&p, tok[k])))
          goto done;
        s->daemon_args = grow(s->daemon_args, s->ndaemon_args, sizeof *s->daemon_args);
        if (!s->daemon_args) {
          r = -ENOMEM;
          goto done;
        }
        s->daemon_args[s->ndaemon_args++] = strdup(tok[k]);
      }
    } else if (strcasecmp(tok[0], "sdp") == 0 && !indented) {
      if (ntok != 2) {
        r = perr(&p, "sdp: expected \"sdp NAME\", then SDP lines, then \"end\"");
        goto done;
      }
      if (scn_find_tmpl(s, tok[1])) {
        r = perr(&p, "sdp %s: a template of that name already exists", tok[1]);
        goto done;
      }
      s->tmpls = grow(s->tmpls, s->ntmpls, sizeof *s->tmpls);
      if (!s->tmpls) {
        r = -ENOMEM;
        goto done;
      }
      cur = &s->tmpls[s->ntmpls++];
      cur->name = strdup(tok[1]);
      cur->text = NULL;
      cur->line = p.line;
    } else {
      if ((r = parse_step(&p, tok, ntok, line + strspn(line, " \t"))))
        goto done;
      if (s->steps[s->nsteps - 1].verb == SCN_EXPECT)
        last_expect = (int)s->nsteps - 1;
    }
  }
  if (cur) {
    p.line = cur->line;
    r = perr(&p, "sdp %s: missing \"end\" (the template starts here)", cur->name);
    goto done;
  }
  /* references */
  for (size_t i = 0; i < s->nsteps; i++) {
    struct scn_step *st = &s->steps[i];
    p.line = st->line;
    if (st->sdp && !scn_find_tmpl(s, st->sdp)) {
      r = perr(&p, "sdp=%s: no template of that name (define it with \"sdp %s\" ... \"end\")",
               st->sdp, st->sdp);
      goto done;
    }
  }
  if (s->nsteps == 0) {
    p.line = p.line ? p.line : 1;
    r = perr(&p, "the scenario has no steps");
    goto done;
  }
  if (!s->name)
    s->name = strdup(file ? file : "scenario");
done:
  free(tb.p);
  if (r) {
    if (cur && !cur->text)
      cur->text = strdup("");
    scn_free(s);
    return r;
  }
  *out = s;
  return 0;
}

int scn_load(const char *path, struct scn **out, char *err, size_t errlen)
{
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    int e = errno;
    if (err)
      snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
    return -e;
  }
  struct sbuf b = { 0 };
  char buf[8192];
  size_t n;
  int r = sb_add(&b, "", 0);
  while (!r && (n = fread(buf, 1, sizeof buf, fp)) > 0) {
    if (b.n + n > 4 * 1024 * 1024) {
      fclose(fp);
      free(b.p);
      if (err)
        snprintf(err, errlen, "%s: larger than 4 MB; not a scenario", path);
      return -EFBIG;
    }
    r = sb_add(&b, buf, n);
  }
  fclose(fp);
  if (r)
    return r;
  if (memchr(b.p, 0, b.n)) {
    free(b.p);
    if (err)
      snprintf(err, errlen, "%s: contains NUL bytes; not a scenario", path);
    return -EINVAL;
  }
  r = scn_parse(path, b.p, out, err, errlen);
  free(b.p);
  return r;
}

void scn_free(struct scn *s)
{
  if (!s)
    return;
  for (size_t i = 0; i < s->ntmpls; i++) {
    free(s->tmpls[i].name);
    free(s->tmpls[i].text);
  }
  free(s->tmpls);
  for (size_t i = 0; i < s->nsteps; i++) {
    struct scn_step *st = &s->steps[i];
    free(st->method);
    free(st->command);
    free(st->sdp);
    free(st->to);
    free(st->tag);
    free(st->text);
    free(st->label);
    free(st->src);
    for (size_t k = 0; k < st->nheaders; k++)
      free(st->headers[k]);
    free(st->headers);
    for (size_t k = 0; k < st->nmatches; k++) {
      free(st->matches[k].a);
      free(st->matches[k].b);
    }
    free(st->matches);
  }
  free(s->steps);
  for (size_t i = 0; i < s->nvars; i++) {
    free(s->vars[i].name);
    free(s->vars[i].value);
  }
  free(s->vars);
  for (size_t i = 0; i < s->ndaemon_args; i++)
    free(s->daemon_args[i]);
  free(s->daemon_args);
  free(s->name);
  free(s->file);
  free(s);
}
