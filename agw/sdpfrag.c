/* sdpfrag.c -- the SDP inside H.248 Local/Remote descriptors, read with the
 * project's one SDP implementation (sdp/sdp_dc.h, sdpdc_frag_parse: "$" for
 * values the MG chooses, no o=/s=/t= needed) and copied into the fixed-size
 * agw_sdp_t the gateway keeps per stream. What stays here is the H.248 side:
 * an empty descriptor, one SDP per descriptor (no alternatives), one m=
 * line, and the mapping of the library's typed errors to H.248 474/449.
 * No I/O, no logging. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/su_alloc.h>

#include "agw/agw_model.h"
#include "sdp/sdp_dc.h"

/* The library's error as an H.248 error: values it refuses by policy, and
 * values the AGW has always answered "unsupported" for (setup,
 * max-message-size, sctp-port), get 449; the rest is syntax, 474. */
static int sdp_fail(agw_err_t *e, int rc, const sdpdc_error_t *se)
{
  if (rc == -ENOMEM)
    return agw_fail(e, 500, "Internal failure: out of memory");
  const char *why = se->reason;
  if (strncmp(why, "SDP syntax: ", 12) == 0)
    why += 12;
  /* Sofia's text for "c=IN IPX ..." is the only way to tell an unknown
   * address type (449 before) from other syntax errors */
  int unsup = rc == -ENOTSUP || se->code == SDPDC_E_SETUP || se->code == SDPDC_E_MMS ||
              (se->code == SDPDC_E_PORT && strstr(why, "sctp-port")) ||
              (se->code == SDPDC_E_SYNTAX && strstr(why, "address type"));
  if (unsup)
    return agw_fail(e, 449, "Unsupported SDP value: %s", why);
  return agw_fail(e, 474, "Invalid SDP syntax: %s", why);
}

static int copy_str(char *dst, size_t n, const char *src, const char *what, agw_err_t *e)
{
  size_t l = src ? strlen(src) : 0;
  if (l >= n)
    return agw_fail(e, 474, "Invalid SDP syntax: %s too long", what);
  memcpy(dst, src ? src : "", l);
  dst[l] = '\0';
  return 0;
}

/* H.248 framing of the descriptor text: blank (0 lines), the first line
 * must be v=, and a second v= would start an SDP alternative. */
static int frame(const char *text, size_t len, int *lines, agw_err_t *e)
{
  int n = 0;
  for (size_t i = 0; i < len;) {
    size_t end = i;
    while (end < len && text[end] != '\n')
      end++;
    size_t s = i, t = end;
    i = end + 1;
    while (s < t && (text[s] == ' ' || text[s] == '\t'))
      s++;
    while (t > s && (text[t - 1] == '\r' || text[t - 1] == ' ' || text[t - 1] == '\t'))
      t--;
    if (t == s)
      continue;
    int is_v = t - s >= 2 && text[s] == 'v' && text[s + 1] == '=';
    if (n == 0 && !is_v)
      return agw_fail(e, 474, "Invalid SDP syntax: does not start with v=");
    if (n > 0 && is_v)
      return agw_fail(e, 449, "Unsupported: several SDP alternatives in one descriptor");
    n++;
  }
  *lines = n;
  return 0;
}

/* The gateway has always read sctp-port, max-message-size, fingerprint and
 * ICE credentials whatever the m= line (the library decodes them on DC
 * lines only). For another line that carries any of them, the library reads
 * them from a DC line built from those attributes, so the rules stay the
 * library's. Returns 0 with *dc NULL when there is nothing to read. */
static int dc_attrs_of(su_home_t *home, const sdpdc_media_t *m, const sdpdc_media_t **dc,
                       agw_err_t *e)
{
  static const char *const names[] = {"sctp-port", "max-message-size", "fingerprint",
                                      "ice-ufrag", "ice-pwd"};
  *dc = NULL;
  if (m->kind == SDPDC_KIND_DC)
    return (*dc = m), 0;
  char *text = su_strdup(home, "v=0\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\n");
  int any = 0;
  for (size_t i = 0; text && i < m->n_attrs; i++)
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
      if (strcasecmp(m->attrs[i].name, names[k]) == 0) {
        text = su_sprintf(home, "%sa=%s%s%s\n", text, m->attrs[i].name,
                          m->attrs[i].value ? ":" : "",
                          m->attrs[i].value ? m->attrs[i].value : "");
        any = 1;
      }
  if (!text)
    return agw_fail(e, 500, "Internal failure: out of memory");
  if (!any)
    return 0;
  sdpdc_session_t *s = NULL;
  sdpdc_error_t se = {0};
  int rc = sdpdc_frag_parse(home, text, strlen(text), &s, &se);
  if (rc < 0)
    return sdp_fail(e, rc, &se);
  *dc = &s->media[0];
  return 0;
}

