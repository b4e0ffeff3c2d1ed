/* sdp_print.c -- the sdpdc model -> SDP text: whole sessions through
 * Sofia-SIP's sdp_print (sdp_f_mode_manual), H.248 fragments by hand (they
 * carry "$" where Sofia wants numbers, and no o=/s=/t=). Both share one
 * canonical attribute order (attrs_emit). */
#include "config.h"

#include "sdp/sdp_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_string.h>

/* ================================================================ attribute generation */

typedef struct emitter {
  su_home_t *home;        /* for formatted values */
  void (*fn)(struct emitter *e, const char *name, const char *value);
  bool oom;
  /* text sink */
  sdpdc__buf_t *buf;
  /* Sofia sink */
  sdp_attribute_t *head, **tail;
} emitter_t;

static void emit(emitter_t *e, const char *name, const char *value)
{
  if (!e->oom)
    e->fn(e, name, value);
}

static void emitf(emitter_t *e, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void emitf(emitter_t *e, const char *name, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *v = su_vsprintf(e->home, fmt, ap);
  va_end(ap);
  if (!v) {
    e->oom = true;
    return;
  }
  emit(e, name, v);
}

static void text_sink(emitter_t *e, const char *name, const char *value)
{
  sdpdc__buf_puts(e->buf, "a=");
  sdpdc__buf_puts(e->buf, name);
  if (value) {
    sdpdc__buf_puts(e->buf, ":");
    sdpdc__buf_puts(e->buf, value);
  }
  sdpdc__buf_puts(e->buf, "\r\n");
  if (e->buf->oom)
    e->oom = true;
}

static void sofia_sink(emitter_t *e, const char *name, const char *value)
{
  sdp_attribute_t *a = su_zalloc(e->home, sizeof *a);
  if (!a) {
    e->oom = true;
    return;
  }
  a->a_size = sizeof *a;
  a->a_name = name;
  a->a_value = value;
  *e->tail = a;
  e->tail = &a->a_next;
}

/* RFC 8864 quoted string with %-escapes for '"', '%' and non-printables. */
static char *dcmap_quote(su_home_t *home, const char *s)
{
  sdpdc__buf_t b;
  sdpdc__buf_init(&b, home);
  sdpdc__buf_puts(&b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '%')
      sdpdc__buf_printf(&b, "%%%02X", *p);
    else
      sdpdc__buf_add(&b, (const char *)p, 1);
  }
  sdpdc__buf_puts(&b, "\"");
  return b.oom ? NULL : b.s;
}

static char *dcmap_value(su_home_t *home, const sdpdc_dcmap_t *d)
{
  sdpdc__buf_t b;
  sdpdc__buf_init(&b, home);
  sdpdc__buf_printf(&b, "%u", d->id);
  char sep = ' ';
  if (d->label) {
    char *q = dcmap_quote(home, d->label);
    if (!q)
      return NULL;
    sdpdc__buf_printf(&b, "%clabel=%s", sep, q);
    sep = ';';
  }
  if (d->subprotocol) {
    char *q = dcmap_quote(home, d->subprotocol);
    if (!q)
      return NULL;
    sdpdc__buf_printf(&b, "%csubprotocol=%s", sep, q);
    sep = ';';
  }
  sdpdc__buf_printf(&b, "%cordered=%s", sep, d->ordered ? "true" : "false");
  if (d->has_max_retr)
    sdpdc__buf_printf(&b, ";max-retr=%" PRIu32, d->max_retr);
  else if (d->has_max_time)
    sdpdc__buf_printf(&b, ";max-time=%" PRIu32, d->max_time);
  if (d->has_priority)
    sdpdc__buf_printf(&b, ";priority=%" PRIu32, d->priority);
  return b.oom ? NULL : b.s;
}

bool sdpdc__known_attr(const sdpdc_media_t *m, const char *name)
{
  static const char *const dc[] = {"mid", "ice-ufrag", "ice-pwd", "ice-options", "ice-lite",
                                   "candidate", "end-of-candidates", "fingerprint", "setup",
                                   "connection", "tls-id", "sctp-port", "max-message-size",
                                   "dcmap", "dcsa", NULL};
  static const char *const msrp[] = {"mid", "setup", "connection", "msrp-cema", "accept-types",
                                     "accept-wrapped-types", "max-size", "path", NULL};
  const char *const *list = m->kind == SDPDC_KIND_DC ? dc : m->kind == SDPDC_KIND_MSRP ? msrp : NULL;
  for (; list && *list; list++)
    if (sdpdc__ieq(*list, name))
      return true;
  return false;
}

