/* sdp_rewrite.c -- the IMS-ALG's SDP rewrites: plan + step 5 + step 14 for
 * the figure (WIC-originated), and the mirror pair (WIC-terminated, digest
 * 7.1). Each builds a sdpdc_session_t and prints it with sdpdc_print(). */
#include "config.h"

#include "sdp/sdp_int.h"

#include <string.h>

/* ================================================================ DTLS role */

int sdpdc_dtls_answer_role(sdpdc_setup_t offered, sdpdc_setup_t *answer, int *agw_is_client,
                           sdpdc_error_t *err)
{
  sdpdc_setup_t a;
  switch (offered) {
  case SDPDC_SETUP_NONE:
  case SDPDC_SETUP_ACTPASS:
  case SDPDC_SETUP_PASSIVE:
    a = SDPDC_SETUP_ACTIVE;
    break;
  case SDPDC_SETUP_ACTIVE:
    a = SDPDC_SETUP_PASSIVE;
    break;
  case SDPDC_SETUP_HOLDCONN:
    return sdpdc__fail(err, -ENOTSUP, SDPDC_E_SETUP, "setup:holdconn not supported");
  default:
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad setup value");
  }
  if (answer)
    *answer = a;
  if (agw_is_client)
    *agw_is_client = a == SDPDC_SETUP_ACTIVE;
  return 0;
}

/* RFC 4145 table: may `ans` answer `off`? (NONE means the default, active.) */
static bool setup_answer_ok(sdpdc_setup_t off, sdpdc_setup_t ans)
{
  if (off == SDPDC_SETUP_NONE)
    off = SDPDC_SETUP_ACTIVE;
  if (ans == SDPDC_SETUP_NONE)
    ans = SDPDC_SETUP_ACTIVE;
  switch (off) {
  case SDPDC_SETUP_ACTPASS: return ans == SDPDC_SETUP_ACTIVE || ans == SDPDC_SETUP_PASSIVE;
  case SDPDC_SETUP_ACTIVE: return ans == SDPDC_SETUP_PASSIVE;
  case SDPDC_SETUP_PASSIVE: return ans == SDPDC_SETUP_ACTIVE;
  default: return false;
  }
}

static int setup_of(const char *v, sdpdc_setup_t dflt, sdpdc_setup_t *out)
{
  if (!v) {
    *out = dflt;
    return 0;
  }
  static const sdpdc_setup_t all[] = {SDPDC_SETUP_ACTIVE, SDPDC_SETUP_PASSIVE,
                                      SDPDC_SETUP_ACTPASS, SDPDC_SETUP_HOLDCONN};
  for (size_t i = 0; i < 4; i++)
    if (sdpdc__ieq(v, sdpdc_setup_name(all[i]))) {
      *out = all[i];
      return 0;
    }
  return -1;
}

int sdpdc_dc_same_association(const sdpdc_media_t *prev, const sdpdc_media_t *now)
{
  if (!prev || !now)
    return 0;
  if (prev->tls_id || now->tls_id)
    return prev->tls_id && now->tls_id && !strcmp(prev->tls_id, now->tls_id);
  if (now->connection == SDPDC_CONNECTION_NEW || prev->n_fingerprints != now->n_fingerprints ||
      now->n_fingerprints == 0)
    return 0;
  for (size_t i = 0; i < now->n_fingerprints; i++)
    if (!sdpdc__ieq(prev->fingerprints[i].hash, now->fingerprints[i].hash) ||
        strcmp(prev->fingerprints[i].value, now->fingerprints[i].value))
      return 0;
  return 1;
}

/* ================================================================ common pieces */

static sdpdc_session_t *new_session(su_home_t *home, const sdpdc_origin_t *o, size_t n_media)
{
  sdpdc_session_t *s = su_zalloc(home, sizeof *s);
  if (!s)
    return NULL;
  s->o_username = o && o->username ? o->username : "-";
  s->o_sess_id = o && o->sess_id ? o->sess_id : "1";
  s->o_sess_version = o && o->sess_version ? o->sess_version : "1";
  s->subject = o && o->subject ? o->subject : "-";
  if (n_media) {
    s->media = su_zalloc(home, n_media * sizeof *s->media);
    if (!s->media)
      return NULL;
  }
  s->n_media = n_media;
  for (size_t i = 0; i < n_media; i++)
    s->media[i].index = (unsigned)i;
  return s;
}

