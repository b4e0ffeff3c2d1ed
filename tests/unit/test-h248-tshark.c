/* test-h248-tshark.c -- interop check: what our encoder writes (pretty and
 * compact, every example plus built messages) is decoded by Wireshark's
 * MEGACO dissector as the same transactions, with no malformed packet and no
 * expert info above "note" (tshark notes the indentation before a Local's
 * closing brace as an SDP line; that is expected). SKIPs without tshark. */
#include "config.h"
#include "common/common.h"
#include "h248/h248.h"
#include "tests/task.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *n)
{
  FILE *fp = fopen(path, "rb");
  ASSERT_NOT_NULL(fp);
  char *buf = malloc(1 << 16);
  *n = fread(buf, 1, (1 << 16) - 1, fp);
  buf[*n] = '\0';
  fclose(fp);
  return buf;
}

static char *run(const char *cmd)
{
  FILE *fp = popen(cmd, "r");
  ASSERT_NOT_NULL(fp);
  size_t cap = 1 << 20, n = 0, r;
  char *buf = malloc(cap);
  while ((r = fread(buf + n, 1, cap - n - 1, fp)) > 0)
    n += r;
  buf[n] = '\0';
  int st = pclose(fp);
  ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return buf;
}

int main(void)
{
  if (system("tshark --version >/dev/null 2>&1") != 0)
    TEST_SKIP("tshark not installed");
  const char *top = getenv("top_srcdir"), *tmp = getenv("WG_TEST_TMP");
  char dir[1024], pcap[1024];
  snprintf(dir, sizeof dir, "%s/tests/unit/h248-examples", top ? top : "..");
  snprintf(pcap, sizeof pcap, "%s/h248-out.pcap", tmp ? tmp : "/tmp");
  char err[256];
  wg_pcap_t *pc = wg_pcap_open(pcap, err, sizeof err);
  if (!pc)
    TASK_FAIL("pcap: %s", err);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(2944)};
  struct sockaddr_in b = {.sin_family = AF_INET, .sin_port = htons(2944)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  b.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);

  /* expected transaction ids, frame by frame, as tshark prints them */
  char expect[1 << 14];
  size_t elen = 0;
  int frames = 0;
  DIR *dp = opendir(dir);
  ASSERT_NOT_NULL(dp);
  struct dirent *de;
  while ((de = readdir(dp))) {
    size_t l = strlen(de->d_name);
    if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0)
      continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t n;
    char *text = slurp(path, &n);
    h248_msg_t *m = NULL;
    ASSERT_EQ(h248_decode(text, n, &m, NULL), 0);
    for (int k = 0; k < 2; k++) {
      h248_buf_t buf = {0};
      ASSERT_EQ(h248_encode(m, k ? H248_ENC_COMPACT : H248_ENC_PRETTY, &buf), 0);
      wg_pcap_udp(pc, (struct sockaddr *)&a, (struct sockaddr *)&b, buf.data, buf.len);
      h248_buf_free(&buf);
      frames++;
      /* tshark shows one transid per transaction (acks: the first id) */
      elen += (size_t)snprintf(expect + elen, sizeof expect - elen, "%d:", frames);
      for (const h248_trans_t *t = m->trans; t; t = t->next)
        elen += (size_t)snprintf(expect + elen, sizeof expect - elen, "%s%u",
                                 t == m->trans ? "" : ",",
                                 (unsigned)(t->type == H248_TRANS_ACK ? t->acks[0].first : t->id));
      elen += (size_t)snprintf(expect + elen, sizeof expect - elen, "\n");
    }
    h248_msg_free(m);
    free(text);
  }
  closedir(dp);
  wg_pcap_close(pc);
  ASSERT_GE(frames, 30);

  char cmd[2048];
  /* every frame is MEGACO */
  snprintf(cmd, sizeof cmd, "tshark -n -r '%s' -Y megaco 2>/dev/null | wc -l", pcap);
  char *out = run(cmd);
  ASSERT_EQ(atoi(out), frames);
  free(out);
  /* no expert info above "note" (a malformed packet is an error) */
  snprintf(cmd, sizeof cmd,
           "tshark -n -r '%s' -T fields -E occurrence=a -E aggregator=, "
           "-e frame.number -e _ws.expert.severity 2>/dev/null",
           pcap);
  out = run(cmd);
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
    char *sev = strchr(line, '\t');
    for (char *p = sev; p && *p;) {
      long v = strtol(p + 1, &p, 10);
      if (v > 0x400000) /* PI_NOTE */
        TASK_FAIL("tshark reports severity 0x%lx in frame %s", v, line);
      if (*p != ',')
        break;
    }
  }
  free(out);
  /* the transaction ids tshark reads are ours, frame by frame */
  snprintf(cmd, sizeof cmd,
           "tshark -n -r '%s' -T fields -E occurrence=a -E aggregator=, -e frame.number "
           "-e megaco.transid 2>/dev/null | tr '\\t' ':'",
           pcap);
  out = run(cmd);
  if (strcmp(out, expect) != 0)
    TASK_FAIL("transaction ids differ:\n--- tshark\n%s--- expected\n%s", out, expect);
  free(out);
  printf("ok - %d frames decoded by tshark\n", frames);
  return 0;
}
