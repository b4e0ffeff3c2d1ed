/* report.c -- what wicsim prints: the ladder (numbered with the figure's
 * steps, then the traffic), a verdict per step, the summary; JSON; JUnit. */
#include "config.h"
#include "scenarios/wicsim.h"

#include <stdlib.h>
#include <string.h>

#define LANE_W 28
#define NLANES 4

static const char *const lane_names[NLANES] = { "WIC", "eP-CSCF (IMS-ALG)", "eIMS-AGW", "UE-B" };

static int cmp_rows(const void *a, const void *b)
{
  const struct row *x = a, *y = b;
  if (x->t_us != y->t_us)
    return x->t_us < y->t_us ? -1 : 1;
  return 0;
}

static const char *vname(enum verdict v)
{
  switch (v) {
  case V_PASS: return "PASS";
  case V_FAIL: return "FAIL";
  case V_SKIP: return "SKIP";
  default: return "NOT RUN";
  }
}

static void print_row(FILE *fp, const struct row *r, int64_t t0, int color)
{
  char line[NLANES * LANE_W + 2];
  int width = (NLANES - 1) * LANE_W + 1;
  memset(line, ' ', (size_t)width);
  line[width] = 0;
  for (int i = 0; i < NLANES; i++)
    line[i * LANE_W] = '|';
  int a = r->from * LANE_W, b = r->to * LANE_W;
  char labbuf[128];
  snprintf(labbuf, sizeof labbuf, "%s%s", r->label, r->auto_ ? " (auto)" : "");
  const char *lab = labbuf;
  int inside = 0;
  if (a != b) {
    int lo = a < b ? a : b, hi = a < b ? b : a;
    for (int k = lo + 1; k < hi; k++)
      line[k] = '-';
    if (b > a)
      line[hi - 1] = '>';
    else
      line[lo + 1] = '<';
    int room = hi - lo - 5;
    int n = (int)strlen(lab);
    if (n <= room) {
      int start = lo + 2 + (room - n) / 2 + 1;
      memcpy(line + start, lab, (size_t)n);
      line[start - 1] = ' ';
      line[start + n] = ' ';
      inside = 1;
    }
  } else {
    line[a] = '*';
  }
  char figs[32] = "";
  if (r->fig)
    fig_list(r->fig, figs, sizeof figs);
  double ms = (double)(r->t_us - t0) / 1000.0;
  const char *on = "", *off = "";
  if (color && r->auto_) {
    on = "\033[2m";
    off = "\033[0m";
  }
  fprintf(fp, "%s%6s %8.1f  %s%s%s%s\n", on, figs, ms, line, inside ? "" : "  ",
          inside ? "" : lab, off);
}

void report_ladder(FILE *fp, struct sim *s, struct call *c)
{
  /* rows for the H.248 steps nobody could see */
  for (size_t i = 0; i < s->scn->nsteps; i++) {
    const struct scn_step *st = &s->scn->steps[i];
    if (st->role == SCN_ROLE_H248 && c->res[i].v == V_SKIP && st->fig)
      call_add_row(c, c->res[i].t_us, L_ALG, L_AGW, st->fig, 0, 0, "(inside the gateway) H.248 %s %s",
                   st->method, st->command ? st->command : "");
  }
  qsort(c->rows, c->nrows, sizeof *c->rows, cmp_rows);
  fprintf(fp, "\n%s\n", s->scn->name);
  fprintf(fp, "%6s %8s  ", "step", "t (ms)");
  for (int i = 0; i < NLANES; i++)
    fprintf(fp, "%-*s", i < NLANES - 1 ? LANE_W : 1, lane_names[i]);
  fprintf(fp, "\n");
  int64_t t0 = c->nrows ? c->rows[0].t_us : 0;
  int traffic = 0;
  size_t shown_traffic = 0, hidden = 0;
  for (size_t i = 0; i < c->nrows; i++) {
    const struct row *r = &c->rows[i];
    if (r->traffic && !traffic) {
      traffic = 1;
      fprintf(fp, "%6s %8s  ---------------------------------- traffic "
                  "----------------------------------\n",
              "", "");
    }
    if (r->traffic && !s->o->verbose && ++shown_traffic > 40) {
      hidden++;
      continue;
    }
    print_row(fp, r, t0, s->o->color);
  }
  if (hidden)
    fprintf(fp, "%6s %8s  ... %zu more traffic rows (--verbose shows all)\n", "", "", hidden);
  fprintf(fp, "\n");
}