/* Is (name, value) already among the session-level attributes? Then the
 * media-level copy inherited from there is not printed again. */
static bool in_session(const sdpdc_session_t *s, const char *name, const char *value)
{
  if (!s)
    return false;
  for (size_t i = 0; i < s->n_attrs; i++)
    if (sdpdc__ieq(s->attrs[i].name, name) &&
        ((!value && !s->attrs[i].value) ||
         (value && s->attrs[i].value && !strcmp(value, s->attrs[i].value))))
      return true;
  return false;
}

static void emit_ice(emitter_t *e, const sdpdc_media_t *m, const sdpdc_session_t *s, bool frag)
{
  if (frag && (m->choose & SDPDC_CHOOSE_ICE_UFRAG))
    emit(e, "ice-ufrag", "$");
  else if (m->ice_ufrag && !in_session(s, "ice-ufrag", m->ice_ufrag))
    emit(e, "ice-ufrag", m->ice_ufrag);
  if (frag && (m->choose & SDPDC_CHOOSE_ICE_PWD))
    emit(e, "ice-pwd", "$");
  else if (m->ice_pwd && !in_session(s, "ice-pwd", m->ice_pwd))
    emit(e, "ice-pwd", m->ice_pwd);
  if (m->ice_options && !in_session(s, "ice-options", m->ice_options))
    emit(e, "ice-options", m->ice_options);
  if (frag && m->ice_lite)
    emit(e, "ice-lite", NULL);
  for (size_t i = 0; i < m->n_candidates; i++) {
    const sdpdc_candidate_t *c = &m->candidates[i];
    emitf(e, "candidate", "%s %u %s %" PRIu32 " %s %u typ %s%s%s", c->foundation, c->component,
          c->transport, c->priority, c->address, c->port, c->type, c->extensions ? " " : "",
          c->extensions ? c->extensions : "");
  }
  if (m->end_of_candidates)
    emit(e, "end-of-candidates", NULL);
}

static void emit_fingerprints(emitter_t *e, const sdpdc_media_t *m, const sdpdc_session_t *s,
                              bool frag)
{
  if (frag && (m->choose & SDPDC_CHOOSE_FINGERPRINT))
    emit(e, "fingerprint", "$");
  else if (!(m->fingerprints_from_session && s))
    for (size_t i = 0; i < m->n_fingerprints; i++)
      emitf(e, "fingerprint", "%s %s", m->fingerprints[i].hash, m->fingerprints[i].value);
}

static void emit_sctp(emitter_t *e, const sdpdc_media_t *m, bool frag)
{
  if (frag && (m->choose & SDPDC_CHOOSE_SCTP_PORT))
    emit(e, "sctp-port", "$");
  else if (m->has_sctp_port)
    emitf(e, "sctp-port", "%u", m->sctp_port);
  if (frag && (m->choose & SDPDC_CHOOSE_MMS))
    emit(e, "max-message-size", "$");
  else if (m->has_max_message_size)
    emitf(e, "max-message-size", "%" PRIu64, m->max_message_size);
}

static void emit_setup(emitter_t *e, const sdpdc_media_t *m, bool frag)
{
  if (m->setup)
    emit(e, "setup", sdpdc_setup_name(m->setup));
  if (m->connection)
    emit(e, "connection", m->connection == SDPDC_CONNECTION_NEW ? "new" : "existing");
  if (m->kind != SDPDC_KIND_DC)
    return;
  if (frag && (m->choose & SDPDC_CHOOSE_TLS_ID))
    emit(e, "tls-id", "$");
  else if (m->tls_id)
    emit(e, "tls-id", m->tls_id);
}

/* Canonical order. Complete SDP, DC line (digest 5.7 step 15): mid, ICE,
 * fingerprint, setup, connection, tls-id, sctp-port, max-message-size,
 * dcmap + its dcsa lines. H.248 fragment, DC line (digest 4 s11/s13):
 * sctp-port, max-message-size, fingerprint, ICE, setup, connection, tls-id.
 * MSRP line (digest 5.7 step 6): mid, setup, connection, msrp-cema,
 * accept-types, accept-wrapped-types, max-size, path. Then any other
 * attribute of `attrs`, in order. */