static void reject_like(sdpdc_media_t *out, const sdpdc_media_t *in)
{
  out->kind = SDPDC_KIND_OTHER;
  out->media = in->media;
  out->proto = in->proto;
  out->proto_name = in->proto_name;
  out->fmt = in->fmt;
  out->port = 0;
}

static int add_attr(su_home_t *home, sdpdc_attr_t **arr, size_t *n, const char *name,
                    const char *value)
{
  sdpdc_attr_t *a = sdpdc__grow(home, (void **)arr, n, sizeof *a);
  if (!a)
    return -ENOMEM;
  a->name = name;
  a->value = value;
  return 0;
}

/* Lift channel attributes (a dcsa list or an MSRP m-line's attrs) into an
 * MSRP media line: path/accept-types/accept-wrapped-types/max-size into the
 * fields (printed in the canonical order), unknown ones into attrs in order.
 * setup, connection, msrp-cema and mid are skipped (the caller sets them). */
static int lift_to_msrp(su_home_t *home, sdpdc_media_t *m, const sdpdc_attr_t *a, size_t n,
                        sdpdc_error_t *err)
{
  for (size_t i = 0; i < n; i++) {
    const char *nm = a[i].name, *v = a[i].value;
    if (sdpdc__ieq(nm, "setup") || sdpdc__ieq(nm, "connection") ||
        sdpdc__ieq(nm, "msrp-cema") || sdpdc__ieq(nm, "mid"))
      continue;
    if (sdpdc__ieq(nm, "path") && v && *v)
      m->path = v;
    else if (sdpdc__ieq(nm, "accept-types") && v)
      m->accept_types = v;
    else if (sdpdc__ieq(nm, "accept-wrapped-types") && v)
      m->accept_wrapped_types = v;
    else if (sdpdc__ieq(nm, "max-size")) {
      if (!sdpdc__u64(v, &m->max_size))
        return sdpdc__fail(err, -EINVAL, SDPDC_E_MSRP, "bad max-size value");
      m->has_max_size = 1;
    } else if (add_attr(home, &m->attrs, &m->n_attrs, nm, v) < 0)
      return SDPDC_NOMEM(err);
  }
  return 0;
}

/* The data-channel side of a channel: setup first, then the attributes of
 * the MSRP line except setup/connection/msrp-cema/mid, in their order. */
static int lift_to_dcsa(su_home_t *home, sdpdc_dcmap_t *d, sdpdc_setup_t setup,
                        const sdpdc_attr_t *a, size_t n, sdpdc_error_t *err)
{
  d->dcsa = NULL;
  d->n_dcsa = 0;
  if (setup && add_attr(home, &d->dcsa, &d->n_dcsa, "setup", sdpdc_setup_name(setup)) < 0)
    return SDPDC_NOMEM(err);
  for (size_t i = 0; i < n; i++) {
    if (sdpdc__ieq(a[i].name, "setup") || sdpdc__ieq(a[i].name, "connection") ||
        sdpdc__ieq(a[i].name, "msrp-cema") || sdpdc__ieq(a[i].name, "mid"))
      continue;
    if (add_attr(home, &d->dcsa, &d->n_dcsa, a[i].name, a[i].value) < 0)
      return SDPDC_NOMEM(err);
  }
  return 0;
}

/* First m-line of a parsed H.248 Local reply, with a usable address/port. */
static int local_media(const sdpdc_session_t *s, const char *what, size_t i,
                       const sdpdc_media_t **out, sdpdc_error_t *err)
{
  if (!s || s->n_media < 1)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "%s Local %zu has no m-line", what, i);
  const sdpdc_media_t *m = &s->media[0];
  if (!m->address || !*m->address || (m->family != 4 && m->family != 6) ||
      (m->choose & SDPDC_CHOOSE_ADDR))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ADDRESS, "%s Local %zu has no address", what, i);
  if (m->port == 0 || (m->choose & SDPDC_CHOOSE_PORT))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_PORT, "%s Local %zu has no port", what, i);
  *out = m;
  return 0;
}