static enum verdict fig_verdict(struct sim *s, struct call *c, int n)
{
  int any = 0, pass = 0, fail = 0, skip = 0;
  for (size_t i = 0; i < s->scn->nsteps; i++) {
    if (!(s->scn->steps[i].fig & (1u << n)))
      continue;
    any++;
    if (c->res[i].v == V_PASS)
      pass++;
    else if (c->res[i].v == V_FAIL)
      fail++;
    else if (c->res[i].v == V_SKIP)
      skip++;
  }
  if (!any)
    return V_NOTRUN;
  if (fail)
    return V_FAIL;
  if (pass == any)
    return V_PASS;
  if (pass + skip == any)
    return pass ? V_PASS : V_SKIP;
  return V_NOTRUN;
}

void report_verdicts(FILE *fp, struct sim *s, struct call *c, int *pass, int *fail, int *skip)
{
  *pass = *fail = *skip = 0;
  int notrun = 0;
  for (size_t i = 0; i < s->scn->nsteps; i++) {
    const struct scn_step *st = &s->scn->steps[i];
    const struct step_result *r = &c->res[i];
    char figs[32] = "";
    if (st->fig)
      fig_list(st->fig, figs, sizeof figs);
    const char *on = "", *off = "";
    if (s->o->color) {
      on = r->v == V_PASS ? "\033[32m" : r->v == V_FAIL ? "\033[31;1m" : "\033[33m";
      off = "\033[0m";
    }
    fprintf(fp, "%s%-7s%s %-6s line %-3d %s\n", on, vname(r->v), off, figs, st->line, st->src);
    if (r->msg[0] && (r->v == V_FAIL || r->v == V_SKIP)) {
      /* indent every line of the message */
      const char *p = r->msg;
      while (*p) {
        size_t n = strcspn(p, "\n");
        fprintf(fp, "         %.*s\n", (int)n, p);
        p += n;
        if (*p)
          p++;
      }
    }
    switch (r->v) {
    case V_PASS: (*pass)++; break;
    case V_FAIL: (*fail)++; break;
    case V_SKIP: (*skip)++; break;
    default: notrun++; break;
    }
  }
  static const char *const fig_names[SCN_MAX_FIG + 1] = {
    "",
    "SDP offer (INVITE)",       "H.248 Add T2",           "AGW creates T2",
    "H.248 Add T2 reply",       "ALG rewrites the offer", "SDP offer to IMS",
    "SDP answer from IMS",      "H.248 Modify T2",        "AGW configures T2",
    "H.248 Modify T2 reply",    "H.248 Add T1",           "AGW creates T1",
    "H.248 Add T1 reply",       "ALG rewrites the answer", "SDP answer to the WIC",
    "DTLS ClientHello (AGW)",   "DTLS handshake",         "SCTP association",
  };
  /* the WIC as callee: the steps are those of the digest's 7.1 mirror flow */
  static const char *const mirror_names[7] = {
    "", "INVITE from IMS (TCP/MSRP)", "H.248 Add T2", "H.248 Add T1",
    "DC offer to the WIC", "WIC answer, Modify T1", "TCP/MSRP answer to IMS",
  };
  if (c->callee) {
    fprintf(fp, "\nmirror flow, digest 7.1 (the WIC is called; these are not the figure's "
                "steps)\n");
    for (int n = 1; n <= 6; n++) {
      enum verdict v = fig_verdict(s, c, n);
      const char *t = v == V_PASS ? "ok" : v == V_FAIL ? "FAIL" : v == V_SKIP ? "n/a" : "-";
      fprintf(fp, n % 3 ? "  %2d %-4s %-26s" : "  %2d %-4s %s\n", n, t, mirror_names[n]);
    }
  } else {
    fprintf(fp, "\nfigure 6.2.10.x.2.1 (ok: checked and passed; n/a: not observable; -: not "
                "checked by this scenario)\n");
    for (int row = 0; row < 6; row++) {
      for (int col = 0; col < 3; col++) {
        int n = 1 + row + col * 6;
        enum verdict v = fig_verdict(s, c, n);
        const char *t = v == V_PASS ? "ok" : v == V_FAIL ? "FAIL" : v == V_SKIP ? "n/a" : "-";
        fprintf(fp, col < 2 ? "  %2d %-4s %-24s" : "  %2d %-4s %s", n, t, fig_names[n]);
      }
      fprintf(fp, "\n");
    }
  }
  fprintf(fp, "%s: %d passed, %d failed, %d skipped, %d not run -- %s\n", s->scn->name, *pass,
          *fail, *skip, notrun, *fail || notrun ? "FAIL" : "PASS");
}

