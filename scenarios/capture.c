/* capture.c -- wicsim reads the co-started daemon's pcap: the H.248 (Iq)
 * messages between its ALG and AGW, for the H248 steps and the ladder; and
 * merges them with wicsim's own capture into the pcap the user asked for
 * (wicsim's capture already holds SIP, STUN/DTLS/SCTP and MSRP/TCP from the
 * WIC and UE-B side; from the daemon's only the Iq packets are taken, so no
 * packet appears twice). */
#include "config.h"
#include "scenarios/wicsim.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rec {
  int64_t t_us;
  size_t idx; /* arrival order, to keep equal times stable */
  uint32_t len;
  uint8_t *data;
};

/* Read one record; returns 1, 0 at a clean end or a partial record, -1 on
 * a bad file. swap: the file's byte order differs from ours. */
static uint32_t sw32(uint32_t v, int swap)
{
  return swap ? __builtin_bswap32(v) : v;
}

static int read_hdr(FILE *fp, int *swap, int *nano, uint32_t *link)
{
  uint32_t gh[6];
  if (fread(gh, 4, 6, fp) != 6)
    return -1;
  if (gh[0] == 0xa1b2c3d4 || gh[0] == 0xa1b23c4d) {
    *swap = 0;
  } else if (gh[0] == 0xd4c3b2a1 || gh[0] == 0x4d3cb2a1) {
    *swap = 1;
  } else {
    return -1;
  }
  *nano = sw32(gh[0], *swap) == 0xa1b23c4d;
  *link = sw32(gh[5], *swap);
  return 0;
}

static int read_rec(FILE *fp, int swap, int nano, struct rec *r)
{
  uint32_t h[4];
  long pos = ftell(fp);
  if (fread(h, 4, 4, fp) != 4) {
    fseek(fp, pos, SEEK_SET);
    return 0;
  }
  uint32_t incl = sw32(h[2], swap);
  if (incl > 262144 + 65536)
    return -1;
  r->data = malloc(incl ? incl : 1);
  if (!r->data)
    return -1;
  if (fread(r->data, 1, incl, fp) != incl) {
    free(r->data);
    r->data = NULL;
    fseek(fp, pos, SEEK_SET);
    return 0;
  }
  r->len = incl;
  r->t_us = (int64_t)sw32(h[0], swap) * 1000000 + (nano ? sw32(h[1], swap) / 1000 : sw32(h[1], swap));
  return 1;
}

/* UDP payload of a raw IPv4/IPv6 packet; ports out. NULL when not UDP. */
static const uint8_t *udp_payload(const uint8_t *p, size_t len, int *sport, int *dport,
                                  size_t *plen)
{
  size_t off;
  int proto;
  if (len < 20)
    return NULL;
  if ((p[0] >> 4) == 4) {
    off = (size_t)(p[0] & 15) * 4;
    proto = p[9];
  } else if ((p[0] >> 4) == 6) {
    off = 40;
    proto = p[6];
  } else {
    return NULL;
  }
  if (proto != 17 || len < off + 8)
    return NULL;
  *sport = (p[off] << 8) | p[off + 1];
  *dport = (p[off + 2] << 8) | p[off + 3];
  *plen = len - off - 8;
  return p + off + 8;
}

static void first_word_after(const char *t, const char *key, char *out, size_t len)
{
  out[0] = 0;
  const char *p = t;
  size_t kl = strlen(key);
  /* long tokens case-insensitively; compact ones (<= 2 letters) as written */
  while ((p = kl > 2 ? strcasestr(p, key) : strstr(p, key)) != NULL) {
    /* a whole token: preceded by non-alnum */
    if (p != t && (isalnum((unsigned char)p[-1]) || p[-1] == '/')) {
      p += kl;
      continue;
    }
    const char *q = p + kl;
    while (*q == ' ' || *q == '\t')
      q++;
    if (*q != '=') {
      p += kl;
      continue;
    }
    q++;
    while (*q == ' ' || *q == '\t')
      q++;
    size_t n = strcspn(q, " \t\r\n{},");
    if (n >= len)
      n = len - 1;
    memcpy(out, q, n);
    out[n] = 0;
    return;
  }
}

