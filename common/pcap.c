/* pcap.c -- pcap (LINKTYPE_RAW) and NSS key-log writers for Wireshark. */
#include "config.h"
#include "common/common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINKTYPE_RAW 101
#define MAX_FLOWS 256

struct tcp_flow {
  struct sockaddr_storage src, dst;
  uint32_t seq;
  int used;
};

struct wg_pcap {
  FILE *fp;
  pthread_mutex_t mu;
  struct tcp_flow flows[MAX_FLOWS];
  unsigned next_flow;
  uint16_t ip_id;
};

struct wg_keylog {
  FILE *fp;
  pthread_mutex_t mu;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

wg_pcap_t *wg_pcap_open(const char *path, char *err, size_t errlen)
{
  FILE *fp = fopen(path, "wb");
  if (!fp) {
    if (err)
      snprintf(err, errlen, "%s: cannot write pcap: %s", path, strerror(errno));
    return NULL;
  }
  wg_pcap_t *pc = calloc(1, sizeof *pc);
  if (!pc) {
    fclose(fp);
    return NULL;
  }
  pc->fp = fp;
  pthread_mutex_init(&pc->mu, NULL);
  /* Global header, native byte order (magic tells readers which). */
  struct {
    uint32_t magic;
    uint16_t vmaj, vmin;
    int32_t zone;
    uint32_t sigfigs, snaplen, network;
  } gh = { 0xa1b2c3d4, 2, 4, 0, 0, 262144, LINKTYPE_RAW };
  fwrite(&gh, sizeof gh, 1, fp);
  fflush(fp);
  return pc;
}

void wg_pcap_close(wg_pcap_t *pc)
{
  if (!pc)
    return;
  fclose(pc->fp);
  pthread_mutex_destroy(&pc->mu);
  free(pc);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
  for (size_t i = 0; i + 1 < n; i += 2)
    s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1)
    s += (uint32_t)p[n - 1] << 8;
  return s;
}

static uint16_t fold(uint32_t s)
{
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

/* Writes one IP packet carrying an L4 header + payload. Caller holds mu. */
static void write_packet(wg_pcap_t *pc, const struct sockaddr *src, const struct sockaddr *dst,
                         int proto, const uint8_t *l4, size_t l4len, const uint8_t *data,
                         size_t len)
{
  uint8_t ip[40];
  size_t iplen;
  uint32_t ph = 0; /* pseudo-header sum */
  size_t total = l4len + len;
  if (src->sa_family == AF_INET) {
    const struct sockaddr_in *s = (const void *)src, *d = (const void *)dst;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + total));
    put16(ip + 4, pc->ip_id++);
    ip[8] = 64;
    ip[9] = (uint8_t)proto;
    memcpy(ip + 12, &s->sin_addr, 4);
    memcpy(ip + 16, &d->sin_addr, 4);
    put16(ip + 10, fold(sum16(ip, 20, 0)));
    iplen = 20;
    ph = sum16(ip + 12, 8, 0);
  } else {
    const struct sockaddr_in6 *s = (const void *)src, *d = (const void *)dst;
    memset(ip, 0, 40);
    ip[0] = 0x60;
    put16(ip + 4, (uint16_t)total);
    ip[6] = (uint8_t)proto;
    ip[7] = 64;
    memcpy(ip + 8, &s->sin6_addr, 16);
    memcpy(ip + 24, &d->sin6_addr, 16);
    iplen = 40;
    ph = sum16(ip + 8, 32, 0);
  }
  ph += (uint32_t)proto + (uint32_t)total;
  uint8_t l4c[60];
  memcpy(l4c, l4, l4len);
  int ckoff = proto == IPPROTO_UDP ? 6 : 16;
  l4c[ckoff] = l4c[ckoff + 1] = 0;
  uint32_t s = sum16(l4c, l4len, ph);
  /* payload may start at odd offset only if l4len is odd; it never is. */
  uint16_t ck = fold(sum16(data, len, s));
  if (proto == IPPROTO_UDP && ck == 0)
    ck = 0xffff;
  put16(l4c + ckoff, ck);

  int64_t now = wg_time_us();
  uint32_t rec[4] = { (uint32_t)(now / 1000000), (uint32_t)(now % 1000000),
                      (uint32_t)(iplen + total), (uint32_t)(iplen + total) };
  fwrite(rec, sizeof rec, 1, pc->fp);
  fwrite(ip, iplen, 1, pc->fp);
  fwrite(l4c, l4len, 1, pc->fp);
  if (len)
    fwrite(data, len, 1, pc->fp);
}

static int valid_pair(const struct sockaddr *a, const struct sockaddr *b)
{
  return a && b && a->sa_family == b->sa_family &&
         (a->sa_family == AF_INET || a->sa_family == AF_INET6);
}

static uint16_t port_of(const struct sockaddr *sa)
{
  return ntohs(sa->sa_family == AF_INET ? ((const struct sockaddr_in *)sa)->sin_port
                                        : ((const struct sockaddr_in6 *)sa)->sin6_port);
}