static void json_str(FILE *fp, const char *s)
{
  fputc('"', fp);
  for (; s && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(fp, "\\%c", ch);
    else if (ch == '\n')
      fputs("\\n", fp);
    else if (ch == '\r')
      fputs("\\r", fp);
    else if (ch == '\t')
      fputs("\\t", fp);
    else if (ch < 0x20)
      fprintf(fp, "\\u%04x", ch);
    else
      fputc(ch, fp);
  }
  fputc('"', fp);
}

static void json_figs(FILE *fp, uint32_t fig)
{
  fputc('[', fp);
  int first = 1;
  for (int n = 1; n <= SCN_MAX_FIG; n++)
    if (fig & (1u << n)) {
      fprintf(fp, "%s%d", first ? "" : ",", n);
      first = 0;
    }
  fputc(']', fp);
}

void report_json(FILE *fp, struct sim *s, struct call *c, double secs)
{
  int fail = 0, notrun = 0;
  for (size_t i = 0; i < s->scn->nsteps; i++) {
    fail += c->res[i].v == V_FAIL;
    notrun += c->res[i].v == V_NOTRUN;
  }
  static const char *const ln[] = { "WIC", "eP-CSCF", "eIMS-AGW", "UE-B" };
  fprintf(fp, "{\"scenario\":");
  json_str(fp, s->scn->name);
  fprintf(fp, ",\"file\":");
  json_str(fp, s->scn->file);
  fprintf(fp, ",\"result\":\"%s\",\"duration_s\":%.3f,\"steps\":[", fail || notrun ? "fail" : "pass",
          secs);
  int64_t t0 = c->t0_us;
  for (size_t i = 0; i < s->scn->nsteps; i++) {
    const struct scn_step *st = &s->scn->steps[i];
    const struct step_result *r = &c->res[i];
    fprintf(fp, "%s{\"line\":%d,\"figure\":", i ? "," : "", st->line);
    json_figs(fp, st->fig);
    fprintf(fp, ",\"role\":\"%s\",\"step\":", scn_role_name(st->role));
    json_str(fp, st->src);
    fprintf(fp, ",\"verdict\":\"%s\"", r->v == V_PASS   ? "pass"
                                       : r->v == V_FAIL ? "fail"
                                       : r->v == V_SKIP ? "skip"
                                                        : "notrun");
    if (r->t_us)
      fprintf(fp, ",\"t_ms\":%.1f", (double)(r->t_us - t0) / 1000.0);
    if (r->msg[0]) {
      fprintf(fp, ",\"message\":");
      json_str(fp, r->msg);
    }
    fputc('}', fp);
  }
  fprintf(fp, "],\"figure\":{");
  for (int n = 1; n <= SCN_MAX_FIG; n++) {
    enum verdict v = fig_verdict(s, c, n);
    fprintf(fp, "%s\"%d\":\"%s\"", n > 1 ? "," : "", n,
            v == V_PASS ? "pass" : v == V_FAIL ? "fail" : v == V_SKIP ? "skip" : "notrun");
  }
  fprintf(fp, "},\"ladder\":[");
  for (size_t i = 0; i < c->nrows; i++) {
    const struct row *r = &c->rows[i];
    fprintf(fp, "%s{\"t_ms\":%.1f,\"from\":\"%s\",\"to\":\"%s\",\"label\":", i ? "," : "",
            (double)(r->t_us - t0) / 1000.0, ln[r->from], ln[r->to]);
    json_str(fp, r->label);
    fprintf(fp, ",\"figure\":");
    json_figs(fp, r->fig);
    fprintf(fp, ",\"traffic\":%s,\"auto\":%s}", r->traffic ? "true" : "false",
            r->auto_ ? "true" : "false");
  }
  fprintf(fp, "]}\n");
}