static void classify(struct h248msg *m)
{
  /* look only at the part before the first SDP (a "v=" line) */
  char *t = strdup(m->text);
  if (!t)
    return;
  char *sdp = strstr(t, "\nv=");
  if (sdp)
    *sdp = 0;
  char *brace = strchr(t, '{');
  char save = 0;
  if (brace) {
    save = brace[0];
    brace[0] = 0; /* the transaction header */
  }
  char v[24];
  m->kind[0] = m->command[0] = m->tid[0] = m->term[0] = 0;
  static const struct {
    const char *longn, *shortn;
  } cmds[] = { { "Add", "A" },        { "Modify", "MF" },       { "Subtract", "S" },
               { "Notify", "N" },     { "ServiceChange", "SC" }, { "AuditValue", "AV" },
               { "Move", "MV" },      { NULL, NULL } };
  first_word_after(t, "Transaction", v, sizeof v);
  if (!v[0])
    first_word_after(t, "T", v, sizeof v);
  if (v[0]) {
    snprintf(m->kind, sizeof m->kind, "Transaction");
    snprintf(m->tid, sizeof m->tid, "%s", v);
  } else {
    first_word_after(t, "Reply", v, sizeof v);
    if (!v[0])
      first_word_after(t, "P", v, sizeof v);
    if (v[0]) {
      snprintf(m->kind, sizeof m->kind, "Reply");
      snprintf(m->tid, sizeof m->tid, "%s", v);
      m->is_reply = 1;
    } else if (strcasestr(t, "Pending") || strstr(t, "PN=") || strstr(t, "PN =")) {
      snprintf(m->kind, sizeof m->kind, "Pending");
    } else if (strcasestr(t, "TransactionResponseAck") || strstr(t, "K{") || strstr(t, "K {")) {
      snprintf(m->kind, sizeof m->kind, "ResponseAck");
    } else {
      snprintf(m->kind, sizeof m->kind, "?");
    }
  }
  if (brace)
    brace[0] = save;
  for (int i = 0; cmds[i].longn; i++) {
    first_word_after(t, cmds[i].longn, v, sizeof v);
    if (!v[0])
      first_word_after(t, cmds[i].shortn, v, sizeof v);
    if (v[0]) {
      snprintf(m->command, sizeof m->command, "%s", cmds[i].longn);
      snprintf(m->term, sizeof m->term, "%s", v);
      break;
    }
  }
  if (!m->command[0] && strcasestr(t, "Error"))
    snprintf(m->command, sizeof m->command, "Error");
  if (!m->command[0])
    snprintf(m->command, sizeof m->command, "%s", m->kind);
  free(t);
}

int capture_read_h248(struct sim *s, struct h248msg **msgs, size_t *n)
{
  if (!s->daemon_pcap[0])
    return -ENOENT;
  FILE *fp = fopen(s->daemon_pcap, "rb");
  if (!fp)
    return -errno;
  int swap, nano;
  uint32_t link;
  if (read_hdr(fp, &swap, &nano, &link) || (link != 101 && link != 228 && link != 229)) {
    fclose(fp);
    return -EINVAL;
  }
  if (s->h248_off > 24)
    fseek(fp, s->h248_off, SEEK_SET);
  int added = 0;
  struct rec r;
  while (read_rec(fp, swap, nano, &r) == 1) {
    int sp, dp;
    size_t pl;
    const uint8_t *p = udp_payload(r.data, r.len, &sp, &dp, &pl);
    if (p && (sp == s->h248_port_agw || dp == s->h248_port_agw || sp == s->h248_port_alg ||
              dp == s->h248_port_alg) &&
        pl > 0) {
      /* with --role both the ALG and the AGW both record each message
       * (sent by one, received by the other): keep the first copy */
      int dup = 0;
      for (size_t k = *n; k > 0 && k + 8 > *n; k--) {
        struct h248msg *o = &(*msgs)[k - 1];
        if (o->to_agw == (dp == s->h248_port_agw) && r.t_us - o->t_us < 200000 &&
            strlen(o->text) == pl && memcmp(o->text, p, pl) == 0) {
          dup = 1;
          break;
        }
      }
      if (dup) {
        free(r.data);
        continue;
      }
      struct h248msg *arr = realloc(*msgs, (*n + 1) * sizeof *arr);
      if (!arr) {
        free(r.data);
        break;
      }
      *msgs = arr;
      struct h248msg *m = &arr[(*n)++];
      memset(m, 0, sizeof *m);
      m->t_us = r.t_us;
      m->to_agw = dp == s->h248_port_agw;
      m->text = strndup((const char *)p, pl);
      if (m->text)
        classify(m);
      else
        (*n)--;
      added++;
    }
    free(r.data);
  }
  s->h248_off = ftell(fp);
  fclose(fp);
  return added;
}

/* Show the Iq on the registered H.248 text ports (AGW 2944, ALG 2945) in
 * the merged capture, so that Wireshark decodes MEGACO without a
 * "decode as": the real ports are free ones picked for the run. The UDP
 * checksum is recomputed. */
static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
  for (size_t i = 0; i + 1 < n; i += 2)
    s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1)
    s += (uint32_t)p[n - 1] << 8;
  return s;
}