static void attrs_emit(emitter_t *e, const sdpdc_media_t *m, const sdpdc_session_t *s, bool frag)
{
  if (m->kind == SDPDC_KIND_OTHER) {
    for (size_t i = 0; i < m->n_attrs; i++)
      emit(e, m->attrs[i].name, m->attrs[i].value);
    return;
  }
  if (m->mid)
    emit(e, "mid", m->mid);
  if (m->kind == SDPDC_KIND_DC) {
    if (frag) {
      emit_sctp(e, m, frag);
      emit_fingerprints(e, m, s, frag);
      emit_ice(e, m, s, frag);
      emit_setup(e, m, frag);
    } else {
      emit_ice(e, m, s, frag);
      emit_fingerprints(e, m, s, frag);
      emit_setup(e, m, frag);
      emit_sctp(e, m, frag);
    }
    for (size_t i = 0; i < m->n_dcmaps; i++) {
      const sdpdc_dcmap_t *d = &m->dcmaps[i];
      char *v = dcmap_value(e->home, d);
      if (!v) {
        e->oom = true;
        return;
      }
      emit(e, "dcmap", v);
      for (size_t k = 0; k < d->n_dcsa; k++)
        emitf(e, "dcsa", "%u %s%s%s", d->id, d->dcsa[k].name, d->dcsa[k].value ? ":" : "",
              d->dcsa[k].value ? d->dcsa[k].value : "");
    }
  } else {
    emit_setup(e, m, frag);
    if (m->msrp_cema)
      emit(e, "msrp-cema", NULL);
    if (m->accept_types)
      emit(e, "accept-types", m->accept_types);
    if (m->accept_wrapped_types)
      emit(e, "accept-wrapped-types", m->accept_wrapped_types);
    if (m->has_max_size)
      emitf(e, "max-size", "%" PRIu64, m->max_size);
    if (m->path)
      emit(e, "path", m->path);
  }
  for (size_t i = 0; i < m->n_attrs; i++)
    if (!sdpdc__known_attr(m, m->attrs[i].name))
      emit(e, m->attrs[i].name, m->attrs[i].value);
}

/* ================================================================ whole session */

static sdp_connection_t *mkconn(su_home_t *home, int family, const char *addr)
{
  sdp_connection_t *c = su_zalloc(home, sizeof *c);
  if (!c)
    return NULL;
  c->c_size = sizeof *c;
  c->c_nettype = sdp_net_in;
  c->c_addrtype = family == 6 ? sdp_addr_ip6 : sdp_addr_ip4;
  c->c_address = addr ? addr : (family == 6 ? "::" : "0.0.0.0");
  return c;
}

static bool printable_token(const char *s)
{
  if (!s || !*s)
    return false;
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
      return false;
  return true;
}

static bool printable_text(const char *s)
{
  if (!s)
    return true;
  for (; *s; s++)
    if (*s == '\r' || *s == '\n' || *s == '\0')
      return false;
  return true;
}

