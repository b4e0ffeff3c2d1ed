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

/* Is this channel one we anchor (1), not (0), or an error (<0)? MSRP
 * dcmap, dcsa path and accept-types, dcsa setup a role (absent = actpass). */
static int chan_anchorable(const sdpdc_dcmap_t *d, sdpdc_error_t *err)
{
  const char *path = sdpdc_dcsa_get(d, "path");
  if (!sdpdc_dcmap_is_msrp(d) || !path || !*path || !sdpdc_dcsa_get(d, "accept-types"))
    return 0;
  sdpdc_setup_t cs;
  if (setup_of(sdpdc_dcsa_get(d, "setup"), SDPDC_SETUP_ACTPASS, &cs) < 0)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_SETUP, "bad dcsa setup value for stream %u", d->id);
  if (cs == SDPDC_SETUP_HOLDCONN)
    return sdpdc__fail(err, -ENOTSUP, SDPDC_E_SETUP, "setup:holdconn not supported");
  return 1;
}

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
      if ((rc = chan_anchorable(d, err)) <= 0) {
        if (rc < 0)
          return rc;
        continue;
      }
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

/* One IMS-side m=message line for channel c at the address/port of t2. */
static int msrp_line(su_home_t *home, sdpdc_media_t *m, const sdpdc_chan_t *c,
                     const sdpdc_media_t *t2, sdpdc_error_t *err)
{
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
  return lift_to_msrp(home, m, c->dcmap->dcsa, c->dcmap->n_dcsa, err);
}

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
    if ((rc = msrp_line(home, &s->media[i], c, t2, err)) < 0)
      return rc;
  }
  return finish(home, s, out, out_session, err);
}

/* ================================================================ step 14 */

/* The channel of the plan at IMS-side position p, or NULL. */
static const sdpdc_chan_t *chan_at(const sdpdc_plan_t *plan, size_t p)
{
  for (size_t k = 0; k < plan->n_chans; k++)
    if (plan->chans[k].msrp_media == p)
      return &plan->chans[k];
  return NULL;
}

