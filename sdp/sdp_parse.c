/* sdp_parse.c -- Sofia-SIP sdp_parse() -> the sdpdc model, with the
 * validation rules of sdp_dc.h; H.248 fragments with "$"; small helpers. */
#include "config.h"

#include "sdp/sdp_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_string.h>

/* ================================================================ helpers */

int sdpdc__fail(sdpdc_error_t *err, int rc, int code, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    err->code = code;
    /* Fit for a SIP Warning text: printable ASCII, no double quote, no backslash. */
    for (char *p = err->reason; *p; p++)
      if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\')
        *p = '?';
  }
  return rc;
}

const char *sdpdc_errcode_name(int code)
{
  static const char *const names[] = {
    [SDPDC_E_NONE] = "none",         [SDPDC_E_NOMEM] = "nomem",
    [SDPDC_E_SYNTAX] = "syntax",     [SDPDC_E_ADDRESS] = "address",
    [SDPDC_E_PORT] = "port",         [SDPDC_E_PROTO] = "proto",
    [SDPDC_E_FINGERPRINT] = "fingerprint", [SDPDC_E_HASH] = "hash",
    [SDPDC_E_SETUP] = "setup",       [SDPDC_E_CONNECTION] = "connection",
    [SDPDC_E_MMS] = "max-message-size", [SDPDC_E_TLS_ID] = "tls-id",
    [SDPDC_E_ICE] = "ice",           [SDPDC_E_DCMAP] = "dcmap",
    [SDPDC_E_DCMAP_ID] = "dcmap-id", [SDPDC_E_DCMAP_PR] = "dcmap-pr",
    [SDPDC_E_DCSA] = "dcsa",         [SDPDC_E_MSRP] = "msrp",
    [SDPDC_E_CEMA] = "cema",         [SDPDC_E_NOTHING] = "nothing",
    [SDPDC_E_MISMATCH] = "mismatch", [SDPDC_E_ARG] = "arg",
  };
  if (code < 0 || (size_t)code >= sizeof names / sizeof names[0] || !names[code])
    return "unknown";
  return names[code];
}

void sdpdc__buf_init(sdpdc__buf_t *b, su_home_t *home)
{
  memset(b, 0, sizeof *b);
  b->home = home;
}

void sdpdc__buf_add(sdpdc__buf_t *b, const char *s, size_t n)
{
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *ns = su_realloc(b->home, b->s, cap);
    if (!ns) {
      b->oom = true;
      return;
    }
    b->s = ns;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void sdpdc__buf_puts(sdpdc__buf_t *b, const char *s)
{
  sdpdc__buf_add(b, s, strlen(s));
}

void sdpdc__buf_printf(sdpdc__buf_t *b, const char *fmt, ...)
{
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = true;
    return;
  }
  if ((size_t)n < sizeof tmp) {
    sdpdc__buf_add(b, tmp, (size_t)n);
    return;
  }
  char *big = su_alloc(b->home, (size_t)n + 1);
  if (!big) {
    b->oom = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sdpdc__buf_add(b, big, (size_t)n);
  su_free(b->home, big);
}

bool sdpdc__ieq(const char *a, const char *b)
{
  return a && b && su_casematch(a, b);
}

void *sdpdc__grow(su_home_t *home, void **arr, size_t *n, size_t elem)
{
  /* capacity: powers of two >= 4 */
  size_t cap = 4;
  while (cap < *n)
    cap *= 2;
  if (*n == 0 || *n == cap) {
    size_t ncap = *n == 0 ? 4 : cap * 2;
    void *na = su_realloc(home, *arr, ncap * elem);
    if (!na)
      return NULL;
    *arr = na;
  }
  char *e = (char *)*arr + *n * elem;
  memset(e, 0, elem);
  (*n)++;
  return e;
}

bool sdpdc__u64(const char *s, uint64_t *v)
{
  uint64_t r = 0;
  size_t i = 0;
  if (!s || !*s)
    return false;
  for (; s[i]; i++) {
    if (s[i] < '0' || s[i] > '9' || i >= 20)
      return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (r > (UINT64_MAX - d) / 10)
      return false;
    r = r * 10 + d;
  }
  *v = r;
  return true;
}

static const char *dupn(su_home_t *home, const char *s, size_t n)
{
  return su_strndup(home, s, (isize_t)n);
}

/* ================================================================ names */

const char *sdpdc_proto_name(sdpdc_proto_t proto)
{
  switch (proto) {
  case SDPDC_PROTO_UDP_DTLS_SCTP: return "UDP/DTLS/SCTP";
  case SDPDC_PROTO_TCP_DTLS_SCTP: return "TCP/DTLS/SCTP";
  case SDPDC_PROTO_TCP_MSRP: return "TCP/MSRP";
  case SDPDC_PROTO_TCP_TLS_MSRP: return "TCP/TLS/MSRP";
  case SDPDC_PROTO_TCP: return "TCP";
  default: return "";
  }
}

const char *sdpdc_setup_name(sdpdc_setup_t s)
{
  switch (s) {
  case SDPDC_SETUP_ACTIVE: return "active";
  case SDPDC_SETUP_PASSIVE: return "passive";
  case SDPDC_SETUP_ACTPASS: return "actpass";
  case SDPDC_SETUP_HOLDCONN: return "holdconn";
  default: return NULL;
  }
}

static sdpdc_proto_t proto_of(const char *name)
{
  static const sdpdc_proto_t all[] = {SDPDC_PROTO_UDP_DTLS_SCTP, SDPDC_PROTO_TCP_DTLS_SCTP,
                                      SDPDC_PROTO_TCP_MSRP, SDPDC_PROTO_TCP_TLS_MSRP,
                                      SDPDC_PROTO_TCP};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (sdpdc__ieq(name, sdpdc_proto_name(all[i])))
      return all[i];
  return SDPDC_PROTO_OTHER;
}

/* ================================================================ attribute decoders */

int sdpdc__fingerprint(su_home_t *home, const char *value, sdpdc_fingerprint_t *fp,
                       sdpdc_error_t *err)
{
  static const struct { const char *name; size_t bytes; } hashes[] = {
    {"sha-1", 20}, {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64},
  };
  const char *sp = value ? strchr(value, ' ') : NULL;
  if (!sp || sp == value)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT, "malformed a=fingerprint");
  size_t hl = (size_t)(sp - value);
  char hash[16];
  if (hl >= sizeof hash)
    return sdpdc__fail(err, -ENOTSUP, SDPDC_E_HASH, "unsupported fingerprint hash");
  for (size_t i = 0; i < hl; i++)
    hash[i] = (char)tolower((unsigned char)value[i]);
  hash[hl] = '\0';
  if (!strcmp(hash, "md5") || !strcmp(hash, "md2"))
    return sdpdc__fail(err, -ENOTSUP, SDPDC_E_HASH, "fingerprint hash %s refused (RFC 8122)",
                       hash);
  size_t want = 0;
  for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
    if (!strcmp(hash, hashes[i].name))
      want = hashes[i].bytes;
  if (!want)
    return sdpdc__fail(err, -ENOTSUP, SDPDC_E_HASH, "unsupported fingerprint hash %.15s", hash);
  const char *v = sp + 1;
  size_t n = 0;
  for (const char *p = v;;) {
    for (int k = 0; k < 2; k++, p++) {
      if (islower((unsigned char)*p) && isxdigit((unsigned char)*p))
        return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT,
                           "fingerprint must be upper-case hex");
      if (!(isdigit((unsigned char)*p) || (*p >= 'A' && *p <= 'F')))
        return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT, "malformed fingerprint value");
    }
    n++;
    if (*p == '\0')
      break;
    if (*p != ':')
      return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT, "malformed fingerprint value");
    p++;
  }
  if (n != want)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT,
                       "fingerprint %s has %zu bytes, want %zu", hash, n, want);
  fp->hash = su_strdup(home, hash);
  fp->value = su_strdup(home, v);
  if (!fp->hash || !fp->value)
    return SDPDC_NOMEM(err);
  return 0;
}

