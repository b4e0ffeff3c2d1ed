/* h248tool -- read, lint and re-encode H.248.1 text messages (Annex B).
 *
 *   h248tool parse FILE|-                    summary per transaction; exit 0, or
 *                                            exit 1 with "error CODE at line L col C: reason"
 *   h248tool print [--pretty|--compact] FILE|-   canonical re-encoding (pretty default)
 *
 * FILE holds one message (a trace may hold several, separated by a line that
 * starts with "MEGACO/" or "!/": each is parsed on its own).
 */
#include "config.h"
#include "h248/h248.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void usage(FILE *fp)
{
  fprintf(fp, "usage: h248tool parse FILE|-\n"
              "       h248tool print [--pretty|--compact] [--lf] FILE|-\n"
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
  usage(stderr);
  return 2;
}