static int step14_build(su_home_t *home, const sdpdc_plan_t *plan, const sdpdc_session_t *ims,
                        const sdpdc_session_t *const *t1_local, size_t n_t1,
                        const sdpdc_origin_t *origin, sdpdc_session_t **out_s,
                        sdpdc_error_t *err)
{
  if (!home || !plan || plan->mirror || !ims || (n_t1 && !t1_local) || n_t1 != plan->n_dclines)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  size_t n_ims = plan->n_ims_media ? plan->n_ims_media : plan->n_chans;
  if (ims->n_media != n_ims)
    return sdpdc__fail(err, -EPROTO, SDPDC_E_MISMATCH,
                       "answer has %zu m-lines, offer had %zu", ims->n_media, n_ims);
  int rc;
  size_t accepted = 0;
  /* Check the IMS answer line by line first. */
  for (size_t i = 0; i < n_ims; i++) {
    const sdpdc_media_t *am = &ims->media[i];
    const sdpdc_chan_t *ch = chan_at(plan, i);
    if (!ch) { /* offered with port 0 (re-offer): must stay 0 */
      if (am->port != 0)
        return sdpdc__fail(err, -EPROTO, SDPDC_E_MISMATCH,
                           "answer m-line %zu was offered with port 0", i);
      continue;
    }
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
    if (setup_of(sdpdc_dcsa_get(ch->dcmap, "setup"), SDPDC_SETUP_ACTPASS, &off) < 0 ||
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
      n_ok += ims->media[plan->chans[l->first_chan + k].msrp_media].port != 0;
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
  *out_s = s;
  return 0;
}

int sdpdc_step14_answer(su_home_t *home, const sdpdc_plan_t *plan,
                        const sdpdc_session_t *ims, const sdpdc_session_t *const *t1_local,
                        size_t n_t1, const sdpdc_origin_t *origin, char **out,
                        sdpdc_session_t **out_session, sdpdc_error_t *err)
{
  if (!out)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  sdpdc_session_t *s;
  int rc = step14_build(home, plan, ims, t1_local, n_t1, origin, &s, err);
  if (rc < 0)
    return rc;
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
  /* first offer: actpass/new; re-offer on the kept association: our role, existing */
  m->setup = plan->dclines[0].answer_setup ? plan->dclines[0].answer_setup : SDPDC_SETUP_ACTPASS;
  if (plan->dclines[0].existing)
    m->connection = SDPDC_CONNECTION_EXISTING;
  m->dcmaps = su_zalloc(home, plan->n_chans * sizeof *m->dcmaps);
  if (!m->dcmaps)
    return SDPDC_NOMEM(err);
  m->n_dcmaps = plan->n_chans;
  for (size_t i = 0; i < plan->n_chans; i++) {
    const sdpdc_chan_t *c = &plan->chans[i];
    sdpdc_dcmap_t *d = &m->dcmaps[i];
    d->id = c->stream_id;
    /* a kept channel keeps the WIC's label (applications find channels by
     * label); a new one is called "msrp" */
    d->label = c->dcmap && c->dcmap->label && *c->dcmap->label ? c->dcmap->label : "msrp";
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

/* ================================================================ re-offers (digest 7.4) */

static const char *const dir_names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

const char *sdpdc_dir_name(sdpdc_dir_t d)
{
  return (unsigned)d < 4 ? dir_names[d] : "sendrecv";
}

/* Direction attribute in a list: 1 and *d if found, else 0. */
static int dir_in(const sdpdc_attr_t *a, size_t n, sdpdc_dir_t *d)
{
  for (size_t i = 0; i < n; i++)
    for (unsigned k = 0; k < 4; k++)
      if (sdpdc__ieq(a[i].name, dir_names[k]) && (!a[i].value || !*a[i].value)) {
        *d = (sdpdc_dir_t)k;
        return 1;
      }
  return 0;
}

static bool is_dir_attr(const char *name)
{
  for (unsigned k = 0; k < 4; k++)
    if (sdpdc__ieq(name, dir_names[k]))
      return true;
  return false;
}

sdpdc_dir_t sdpdc_media_dir(const sdpdc_session_t *s, const sdpdc_media_t *m)
{
  sdpdc_dir_t d = SDPDC_DIR_SENDRECV;
  if (m && dir_in(m->attrs, m->n_attrs, &d))
    return d;
  if (s && dir_in(s->attrs, s->n_attrs, &d))
    return d;
  return SDPDC_DIR_SENDRECV;
}

static sdpdc_dir_t dir_reverse(sdpdc_dir_t d)
{
  return d == SDPDC_DIR_SENDONLY   ? SDPDC_DIR_RECVONLY
         : d == SDPDC_DIR_RECVONLY ? SDPDC_DIR_SENDONLY
                                   : d;
}

static bool str_eq(const char *a, const char *b)
{
  return a == b || (a && b && !strcmp(a, b));
}

/* Same attribute lists, ignoring the names in skip (case-insensitive) and
 * the direction attributes. */
static bool attrs_eq_but(const sdpdc_attr_t *a, size_t na, const sdpdc_attr_t *b, size_t nb,
                         const char *const *skip)
{
  size_t i = 0, j = 0;
  for (;;) {
    bool sk;
    while (i < na) {
      sk = is_dir_attr(a[i].name);
      for (size_t k = 0; skip[k] && !sk; k++)
        sk = sdpdc__ieq(a[i].name, skip[k]);
      if (!sk)
        break;
      i++;
    }
    while (j < nb) {
      sk = is_dir_attr(b[j].name);
      for (size_t k = 0; skip[k] && !sk; k++)
        sk = sdpdc__ieq(b[j].name, skip[k]);
      if (!sk)
        break;
      j++;
    }
    if (i == na || j == nb)
      return i == na && j == nb;
    if (!sdpdc__ieq(a[i].name, b[j].name) || !str_eq(a[i].value, b[j].value))
      return false;
    i++, j++;
  }
}

static const char *const msrp_known[] = {"path", "accept-types", "accept-wrapped-types", "setup",
                                         "connection", "msrp-cema", "mid", NULL};

/* MSRP-level differences between two channels given as attribute lists
 * (dcsa lists, or m=message lines' attrs). setup defaults: dflt. */
static unsigned msrp_what(const sdpdc_attr_t *a, size_t na, const sdpdc_attr_t *b, size_t nb,
                          sdpdc_setup_t dflt)
{
  unsigned w = 0;
#define GET(list, n, nm)                                    \
  ({                                                        \
    const char *v_ = NULL;                                  \
    for (size_t q_ = 0; q_ < (n); q_++)                     \
      if (sdpdc__ieq((list)[q_].name, nm)) {                \
        v_ = (list)[q_].value ? (list)[q_].value : "";      \
        break;                                              \
      }                                                     \
    v_;                                                     \
  })
  if (!str_eq(GET(a, na, "path"), GET(b, nb, "path")))
    w |= SDPDC_WHAT_PATH;
  if (!str_eq(GET(a, na, "accept-types"), GET(b, nb, "accept-types")) ||
      !str_eq(GET(a, na, "accept-wrapped-types"), GET(b, nb, "accept-wrapped-types")))
    w |= SDPDC_WHAT_ACCEPT_TYPES;
  sdpdc_setup_t sa = dflt, sb = dflt;
  if (setup_of(GET(a, na, "setup"), dflt, &sa) < 0 || setup_of(GET(b, nb, "setup"), dflt, &sb) < 0 ||
      sa != sb)
    w |= SDPDC_WHAT_SETUP;
#undef GET
  if (!attrs_eq_but(a, na, b, nb, msrp_known))
    w |= SDPDC_WHAT_OTHER;
  return w;
}

static void set_dirs(sdpdc_chan_diff_t *cd, sdpdc_dir_t prev, sdpdc_dir_t now)
{
  cd->prev_dir = prev;
  cd->dir = now;
  if (prev != now) {
    cd->hold = prev == SDPDC_DIR_SENDRECV;
    cd->resume = now == SDPDC_DIR_SENDRECV;
  }
}

static sdpdc_dir_t chan_dir(const sdpdc_dcmap_t *d, sdpdc_dir_t line)
{
  sdpdc_dir_t x;
  return d && dir_in(d->dcsa, d->n_dcsa, &x) ? x : line;
}

static bool fingerprints_eq(const sdpdc_media_t *a, const sdpdc_media_t *b)
{
  if (a->n_fingerprints != b->n_fingerprints)
    return false;
  for (size_t i = 0; i < a->n_fingerprints; i++)
    if (!sdpdc__ieq(a->fingerprints[i].hash, b->fingerprints[i].hash) ||
        !str_eq(a->fingerprints[i].value, b->fingerprints[i].value))
      return false;
  return true;
}

/* Restart triggers of the re-offered DC line `now` against `prev`, whose
 * answer gave us the role prev_answer (digest 2.3/7.4; RFC 8842, 5763). */
static unsigned restart_bits(const sdpdc_media_t *prev, const sdpdc_media_t *now,
                             sdpdc_setup_t prev_answer, unsigned *modify)
{
  unsigned r = 0;
  bool both_tls = prev->tls_id && now->tls_id;
  if ((prev->tls_id || now->tls_id) && !(both_tls && !strcmp(prev->tls_id, now->tls_id)))
    r |= SDPDC_RESTART_TLS_ID;
  if (!fingerprints_eq(prev, now))
    r |= SDPDC_RESTART_FINGERPRINT;
  sdpdc_setup_t wic_prev =
      prev_answer == SDPDC_SETUP_ACTIVE ? SDPDC_SETUP_PASSIVE : SDPDC_SETUP_ACTIVE;
  if ((now->setup == SDPDC_SETUP_ACTIVE || now->setup == SDPDC_SETUP_PASSIVE) &&
      now->setup != wic_prev)
    r |= SDPDC_RESTART_ROLE;
  bool moved = prev->port != now->port || prev->family != now->family ||
               !str_eq(prev->address, now->address);
  if (moved && !both_tls)
    r |= SDPDC_RESTART_TRANSPORT;
  else if (moved)
    *modify |= SDPDC_MODIFY_TRANSPORT;
  if (prev->sctp_port != now->sctp_port)
    r |= SDPDC_RESTART_SCTP_PORT;
  if (!str_eq(prev->ice_ufrag, now->ice_ufrag) || !str_eq(prev->ice_pwd, now->ice_pwd))
    *modify |= SDPDC_MODIFY_ICE;
  if (prev->max_message_size != now->max_message_size)
    *modify |= SDPDC_MODIFY_MMS;
  return r;
}

/* Was channel c of the previous plan accepted by the previous answer? */
static bool established(const sdpdc_session_t *ans, size_t media, unsigned id)
{
  if (!ans)
    return true;
  if (media >= ans->n_media || ans->media[media].port == 0)
    return false;
  return sdpdc_dcmap_find(&ans->media[media], id) != NULL;
}

static void diff_count(sdpdc_diff_t *D)
{
  D->unchanged = 1;
  for (size_t i = 0; i < D->n_lines; i++) {
    const sdpdc_line_diff_t *L = &D->lines[i];
    if (L->change != SDPDC_LINE_KEEP || L->modify || L->prev_dir != L->dir)
      D->unchanged = 0;
    D->n_restarted += L->change == SDPDC_LINE_RESTART;
    for (size_t k = 0; k < L->n_chans; k++) {
      const sdpdc_chan_diff_t *c = &L->chans[k];
      D->n_added += c->change == SDPDC_CHAN_ADDED;
      D->n_removed += c->change == SDPDC_CHAN_REMOVED;
      D->n_changed += c->change == SDPDC_CHAN_CHANGED;
      if (c->change != SDPDC_CHAN_KEEP)
        D->unchanged = 0;
    }
  }
}

int sdpdc_reoffer_diff(su_home_t *home, const sdpdc_plan_t *pp, const sdpdc_session_t *pans,
                       const sdpdc_session_t *now, sdpdc_diff_t **diff, sdpdc_plan_t **new_plan,
                       sdpdc_error_t *err)
{
  if (!home || !pp || pp->mirror || !pp->offer || !now || !diff || !new_plan)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  const sdpdc_session_t *prev = pp->offer;
  if (now->n_media < prev->n_media)
    return sdpdc__fail(err, -EPROTO, SDPDC_E_MISMATCH,
                       "re-offer has %zu m-lines, previous offer had %zu", now->n_media,
                       prev->n_media);
  sdpdc_diff_t *D = su_zalloc(home, sizeof *D);
  sdpdc_plan_t *P = su_zalloc(home, sizeof *P);
  if (!D || !P)
    return SDPDC_NOMEM(err);
  P->offer = now;
  size_t next_pos = pp->n_ims_media ? pp->n_ims_media : pp->n_chans;
  int rc;
  for (size_t i = 0; i < now->n_media; i++) {
    const sdpdc_media_t *m = &now->media[i];
    const sdpdc_dcline_t *pl = NULL;
    size_t pslot = SIZE_MAX;
    for (size_t j = 0; j < pp->n_dclines; j++)
      if (pp->dclines[j].dc_media == i) {
        pl = &pp->dclines[j];
        pslot = j;
      }
    bool prev_up = pl && (!pans || (i < pans->n_media && pans->media[i].port != 0));
    /* the new line: validated as sdpdc_plan_offer does */
    size_t n_anch = 0;
    sdpdc_setup_t ans = SDPDC_SETUP_NONE;
    int client = 0;
    if (m->kind == SDPDC_KIND_DC && m->port != 0) {
      if (!m->n_fingerprints)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_FINGERPRINT, "no fingerprint on DC m-line %zu",
                           i);
      if (!m->address || !m->family)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_ADDRESS, "no c= for m-line %zu", i);
      if ((rc = sdpdc_dtls_answer_role(m->setup, &ans, &client, err)) < 0)
        return rc;
      for (size_t k = 0; k < m->n_dcmaps; k++) {
        if ((rc = chan_anchorable(&m->dcmaps[k], err)) < 0)
          return rc;
        n_anch += (size_t)rc;
      }
    }
    bool now_up = n_anch > 0;
    if (!prev_up && !now_up) {
      P->n_rejected++;
      continue;
    }
    sdpdc_line_diff_t *L = sdpdc__grow(home, (void **)&D->lines, &D->n_lines, sizeof *L);
    if (!L)
      return SDPDC_NOMEM(err);
    L->media = i;
    L->prev = prev_up ? &prev->media[i] : NULL;
    L->now = now_up ? m : NULL;
    L->prev_slot = prev_up ? pslot : SIZE_MAX;
    L->new_slot = SIZE_MAX;
    L->prev_dir = prev_up ? sdpdc_media_dir(prev, L->prev) : SDPDC_DIR_SENDRECV;
    L->dir = now_up ? sdpdc_media_dir(now, m) : SDPDC_DIR_SENDRECV;
    L->connection_new = m->kind == SDPDC_KIND_DC && m->connection == SDPDC_CONNECTION_NEW;
    if (!now_up)
      L->change = SDPDC_LINE_REMOVED;
    else if (!prev_up)
      L->change = SDPDC_LINE_ADDED;
    else {
      L->restart = restart_bits(L->prev, m, pl->answer_setup, &L->modify);
      L->change = L->restart ? SDPDC_LINE_RESTART : SDPDC_LINE_KEEP;
      if (L->restart)
        L->modify = 0;
    }
    /* the new plan's line and channels, in the new dcmap order */
    size_t first = P->n_chans;
    unsigned h248_next = 2;
    if (prev_up)
      for (size_t k = 0; k < pl->n_chans; k++)
        if (pp->chans[pl->first_chan + k].h248_stream >= h248_next)
          h248_next = pp->chans[pl->first_chan + k].h248_stream + 1;
    for (size_t k = 0; now_up && k < m->n_dcmaps; k++) {
      const sdpdc_dcmap_t *d = &m->dcmaps[k];
      if (chan_anchorable(d, NULL) != 1)
        continue;
      const sdpdc_chan_t *pc = NULL;
      for (size_t q = 0; prev_up && q < pl->n_chans; q++) {
        const sdpdc_chan_t *x = &pp->chans[pl->first_chan + q];
        if (x->stream_id == d->id && established(pans, i, x->stream_id))
          pc = x;
      }
      sdpdc_chan_t *c = sdpdc__grow(home, (void **)&P->chans, &P->n_chans, sizeof *c);
      if (!c)
        return SDPDC_NOMEM(err);
      c->dc_media = i;
      c->dc_slot = P->n_dclines;
      c->stream_id = d->id;
      c->dcmap = d;
      c->h248_stream = pc ? pc->h248_stream : h248_next++;
      c->msrp_media = pc ? pc->msrp_media : next_pos++;
    }
    /* channel diffs: the previous ones in their order, then the added ones */
    for (size_t q = 0; prev_up && q < pl->n_chans; q++) {
      const sdpdc_chan_t *x = &pp->chans[pl->first_chan + q];
      if (!established(pans, i, x->stream_id))
        continue;
      sdpdc_chan_diff_t *cd = sdpdc__grow(home, (void **)&L->chans, &L->n_chans, sizeof *cd);
      if (!cd)
        return SDPDC_NOMEM(err);
      cd->stream_id = x->stream_id;
      cd->prev = x->dcmap;
      cd->prev_chan = (size_t)(x - pp->chans);
      cd->new_chan = SIZE_MAX;
      for (size_t k = first; k < P->n_chans; k++)
        if (P->chans[k].stream_id == x->stream_id)
          cd->new_chan = k;
      sdpdc_dir_t pd = chan_dir(x->dcmap, L->prev_dir);
      if (cd->new_chan == SIZE_MAX) {
        cd->change = SDPDC_CHAN_REMOVED;
        set_dirs(cd, pd, pd);
        continue;
      }
      const sdpdc_dcmap_t *nd = P->chans[cd->new_chan].dcmap;
      cd->now = nd;
      set_dirs(cd, pd, chan_dir(nd, L->dir));
      cd->what = msrp_what(x->dcmap->dcsa, x->dcmap->n_dcsa, nd->dcsa, nd->n_dcsa,
                           SDPDC_SETUP_ACTPASS);
      if (!str_eq(x->dcmap->label, nd->label) || !str_eq(x->dcmap->subprotocol, nd->subprotocol) ||
          x->dcmap->has_priority != nd->has_priority || x->dcmap->priority != nd->priority)
        cd->what |= SDPDC_WHAT_DCMAP;
      if (cd->prev_dir != cd->dir)
        cd->what |= SDPDC_WHAT_DIR;
      cd->change = cd->what ? SDPDC_CHAN_CHANGED : SDPDC_CHAN_KEEP;
    }
    for (size_t k = first; k < P->n_chans; k++) {
      bool known = false;
      for (size_t q = 0; q < L->n_chans; q++)
        known |= L->chans[q].new_chan == k;
      if (known)
        continue;
      sdpdc_chan_diff_t *cd = sdpdc__grow(home, (void **)&L->chans, &L->n_chans, sizeof *cd);
      if (!cd)
        return SDPDC_NOMEM(err);
      cd->change = SDPDC_CHAN_ADDED;
      cd->stream_id = P->chans[k].stream_id;
      cd->now = P->chans[k].dcmap;
      cd->prev_chan = SIZE_MAX;
      cd->new_chan = k;
      sdpdc_dir_t nd = chan_dir(cd->now, L->dir);
      set_dirs(cd, nd, nd);
    }
    if (!now_up)
      continue;
    sdpdc_dcline_t *l = sdpdc__grow(home, (void **)&P->dclines, &P->n_dclines, sizeof *l);
    if (!l)
      return SDPDC_NOMEM(err);
    L = &D->lines[D->n_lines - 1];
    L->new_slot = P->n_dclines - 1;
    l->dc_media = i;
    l->offer = m;
    l->first_chan = first;
    l->n_chans = P->n_chans - first;
    if (L->change == SDPDC_LINE_KEEP) {
      l->existing = 1;
      l->answer_setup = pl->answer_setup; /* keep the roles (RFC 8842) */
      l->agw_dtls_client = pl->agw_dtls_client;
    } else {
      l->answer_setup = ans;
      l->agw_dtls_client = client;
    }
  }
  P->n_ims_media = next_pos;
  diff_count(D);
  *diff = D;
  *new_plan = P;
  return 0;
}

int sdpdc_reoffer_ims(su_home_t *home, const sdpdc_plan_t *plan, const sdpdc_session_t *prev_ims,
                      const sdpdc_session_t *const *t2_local, size_t n_t2,
                      const sdpdc_origin_t *origin, char **out, sdpdc_session_t **out_session,
                      sdpdc_error_t *err)
{
  if (!home || !plan || plan->mirror || !prev_ims || !out || (n_t2 && !t2_local) ||
      n_t2 != plan->n_chans)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  size_t n_ims = plan->n_ims_media ? plan->n_ims_media : plan->n_chans;
  if (prev_ims->n_media > n_ims)
    return sdpdc__fail(err, -EPROTO, SDPDC_E_MISMATCH,
                       "previous IMS offer has %zu m-lines, the plan %zu", prev_ims->n_media,
                       n_ims);
  sdpdc_session_t *s = new_session(home, origin, n_ims);
  if (!s)
    return SDPDC_NOMEM(err);
  for (size_t p = 0; p < prev_ims->n_media; p++)
    reject_like(&s->media[p], &prev_ims->media[p]);
  int rc;
  for (size_t i = 0; i < plan->n_chans; i++) {
    const sdpdc_chan_t *c = &plan->chans[i];
    if (c->msrp_media >= n_ims || !c->dcmap)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad plan");
    const sdpdc_media_t *t2;
    if (t2_local[i]) {
      if ((rc = local_media(t2_local[i], "T2", i, &t2, err)) < 0)
        return rc;
    } else {
      t2 = c->msrp_media < prev_ims->n_media ? &prev_ims->media[c->msrp_media] : NULL;
      if (!t2 || t2->port == 0 || !t2->address || !t2->family)
        return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG,
                           "no T2 Local for channel %zu and no previous IMS line", i);
    }
    sdpdc_media_t *m = &s->media[c->msrp_media];
    if (m->kind == SDPDC_KIND_MSRP)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "two channels at IMS m-line %zu",
                         c->msrp_media);
    memset(m, 0, sizeof *m);
    m->index = (unsigned)c->msrp_media;
    if ((rc = msrp_line(home, m, c, t2, err)) < 0)
      return rc;
    sdpdc_dir_t d, line = SDPDC_DIR_SENDRECV;
    for (size_t j = 0; j < plan->n_dclines; j++)
      if (plan->dclines[j].dc_media == c->dc_media)
        line = sdpdc_media_dir(plan->offer, &plan->offer->media[c->dc_media]);
    if (line != SDPDC_DIR_SENDRECV && !dir_in(c->dcmap->dcsa, c->dcmap->n_dcsa, &d) &&
        add_attr(home, &m->attrs, &m->n_attrs, sdpdc_dir_name(line), NULL) < 0)
      return SDPDC_NOMEM(err);
  }
  for (size_t p = 0; p < n_ims; p++)
    if (!s->media[p].media)
      return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "IMS m-line %zu has no channel", p);
  return finish(home, s, out, out_session, err);
}

