/* sdpfrag.c -- reader for the SDP inside H.248 Local/Remote descriptors,
 * where the MGC writes "$" for values the MG chooses (c=IN IP4 $,
 * m=message $ TCP -, a=fingerprint:$ ...). Only the lines the AGW acts on
 * are interpreted; everything else is checked for basic SDP line syntax
 * ("<letter>=<value>") and ignored. No I/O, no logging. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agw/agw_model.h"

static int parse_uint(const char *s, uint32_t max, uint32_t *out)
{
  if (!*s)
    return -1;
  uint64_t v = 0;
  for (; *s; s++) {
    if (!isdigit((unsigned char)*s))
      return -1;
    v = v * 10 + (uint64_t)(*s - '0');
    if (v > max)
      return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

static int copy_tok(char *dst, size_t n, const char *src)
{
  size_t l = strlen(src);
  if (l == 0 || l >= n)
    return -1;
  memcpy(dst, src, l + 1);
  return 0;
}

/* fingerprint value: hash-func SP 2HEX *(":" 2HEX); hex any case on input */
static int fp_ok(const char *v)
{
  const char *sp = strchr(v, ' ');
  if (!sp || sp == v)
    return 0;
  for (const char *p = v; p < sp; p++)
    if (!(isalnum((unsigned char)*p) || *p == '-'))
      return 0;
  const char *h = sp + 1;
  int n = 0;
  for (;;) {
    if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]))
      return 0;
    h += 2;
    n++;
    if (*h == '\0')
      break;
    if (*h != ':')
      return 0;
    h++;
  }
  return n >= 16;
}