int sdpdc_print(su_home_t *home, const sdpdc_session_t *s, char **out, sdpdc_error_t *err)
{
  if (!home || !s || !out)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  su_home_t *tmp = su_home_new(sizeof(su_home_t));
  if (!tmp)
    return SDPDC_NOMEM(err);
  int rc = 0;
  emitter_t e = {.home = tmp, .fn = sofia_sink};

  sdp_session_t *ss = su_zalloc(tmp, sizeof *ss);
  sdp_origin_t *o = su_zalloc(tmp, sizeof *o);
  sdp_time_t *t = su_zalloc(tmp, sizeof *t);
  if (!ss || !o || !t)
    goto oom;
  ss->sdp_size = sizeof *ss;
  o->o_size = sizeof *o;
  t->t_size = sizeof *t;
  ss->sdp_origin = o;
  ss->sdp_time = t;
  ss->sdp_subject = s->subject ? s->subject : "-";
  o->o_username = s->o_username ? s->o_username : "-";
  uint64_t v;
  o->o_id = s->o_sess_id && sdpdc__u64(s->o_sess_id, &v) ? v : 0;
  o->o_version = s->o_sess_version && sdpdc__u64(s->o_sess_version, &v) ? v : 0;
  {
    int fam = s->family;
    const char *addr = s->o_address ? s->o_address : s->address;
    for (size_t i = 0; !addr && i < s->n_media; i++)
      if (s->media[i].address) {
        addr = s->media[i].address;
        fam = s->media[i].family;
      }
    if (s->o_address && strchr(s->o_address, ':'))
      fam = 6;
    o->o_address = mkconn(tmp, fam, addr);
    if (!o->o_address)
      goto oom;
  }
  if (!printable_token(o->o_username) || !printable_text(ss->sdp_subject)) {
    rc = sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad o= or s= value");
    goto out;
  }
  if (s->family) {
    ss->sdp_connection = mkconn(tmp, s->family, s->address);
    if (!ss->sdp_connection)
      goto oom;
  }
  e.head = NULL;
  e.tail = &e.head;
  if (s->ice_lite && !sdpdc_session_attr_get(s, "ice-lite"))
    emit(&e, "ice-lite", NULL);
  for (size_t i = 0; i < s->n_attrs; i++)
    emit(&e, s->attrs[i].name, s->attrs[i].value);
  ss->sdp_attributes = e.head;

  sdp_media_t **mt = &ss->sdp_media;
  for (size_t i = 0; i < s->n_media; i++) {
    const sdpdc_media_t *m = &s->media[i];
    sdp_media_t *sm = su_zalloc(tmp, sizeof *sm);
    if (!sm)
      goto oom;
    sm->m_size = sizeof *sm;
    sm->m_session = ss;
    if (!printable_token(m->media) || !printable_token(m->proto_name) ||
        !printable_text(m->fmt) || m->port > 65535) {
      rc = sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad m= line %zu", i);
      goto out;
    }
    sdp_media_type(sm, m->media);
    sm->m_proto = sdp_proto_x;
    sm->m_proto_name = m->proto_name;
    sm->m_port = m->port;
    sm->m_rejected = m->port == 0;
    /* fmt list */
    sdp_list_t **lt = &sm->m_format;
    char *fmt = su_strdup(tmp, m->fmt && *m->fmt ? m->fmt : "*");
    if (!fmt)
      goto oom;
    char *save = NULL;
    for (char *tok = strtok_r(fmt, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
      sdp_list_t *l = su_zalloc(tmp, sizeof *l);
      if (!l)
        goto oom;
      l->l_size = sizeof *l;
      l->l_text = tok;
      *lt = l;
      lt = &l->l_next;
    }
    if (m->family && !m->address_from_session) {
      sm->m_connections = mkconn(tmp, m->family, m->address);
      if (!sm->m_connections)
        goto oom;
    }
    e.head = NULL;
    e.tail = &e.head;
    attrs_emit(&e, m, s, false);
    sm->m_attributes = e.head;
    *mt = sm;
    mt = &sm->m_next;
  }
  if (e.oom)
    goto oom;
  for (size_t i = 0; i < s->n_attrs; i++)
    if (!printable_token(s->attrs[i].name) || !printable_text(s->attrs[i].value)) {
      rc = sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad session attribute");
      goto out;
    }
  for (sdp_media_t *sm = ss->sdp_media; sm; sm = sm->m_next)
    for (sdp_attribute_t *a = sm->m_attributes; a; a = a->a_next)
      if (!printable_token(a->a_name) || !printable_text(a->a_value)) {
        rc = sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad media attribute %.40s",
                         a->a_name ? a->a_name : "");
        goto out;
      }

  sdp_printer_t *pr = sdp_print(tmp, ss, NULL, 0, sdp_f_mode_manual);
  if (!pr)
    goto oom;
  if (sdp_printing_error(pr)) {
    rc = sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "cannot print SDP: %.100s",
                     sdp_printing_error(pr));
    sdp_printer_free(pr);
    goto out;
  }
  *out = su_strdup(home, sdp_message(pr));
  sdp_printer_free(pr);
  if (!*out)
    goto oom;
  goto out;
oom:
  rc = SDPDC_NOMEM(err);
out:
  su_home_unref(tmp);
  return rc;
}

/* ================================================================ fragments */

int sdpdc_frag_print(su_home_t *home, const sdpdc_media_t *m, char **out, sdpdc_error_t *err)
{
  if (!home || !m || !out || !printable_token(m->media) || !printable_token(m->proto_name) ||
      !printable_text(m->fmt))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  su_home_t *tmp = su_home_new(sizeof(su_home_t));
  if (!tmp)
    return SDPDC_NOMEM(err);
  sdpdc__buf_t b;
  sdpdc__buf_init(&b, tmp);
  emitter_t e = {.home = tmp, .fn = text_sink, .buf = &b};
  int fam = m->family == 6 ? 6 : 4;
  sdpdc__buf_puts(&b, "v=0\r\n");
  if (m->choose & SDPDC_CHOOSE_ADDR)
    sdpdc__buf_printf(&b, "c=IN IP%d $\r\n", fam);
  else if (m->address && m->family)
    sdpdc__buf_printf(&b, "c=IN IP%d %s\r\n", fam, m->address);
  if (m->choose & SDPDC_CHOOSE_PORT)
    sdpdc__buf_printf(&b, "m=%s $ %s %s\r\n", m->media, m->proto_name,
                      m->fmt && *m->fmt ? m->fmt : "-");
  else
    sdpdc__buf_printf(&b, "m=%s %u %s %s\r\n", m->media, m->port, m->proto_name,
                      m->fmt && *m->fmt ? m->fmt : "-");
  attrs_emit(&e, m, NULL, true);
  int rc = 0;
  if (b.oom || e.oom)
    rc = SDPDC_NOMEM(err);
  else if (!(*out = su_strdup(home, b.s)))
    rc = SDPDC_NOMEM(err);
  su_home_unref(tmp);
  return rc;
}