int sdpdc_reanswer_wic(su_home_t *home, const sdpdc_plan_t *plan, const sdpdc_session_t *ims,
                       const sdpdc_session_t *const *t1_local, size_t n_t1,
                       const sdpdc_origin_t *origin, char **out, sdpdc_session_t **out_session,
                       sdpdc_error_t *err)
{
  if (!out)
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  sdpdc_session_t *s;
  int rc = step14_build(home, plan, ims, t1_local, n_t1, origin, &s, err);
  if (rc < 0)
    return rc;
  for (size_t j = 0; j < plan->n_dclines; j++) {
    size_t i = plan->dclines[j].dc_media;
    sdpdc_dir_t d = sdpdc_media_dir(plan->offer, &plan->offer->media[i]);
    sdpdc_media_t *m = &s->media[i];
    if (d != SDPDC_DIR_SENDRECV && m->port != 0 &&
        add_attr(home, &m->attrs, &m->n_attrs, sdpdc_dir_name(dir_reverse(d)), NULL) < 0)
      return SDPDC_NOMEM(err);
  }
  return finish(home, s, out, out_session, err);
}

/* ---------------------------------------------------------------- mirror */

static bool id_used(unsigned id, const sdpdc_plan_t *pp, const sdpdc_plan_t *P,
                    const unsigned *used, size_t n_used)
{
  for (size_t k = 0; k < pp->n_chans; k++)
    if (pp->chans[k].stream_id == id)
      return true;
  for (size_t k = 0; k < P->n_chans; k++)
    if (P->chans[k].stream_id == id)
      return true;
  for (size_t k = 0; k < n_used; k++)
    if (used[k] == id)
      return true;
  return false;
}

