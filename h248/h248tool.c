/* h248tool -- read, lint and re-encode H.248.1 text messages (Annex B).
 *
 *   h248tool parse FILE|-                    summary per transaction; exit 0, or
 *                                            exit 1 with "error CODE at line L col C: reason"
 *   h248tool print [--pretty|--compact] FILE|-   canonical re-encoding (pretty default)
 *   h248tool send [--timeout MS] HOST:PORT FILE|-
 *                                            send the one request transaction of FILE
 *                                            over UDP (Annex D.1: retransmitted, Pending
 *                                            honoured, reply acknowledged) and print the
 *                                            reply (pretty); exit 0 reply without Error,
 *                                            1 reply with an Error descriptor,
 *                                            2 usage, I/O error or no reply in time
 *
 * FILE holds one message (a trace may hold several, separated by a line that
 * starts with "MEGACO/" or "!/": each is parsed on its own).
 */
#include "config.h"
#include "h248/h248.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *fp)
{
  fprintf(fp, "usage: h248tool parse FILE|-\n"
              "       h248tool print [--pretty|--compact] [--lf] FILE|-\n"
              "       h248tool send [--timeout MS] HOST:PORT FILE|-\n"
              "       h248tool --help | --version\n");
}

static char *slurp(const char *path, size_t *n)
{
  FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!fp) {
    fprintf(stderr, "h248tool: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  size_t cap = 65536, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t r = fread(buf + len, 1, cap - len, fp);
    len += r;
    if (r == 0)
      break;
    if (len == cap) {
      if (cap >= (64u << 20)) {
        fprintf(stderr, "h248tool: %s: larger than 64 MiB\n", path);
        free(buf);
        buf = NULL;
        break;
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  if (fp != stdin)
    fclose(fp);
  if (!buf)
    return NULL;
  *n = len;
  return buf;
}

/* Split a file into messages: each starts at a line beginning "MEGACO/" or
 * "!/" (comments and blank lines before a header belong to its message). */
static int header_at(const char *s, size_t n, size_t i)
{
  if (i > 0 && s[i - 1] != '\n')
    return 0;
  return (n - i >= 7 && strncasecmp(s + i, "MEGACO/", 7) == 0) ||
         (n - i >= 2 && s[i] == '!' && s[i + 1] == '/');
}

static size_t next_message(const char *s, size_t n, size_t from)
{
  size_t i = from;
  while (i < n && !header_at(s, n, i))
    i++;
  for (i++; i < n; i++)
    if (header_at(s, n, i))
      return i;
  return n;
}

static const char *trans_kind(h248_trans_type_t t)
{
  switch (t) {
  case H248_TRANS_REQUEST: return "Transaction";
  case H248_TRANS_REPLY: return "Reply";
  case H248_TRANS_PENDING: return "Pending";
  case H248_TRANS_ACK: return "TransactionResponseAck";
  }
  return "?";
}

static void summary_cmd(const h248_cmd_t *c)
{
  printf("    %s%s%s =", c->optional ? "O-" : "", c->wildcard_reply ? "W-" : "",
         h248_cmd_name(c->type));
  for (size_t i = 0; i < c->ntid; i++)
    printf(" %s", c->tid[i]);
  if (c->media) {
    for (const h248_stream_t *s = c->media->streams; s; s = s->next) {
      printf(" [stream %u", (unsigned)s->id);
      if (s->lc && s->lc->mode)
        printf(" mode=%s", h248_mode_name(s->lc->mode));
      if (s->lc)
        for (const h248_prop_t *p = s->lc->props; p; p = p->next)
          printf(" %s", p->name);
      if (s->local)
        printf(" local-sdp");
      if (s->remote)
        printf(" remote-sdp");
      if (s->has_stats)
        printf(" stats");
      printf("]");
    }
    if (c->media->ts)
      for (const h248_prop_t *p = c->media->ts->props; p; p = p->next)
        printf(" [state %s]", p->name);
  }
  if (c->events) {
    if (c->events->has_request_id)
      printf(" events=%u", (unsigned)c->events->request_id);
    else
      printf(" events=cleared");
    for (const h248_event_t *e = c->events->events; e; e = e->next)
      printf(" %s", e->name);
  }
  if (c->signals) {
    printf(" signals:");
    if (!c->signals->signals)
      printf(" none");
    for (const h248_signal_t *s = c->signals->signals; s; s = s->next)
      printf(" %s", s->name);
  }
  if (c->observed) {
    printf(" observed=%u", (unsigned)c->observed->request_id);
    for (const h248_event_t *e = c->observed->events; e; e = e->next)
      printf(" %s%s%s", e->timestamp ? e->timestamp : "", e->timestamp ? ":" : "", e->name);
  }
  if (c->svc)
    printf(" method=%s reason=\"%s\"%s%s", c->svc->method ? c->svc->method : "-",
           c->svc->reason ? c->svc->reason : "", c->svc->profile ? " profile=" : "",
           c->svc->profile ? c->svc->profile : "");
  if (c->audit)
    printf(" audit(%zu)", c->audit->n);
  if (c->has_stats) {
    printf(" statistics:");
    for (const h248_prop_t *p = c->stats; p; p = p->next)
      printf(" %s%s%s", p->name, p->n ? "=" : "", p->n ? p->v[0].str : "");
  }
  if (c->error)
    printf(" error=%u \"%s\"", (unsigned)c->error->code, c->error->text ? c->error->text : "");
  printf("\n");
}

static void summary(const h248_msg_t *m)
{
  char ctx[12];
  printf("MEGACO/%d from %s%s%s", m->version,
         m->mid.kind == H248_MID_IP4 || m->mid.kind == H248_MID_IP6 ? "[" :
         m->mid.kind == H248_MID_DOMAIN ? "<" : "",
         m->mid.name,
         m->mid.kind == H248_MID_IP4 || m->mid.kind == H248_MID_IP6 ? "]" :
         m->mid.kind == H248_MID_DOMAIN ? ">" : "");
  if (m->mid.port)
    printf(":%u", (unsigned)m->mid.port);
  printf(", %zu transaction(s)\n", h248_msg_ntrans(m));
  if (m->error)
    printf("  message error %u \"%s\"\n", (unsigned)m->error->code,
           m->error->text ? m->error->text : "");
  for (const h248_trans_t *t = m->trans; t; t = t->next) {
    if (t->type == H248_TRANS_ACK) {
      printf("  %s", trans_kind(t->type));
      for (size_t i = 0; i < t->nacks; i++) {
        if (t->acks[i].first == t->acks[i].last)
          printf(" %u", (unsigned)t->acks[i].first);
        else
          printf(" %u-%u", (unsigned)t->acks[i].first, (unsigned)t->acks[i].last);
      }
      printf("\n");
      continue;
    }
    printf("  %s %u%s\n", trans_kind(t->type), (unsigned)t->id,
           t->imm_ack ? " ImmAckRequired" : "");
    if (t->error)
      printf("    error=%u \"%s\"\n", (unsigned)t->error->code,
             t->error->text ? t->error->text : "");
    for (const h248_action_t *a = t->actions; a; a = a->next) {
      printf("   Context %s", h248_ctx_str(a->ctx, ctx));
      if (a->priority >= 0)
        printf(" priority=%d", a->priority);
      if (a->emergency == H248_FLAG_ON)
        printf(" emergency");
      if (a->error)
        printf(" error=%u \"%s\"", (unsigned)a->error->code,
               a->error->text ? a->error->text : "");
      printf("\n");
      for (const h248_cmd_t *c = a->cmds; c; c = c->next)
        summary_cmd(c);
    }
  }
}

static int run(int print, unsigned flags, const char *path)
{
  size_t n;
  char *text = slurp(path, &n);
  if (!text)
    return 2;
  int rc = 0;
  size_t at = 0;
  /* skip leading blank lines and comments before the first header */
  size_t first = 0;
  while (first < n && (text[first] == ' ' || text[first] == '\t' || text[first] == '\r' ||
                       text[first] == '\n'))
    first++;
  at = first;
  if (at >= n) {
    fprintf(stderr, "h248tool: %s: empty input\n", path);
    free(text);
    return 1;
  }
  int count = 0;
  while (at < n) {
    size_t end = next_message(text, n, at);
    h248_msg_t *m = NULL;
    h248_error_info_t ei;
    int r = h248_decode(text + at, end - at, &m, &ei);
    count++;
    if (r < 0) {
      /* report the line in the whole file */
      unsigned line = ei.line;
      for (size_t i = 0; i < at; i++)
        if (text[i] == '\n')
          line++;
      if (r == -EBADMSG)
        fprintf(stderr, "%s:%u:%u: error %d (%s): %s\n", path, line, ei.column, ei.code,
                h248_error_text(ei.code), ei.reason);
      else
        fprintf(stderr, "%s: %s\n", path, strerror(-r));
      rc = 1;
    } else if (print) {
      h248_buf_t b = {0};
      r = h248_encode(m, flags, &b);
      if (r < 0) {
        fprintf(stderr, "%s: cannot encode: %s\n", path, strerror(-r));
        rc = 1;
      } else
        fwrite(b.data, 1, b.len, stdout);
      h248_buf_free(&b);
    } else {
      summary(m);
    }
    h248_msg_free(m);
    at = end;
  }
  free(text);
  return rc;
}

/* ------------------------------------------------------------ send */

typedef struct sender {
  int fd;
  int64_t timer_at; /* monotonic ms, -1 none */
  int done, status;
  h248_msg_t *reply_msg;
  const h248_trans_t *reply;
} sender_t;

static uint64_t mono_ms(void *ctx)
{
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int snd_send(void *ctx, const struct sockaddr *to, socklen_t tolen, const void *data,
                    size_t len)
{
  sender_t *sd = ctx;
  return sendto(sd->fd, data, len, 0, to, tolen) < 0 ? -errno : 0;
}

static void snd_timer(void *ctx, int64_t delay_ms)
{
  sender_t *sd = ctx;
  sd->timer_at = delay_ms < 0 ? -1 : (int64_t)mono_ms(NULL) + delay_ms;
}

static void snd_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  sender_t *sd = arg;
  sd->done = 1;
  sd->status = status;
  if (status == 0) {
    sd->reply_msg = h248_msg_ref(msg);
    sd->reply = reply;
  }
}

/* HOST:PORT with a numeric IPv4 address or [IPv6]. */
static int parse_peer(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
  char host[64];
  const char *colon = strrchr(text, ':');
  if (!colon || colon == text || (size_t)(colon - text) >= sizeof host)
    return -1;
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = '\0';
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 1 || port > 65535)
    return -1;
  memset(ss, 0, sizeof *ss);
  size_t hl = strlen(host);
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
    host[hl - 1] = '\0';
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
      return -1;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    *len = sizeof *s6;
    return 0;
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  if (strcmp(host, "localhost") == 0)
    strcpy(host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
    return -1;
  s4->sin_family = AF_INET;
  s4->sin_port = htons((uint16_t)port);
  *len = sizeof *s4;
  return 0;
}

static int has_error(const h248_trans_t *t)
{
  if (t->error)
    return 1;
  for (const h248_action_t *a = t->actions; a; a = a->next) {
    if (a->error)
      return 1;
    for (const h248_cmd_t *c = a->cmds; c; c = c->next)
      if (c->error)
        return 1;
  }
  return 0;
}

static int run_send(const char *peer, const char *path, long timeout_ms)
{
  struct sockaddr_storage to;
  socklen_t tolen;
  if (parse_peer(peer, &to, &tolen) < 0) {
    fprintf(stderr, "h248tool: '%s' is not HOST:PORT (numeric address)\n", peer);
    return 2;
  }
  size_t n;
  char *text = slurp(path, &n);
  if (!text)
    return 2;
  h248_msg_t *req = NULL;
  h248_error_info_t ei;
  int r = h248_decode(text, n, &req, &ei);
  free(text);
  if (r < 0) {
    if (r == -EBADMSG)
      fprintf(stderr, "%s:%u:%u: error %d (%s): %s\n", path, ei.line, ei.column, ei.code,
              h248_error_text(ei.code), ei.reason);
    else
      fprintf(stderr, "%s: %s\n", path, strerror(-r));
    return 2;
  }
  if (h248_msg_ntrans(req) != 1 || req->trans->type != H248_TRANS_REQUEST) {
    fprintf(stderr, "h248tool: %s: needs exactly one Transaction (a request)\n", path);
    h248_msg_free(req);
    return 2;
  }
  sender_t sd = {.fd = socket(to.ss_family, SOCK_DGRAM, 0), .timer_at = -1};
  if (sd.fd < 0) {
    fprintf(stderr, "h248tool: socket: %s\n", strerror(errno));
    h248_msg_free(req);
    return 2;
  }
  /* bind an ephemeral port on the family's any address: the kernel picks the
   * source the peer sees; the mId of our own messages names the message's */
  struct sockaddr_storage me;
  memset(&me, 0, sizeof me);
  me.ss_family = to.ss_family;
  if (bind(sd.fd, (struct sockaddr *)&me, tolen) < 0) {
    fprintf(stderr, "h248tool: bind: %s\n", strerror(errno));
    close(sd.fd);
    h248_msg_free(req);
    return 2;
  }
  h248_transport_t tr = {.ctx = &sd, .send = snd_send, .set_timer = snd_timer, .now_ms = mono_ms};
  h248_tl_config_t cfg = {.mid_kind = req->mid.kind, .mid_name = req->mid.name,
                          .mid_port = req->mid.port, .max_total_ms = (unsigned)timeout_ms,
                          .first_tid = req->trans->id ? req->trans->id : 1};
  h248_tl_t *tl = NULL;
  if ((r = h248_tl_new(&tl, &tr, &cfg, NULL, NULL)) < 0 ||
      (r = h248_tl_request(tl, (struct sockaddr *)&to, tolen, req, snd_reply, &sd, NULL)) < 0) {
    fprintf(stderr, "h248tool: cannot send: %s\n", strerror(-r));
    h248_tl_free(tl);
    close(sd.fd);
    h248_msg_free(req);
    return 2;
  }
  h248_msg_free(req);
  while (!sd.done) {
    int wait = -1;
    if (sd.timer_at >= 0) {
      int64_t d = sd.timer_at - (int64_t)mono_ms(NULL);
      wait = d < 0 ? 0 : (int)d;
    }
    struct pollfd pf = {.fd = sd.fd, .events = POLLIN};
    int pr = poll(&pf, 1, wait);
    if (pr < 0 && errno != EINTR) {
      fprintf(stderr, "h248tool: poll: %s\n", strerror(errno));
      break;
    }
    if (pr > 0) {
      char buf[65536];
      struct sockaddr_storage from;
      socklen_t fl = sizeof from;
      ssize_t got = recvfrom(sd.fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
      if (got > 0)
        h248_tl_input(tl, (struct sockaddr *)&from, fl, buf, (size_t)got);
    }
    if (sd.timer_at >= 0 && (int64_t)mono_ms(NULL) >= sd.timer_at) {
      sd.timer_at = -1;
      h248_tl_on_timer(tl);
    }
  }
  int rc = 2;
  if (sd.done && sd.status == 0) {
    /* print only the reply transaction */
    h248_msg_t *out = sd.reply_msg;
    h248_trans_t *keep = (h248_trans_t *)sd.reply, *saved = out->trans;
    h248_trans_t *saved_next = keep->next;
    out->trans = keep;
    keep->next = NULL;
    h248_buf_t b = {0};
    if (h248_encode(out, H248_ENC_PRETTY | H248_ENC_LF, &b) == 0)
      fwrite(b.data, 1, b.len, stdout);
    h248_buf_free(&b);
    rc = has_error(keep) ? 1 : 0;
    keep->next = saved_next;
    out->trans = saved;
  } else if (sd.done) {
    fprintf(stderr, "h248tool: no reply from %s: %s\n", peer, strerror(-sd.status));
  }
  /* the peer keeps its reply for LONG-TIMER; a new run uses a new port */
  h248_tl_free(tl);
  if (sd.reply_msg)
    h248_msg_free(sd.reply_msg);
  close(sd.fd);
  return rc;
}

int main(int argc, char **argv)
{
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    usage(stdout);
    return 0;
  }
  if (argc >= 2 && !strcmp(argv[1], "--version")) {
    printf("h248tool (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
    return 0;
  }
  if (argc < 3) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "parse")) {
    if (argc != 3) {
      usage(stderr);
      return 2;
    }
    return run(0, 0, argv[2]);
  }
  if (!strcmp(argv[1], "print")) {
    unsigned flags = H248_ENC_PRETTY;
    int i = 2;
    for (; i < argc - 1; i++) {
      if (!strcmp(argv[i], "--pretty"))
        flags &= ~(unsigned)H248_ENC_COMPACT;
      else if (!strcmp(argv[i], "--compact"))
        flags |= H248_ENC_COMPACT;
      else if (!strcmp(argv[i], "--lf"))
        flags |= H248_ENC_LF;
      else {
        usage(stderr);
        return 2;
      }
    }
    return run(1, flags, argv[argc - 1]);
  }
  if (!strcmp(argv[1], "send")) {
    long timeout_ms = 5000;
    int i = 2;
    if (argc == 6 && !strcmp(argv[2], "--timeout")) {
      char *end;
      timeout_ms = strtol(argv[3], &end, 10);
      if (*end || timeout_ms < 100 || timeout_ms > 600000) {
        fprintf(stderr, "h248tool: --timeout %s: not a number of ms in 100..600000\n", argv[3]);
        return 2;
      }
      i = 4;
    }
    if (argc - i != 2) {
      usage(stderr);
      return 2;
    }
    return run_send(argv[i], argv[i + 1], timeout_ms);
  }
  usage(stderr);
  return 2;
}