static int parse_setup(const char *v, sdpdc_setup_t *out, sdpdc_error_t *err)
{
  static const sdpdc_setup_t all[] = {SDPDC_SETUP_ACTIVE, SDPDC_SETUP_PASSIVE,
                                      SDPDC_SETUP_ACTPASS, SDPDC_SETUP_HOLDCONN};
  for (size_t i = 0; i < 4; i++)
    if (sdpdc__ieq(v, sdpdc_setup_name(all[i]))) {
      *out = all[i];
      return 0;
    }
  return sdpdc__fail(err, -EINVAL, SDPDC_E_SETUP, "bad setup value %.40s", v ? v : "");
}

static bool ice_chars(const char *s, size_t min, size_t max)
{
  size_t n = 0;
  for (; s[n]; n++)
    if (!(isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '/'))
      return false;
  return n >= min && n <= max;
}

static int parse_candidate(su_home_t *home, const char *v, sdpdc_candidate_t *c,
                           sdpdc_error_t *err)
{
  char *copy = su_strdup(home, v);
  if (!copy)
    return SDPDC_NOMEM(err);
  char *tok[8];
  char *save = NULL, *p = copy;
  size_t nt = 0;
  for (; nt < 8; nt++) {
    tok[nt] = strtok_r(p, " ", &save);
    p = NULL;
    if (!tok[nt])
      break;
  }
  uint64_t comp, prio, port;
  if (nt < 8 || !ice_chars(tok[0], 1, 32) || !sdpdc__u64(tok[1], &comp) || comp < 1 ||
      comp > 256 || !sdpdc__u64(tok[3], &prio) || prio > UINT32_MAX || !*tok[4] ||
      !sdpdc__u64(tok[5], &port) || port > 65535 || strcmp(tok[6], "typ") || !*tok[7])
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ICE, "malformed a=candidate");
  for (const char *q = tok[2]; *q; q++)
    if (!isalnum((unsigned char)*q))
      return sdpdc__fail(err, -EINVAL, SDPDC_E_ICE, "malformed a=candidate transport");
  c->foundation = tok[0];
  c->component = (unsigned)comp;
  c->transport = tok[2];
  c->priority = (uint32_t)prio;
  c->address = tok[4];
  c->port = (unsigned)port;
  c->type = tok[7];
  c->extensions = NULL;
  /* the rest of the original text after the 8th token, verbatim */
  const char *rest = v;
  for (int k = 0; k < 8; k++) {
    while (*rest == ' ')
      rest++;
    while (*rest && *rest != ' ')
      rest++;
  }
  while (*rest == ' ')
    rest++;
  if (*rest) {
    c->extensions = su_strdup(home, rest);
    if (!c->extensions)
      return SDPDC_NOMEM(err);
  }
  return 0;
}

/* quoted-visible-string with %-escapes -> decoded text; *pp after the closing quote. */
static int parse_quoted(su_home_t *home, const char **pp, const char **out, sdpdc_error_t *err)
{
  const char *p = *pp;
  if (*p != '"')
    return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "dcmap string value must be quoted");
  p++;
  const char *start = p;
  while (*p && *p != '"') {
    if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "bad character in dcmap string");
    p++;
  }
  if (*p != '"')
    return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "unterminated dcmap string");
  size_t n = (size_t)(p - start);
  char *d = su_alloc(home, n + 1);
  if (!d)
    return SDPDC_NOMEM(err);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (start[i] == '%') {
      if (i + 2 >= n || !isxdigit((unsigned char)start[i + 1]) ||
          !isxdigit((unsigned char)start[i + 2]))
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "bad %%-escape in dcmap string");
      char hx[3] = {start[i + 1], start[i + 2], 0};
      unsigned long c = strtoul(hx, NULL, 16);
      if (c == 0)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "%%00 in dcmap string");
      d[o++] = (char)c;
      i += 2;
    } else {
      d[o++] = start[i];
    }
  }
  d[o] = '\0';
  *out = d;
  *pp = p + 1;
  return 0;
}