int sdpdc_mirror_rediff(su_home_t *home, const sdpdc_plan_t *pp, const sdpdc_session_t *pans,
                        const sdpdc_session_t *now, int agw_dtls_client, const unsigned *used_ids,
                        size_t n_used, sdpdc_diff_t **diff, sdpdc_plan_t **new_plan,
                        sdpdc_error_t *err)
{
  if (!home || !pp || !pp->mirror || !pp->offer || !now || !diff || !new_plan ||
      (n_used && !used_ids))
    return sdpdc__fail(err, -EINVAL, SDPDC_E_ARG, "bad argument");
  const sdpdc_session_t *prev = pp->offer;
  if (now->n_media < prev->n_media)
    return sdpdc__fail(err, -EPROTO, SDPDC_E_MISMATCH,
                       "re-offer has %zu m-lines, previous offer had %zu", now->n_media,
                       prev->n_media);
  /* the WIC's answer line (its dcmaps tell which channels are up) */
  const sdpdc_media_t *wa = NULL;
  if (pans) {
    wa = sdpdc_media_nth(pans, SDPDC_KIND_DC, 0);
    if (wa && wa->port == 0)
      wa = NULL;
  }
  sdpdc_diff_t *D = su_zalloc(home, sizeof *D);
  sdpdc_plan_t *P = su_zalloc(home, sizeof *P);
  sdpdc_line_diff_t *L = su_zalloc(home, sizeof *L);
  if (!D || !P || !L)
    return SDPDC_NOMEM(err);
  D->lines = L;
  D->n_lines = 1;
  P->mirror = 1;
  P->offer = now;
  L->prev_slot = pp->n_dclines ? 0 : SIZE_MAX;
  unsigned next = agw_dtls_client ? 0 : 1;
  unsigned h248_next = 2;
  for (size_t k = 0; k < pp->n_chans; k++)
    if (pp->chans[k].h248_stream >= h248_next)
      h248_next = pp->chans[k].h248_stream + 1;
  size_t n_prev_up = 0;
  for (size_t i = 0; i < now->n_media; i++) {
    const sdpdc_media_t *m = &now->media[i];
    const sdpdc_chan_t *pc = NULL;
    for (size_t k = 0; k < pp->n_chans; k++)
      if (pp->chans[k].msrp_media == i && (!pans || (wa && sdpdc_dcmap_find(wa, pp->chans[k].stream_id))))
        pc = &pp->chans[k];
    n_prev_up += pc != NULL;
    bool up = m->kind == SDPDC_KIND_MSRP && m->port != 0 && m->proto == SDPDC_PROTO_TCP_MSRP &&
              m->msrp_cema;
    if (up && m->setup == SDPDC_SETUP_HOLDCONN)
      return sdpdc__fail(err, -ENOTSUP, SDPDC_E_SETUP, "setup:holdconn not supported");
    if (!up)
      P->n_rejected++;
    if (!up && !pc)
      continue;
    sdpdc_chan_diff_t *cd = sdpdc__grow(home, (void **)&L->chans, &L->n_chans, sizeof *cd);
    if (!cd)
      return SDPDC_NOMEM(err);
    cd->prev_chan = pc ? (size_t)(pc - pp->chans) : SIZE_MAX;
    cd->new_chan = SIZE_MAX;
    cd->msrp_prev = pc ? pc->msrp_offer : NULL;
    sdpdc_dir_t pd = pc && pc->msrp_offer ? sdpdc_media_dir(prev, pc->msrp_offer)
                                          : SDPDC_DIR_SENDRECV;
    if (!up) {
      cd->change = SDPDC_CHAN_REMOVED;
      cd->stream_id = pc->stream_id;
      set_dirs(cd, pd, pd);
      continue;
    }
    sdpdc_chan_t *c = sdpdc__grow(home, (void **)&P->chans, &P->n_chans, sizeof *c);
    if (!c)
      return SDPDC_NOMEM(err);
    cd->new_chan = P->n_chans - 1;
    cd->msrp_now = m;
    c->msrp_media = i;
    c->msrp_offer = m;
    sdpdc_dir_t nd = sdpdc_media_dir(now, m);
    if (pc) {
      c->stream_id = pc->stream_id;
      c->h248_stream = pc->h248_stream;
      /* the WIC's own description of the kept channel (its label) */
      c->dcmap = pc->dcmap ? pc->dcmap : wa ? sdpdc_dcmap_find(wa, pc->stream_id) : NULL;
      set_dirs(cd, pd, nd);
      if (pc->msrp_offer)
        cd->what = msrp_what(pc->msrp_offer->attrs, pc->msrp_offer->n_attrs, m->attrs,
                             m->n_attrs, SDPDC_SETUP_ACTIVE);
      if (pd != nd)
        cd->what |= SDPDC_WHAT_DIR;
      cd->change = cd->what ? SDPDC_CHAN_CHANGED : SDPDC_CHAN_KEEP;
    } else {
      /* (P->chans already holds c with stream_id 0: give it a value that
       * cannot match while searching) */
      c->stream_id = 65535;
      while (next <= 65534 && id_used(next, pp, P, used_ids, n_used))
        next += 2;
      if (next > 65534)
        return sdpdc__fail(err, -ENOTSUP, SDPDC_E_DCMAP_ID, "no free data channel stream id");
      c->stream_id = next;
      next += 2;
      c->h248_stream = h248_next++;
      cd->change = SDPDC_CHAN_ADDED;
      set_dirs(cd, nd, nd);
    }
    cd->stream_id = c->stream_id;
  }
  if (P->n_chans) {
    P->dclines = su_zalloc(home, sizeof *P->dclines);
    if (!P->dclines)
      return SDPDC_NOMEM(err);
    P->n_dclines = 1;
    P->dclines[0].existing = 1;
    P->dclines[0].answer_setup = agw_dtls_client ? SDPDC_SETUP_ACTIVE : SDPDC_SETUP_PASSIVE;
    P->dclines[0].agw_dtls_client = agw_dtls_client ? 1 : 0;
    P->dclines[0].n_chans = P->n_chans;
    L->new_slot = 0;
    L->change = n_prev_up ? SDPDC_LINE_KEEP : SDPDC_LINE_ADDED;
  } else
    L->change = SDPDC_LINE_REMOVED;
  for (size_t k = 0; k < P->n_chans; k++)
    P->chans[k].dc_slot = 0;
  diff_count(D);
  *diff = D;
  *new_plan = P;
  return 0;
}