/* ================================================================ H.248 builders */

static int frag_family(int family, sdpdc_error_t *err)
{
  if (family != 4 && family != 6)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "address family must be 4 or 6");
  return 0;
}

int sdpdc_h248_t2_local_request(su_home_t *home, int family, char **out, sdpdc_error_t *err)
{
  int rc = frag_family(family, err);
  if (rc < 0)
    return rc;
  sdpdc_media_t m = {.kind = SDPDC_KIND_MSRP, .media = "message", .proto = SDPDC_PROTO_TCP,
                     .proto_name = "TCP", .fmt = "-", .family = family,
                     .choose = SDPDC_CHOOSE_ADDR | SDPDC_CHOOSE_PORT};
  return sdpdc_frag_print(home, &m, out, err);
}

int sdpdc_h248_t2_remote(su_home_t *home, const sdpdc_media_t *ims, int with_setup, char **out,
                         sdpdc_error_t *err)
{
  if (!ims)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  if (!ims->address || (ims->family != 4 && ims->family != 6))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ADDRESS, "no c= address for the MSRP m-line");
  sdpdc_media_t m = {.kind = SDPDC_KIND_MSRP, .media = "message", .proto = SDPDC_PROTO_TCP,
                     .proto_name = "TCP", .fmt = "-", .family = ims->family,
                     .address = ims->address, .port = ims->port};
  if (with_setup)
    /* absent = active (RFC 4145 default); actpass (a mirror offer) = active,
     * because we always answer it passive (the AGW listens). */
    m.setup = !ims->setup || ims->setup == SDPDC_SETUP_ACTPASS ? SDPDC_SETUP_ACTIVE : ims->setup;
  return sdpdc_frag_print(home, &m, out, err);
}

int sdpdc_h248_t1_local_request(su_home_t *home, int family, sdpdc_proto_t proto, int ice,
                                char **out, sdpdc_error_t *err)
{
  int rc = frag_family(family, err);
  if (rc < 0)
    return rc;
  if (proto != SDPDC_PROTO_UDP_DTLS_SCTP && proto != SDPDC_PROTO_TCP_DTLS_SCTP)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "T1 proto must be UDP/DTLS/SCTP or TCP/DTLS/SCTP");
  sdpdc_media_t m = {.kind = SDPDC_KIND_DC, .media = "application", .proto = proto,
                     .proto_name = sdpdc_proto_name(proto), .fmt = "webrtc-datachannel",
                     .family = family,
                     .choose = SDPDC_CHOOSE_ADDR | SDPDC_CHOOSE_PORT | SDPDC_CHOOSE_SCTP_PORT |
                               SDPDC_CHOOSE_MMS | SDPDC_CHOOSE_FINGERPRINT};
  if (ice) {
    m.choose |= SDPDC_CHOOSE_ICE_UFRAG | SDPDC_CHOOSE_ICE_PWD;
    m.ice_lite = 1;
  }
  return sdpdc_frag_print(home, &m, out, err);
}

int sdpdc_h248_t1_remote(su_home_t *home, const sdpdc_media_t *wic, int ice, char **out,
                         sdpdc_error_t *err)
{
  if (!wic || wic->kind != SDPDC_KIND_DC)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  if (!wic->address || (wic->family != 4 && wic->family != 6))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ADDRESS, "no c= address for the DC m-line");
  if (!wic->n_fingerprints)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT, "no fingerprint on DC m-line %u",
                       wic->index);
  sdpdc_media_t m = {.kind = SDPDC_KIND_DC, .media = "application", .proto = wic->proto,
                     .proto_name = wic->proto_name, .fmt = "webrtc-datachannel",
                     .family = wic->family, .address = wic->address, .port = wic->port,
                     .has_sctp_port = 1, .sctp_port = wic->sctp_port,
                     .has_max_message_size = 1, .max_message_size = wic->max_message_size,
                     .fingerprints = wic->fingerprints, .n_fingerprints = wic->n_fingerprints,
                     .tls_id = wic->tls_id};
  if (ice) {
    m.ice_ufrag = wic->ice_ufrag;
    m.ice_pwd = wic->ice_pwd;
  }
  return sdpdc_frag_print(home, &m, out, err);
}