static int parse_stream_id(const char *s, size_t n, unsigned *id, int code, sdpdc_error_t *err)
{
  uint64_t v = 0;
  if (n == 0 || n > 5)
    return sdpdc__fail(err, -EINVAL, code == SDPDC_E_DCSA ? SDPDC_E_DCSA : SDPDC_E_DCMAP_ID,
                       "%s stream id out of range", code == SDPDC_E_DCSA ? "dcsa" : "dcmap");
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return sdpdc__fail(err, -EINVAL, code, "malformed %s stream id",
                         code == SDPDC_E_DCSA ? "dcsa" : "dcmap");
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > 65534)
    return sdpdc__fail(err, -EINVAL, code == SDPDC_E_DCSA ? SDPDC_E_DCSA : SDPDC_E_DCMAP_ID,
                       "%s stream id out of range", code == SDPDC_E_DCSA ? "dcsa" : "dcmap");
  *id = (unsigned)v;
  return 0;
}

static int parse_u32_opt(const char **pp, uint32_t *out, const char *what, sdpdc_error_t *err)
{
  const char *p = *pp;
  uint64_t v = 0;
  size_t n = 0;
  while (isdigit((unsigned char)p[n]) && n < 11)
    v = v * 10 + (uint64_t)(p[n++] - '0');
  if (n == 0 || n > 10 || v > UINT32_MAX)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "bad dcmap %s value", what);
  *out = (uint32_t)v;
  *pp = p + n;
  return 0;
}

static int parse_dcmap(su_home_t *home, const char *v, sdpdc_dcmap_t *d, sdpdc_error_t *err)
{
  int rc;
  const char *p = v;
  size_t n = 0;
  while (p[n] && p[n] != ' ')
    n++;
  if ((rc = parse_stream_id(p, n, &d->id, SDPDC_E_DCMAP, err)) < 0)
    return rc;
  d->ordered = 1;
  p += n;
  bool seen_ord = false, seen_sub = false, seen_lab = false, seen_pri = false;
  while (*p == ' ')
    p++;
  while (*p) {
    const char *name = p;
    while (*p && *p != '=' && *p != ';' && *p != ' ')
      p++;
    size_t nl = (size_t)(p - name);
    if (*p != '=' || nl == 0)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "malformed dcmap option");
    p++;
#define OPT(s) (nl == sizeof(s) - 1 && !strncmp(name, s, nl))
    if (OPT("ordered")) {
      if (seen_ord)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "duplicate dcmap option ordered");
      seen_ord = true;
      if (!strncmp(p, "true", 4)) {
        d->ordered = 1;
        p += 4;
      } else if (!strncmp(p, "false", 5)) {
        d->ordered = 0;
        p += 5;
      } else {
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "dcmap ordered must be true or false");
      }
    } else if (OPT("subprotocol") || OPT("label")) {
      bool sub = OPT("subprotocol");
      if (sub ? seen_sub : seen_lab)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "duplicate dcmap option %s",
                           sub ? "subprotocol" : "label");
      *(sub ? &seen_sub : &seen_lab) = true;
      if ((rc = parse_quoted(home, &p, sub ? &d->subprotocol : &d->label, err)) < 0)
        return rc;
    } else if (OPT("max-retr")) {
      if (d->has_max_retr)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "duplicate dcmap option max-retr");
      d->has_max_retr = 1;
      if ((rc = parse_u32_opt(&p, &d->max_retr, "max-retr", err)) < 0)
        return rc;
    } else if (OPT("max-time")) {
      if (d->has_max_time)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "duplicate dcmap option max-time");
      d->has_max_time = 1;
      if ((rc = parse_u32_opt(&p, &d->max_time, "max-time", err)) < 0)
        return rc;
    } else if (OPT("priority")) {
      if (seen_pri)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "duplicate dcmap option priority");
      seen_pri = true;
      d->has_priority = 1;
      if ((rc = parse_u32_opt(&p, &d->priority, "priority", err)) < 0)
        return rc;
    } else {
      /* an extension option: skip its value (quoted or token) */
      if (*p == '"') {
        const char *ignored;
        if ((rc = parse_quoted(home, &p, &ignored, err)) < 0)
          return rc;
      } else {
        while (*p && *p != ';')
          p++;
      }
    }
#undef OPT
    while (*p == ' ')
      p++;
    if (*p == ';') {
      p++;
      while (*p == ' ')
        p++;
      if (!*p)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "malformed dcmap option");
    } else if (*p) {
      return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP, "malformed dcmap option");
    }
  }
  if (d->has_max_retr && d->has_max_time)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP_PR,
                       "dcmap %u has both max-retr and max-time", d->id);
  return 0;
}

/* ================================================================ the model */

typedef struct pctx {
  su_home_t *home;
  bool frag;
  sdpdc_error_t *err;
} pctx_t;

static int add_attr(su_home_t *home, sdpdc_attr_t **arr, size_t *n, const char *name,
                    const char *value)
{
  sdpdc_attr_t *a = sdpdc__grow(home, (void **)arr, n, sizeof *a);
  if (!a)
    return -ENOMEM;
  a->name = su_strdup(home, name);
  a->value = value ? su_strdup(home, value) : NULL;
  if (!a->name || (value && !a->value))
    return -ENOMEM;
  return 0;
}

static bool is_dollar(const char *v)
{
  return v && v[0] == '$' && v[1] == '\0';
}