static void xml_str(FILE *fp, const char *s)
{
  for (; s && *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", fp); break;
    case '>': fputs("&gt;", fp); break;
    case '&': fputs("&amp;", fp); break;
    case '"': fputs("&quot;", fp); break;
    default:
      if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
        fputc(' ', fp);
      else
        fputc(*s, fp);
    }
  }
}

int report_junit(const char *path, struct sim *s, struct call *c, double secs)
{
  FILE *fp = fopen(path, "w");
  if (!fp)
    return -1;
  int fail = 0, skip = 0;
  for (size_t i = 0; i < s->scn->nsteps; i++) {
    fail += c->res[i].v == V_FAIL || c->res[i].v == V_NOTRUN;
    skip += c->res[i].v == V_SKIP;
  }
  fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
  fprintf(fp, "<testsuite name=\"wicsim.");
  xml_str(fp, s->scn->name);
  fprintf(fp, "\" tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
          s->scn->nsteps, fail, skip, secs);
  int64_t prev = c->t0_us;
  for (size_t i = 0; i < s->scn->nsteps; i++) {
    const struct scn_step *st = &s->scn->steps[i];
    const struct step_result *r = &c->res[i];
    char figs[32] = "";
    if (st->fig)
      fig_list(st->fig, figs, sizeof figs);
    double t = r->t_us && r->t_us >= prev ? (double)(r->t_us - prev) / 1e6 : 0;
    if (r->t_us)
      prev = r->t_us;
    /* classname: wicsim.<scenario file name without .scn> */
    const char *base = strrchr(s->scn->file, '/');
    base = base ? base + 1 : s->scn->file;
    size_t bl = strlen(base);
    if (bl > 4 && !strcmp(base + bl - 4, ".scn"))
      bl -= 4;
    char cls[128];
    snprintf(cls, sizeof cls, "%.*s", (int)bl, base);
    for (char *q = cls; *q; q++)
      if (*q == '.')
        *q = '_';
    /* the step as written, spaces squeezed */
    char src[512];
    size_t w = 0;
    for (const char *q = st->src; *q && w < sizeof src - 1; q++) {
      if ((*q == ' ' || *q == '\t') && (w == 0 || src[w - 1] == ' '))
        continue;
      src[w++] = *q == '\t' ? ' ' : *q;
    }
    src[w] = 0;
    fprintf(fp, "  <testcase classname=\"wicsim.");
    xml_str(fp, cls);
    fprintf(fp, "\" name=\"line %d: ", st->line);
    xml_str(fp, src);
    fprintf(fp, "\" time=\"%.3f\">", t);
    if (r->v == V_FAIL || r->v == V_NOTRUN) {
      fprintf(fp, "<failure message=\"");
      xml_str(fp, r->v == V_NOTRUN ? "not run (an earlier step failed)" : r->msg);
      fprintf(fp, "\">");
      xml_str(fp, r->msg);
      fprintf(fp, "</failure>");
    } else if (r->v == V_SKIP) {
      fprintf(fp, "<skipped message=\"");
      xml_str(fp, r->msg);
      fprintf(fp, "\"/>");
    }
    fprintf(fp, "</testcase>\n");
  }
  fprintf(fp, "</testsuite>\n</testsuites>\n");
  return fclose(fp) ? -1 : 0;
}