static int do_line(char *line, agw_sdp_t *s, agw_err_t *e)
{
  if (strlen(line) < 2 || !isalpha((unsigned char)line[0]) || line[1] != '=')
    return agw_fail(e, 474, "Invalid SDP syntax: line '%.40s'", line);
  char type = line[0];
  char *v = line + 2;
  if (type == 'c') {
    char nt[8], at[8], addr[80];
    if (sscanf(v, "%7s %7s %79s", nt, at, addr) != 3 || strcmp(nt, "IN") != 0)
      return agw_fail(e, 474, "Invalid SDP syntax: c=%.40s", v);
    if (strcmp(at, "IP4") == 0)
      s->ipv6 = 0;
    else if (strcmp(at, "IP6") == 0)
      s->ipv6 = 1;
    else
      return agw_fail(e, 449, "Unsupported address type %s", at);
    if (strcmp(addr, "$") == 0)
      s->addr_choose = 1;
    else if (copy_tok(s->addr, sizeof s->addr, addr) < 0)
      return agw_fail(e, 474, "Invalid SDP syntax: c= address too long");
    return 0;
  }
  if (type == 'm') {
    char media[16], port[16], proto[32], fmt[32];
    int n = sscanf(v, "%15s %15s %31s %31s", media, port, proto, fmt);
    if (n < 3)
      return agw_fail(e, 474, "Invalid SDP syntax: m=%.40s", v);
    if (n == 3)
      strcpy(fmt, "-");
    if (s->media[0])
      return agw_fail(e, 449, "Unsupported: more than one m= line in a descriptor");
    strcpy(s->media, media);
    strcpy(s->proto, proto);
    strcpy(s->fmt, fmt);
    char *slash = strchr(port, '/');
    if (slash)
      return agw_fail(e, 449, "Unsupported port count %s", port);
    if (strcmp(port, "$") == 0)
      s->port_choose = 1;
    else if (parse_uint(port, 65535, &s->port) < 0)
      return agw_fail(e, 474, "Invalid SDP syntax: m= port '%s'", port);
    return 0;
  }
  if (type != 'a')
    return 0; /* v= o= s= t= b= ... are the ALG's business */
  char *colon = strchr(v, ':');
  char *val = colon ? colon + 1 : NULL;
  if (colon)
    *colon = '\0';
  if (strcmp(v, "sctp-port") == 0) {
    if (!val)
      return agw_fail(e, 474, "Invalid SDP syntax: a=sctp-port without value");
    s->has_sctp_port = 1;
    if (strcmp(val, "$") == 0)
      s->sctp_port_choose = 1;
    else if (parse_uint(val, 65535, &s->sctp_port) < 0 || s->sctp_port == 0)
      return agw_fail(e, 449, "Unsupported a=sctp-port value %.20s", val);
  } else if (strcmp(v, "max-message-size") == 0) {
    if (!val)
      return agw_fail(e, 474, "Invalid SDP syntax: a=max-message-size without value");
    s->has_mms = 1;
    if (strcmp(val, "$") == 0)
      s->mms_choose = 1;
    else if (parse_uint(val, 0xFFFFFFFFu, &s->mms) < 0)
      return agw_fail(e, 449, "Unsupported a=max-message-size value %.20s", val);
  } else if (strcmp(v, "fingerprint") == 0) {
    if (!val)
      return agw_fail(e, 474, "Invalid SDP syntax: a=fingerprint without value");
    if (strcmp(val, "$") == 0) {
      s->fp_choose = 1;
    } else {
      if (!fp_ok(val))
        return agw_fail(e, 474, "Invalid SDP syntax: a=fingerprint:%.60s", val);
      if (strncasecmp(val, "md5 ", 4) == 0 || strncasecmp(val, "md2 ", 4) == 0)
        return agw_fail(e, 449, "Unsupported fingerprint hash %.3s", val);
      if (s->n_fp >= AGW_SDP_MAX_FP)
        return agw_fail(e, 449, "Unsupported: more than %d fingerprints", AGW_SDP_MAX_FP);
      if (copy_tok(s->fp[s->n_fp], sizeof s->fp[0], val) < 0)
        return agw_fail(e, 474, "Invalid SDP syntax: fingerprint too long");
      s->n_fp++;
    }
  } else if (strcmp(v, "ice-ufrag") == 0) {
    if (!val)
      return agw_fail(e, 474, "Invalid SDP syntax: a=ice-ufrag without value");
    if (strcmp(val, "$") == 0)
      s->ufrag_choose = 1;
    else if (copy_tok(s->ufrag, sizeof s->ufrag, val) < 0)
      return agw_fail(e, 474, "Invalid SDP syntax: a=ice-ufrag");
  } else if (strcmp(v, "ice-pwd") == 0) {
    if (!val)
      return agw_fail(e, 474, "Invalid SDP syntax: a=ice-pwd without value");
    if (strcmp(val, "$") == 0)
      s->pwd_choose = 1;
    else if (copy_tok(s->pwd, sizeof s->pwd, val) < 0)
      return agw_fail(e, 474, "Invalid SDP syntax: a=ice-pwd");
  } else if (strcmp(v, "ice-lite") == 0) {
    s->ice_lite = 1;
  } else if (strcmp(v, "setup") == 0) {
    if (!val || (strcmp(val, "active") && strcmp(val, "passive") && strcmp(val, "actpass") &&
                 strcmp(val, "holdconn")))
      return agw_fail(e, 449, "Unsupported a=setup value %.20s", val ? val : "");
    strcpy(s->setup, val);
  }
  return 0;
}

int agw_sdp_parse(const char *text, size_t len, agw_sdp_t *out, agw_err_t *e)
{
  memset(out, 0, sizeof *out);
  char *buf = malloc(len + 1);
  if (!buf)
    return agw_fail(e, 500, "Internal failure: out of memory");
  memcpy(buf, text, len);
  buf[len] = '\0';
  int rc = 0, lines = 0;
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    /* trim: descriptors are indented by the H.248 pretty printer */
    while (*line == ' ' || *line == '\t')
      line++;
    size_t l = strlen(line);
    while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
      line[--l] = '\0';
    if (l == 0)
      continue;
    if (lines == 0 && strncmp(line, "v=", 2) != 0) {
      rc = agw_fail(e, 474, "Invalid SDP syntax: does not start with v=");
      break;
    }
    if (lines > 0 && strncmp(line, "v=", 2) == 0) {
      rc = agw_fail(e, 449, "Unsupported: several SDP alternatives in one descriptor");
      break;
    }
    lines++;
    if ((rc = do_line(line, out, e)) < 0)
      break;
  }
  free(buf);
  if (rc < 0)
    return rc;
  if (lines == 0)
    return 0;
  out->present = 1;
  if (!out->media[0])
    return agw_fail(e, 474, "Invalid SDP syntax: no m= line");
  return 0;
}