/* Decode one attribute into the media. Returns 0, or <0 with err set. */
static int media_attr(pctx_t *c, sdpdc_media_t *m, const char *name, const char *v,
                      sdpdc_attr_t **dcsa_raw, size_t *n_dcsa_raw, unsigned **dcsa_ids,
                      size_t *n_dcsa_ids, bool *fp_media)
{
  int rc;
  su_home_t *home = c->home;
  sdpdc_error_t *err = c->err;
  unsigned idx = m->index;
  const char *val = v ? v : "";

#define IS(s) sdpdc__ieq(name, s)
  if (IS("setup")) {
    return parse_setup(val, &m->setup, err);
  } else if (IS("connection")) {
    if (sdpdc__ieq(val, "new"))
      m->connection = SDPDC_CONNECTION_NEW;
    else if (sdpdc__ieq(val, "existing"))
      m->connection = SDPDC_CONNECTION_EXISTING;
    else
      return sdpdc__fail(err, -EINVAL, SDPDC_E_CONNECTION, "bad a=connection on m-line %u", idx);
    return 0;
  } else if (IS("mid")) {
    m->mid = su_strdup(home, val);
    return m->mid ? 0 : SDPDC_NOMEM(err);
  }
  if (m->kind == SDPDC_KIND_DC) {
    if (IS("sctp-port")) {
      uint64_t p;
      if (c->frag && is_dollar(v)) {
        m->choose |= SDPDC_CHOOSE_SCTP_PORT;
        return 0;
      }
      if (!sdpdc__u64(val, &p) || p < 1 || p > 65535)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_PORT, "bad a=sctp-port on m-line %u", idx);
      m->has_sctp_port = 1;
      m->sctp_port = (unsigned)p;
    } else if (IS("max-message-size")) {
      uint64_t p;
      if (c->frag && is_dollar(v)) {
        m->choose |= SDPDC_CHOOSE_MMS;
        return 0;
      }
      if (!sdpdc__u64(val, &p))
        return sdpdc__fail(err, -EINVAL, SDPDC_E_MMS, "bad a=max-message-size on m-line %u",
                           idx);
      m->has_max_message_size = 1;
      m->max_message_size = p;
    } else if (IS("fingerprint")) {
      if (c->frag && is_dollar(v)) {
        m->choose |= SDPDC_CHOOSE_FINGERPRINT;
        return 0;
      }
      if (!*fp_media) { /* media-level fingerprints replace session-level ones */
        *fp_media = true;
        m->n_fingerprints = 0;
        m->fingerprints_from_session = 0;
      }
      sdpdc_fingerprint_t *fp =
          sdpdc__grow(home, (void **)&m->fingerprints, &m->n_fingerprints, sizeof *fp);
      if (!fp)
        return SDPDC_NOMEM(err);
      return sdpdc__fingerprint(home, val, fp, err);
    } else if (IS("tls-id")) {
      if (c->frag && is_dollar(v)) {
        m->choose |= SDPDC_CHOOSE_TLS_ID;
        return 0;
      }
      size_t n = strlen(val);
      bool ok = n >= 1 && n <= 255;
      for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)val[i]) || strchr("+/-_", val[i]);
      if (!ok)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_TLS_ID, "bad a=tls-id on m-line %u", idx);
      m->tls_id = su_strdup(home, val);
    } else if (IS("ice-ufrag") || IS("ice-pwd")) {
      bool uf = IS("ice-ufrag");
      if (c->frag && is_dollar(v)) {
        m->choose |= uf ? SDPDC_CHOOSE_ICE_UFRAG : SDPDC_CHOOSE_ICE_PWD;
        return 0;
      }
      if (!ice_chars(val, uf ? 4 : 22, 256))
        return sdpdc__fail(err, -EINVAL, SDPDC_E_ICE, "bad a=%s on m-line %u",
                           uf ? "ice-ufrag" : "ice-pwd", idx);
      *(uf ? &m->ice_ufrag : &m->ice_pwd) = su_strdup(home, val);
    } else if (IS("ice-options")) {
      m->ice_options = su_strdup(home, val);
    } else if (IS("ice-lite")) {
      m->ice_lite = 1;
    } else if (IS("end-of-candidates")) {
      m->end_of_candidates = 1;
    } else if (IS("candidate")) {
      sdpdc_candidate_t *cd =
          sdpdc__grow(home, (void **)&m->candidates, &m->n_candidates, sizeof *cd);
      if (!cd)
        return SDPDC_NOMEM(err);
      if ((rc = parse_candidate(home, val, cd, err)) < 0)
        return rc;
    } else if (IS("dcmap")) {
      sdpdc_dcmap_t *d = sdpdc__grow(home, (void **)&m->dcmaps, &m->n_dcmaps, sizeof *d);
      if (!d)
        return SDPDC_NOMEM(err);
      if ((rc = parse_dcmap(home, val, d, err)) < 0)
        return rc;
      for (size_t i = 0; i + 1 < m->n_dcmaps; i++)
        if (m->dcmaps[i].id == d->id)
          return sdpdc__fail(err, -EINVAL, SDPDC_E_DCMAP_ID, "duplicate dcmap stream id %u",
                             d->id);
    } else if (IS("dcsa")) {
      const char *sp = strchr(val, ' ');
      unsigned id;
      if (!sp)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCSA, "malformed a=dcsa on m-line %u", idx);
      if ((rc = parse_stream_id(val, (size_t)(sp - val), &id, SDPDC_E_DCSA, err)) < 0)
        return rc;
      const char *attr = sp + 1;
      const char *colon = strchr(attr, ':');
      size_t nl = colon ? (size_t)(colon - attr) : strlen(attr);
      if (nl == 0)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_DCSA, "malformed a=dcsa on m-line %u", idx);
      for (size_t i = 0; i < nl; i++)
        if (!(isalnum((unsigned char)attr[i]) || strchr("-_.+!#$%&'*^`{|}~", attr[i])))
          return sdpdc__fail(err, -EINVAL, SDPDC_E_DCSA, "malformed a=dcsa attribute name");
      const char *an = dupn(home, attr, nl);
      if (!an)
        return SDPDC_NOMEM(err);
      if (sdpdc__ieq(an, "setup")) {
        sdpdc_setup_t s;
        if ((rc = parse_setup(colon ? colon + 1 : "", &s, err)) < 0)
          return sdpdc__fail(err, rc, SDPDC_E_SETUP, "bad dcsa setup value for stream %u", id);
      }
      if (add_attr(home, dcsa_raw, n_dcsa_raw, an, colon ? colon + 1 : NULL) < 0)
        return SDPDC_NOMEM(err);
      unsigned *pid = sdpdc__grow(home, (void **)dcsa_ids, n_dcsa_ids, sizeof *pid);
      if (!pid)
        return SDPDC_NOMEM(err);
      *pid = id;
    }
    return 0;
  }
  if (m->kind == SDPDC_KIND_MSRP) {
    if (IS("path")) {
      if (!*val)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_MSRP, "empty a=path on m-line %u", idx);
      m->path = su_strdup(home, val);
    } else if (IS("accept-types")) {
      m->accept_types = su_strdup(home, val);
    } else if (IS("accept-wrapped-types")) {
      m->accept_wrapped_types = su_strdup(home, val);
    } else if (IS("max-size")) {
      if (!sdpdc__u64(val, &m->max_size))
        return sdpdc__fail(err, -EINVAL, SDPDC_E_MSRP, "bad a=max-size on m-line %u", idx);
      m->has_max_size = 1;
    } else if (IS("msrp-cema")) {
      m->msrp_cema = 1;
    }
  }