static int finish(su_home_t *home, sdpdc_session_t *s, char **out, sdpdc_session_t **out_session,
                  sdpdc_error_t *err)
{
  int rc = sdpdc_print(home, s, out, err);
  if (rc == 0 && out_session)
    *out_session = s;
  return rc;
}

/* The DC m-line towards the WIC from T1's Local (address, port, DTLS, SCTP, ICE). */
static int dc_from_t1(sdpdc_media_t *o, const sdpdc_media_t *t1, size_t j, sdpdc_error_t *err)
{
  if (!t1->n_fingerprints || (t1->choose & SDPDC_CHOOSE_FINGERPRINT))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT, "T1 Local %zu has no fingerprint", j);
  o->kind = SDPDC_KIND_DC;
  o->media = "application";
  o->port = t1->port;
  o->fmt = "webrtc-datachannel";
  o->family = t1->family;
  o->address = t1->address;
  o->fingerprints = t1->fingerprints;
  o->n_fingerprints = t1->n_fingerprints;
  o->connection = SDPDC_CONNECTION_NEW;
  o->has_sctp_port = 1;
  o->sctp_port = t1->sctp_port;
  o->has_max_message_size = 1;
  o->max_message_size = t1->max_message_size;
  return 0;
}

/* ================================================================ plan (step 1) */

int sdpdc_plan_offer(su_home_t *home, const sdpdc_session_t *offer, sdpdc_plan_t **out,
                     sdpdc_error_t *err)
{
  if (!home || !offer || !out)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  sdpdc_plan_t *p = su_zalloc(home, sizeof *p);
  if (!p)
    return SDPDC_NOMEM(err);
  p->offer = offer;
  int rc;
  for (size_t i = 0; i < offer->n_media; i++) {
    const sdpdc_media_t *m = &offer->media[i];
    if (m->kind != SDPDC_KIND_DC || m->port == 0) {
      p->n_rejected++;
      continue;
    }
    if (!m->n_fingerprints)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT, "no fingerprint on DC m-line %zu", i);
    if (!m->address || !m->family)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_ADDRESS, "no c= for m-line %zu", i);
    sdpdc_setup_t ans;
    int client;
    if ((rc = sdpdc_dtls_answer_role(m->setup, &ans, &client, err)) < 0)
      return rc;
    size_t first = p->n_chans;
    for (size_t k = 0; k < m->n_dcmaps; k++) {
      const sdpdc_dcmap_t *d = &m->dcmaps[k];
      const char *path = sdpdc_dcsa_get(d, "path");
      if (!sdpdc_dcmap_is_msrp(d) || !path || !*path || !sdpdc_dcsa_get(d, "accept-types"))
        continue;
      sdpdc_setup_t cs;
      if (setup_of(sdpdc_dcsa_get(d, "setup"), SDPDC_SETUP_ACTPASS, &cs) < 0)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_SETUP, "bad dcsa setup value for stream %u",
                           d->id);
      if (cs == SDPDC_SETUP_HOLDCONN)
        return sdpdc__fail(err, -ENOTSUP, SDPDC_E_SETUP, "setup:holdconn not supported");
      sdpdc_chan_t *c = sdpdc__grow(home, (void **)&p->chans, &p->n_chans, sizeof *c);
      if (!c)
        return SDPDC_NOMEM(err);
      c->dc_media = i;
      c->dc_slot = p->n_dclines;
      c->stream_id = d->id;
      c->h248_stream = (unsigned)(2 + (p->n_chans - 1 - first));
      c->msrp_media = p->n_chans - 1;
      c->dcmap = d;
    }
    if (p->n_chans == first) {
      p->n_rejected++;
      continue;
    }
    sdpdc_dcline_t *l = sdpdc__grow(home, (void **)&p->dclines, &p->n_dclines, sizeof *l);
    if (!l)
      return SDPDC_NOMEM(err);
    l->dc_media = i;
    l->offer = m;
    l->answer_setup = ans;
    l->agw_dtls_client = client;
    l->first_chan = first;
    l->n_chans = p->n_chans - first;
  }
  if (p->n_chans == 0)
    return sdpdc__fail(err, -ENOTSUP, SDPDC_E_NOTHING, "no MSRP data channel to anchor");
  *out = p;
  return 0;
}