void wg_pcap_udp(wg_pcap_t *pc, const struct sockaddr *src, const struct sockaddr *dst,
                 const void *data, size_t len)
{
  if (!pc || !valid_pair(src, dst))
    return;
  if (len > 65507)
    len = 65507;
  uint8_t udp[8];
  put16(udp, port_of(src));
  put16(udp + 2, port_of(dst));
  put16(udp + 4, (uint16_t)(8 + len));
  put16(udp + 6, 0);
  pthread_mutex_lock(&pc->mu);
  write_packet(pc, src, dst, IPPROTO_UDP, udp, 8, data, len);
  fflush(pc->fp);
  pthread_mutex_unlock(&pc->mu);
}

static size_t sa_len(const struct sockaddr *sa)
{
  return sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static int same(const struct sockaddr_storage *a, const struct sockaddr *b)
{
  return a->ss_family == b->sa_family && memcmp(a, b, sa_len(b)) == 0;
}

static void tcp_seg(wg_pcap_t *pc, const struct sockaddr *src, const struct sockaddr *dst,
                    uint32_t seq, uint8_t flags, const uint8_t *data, size_t len)
{
  uint8_t tcp[20] = { 0 };
  put16(tcp, port_of(src));
  put16(tcp + 2, port_of(dst));
  put32(tcp + 4, seq);
  put32(tcp + 8, 0);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  put16(tcp + 14, 65535);
  write_packet(pc, src, dst, IPPROTO_TCP, tcp, 20, data, len);
}

/* Caller holds mu. Finds or creates the flow; a new flow gets a SYN. */
static struct tcp_flow *flow_get(wg_pcap_t *pc, const struct sockaddr *src,
                                 const struct sockaddr *dst)
{
  for (int i = 0; i < MAX_FLOWS; i++)
    if (pc->flows[i].used && same(&pc->flows[i].src, src) && same(&pc->flows[i].dst, dst))
      return &pc->flows[i];
  struct tcp_flow *f = &pc->flows[pc->next_flow++ % MAX_FLOWS];
  memset(f, 0, sizeof *f);
  memcpy(&f->src, src, sa_len(src));
  memcpy(&f->dst, dst, sa_len(dst));
  f->used = 1;
  f->seq = 1000;
  /* The second direction of a connection opens with SYN|ACK, so Wireshark
   * sees one handshake rather than a reused port pair. */
  int reverse = 0;
  for (int i = 0; i < MAX_FLOWS && !reverse; i++)
    reverse = pc->flows[i].used && &pc->flows[i] != f && same(&pc->flows[i].src, dst) &&
              same(&pc->flows[i].dst, src);
  tcp_seg(pc, src, dst, f->seq++, reverse ? 0x12 /* SYN|ACK */ : 0x02 /* SYN */, NULL, 0);
  return f;
}

void wg_pcap_tcp(wg_pcap_t *pc, const struct sockaddr *src, const struct sockaddr *dst,
                 const void *data, size_t len)
{
  if (!pc || !valid_pair(src, dst))
    return;
  pthread_mutex_lock(&pc->mu);
  struct tcp_flow *f = flow_get(pc, src, dst);
  const uint8_t *p = data;
  while (len > 0) {
    size_t n = len > 60000 ? 60000 : len;
    tcp_seg(pc, src, dst, f->seq, 0x18 /* PSH|ACK */, p, n);
    f->seq += (uint32_t)n;
    p += n;
    len -= n;
  }
  fflush(pc->fp);
  pthread_mutex_unlock(&pc->mu);
}

void wg_pcap_tcp_close(wg_pcap_t *pc, const struct sockaddr *src, const struct sockaddr *dst)
{
  if (!pc || !valid_pair(src, dst))
    return;
  pthread_mutex_lock(&pc->mu);
  for (int dir = 0; dir < 2; dir++) {
    const struct sockaddr *a = dir ? dst : src, *b = dir ? src : dst;
    struct tcp_flow *f = flow_get(pc, a, b);
    tcp_seg(pc, a, b, f->seq, 0x11 /* FIN|ACK */, NULL, 0);
    f->used = 0;
  }
  fflush(pc->fp);
  pthread_mutex_unlock(&pc->mu);
}

wg_keylog_t *wg_keylog_open(const char *path, char *err, size_t errlen)
{
  FILE *fp = fopen(path, "a");
  if (!fp) {
    if (err)
      snprintf(err, errlen, "%s: cannot write key log: %s", path, strerror(errno));
    return NULL;
  }
  wg_keylog_t *kl = calloc(1, sizeof *kl);
  if (!kl) {
    fclose(fp);
    return NULL;
  }
  kl->fp = fp;
  pthread_mutex_init(&kl->mu, NULL);
  return kl;
}

void wg_keylog_write(wg_keylog_t *kl, const char *line)
{
  if (!kl || !line)
    return;
  pthread_mutex_lock(&kl->mu);
  fputs(line, kl->fp);
  if (!*line || line[strlen(line) - 1] != '\n')
    fputc('\n', kl->fp);
  fflush(kl->fp);
  pthread_mutex_unlock(&kl->mu);
}

void wg_keylog_close(wg_keylog_t *kl)
{
  if (!kl)
    return;
  fclose(kl->fp);
  pthread_mutex_destroy(&kl->mu);
  free(kl);
}