#undef IS
  return 0;
}

static sdpdc_kind_t kind_of(const char *media, sdpdc_proto_t proto)
{
  if (sdpdc__ieq(media, "application") &&
      (proto == SDPDC_PROTO_UDP_DTLS_SCTP || proto == SDPDC_PROTO_TCP_DTLS_SCTP))
    return SDPDC_KIND_DC;
  if (sdpdc__ieq(media, "message") &&
      (proto == SDPDC_PROTO_TCP_MSRP || proto == SDPDC_PROTO_TCP_TLS_MSRP ||
       proto == SDPDC_PROTO_TCP))
    return SDPDC_KIND_MSRP;
  return SDPDC_KIND_OTHER;
}

static int conn_family(const sdp_connection_t *cn)
{
  if (!cn)
    return 0;
  return cn->c_addrtype == sdp_addr_ip4 ? 4 : cn->c_addrtype == sdp_addr_ip6 ? 6 : -1;
}

/* Per-media "$" facts found by the fragment pre-parser. */
typedef struct fragfacts {
  unsigned session_choose;
  unsigned *media_choose;
  size_t n_media;
} fragfacts_t;

static int build_media(pctx_t *c, const sdp_session_t *ss, const sdp_media_t *sm,
                       const sdpdc_session_t *s, sdpdc_media_t *m, unsigned choose)
{
  su_home_t *home = c->home;
  sdpdc_error_t *err = c->err;
  int rc;
  unsigned idx = m->index;

  m->media = su_strdup(home, sm->m_type_name ? sm->m_type_name : "");
  m->port = (unsigned)sm->m_port;
  if (sm->m_port > 65535)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_PORT, "bad port on m-line %u", idx);
  m->proto_name = su_strdup(home, sm->m_proto_name ? sm->m_proto_name : "");
  m->proto = proto_of(m->proto_name);
  m->choose = choose;
  {
    sdpdc__buf_t b;
    sdpdc__buf_init(&b, home);
    if (sm->m_format) {
      for (const sdp_list_t *l = sm->m_format; l; l = l->l_next) {
        if (l != sm->m_format)
          sdpdc__buf_puts(&b, " ");
        sdpdc__buf_puts(&b, l->l_text ? l->l_text : "");
      }
    } else {
      for (const sdp_rtpmap_t *r = sm->m_rtpmaps; r; r = r->rm_next) {
        if (r != sm->m_rtpmaps)
          sdpdc__buf_puts(&b, " ");
        sdpdc__buf_printf(&b, "%u", (unsigned)r->rm_pt);
      }
    }
    if (b.oom)
      return SDPDC_NOMEM(err);
    m->fmt = b.s ? b.s : su_strdup(home, "");
  }
  if (!m->media || !m->proto_name || !m->fmt)
    return SDPDC_NOMEM(err);
  m->kind = kind_of(m->media, m->proto);

  if (sm->m_connections) {
    m->family = conn_family(sm->m_connections);
    m->address = su_strdup(home, sm->m_connections->c_address ? sm->m_connections->c_address
                                                                : "");
    if (m->family < 0 && m->port != 0 && m->kind != SDPDC_KIND_OTHER)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_ADDRESS, "c= of m-line %u is not IP4/IP6", idx);
    if (m->family < 0)
      m->family = 0;
  } else if (s->family || (s->choose & SDPDC_CHOOSE_ADDR)) {
    m->family = s->family;
    m->address = s->address;
    m->address_from_session = 1;
    if (s->choose & SDPDC_CHOOSE_ADDR)
      m->choose |= SDPDC_CHOOSE_ADDR;
  }
  if (m->choose & SDPDC_CHOOSE_ADDR)
    m->address = NULL;

  /* Session-level defaults (RFC 8122 fingerprint, RFC 8839 ICE, RFC 4145 setup). */
  m->sctp_port = 5000;
  m->max_message_size = 65536;
  bool fp_media = false;
  for (const sdp_attribute_t *a = ss->sdp_attributes; a; a = a->a_next) {
    const char *n = a->a_name ? a->a_name : "";
    if (m->kind == SDPDC_KIND_DC && sdpdc__ieq(n, "fingerprint")) {
      if (c->frag && is_dollar(a->a_value)) {
        m->choose |= SDPDC_CHOOSE_FINGERPRINT;
        continue;
      }
      sdpdc_fingerprint_t *fp =
          sdpdc__grow(home, (void **)&m->fingerprints, &m->n_fingerprints, sizeof *fp);
      if (!fp)
        return SDPDC_NOMEM(err);
      if ((rc = sdpdc__fingerprint(home, a->a_value, fp, err)) < 0)
        return rc;
      m->fingerprints_from_session = 1;
    } else if (m->kind == SDPDC_KIND_DC &&
               (sdpdc__ieq(n, "ice-ufrag") || sdpdc__ieq(n, "ice-pwd") ||
                sdpdc__ieq(n, "ice-options") || sdpdc__ieq(n, "ice-lite"))) {
      if ((rc = media_attr(c, m, n, a->a_value, NULL, NULL, NULL, NULL, &fp_media)) < 0)
        return rc;
    } else if (m->kind != SDPDC_KIND_OTHER && sdpdc__ieq(n, "setup")) {
      if ((rc = parse_setup(a->a_value, &m->setup, err)) < 0)
        return rc;
    }
  }

  sdpdc_attr_t *dcsa_raw = NULL;
  size_t n_dcsa_raw = 0, n_dcsa_ids = 0;
  unsigned *dcsa_ids = NULL;
  for (const sdp_attribute_t *a = sm->m_attributes; a; a = a->a_next) {
    const char *n = a->a_name ? a->a_name : "";
    if (add_attr(home, &m->attrs, &m->n_attrs, n, a->a_value) < 0)
      return SDPDC_NOMEM(err);
    if (m->kind == SDPDC_KIND_OTHER)
      continue;
    if ((rc = media_attr(c, m, n, a->a_value, &dcsa_raw, &n_dcsa_raw, &dcsa_ids, &n_dcsa_ids,
                         &fp_media)) < 0)
      return rc;
  }
  /* attach dcsa lines to their dcmap */
  for (size_t i = 0; i < n_dcsa_raw; i++) {
    sdpdc_dcmap_t *d = NULL;
    for (size_t k = 0; k < m->n_dcmaps; k++)
      if (m->dcmaps[k].id == dcsa_ids[i])
        d = &m->dcmaps[k];
    if (!d)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_DCSA, "dcsa for stream %u without dcmap",
                         dcsa_ids[i]);
    sdpdc_attr_t *x = sdpdc__grow(home, (void **)&d->dcsa, &d->n_dcsa, sizeof *x);
    if (!x)
      return SDPDC_NOMEM(err);
    *x = dcsa_raw[i];
  }

  /* Rules for live lines of a complete SDP. */
  if (!c->frag && m->port != 0 && m->kind != SDPDC_KIND_OTHER) {
    if (m->family == 0)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_ADDRESS, "no c= for m-line %u", idx);
    if (m->kind == SDPDC_KIND_DC) {
      if (!sdpdc__ieq(m->fmt, "webrtc-datachannel"))
        return sdpdc__fail(err, -EINVAL, SDPDC_E_PROTO,
                           "DC m-line %u fmt must be webrtc-datachannel", idx);
      if (m->n_fingerprints == 0)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT, "no fingerprint on DC m-line %u",
                           idx);
    } else {
      if (!m->path)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_MSRP, "no a=path on MSRP m-line %u", idx);
      if (!m->accept_types)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_MSRP, "no a=accept-types on MSRP m-line %u",
                           idx);
    }
  }
  return 0;
}