/* ================================================================ step 5 */

int sdpdc_step5_offer(su_home_t *home, const sdpdc_plan_t *plan,
                      const sdpdc_session_t *const *t2_local, size_t n_t2,
                      const sdpdc_origin_t *origin, char **out,
                      sdpdc_session_t **out_session, sdpdc_error_t *err)
{
  if (!home || !plan || plan->mirror || !out || (n_t2 && !t2_local) || n_t2 != plan->n_chans)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  sdpdc_session_t *s = new_session(home, origin, plan->n_chans);
  if (!s)
    return SDPDC_NOMEM(err);
  int rc;
  for (size_t i = 0; i < plan->n_chans; i++) {
    const sdpdc_chan_t *c = &plan->chans[i];
    const sdpdc_media_t *t2;
    if ((rc = local_media(t2_local[i], "T2", i, &t2, err)) < 0)
      return rc;
    sdpdc_media_t *m = &s->media[i];
    m->kind = SDPDC_KIND_MSRP;
    m->media = "message";
    m->port = t2->port;
    m->proto = SDPDC_PROTO_TCP_MSRP;
    m->proto_name = "TCP/MSRP";
    m->fmt = "*";
    m->family = t2->family;
    m->address = t2->address;
    if (setup_of(sdpdc_dcsa_get(c->dcmap, "setup"), SDPDC_SETUP_ACTPASS, &m->setup) < 0)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_SETUP, "bad dcsa setup value");
    m->msrp_cema = 1;
    if ((rc = lift_to_msrp(home, m, c->dcmap->dcsa, c->dcmap->n_dcsa, err)) < 0)
      return rc;
  }
  return finish(home, s, out, out_session, err);
}

/* ================================================================ step 14 */