static void remap_ports(uint8_t *p, size_t len, int port_agw, int port_alg)
{
  size_t off;
  int v4 = (p[0] >> 4) == 4;
  off = v4 ? (size_t)(p[0] & 15) * 4 : 40;
  if (len < off + 8)
    return;
  uint8_t *u = p + off;
  for (int k = 0; k < 2; k++) {
    int port = (u[2 * k] << 8) | u[2 * k + 1];
    int np = port == port_agw ? 2944 : port == port_alg ? 2945 : port;
    u[2 * k] = (uint8_t)(np >> 8);
    u[2 * k + 1] = (uint8_t)np;
  }
  size_t ulen = len - off;
  u[6] = u[7] = 0;
  uint32_t sum = 0;
  if (v4) {
    sum = csum_add(sum, p + 12, 8);
  } else {
    sum = csum_add(sum, p + 8, 32);
  }
  sum += 17 + (uint32_t)ulen;
  sum = csum_add(sum, u, ulen);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  uint16_t c = (uint16_t)~sum;
  if (c == 0)
    c = 0xffff;
  u[6] = (uint8_t)(c >> 8);
  u[7] = (uint8_t)c;
}

static int cmp_rec(const void *a, const void *b)
{
  const struct rec *x = a, *y = b;
  if (x->t_us != y->t_us)
    return x->t_us < y->t_us ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int capture_merge(const char *ours, const char *daemon_pcap, int port_a, int port_b,
                  const char *out, char *err, size_t errlen)
{
  struct rec *recs = NULL;
  size_t n = 0, cap = 0;
  const char *files[2] = { ours, daemon_pcap };
  size_t first_daemon = 0;
  for (int f = 0; f < 2; f++) {
    if (!files[f])
      continue;
    if (f == 1)
      first_daemon = n;
    FILE *fp = fopen(files[f], "rb");
    if (!fp) {
      if (f == 1)
        continue; /* the daemon wrote none: ours alone */
      snprintf(err, errlen, "%s: %s", files[f], strerror(errno));
      free(recs);
      return -errno;
    }
    int swap, nano;
    uint32_t link;
    if (read_hdr(fp, &swap, &nano, &link) || link != 101) {
      fclose(fp);
      continue;
    }
    struct rec r;
    while (read_rec(fp, swap, nano, &r) == 1) {
      int keep = 1;
      if (f == 1) {
        int sp, dp;
        size_t pl;
        const uint8_t *pp = udp_payload(r.data, r.len, &sp, &dp, &pl);
        keep = pp != NULL && (sp == port_a || dp == port_a || sp == port_b || dp == port_b);
        /* the second copy of a message both ALG and AGW recorded */
        for (size_t k = n; keep && k > first_daemon && k + 8 > n; k--) {
          int sp2, dp2;
          size_t pl2;
          const uint8_t *p2 = udp_payload(recs[k - 1].data, recs[k - 1].len, &sp2, &dp2, &pl2);
          if (p2 && sp2 == sp && dp2 == dp && pl2 == pl && r.t_us - recs[k - 1].t_us < 200000 &&
              memcmp(p2, pp, pl) == 0)
            keep = 0;
        }
      }
      if (!keep) {
        free(r.data);
        continue;
      }
      if (n == cap) {
        cap = cap ? cap * 2 : 256;
        struct rec *nr = realloc(recs, cap * sizeof *nr);
        if (!nr) {
          free(r.data);
          break;
        }
        recs = nr;
      }
      r.idx = n;
      recs[n++] = r;
    }
    fclose(fp);
  }
  /* stable order by time: merge sort via qsort on (time, index) is enough here */
  qsort(recs, n, sizeof *recs, cmp_rec);
  FILE *o = fopen(out, "wb");
  if (!o) {
    snprintf(err, errlen, "%s: cannot write: %s", out, strerror(errno));
    for (size_t i = 0; i < n; i++)
      free(recs[i].data);
    free(recs);
    return -errno;
  }
  uint32_t gh[6] = { 0xa1b2c3d4, 2 | (4u << 16), 0, 0, 262144, 101 };
  /* version fields are two uint16: write them properly */
  uint16_t v[2] = { 2, 4 };
  fwrite(&gh[0], 4, 1, o);
  fwrite(v, 2, 2, o);
  fwrite(&gh[2], 4, 4, o);
  for (size_t i = 0; i < n; i++) {
    uint32_t h[4] = { (uint32_t)(recs[i].t_us / 1000000), (uint32_t)(recs[i].t_us % 1000000),
                      recs[i].len, recs[i].len };
    if (recs[i].idx >= first_daemon && files[1] && (port_a != 2944 || port_b != 2945))
      remap_ports(recs[i].data, recs[i].len, port_a, port_b);
    fwrite(h, 4, 4, o);
    fwrite(recs[i].data, 1, recs[i].len, o);
    free(recs[i].data);
  }
  free(recs);
  if (fclose(o)) {
    snprintf(err, errlen, "%s: %s", out, strerror(errno));
    return -EIO;
  }
  return 0;
}