static int build_session(pctx_t *c, const sdp_session_t *ss, const fragfacts_t *ff,
                         sdpdc_session_t **out)
{
  su_home_t *home = c->home;
  sdpdc_error_t *err = c->err;
  int rc;
  sdpdc_session_t *s = su_zalloc(home, sizeof *s);
  if (!s)
    return SDPDC_NOMEM(err);
  if (ss->sdp_origin && !(ff && ff->session_choose & 0x80000000u)) {
    char tmp[32];
    s->o_username = su_strdup(home, ss->sdp_origin->o_username ? ss->sdp_origin->o_username : "-");
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)ss->sdp_origin->o_id);
    s->o_sess_id = su_strdup(home, tmp);
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)ss->sdp_origin->o_version);
    s->o_sess_version = su_strdup(home, tmp);
    if (ss->sdp_origin->o_address && ss->sdp_origin->o_address->c_address)
      s->o_address = su_strdup(home, ss->sdp_origin->o_address->c_address);
  }
  if (ss->sdp_subject && !(ff && ff->session_choose & 0x40000000u))
    s->subject = su_strdup(home, ss->sdp_subject);
  if (ss->sdp_connection) {
    s->family = conn_family(ss->sdp_connection);
    if (s->family < 0)
      s->family = 0;
    s->address = su_strdup(home, ss->sdp_connection->c_address ? ss->sdp_connection->c_address : "");
  }
  if (ff && (ff->session_choose & SDPDC_CHOOSE_ADDR)) {
    s->choose |= SDPDC_CHOOSE_ADDR;
    s->address = NULL;
  }
  for (const sdp_attribute_t *a = ss->sdp_attributes; a; a = a->a_next) {
    if (add_attr(home, &s->attrs, &s->n_attrs, a->a_name ? a->a_name : "", a->a_value) < 0)
      return SDPDC_NOMEM(err);
    if (sdpdc__ieq(a->a_name, "ice-lite"))
      s->ice_lite = 1;
  }
  size_t n = 0;
  for (const sdp_media_t *sm = ss->sdp_media; sm; sm = sm->m_next)
    n++;
  if (n) {
    s->media = su_zalloc(home, n * sizeof *s->media);
    if (!s->media)
      return SDPDC_NOMEM(err);
  }
  s->n_media = n;
  size_t i = 0;
  for (const sdp_media_t *sm = ss->sdp_media; sm; sm = sm->m_next, i++) {
    s->media[i].index = (unsigned)i;
    unsigned ch = ff && i < ff->n_media ? ff->media_choose[i] : 0;
    if ((rc = build_media(c, ss, sm, s, &s->media[i], ch)) < 0)
      return rc;
  }
  *out = s;
  return 0;
}