int sdpdc_step14_answer(su_home_t *home, const sdpdc_plan_t *plan,
                        const sdpdc_session_t *ims, const sdpdc_session_t *const *t1_local,
                        size_t n_t1, const sdpdc_origin_t *origin, char **out,
                        sdpdc_session_t **out_session, sdpdc_error_t *err)
{
  if (!home || !plan || plan->mirror || !ims || !out || (n_t1 && !t1_local) ||
      n_t1 != plan->n_dclines)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  if (ims->n_media != plan->n_chans)
    return sdpdc__fail(err, -EPROTO, SDPDC_E_MISMATCH,
                       "answer has %zu m-lines, offer had %zu", ims->n_media, plan->n_chans);
  int rc;
  size_t accepted = 0;
  /* Check the IMS answer line by line first. */
  for (size_t i = 0; i < plan->n_chans; i++) {
    const sdpdc_media_t *am = &ims->media[i];
    if (!sdpdc__ieq(am->media, "message"))
      return sdpdc__fail(err, -EPROTO, SDPDC_E_MISMATCH, "answer m-line %zu is not message", i);
    if (am->port == 0)
      continue;
    if (am->kind != SDPDC_KIND_MSRP || am->proto != SDPDC_PROTO_TCP_MSRP)
      return sdpdc__fail(err, -EPROTO, SDPDC_E_MISMATCH, "answer m-line %zu is not TCP/MSRP", i);
    if (!am->msrp_cema)
      return sdpdc__fail(err, -EPROTO, SDPDC_E_CEMA, "no a=msrp-cema in answer m-line %zu", i);
    if (!am->path)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_MSRP, "no a=path on MSRP m-line %zu", i);
    if (am->setup == SDPDC_SETUP_HOLDCONN)
      return sdpdc__fail(err, -ENOTSUP, SDPDC_E_SETUP, "setup:holdconn not supported");
    sdpdc_setup_t off = SDPDC_SETUP_ACTPASS;
    if (setup_of(sdpdc_dcsa_get(plan->chans[i].dcmap, "setup"), SDPDC_SETUP_ACTPASS, &off) < 0 ||
        !setup_answer_ok(off, am->setup))
      return sdpdc__fail(err, -ENOTSUP, SDPDC_E_SETUP, "setup:%s does not answer setup:%s",
                         am->setup ? sdpdc_setup_name(am->setup) : "(default active)",
                         sdpdc_setup_name(off));
    accepted++;
  }
  if (!accepted)
    return sdpdc__fail(err, -ENOTSUP, SDPDC_E_NOTHING, "every MSRP stream was refused");

  const sdpdc_session_t *offer = plan->offer;
  sdpdc_session_t *s = new_session(home, origin, offer->n_media);
  if (!s)
    return SDPDC_NOMEM(err);
  size_t lines_up = 0;
  const char *bundle_mid = NULL;
  for (size_t i = 0; i < offer->n_media; i++) {
    const sdpdc_media_t *om = &offer->media[i];
    sdpdc_media_t *m = &s->media[i];
    const sdpdc_dcline_t *l = NULL;
    size_t j = 0;
    for (; j < plan->n_dclines; j++)
      if (plan->dclines[j].dc_media == i) {
        l = &plan->dclines[j];
        break;
      }
    size_t n_ok = 0;
    for (size_t k = 0; l && k < l->n_chans; k++)
      n_ok += ims->media[l->first_chan + k].port != 0;
    if (!l || n_ok == 0) {
      reject_like(m, om);
      continue;
    }
    const sdpdc_media_t *t1;
    if ((rc = local_media(t1_local[j], "T1", j, &t1, err)) < 0)
      return rc;
    if ((rc = dc_from_t1(m, t1, j, err)) < 0)
      return rc;
    m->proto = om->proto;
    m->proto_name = om->proto_name;
    m->mid = om->mid;
    if (om->ice_ufrag) {
      m->ice_ufrag = t1->ice_ufrag;
      m->ice_pwd = t1->ice_pwd;
      m->candidates = t1->candidates;
      m->n_candidates = t1->n_candidates;
      if (t1->ice_lite || t1_local[j]->ice_lite)
        s->ice_lite = 1;
    }
    if (om->tls_id)
      m->tls_id = t1->tls_id;
    m->setup = l->answer_setup;
    if (om->connection == SDPDC_CONNECTION_EXISTING)
      m->connection = SDPDC_CONNECTION_EXISTING;
    m->dcmaps = su_zalloc(home, n_ok * sizeof *m->dcmaps);
    if (!m->dcmaps)
      return SDPDC_NOMEM(err);
    for (size_t k = 0; k < l->n_chans; k++) {
      const sdpdc_chan_t *c = &plan->chans[l->first_chan + k];
      const sdpdc_media_t *am = &ims->media[c->msrp_media];
      if (am->port == 0)
        continue;
      sdpdc_dcmap_t *d = &m->dcmaps[m->n_dcmaps++];
      *d = *c->dcmap;
      if ((rc = lift_to_dcsa(home, d, am->setup ? am->setup : SDPDC_SETUP_ACTIVE, am->attrs,
                             am->n_attrs, err)) < 0)
        return rc;
    }
    lines_up++;
    bundle_mid = om->mid;
  }
  const char *grp = sdpdc_session_attr_get(offer, "group");
  if (grp && !strncmp(grp, "BUNDLE", 6) && lines_up == 1 && bundle_mid) {
    char *v = su_sprintf(home, "BUNDLE %s", bundle_mid);
    if (!v || add_attr(home, &s->attrs, &s->n_attrs, "group", v) < 0)
      return SDPDC_NOMEM(err);
  }
  return finish(home, s, out, out_session, err);
}

/* ================================================================ mirror (digest 7.1) */