int agw_sdp_parse(const char *text, size_t len, agw_sdp_t *out, agw_err_t *e)
{
  memset(out, 0, sizeof *out);
  int lines = 0, rc;
  if ((rc = frame(text, len, &lines, e)) < 0 || lines == 0)
    return rc;
  su_home_t *home = su_home_new(sizeof(su_home_t));
  if (!home)
    return agw_fail(e, 500, "Internal failure: out of memory");
  sdpdc_session_t *s = NULL;
  sdpdc_error_t se = {0};
  const sdpdc_media_t *dc = NULL;
  if ((rc = sdpdc_frag_parse(home, text, len, &s, &se)) < 0) {
    rc = sdp_fail(e, rc, &se);
    goto out;
  }
  if (s->n_media == 0) {
    rc = agw_fail(e, 474, "Invalid SDP syntax: no m= line");
    goto out;
  }
  if (s->n_media > 1) {
    rc = agw_fail(e, 449, "Unsupported: more than one m= line in a descriptor");
    goto out;
  }
  const sdpdc_media_t *m = &s->media[0];
  /* c=: the library leaves family 0 for an address type other than IP4/IP6 */
  if (m->family == 0 && (m->address || (m->choose & SDPDC_CHOOSE_ADDR))) {
    rc = agw_fail(e, 449, "Unsupported address type (IP4 or IP6)");
    goto out;
  }
  out->ipv6 = m->family == 6;
  out->addr_choose = !!(m->choose & SDPDC_CHOOSE_ADDR);
  if ((rc = copy_str(out->addr, sizeof out->addr, m->address, "c= address", e)) < 0 ||
      (rc = copy_str(out->media, sizeof out->media, m->media, "m= media", e)) < 0 ||
      (rc = copy_str(out->proto, sizeof out->proto, m->proto_name, "m= proto", e)) < 0 ||
      (rc = copy_str(out->fmt, sizeof out->fmt, m->fmt, "m= fmt", e)) < 0)
    goto out;
  out->port_choose = !!(m->choose & SDPDC_CHOOSE_PORT);
  out->port = out->port_choose ? 0 : m->port;
  out->ice_lite = m->ice_lite || s->ice_lite || sdpdc_attr_get(m, "ice-lite") != NULL;
  if (m->setup != SDPDC_SETUP_NONE)
    snprintf(out->setup, sizeof out->setup, "%s", sdpdc_setup_name(m->setup));

  if ((rc = dc_attrs_of(home, m, &dc, e)) < 0)
    goto out;
  if (!dc)
    goto ok;
  out->sctp_port_choose = !!(dc->choose & SDPDC_CHOOSE_SCTP_PORT);
  out->has_sctp_port = dc->has_sctp_port || out->sctp_port_choose;
  out->sctp_port = dc->has_sctp_port ? dc->sctp_port : 0;
  out->mms_choose = !!(dc->choose & SDPDC_CHOOSE_MMS);
  out->has_mms = dc->has_max_message_size || out->mms_choose;
  if (dc->has_max_message_size && dc->max_message_size > 0xFFFFFFFFu) {
    rc = agw_fail(e, 449, "Unsupported a=max-message-size value %llu",
                  (unsigned long long)dc->max_message_size);
    goto out;
  }
  out->mms = dc->has_max_message_size ? (uint32_t)dc->max_message_size : 0;
  out->fp_choose = !!(dc->choose & SDPDC_CHOOSE_FINGERPRINT);
  if (dc->n_fingerprints > AGW_SDP_MAX_FP) {
    rc = agw_fail(e, 449, "Unsupported: more than %d fingerprints", AGW_SDP_MAX_FP);
    goto out;
  }
  for (size_t i = 0; i < dc->n_fingerprints; i++) {
    int n = snprintf(out->fp[i], sizeof out->fp[i], "%s %s", dc->fingerprints[i].hash,
                     dc->fingerprints[i].value);
    if (n < 0 || (size_t)n >= sizeof out->fp[i]) {
      rc = agw_fail(e, 474, "Invalid SDP syntax: fingerprint too long");
      goto out;
    }
    out->n_fp++;
  }
  out->ufrag_choose = !!(dc->choose & SDPDC_CHOOSE_ICE_UFRAG);
  out->pwd_choose = !!(dc->choose & SDPDC_CHOOSE_ICE_PWD);
  if ((rc = copy_str(out->ufrag, sizeof out->ufrag, dc->ice_ufrag, "a=ice-ufrag", e)) < 0 ||
      (rc = copy_str(out->pwd, sizeof out->pwd, dc->ice_pwd, "a=ice-pwd", e)) < 0)
    goto out;
ok:
  out->present = 1;
  rc = 0;
out:
  su_home_unref(home);
  return rc;
}