/* m=<media> <port>[/<n>] <proto> <fmt> *(SP <fmt>), tokens of
 * ALPHA / DIGIT / "-.!%*_+`'~" (the proto may also hold '/'). */
static bool m_line_ok(const char *s, size_t n)
{
  size_t word = 0, wlen = 0;
  for (size_t i = 0; i <= n; i++) {
    char c = i < n ? s[i] : ' ';
    if (c == ' ') {
      if (wlen == 0)
        return false;
      word++;
      wlen = 0;
      continue;
    }
    bool ok = isalnum((unsigned char)c) || (c && strchr("-.!%*_+`'~", c));
    if (word == 1)
      ok = isdigit((unsigned char)c) || c == '/';
    else if (word == 2)
      ok = ok || c == '/';
    if (!ok)
      return false;
    wlen++;
  }
  return word >= 4;
}

static int do_parse(su_home_t *home, const char *text, size_t len, bool frag,
                    const fragfacts_t *ff, sdpdc_session_t **out, sdpdc_error_t *err)
{
  if (len > SDPDC_MAX_TEXT)
    return sdpdc__fail(err, -EMSGSIZE, SDPDC_E_TOO_LARGE, "SDP too large (%zu bytes, at most %d)",
                       len, SDPDC_MAX_TEXT);
  /* Sofia-SIP 1.12.11 loops forever on an m= line whose fmt list holds a
   * non-token byte, and has its own ideas about lone CRs (both found by
   * fuzz/fuzz-sdp). So Sofia only ever sees clean text: lines split at CRLF,
   * LF or CR, blank lines dropped, each line "<letter>=...", every m= line
   * RFC 4566 tokens, re-joined with CRLF. */
  su_home_t *tmp = su_home_new(sizeof(su_home_t));
  if (!tmp)
    return SDPDC_NOMEM(err);
  sdpdc__buf_t b;
  sdpdc__buf_init(&b, tmp);
  int rc = 0;
  for (size_t i = 0; i < len;) {
    size_t e = i;
    while (e < len && text[e] != '\n' && text[e] != '\r')
      e++;
    if (e > i) {
      const char *l = text + i;
      size_t n = e - i;
      if (n < 2 || l[1] != '=' || l[0] < 'a' || l[0] > 'z') {
        rc = sdpdc__fail(err, -EINVAL, SDPDC_E_SYNTAX, "SDP syntax: bad line");
        goto out;
      }
      if (l[0] == 'm' && !m_line_ok(l + 2, n - 2)) {
        rc = sdpdc__fail(err, -EINVAL, SDPDC_E_SYNTAX, "SDP syntax: malformed m= line");
        goto out;
      }
      sdpdc__buf_add(&b, l, n);
      sdpdc__buf_add(&b, "\r\n", 2);
    }
    if (e + 1 < len && text[e] == '\r' && text[e + 1] == '\n')
      e++;
    i = e + 1;
  }
  if (b.oom) {
    rc = SDPDC_NOMEM(err);
    goto out;
  }
  if (!b.s) {
    rc = sdpdc__fail(err, -EINVAL, SDPDC_E_SYNTAX, "SDP syntax: empty");
    goto out;
  }
  sdp_parser_t *p = sdp_parse(tmp, b.s, (issize_t)b.len, sdp_f_mode_manual | sdp_f_c_missing);
  if (!p) {
    rc = SDPDC_NOMEM(err);
    goto out;
  }
  const char *perr = sdp_parsing_error(p);
  sdp_session_t *ss = sdp_session(p);
  if (perr || !ss) {
    rc = sdpdc__fail(err, -EINVAL, SDPDC_E_SYNTAX, "SDP syntax: %.120s", perr ? perr : "empty");
    sdp_parser_free(p);
    goto out;
  }
  pctx_t c = {home, frag, err};
  rc = build_session(&c, ss, ff, out);
  sdp_parser_free(p);
out:
  su_home_unref(tmp);
  return rc;
}

int sdpdc_parse(su_home_t *home, const char *text, size_t len, sdpdc_session_t **out,
                sdpdc_error_t *err)
{
  if (!home || !text || !out)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  if (memchr(text, '\0', len))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_SYNTAX, "SDP syntax: NUL byte");
  return do_parse(home, text, len, false, NULL, out, err);
}

/* ================================================================ fragments */

/* Rewrite a fragment into a text Sofia accepts: indentation and blank lines
 * removed, o=/s=/t= added where missing, "$" in c= and the m= port replaced
 * (and remembered in ff). */