int sdpdc_mirror_plan(su_home_t *home, const sdpdc_session_t *ims, const unsigned *used_ids,
                      size_t n_used, sdpdc_plan_t **out, sdpdc_error_t *err)
{
  if (!home || !ims || !out || (n_used && !used_ids))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  sdpdc_plan_t *p = su_zalloc(home, sizeof *p);
  if (!p)
    return SDPDC_NOMEM(err);
  p->mirror = 1;
  p->offer = ims;
  bool no_cema = false;
  unsigned next = 1;
  for (size_t i = 0; i < ims->n_media; i++) {
    const sdpdc_media_t *m = &ims->media[i];
    if (m->kind != SDPDC_KIND_MSRP || m->port == 0 || m->proto != SDPDC_PROTO_TCP_MSRP) {
      p->n_rejected++;
      continue;
    }
    if (!m->msrp_cema) {
      no_cema = true;
      p->n_rejected++;
      continue;
    }
    if (m->setup == SDPDC_SETUP_HOLDCONN)
      return sdpdc__fail(err, -ENOTSUP, SDPDC_E_SETUP, "setup:holdconn not supported");
    /* odd ids (the AGW will be the DTLS server), skipping the used ones */
    for (;;) {
      bool used = false;
      for (size_t k = 0; k < n_used; k++)
        used |= used_ids[k] == next;
      if (!used)
        break;
      next += 2;
    }
    if (next > 65534)
      return sdpdc__fail(err, -ENOTSUP, SDPDC_E_DCMAP_ID, "no free data channel stream id");
    sdpdc_chan_t *c = sdpdc__grow(home, (void **)&p->chans, &p->n_chans, sizeof *c);
    if (!c)
      return SDPDC_NOMEM(err);
    c->dc_media = 0;
    c->dc_slot = 0;
    c->stream_id = next;
    c->h248_stream = (unsigned)(1 + p->n_chans);
    c->msrp_media = i;
    c->msrp_offer = m;
    next += 2;
  }
  if (p->n_chans == 0)
    return no_cema ? sdpdc__fail(err, -ENOTSUP, SDPDC_E_CEMA, "MSRP offer without a=msrp-cema")
                   : sdpdc__fail(err, -ENOTSUP, SDPDC_E_NOTHING, "no MSRP stream to anchor");
  p->dclines = su_zalloc(home, sizeof *p->dclines);
  if (!p->dclines)
    return SDPDC_NOMEM(err);
  p->n_dclines = 1;
  p->dclines[0].answer_setup = SDPDC_SETUP_ACTPASS; /* we offer actpass (RFC 5763) */
  p->dclines[0].agw_dtls_client = 0;                /* decided by the WIC's answer */
  p->dclines[0].n_chans = p->n_chans;
  *out = p;
  return 0;
}

/* The IMS endpoint's MSRP/TCP role once we answer it: we answer passive
 * (the AGW listens) unless it offered passive. */
static sdpdc_setup_t ims_final_role(sdpdc_setup_t offered)
{
  return offered == SDPDC_SETUP_PASSIVE ? SDPDC_SETUP_PASSIVE : SDPDC_SETUP_ACTIVE;
}

int sdpdc_mirror_offer(su_home_t *home, const sdpdc_plan_t *plan,
                       const sdpdc_session_t *const *t1_local, size_t n_t1,
                       const sdpdc_origin_t *origin, char **out,
                       sdpdc_session_t **out_session, sdpdc_error_t *err)
{
  if (!home || !plan || !plan->mirror || !out || !t1_local || n_t1 != 1 ||
      plan->n_dclines != 1)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  int rc;
  const sdpdc_media_t *t1;
  if ((rc = local_media(t1_local[0], "T1", 0, &t1, err)) < 0)
    return rc;
  sdpdc_session_t *s = new_session(home, origin, 1);
  if (!s)
    return SDPDC_NOMEM(err);
  sdpdc_media_t *m = &s->media[0];
  if ((rc = dc_from_t1(m, t1, 0, err)) < 0)
    return rc;
  m->proto = t1->proto == SDPDC_PROTO_TCP_DTLS_SCTP ? t1->proto : SDPDC_PROTO_UDP_DTLS_SCTP;
  m->proto_name = sdpdc_proto_name(m->proto);
  m->mid = "0";
  m->ice_ufrag = t1->ice_ufrag;
  m->ice_pwd = t1->ice_pwd;
  m->candidates = t1->candidates;
  m->n_candidates = t1->n_candidates;
  if (t1->ice_lite || t1_local[0]->ice_lite)
    s->ice_lite = 1;
  m->tls_id = t1->tls_id;
  m->setup = SDPDC_SETUP_ACTPASS;
  m->dcmaps = su_zalloc(home, plan->n_chans * sizeof *m->dcmaps);
  if (!m->dcmaps)
    return SDPDC_NOMEM(err);
  m->n_dcmaps = plan->n_chans;
  for (size_t i = 0; i < plan->n_chans; i++) {
    const sdpdc_chan_t *c = &plan->chans[i];
    sdpdc_dcmap_t *d = &m->dcmaps[i];
    d->id = c->stream_id;
    d->label = "msrp";
    d->subprotocol = "MSRP";
    d->ordered = 1;
    if ((rc = lift_to_dcsa(home, d, ims_final_role(c->msrp_offer->setup), c->msrp_offer->attrs,
                           c->msrp_offer->n_attrs, err)) < 0)
      return rc;
  }
  return finish(home, s, out, out_session, err);
}

int sdpdc_mirror_answer(su_home_t *home, const sdpdc_plan_t *plan,
                        const sdpdc_session_t *wic, const sdpdc_session_t *const *t2_local,
                        size_t n_t2, const sdpdc_origin_t *origin, int *agw_is_client,
                        char **out, sdpdc_session_t **out_session, sdpdc_error_t *err)
{
  if (!home || !plan || !plan->mirror || !wic || !out || (n_t2 && !t2_local) ||
      n_t2 != plan->n_chans)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  if (wic->n_media != 1 || wic->media[0].kind != SDPDC_KIND_DC)
    return sdpdc__fail(err, -EPROTO, SDPDC_E_MISMATCH,
                       "answer must have exactly the one DC m-line offered");
  const sdpdc_media_t *wm = &wic->media[0];
  if (wm->port == 0)
    return sdpdc__fail(err, -ENOTSUP, SDPDC_E_NOTHING, "data channel m-line refused");
  if (wm->setup != SDPDC_SETUP_ACTIVE && wm->setup != SDPDC_SETUP_PASSIVE)
    return sdpdc__fail(err, -EPROTO, SDPDC_E_SETUP, "answer a=setup must be active or passive");
  if (!wm->n_fingerprints)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT, "no fingerprint on DC m-line 0");
  const sdpdc_session_t *ims = plan->offer;
  sdpdc_session_t *s = new_session(home, origin, ims->n_media);
  if (!s)
    return SDPDC_NOMEM(err);
  int rc;
  size_t accepted = 0;
  for (size_t i = 0; i < ims->n_media; i++) {
    const sdpdc_media_t *om = &ims->media[i];
    sdpdc_media_t *m = &s->media[i];
    const sdpdc_chan_t *c = NULL;
    size_t ci = 0;
    for (; ci < plan->n_chans; ci++)
      if (plan->chans[ci].msrp_media == i) {
        c = &plan->chans[ci];
        break;
      }
    const sdpdc_dcmap_t *d = c ? sdpdc_dcmap_find(wm, c->stream_id) : NULL;
    if (!d) {
      reject_like(m, om);
      continue;
    }
    const sdpdc_media_t *t2;
    if ((rc = local_media(t2_local[ci], "T2", ci, &t2, err)) < 0)
      return rc;
    m->kind = SDPDC_KIND_MSRP;
    m->media = "message";
    m->port = t2->port;
    m->proto = om->proto;
    m->proto_name = om->proto_name;
    m->fmt = "*";
    m->family = t2->family;
    m->address = t2->address;
    m->setup = om->setup == SDPDC_SETUP_PASSIVE ? SDPDC_SETUP_ACTIVE : SDPDC_SETUP_PASSIVE;
    m->msrp_cema = 1;
    if ((rc = lift_to_msrp(home, m, d->dcsa, d->n_dcsa, err)) < 0)
      return rc;
    if (!m->path)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_MSRP, "no dcsa path for stream %u", d->id);
    accepted++;
  }
  if (!accepted)
    return sdpdc__fail(err, -ENOTSUP, SDPDC_E_NOTHING, "every data channel was refused");
  if (agw_is_client)
    *agw_is_client = wm->setup == SDPDC_SETUP_PASSIVE;
  return finish(home, s, out, out_session, err);
}