int sdpdc_frag_parse(su_home_t *home, const char *text, size_t len, sdpdc_session_t **out,
                     sdpdc_error_t *err)
{
  if (!home || !text || !out)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  if (memchr(text, '\0', len))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_SYNTAX, "SDP syntax: NUL byte");
  su_home_t *tmp = su_home_new(sizeof(su_home_t));
  if (!tmp)
    return SDPDC_NOMEM(err);
  fragfacts_t ff = {0};
  sdpdc__buf_t b;
  sdpdc__buf_init(&b, tmp);
  bool have_v = false, have_o = false, have_s = false, have_t = false, in_media = false;
  int rc = 0;

  /* first pass: which of o=/s=/t= exist */
  for (size_t i = 0; i < len;) {
    size_t e = i;
    while (e < len && text[e] != '\n')
      e++;
    size_t s = i;
    while (s < e && (text[s] == ' ' || text[s] == '\t'))
      s++;
    if (e - s >= 2 && text[s + 1] == '=') {
      if (text[s] == 'm')
        break;
      if (text[s] == 'o')
        have_o = true;
      if (text[s] == 's')
        have_s = true;
      if (text[s] == 't')
        have_t = true;
    }
    i = e + 1;
  }
  sdpdc__buf_puts(&b, "v=0\r\n");
  if (!have_o) {
    sdpdc__buf_puts(&b, "o=- 0 0 IN IP4 0.0.0.0\r\n");
    ff.session_choose |= 0x80000000u; /* origin was added: do not report it */
  }
  if (!have_s) {
    sdpdc__buf_puts(&b, "s=-\r\n");
    ff.session_choose |= 0x40000000u;
  }
  for (size_t i = 0; i < len;) {
    size_t e = i;
    while (e < len && text[e] != '\n')
      e++;
    size_t s = i, t = e;
    i = e + 1;
    while (s < t && (text[s] == ' ' || text[s] == '\t'))
      s++;
    while (t > s && (text[t - 1] == '\r' || text[t - 1] == ' ' || text[t - 1] == '\t'))
      t--;
    if (t == s)
      continue;
    char *line = su_strndup(tmp, text + s, (isize_t)(t - s));
    if (!line) {
      rc = SDPDC_NOMEM(err);
      goto out;
    }
    if (line[0] == 'v' && line[1] == '=') {
      if (have_v) {
        rc = sdpdc__fail(err, -EINVAL, SDPDC_E_SYNTAX, "SDP syntax: second v= line");
        goto out;
      }
      have_v = true;
      continue; /* printed above */
    }
    if (!have_t && !in_media && strchr("tkam", line[0]) && line[1] == '=') {
      sdpdc__buf_puts(&b, "t=0 0\r\n");
      have_t = true;
    }
    if (line[0] == 'm' && line[1] == '=') {
      in_media = true;
      unsigned *mc = sdpdc__grow(tmp, (void **)&ff.media_choose, &ff.n_media, sizeof *mc);
      if (!mc) {
        rc = SDPDC_NOMEM(err);
        goto out;
      }
      /* m=<media> $ <proto> ... */
      char *sp1 = strchr(line, ' ');
      if (sp1 && sp1[1] == '$' && sp1[2] == ' ') {
        *mc |= SDPDC_CHOOSE_PORT;
        sdpdc__buf_add(&b, line, (size_t)(sp1 - line));
        sdpdc__buf_puts(&b, " 9");
        sdpdc__buf_puts(&b, sp1 + 2);
        sdpdc__buf_puts(&b, "\r\n");
        continue;
      }
    } else if (line[0] == 'c' && line[1] == '=') {
      size_t l = strlen(line);
      if (l >= 2 && line[l - 1] == '$' && line[l - 2] == ' ') {
        bool v6 = strstr(line, " IP6 ") != NULL;
        if (in_media)
          ff.media_choose[ff.n_media - 1] |= SDPDC_CHOOSE_ADDR;
        else
          ff.session_choose |= SDPDC_CHOOSE_ADDR;
        sdpdc__buf_add(&b, line, l - 1);
        sdpdc__buf_puts(&b, v6 ? "::\r\n" : "0.0.0.0\r\n");
        continue;
      }
    }
    sdpdc__buf_puts(&b, line);
    sdpdc__buf_puts(&b, "\r\n");
  }
  if (!have_t)
    sdpdc__buf_puts(&b, "t=0 0\r\n");
  if (b.oom) {
    rc = SDPDC_NOMEM(err);
    goto out;
  }
  rc = do_parse(home, b.s, b.len, true, &ff, out, err);
out:
  su_home_unref(tmp);
  return rc;
}

/* ================================================================ lookups */

static const char *attr_in(const sdpdc_attr_t *a, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (sdpdc__ieq(a[i].name, name))
      return a[i].value ? a[i].value : "";
  return NULL;
}

const char *sdpdc_attr_get(const sdpdc_media_t *m, const char *name)
{
  return m && name ? attr_in(m->attrs, m->n_attrs, name) : NULL;
}

const char *sdpdc_session_attr_get(const sdpdc_session_t *s, const char *name)
{
  return s && name ? attr_in(s->attrs, s->n_attrs, name) : NULL;
}

size_t sdpdc_attr_count(const sdpdc_media_t *m, const char *name)
{
  size_t n = 0;
  if (m && name)
    for (size_t i = 0; i < m->n_attrs; i++)
      n += sdpdc__ieq(m->attrs[i].name, name);
  return n;
}

const sdpdc_dcmap_t *sdpdc_dcmap_find(const sdpdc_media_t *m, unsigned id)
{
  if (m)
    for (size_t i = 0; i < m->n_dcmaps; i++)
      if (m->dcmaps[i].id == id)
        return &m->dcmaps[i];
  return NULL;
}

const char *sdpdc_dcsa_get(const sdpdc_dcmap_t *d, const char *name)
{
  return d && name ? attr_in(d->dcsa, d->n_dcsa, name) : NULL;
}

const sdpdc_media_t *sdpdc_media_nth(const sdpdc_session_t *s, sdpdc_kind_t kind, size_t n)
{
  if (s)
    for (size_t i = 0; i < s->n_media; i++)
      if (s->media[i].kind == kind && n-- == 0)
        return &s->media[i];
  return NULL;
}

int sdpdc_dcmap_is_msrp(const sdpdc_dcmap_t *d)
{
  return d && sdpdc__ieq(d->subprotocol, "MSRP") && d->ordered && !d->has_max_retr &&
         !d->has_max_time;
}
