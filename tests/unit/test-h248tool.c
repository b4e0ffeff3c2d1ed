/* test-h248tool.c -- the h248tool program as a user runs it: parse prints a
 * summary and exits 0, or exits 1 naming the error code and line; print
 * re-encodes pretty or compact, from a file or from stdin. */
#include "config.h"
#include "tests/task.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char tool[1024], ex[1024], bad[1024], tmp[1024];

/* Run cmd through the shell; returns the exit status, output in out (malloc). */
static int run(const char *cmd, char **out)
{
  char full[8300];
  snprintf(full, sizeof full, "%s 2>&1", cmd);
  FILE *fp = popen(full, "r");
  ASSERT_NOT_NULL(fp);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  ASSERT_NOT_NULL(buf);
  size_t r;
  while ((r = fread(buf + n, 1, cap - n - 1, fp)) > 0)
    n += r;
  buf[n] = '\0';
  int st = pclose(fp);
  ASSERT(WIFEXITED(st));
  *out = buf;
  return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
  FILE *fp = fopen(path, "rb");
  ASSERT_NOT_NULL(fp);
  char *buf = malloc(1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, fp);
  buf[n] = '\0';
  fclose(fp);
  return buf;
}

static void test_parse_ok(void)
{
  char cmd[8192], *out;
  snprintf(cmd, sizeof cmd, "'%s' parse '%s/s11_add_T1.txt'", tool, ex);
  ASSERT_EQ(run(cmd, &out), 0);
  ASSERT(strstr(out, "Transaction 10003") != NULL);
  ASSERT(strstr(out, "Context 1001") != NULL);
  ASSERT(strstr(out, "tlsbsc/tlsest") != NULL);
  ASSERT(strstr(out, "sctp/sctpid") != NULL);
  free(out);
  /* several messages in one trace, from stdin */
  snprintf(cmd, sizeof cmd, "cat '%s/s02_add_T2.txt' '%s/p01_pending.txt' '%s/k01_ack.txt' | '%s' parse -",
           ex, ex, ex, tool);
  ASSERT_EQ(run(cmd, &out), 0);
  ASSERT(strstr(out, "Transaction 10001") != NULL);
  ASSERT(strstr(out, "Pending 10003") != NULL);
  ASSERT(strstr(out, "TransactionResponseAck 10001 10002-10003") != NULL);
  free(out);
}

static void test_parse_bad(void)
{
  char cmd[8192], *out;
  snprintf(cmd, sizeof cmd, "'%s' parse '%s/445_bare_property.txt'", tool, bad);
  ASSERT_EQ(run(cmd, &out), 1);
  ASSERT(strstr(out, ":7:") != NULL); /* line 7 */
  ASSERT(strstr(out, "error 445") != NULL);
  ASSERT(strstr(out, "strdeagg") != NULL);
  free(out);
  snprintf(cmd, sizeof cmd, "'%s' parse '%s/413_eleven_transactions.txt'", tool, bad);
  ASSERT_EQ(run(cmd, &out), 1);
  ASSERT(strstr(out, "error 413") != NULL);
  free(out);
  snprintf(cmd, sizeof cmd, "'%s' parse /nonexistent/file", tool);
  ASSERT_EQ(run(cmd, &out), 2);
  free(out);
  snprintf(cmd, sizeof cmd, "'%s' frobnicate x", tool);
  ASSERT_EQ(run(cmd, &out), 2);
  ASSERT(strstr(out, "usage") != NULL);
  free(out);
}

static void test_print(void)
{
  char cmd[8192], *out;
  /* compact output of step 2 is the compact example, byte for byte */
  snprintf(cmd, sizeof cmd, "'%s' print --compact '%s/s02_add_T2.txt' > '%s/out.txt'", tool, ex,
           tmp);
  ASSERT_EQ(run(cmd, &out), 0);
  free(out);
  char p[2048];
  snprintf(p, sizeof p, "%s/out.txt", tmp);
  char *got = slurp(p);
  snprintf(p, sizeof p, "%s/c01_compact_add.txt", ex);
  char *want = slurp(p);
  ASSERT_STR_EQ(got, want);
  free(got);
  free(want);
  /* pretty output of the compact example is the long example */
  snprintf(cmd, sizeof cmd, "'%s' print --pretty - < '%s/c01_compact_add.txt' > '%s/out.txt'",
           tool, ex, tmp);
  ASSERT_EQ(run(cmd, &out), 0);
  free(out);
  snprintf(p, sizeof p, "%s/out.txt", tmp);
  got = slurp(p);
  snprintf(p, sizeof p, "%s/s02_add_T2.txt", ex);
  want = slurp(p);
  ASSERT_STR_EQ(got, want);
  free(got);
  free(want);
  /* and the pretty output parses again */
  snprintf(cmd, sizeof cmd, "'%s' parse '%s/out.txt'", tool, tmp);
  ASSERT_EQ(run(cmd, &out), 0);
  free(out);
}

/* h248tool send against a peer played by this test on a loopback UDP
 * socket: the request arrives as written, the reply is printed; an Error in
 * the reply exits 1; nobody answering exits 2 after --timeout. */
static int send_once(int sfd, const char *reply_body, char **out)
{
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  ASSERT_EQ(getsockname(sfd, (struct sockaddr *)&a, &al), 0);
  char req[1100], cmd[4096];
  snprintf(req, sizeof req, "%s/send-req.txt", tmp);
  FILE *fp = fopen(req, "w");
  ASSERT_NOT_NULL(fp);
  fputs("MEGACO/3 [127.0.0.1]:9\nTransaction = 77 { Context = * { AuditValue = ROOT } }\n",
        fp);
  fclose(fp);
  snprintf(cmd, sizeof cmd, "'%s' send 127.0.0.1:%u '%s' >'%s/send-out.txt' 2>&1", tool,
           ntohs(a.sin_port), req, tmp);
  pid_t pid = fork();
  ASSERT(pid >= 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  struct pollfd pf = {.fd = sfd, .events = POLLIN};
  ASSERT_EQ(poll(&pf, 1, 10000), 1);
  char buf[4096];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  ssize_t r = recvfrom(sfd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
  ASSERT_GT(r, 0);
  buf[r] = '\0';
  ASSERT_NOT_NULL(strstr(buf, "Transaction = 77"));
  ASSERT_NOT_NULL(strstr(buf, "AuditValue = ROOT"));
  char rep[1024];
  int n = snprintf(rep, sizeof rep, "MEGACO/3 [127.0.0.1]:%u\r\nReply = 77 { %s }\r\n",
                   ntohs(a.sin_port), reply_body);
  ASSERT_EQ(sendto(sfd, rep, (size_t)n, 0, (struct sockaddr *)&from, fl), n);
  int st;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT(WIFEXITED(st));
  char path[1100];
  snprintf(path, sizeof path, "%s/send-out.txt", tmp);
  *out = slurp(path);
  return WEXITSTATUS(st);
}

static void test_send(void)
{
  int sfd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT(sfd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ASSERT_EQ(bind(sfd, (struct sockaddr *)&a, sizeof a), 0);
  char *out;
  ASSERT_EQ(send_once(sfd, "Context = 1001 { AuditValue = ROOT }, "
                           "Context = 1002 { AuditValue = ROOT }", &out), 0);
  ASSERT_NOT_NULL(strstr(out, "Reply = 77"));
  ASSERT_NOT_NULL(strstr(out, "Context = 1001"));
  ASSERT_NOT_NULL(strstr(out, "Context = 1002"));
  free(out);
  ASSERT_EQ(send_once(sfd, "Context = - { Error = 504 { \"Command received from unauthorized "
                           "entity\" } }", &out), 1);
  ASSERT_NOT_NULL(strstr(out, "504"));
  free(out);
  /* a closed port: no reply within the timeout, exit 2 naming it */
  socklen_t al = sizeof a;
  ASSERT_EQ(getsockname(sfd, (struct sockaddr *)&a, &al), 0);
  close(sfd);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "'%s' send --timeout 300 127.0.0.1:%u '%s/send-req.txt'", tool,
           ntohs(a.sin_port), tmp);
  ASSERT_EQ(run(cmd, &out), 2);
  ASSERT_NOT_NULL(strstr(out, "no reply"));
  free(out);
  /* usage errors name the problem */
  snprintf(cmd, sizeof cmd, "'%s' send nohost '%s/send-req.txt'", tool, tmp);
  ASSERT_EQ(run(cmd, &out), 2);
  ASSERT_NOT_NULL(strstr(out, "HOST:PORT"));
  free(out);
  snprintf(cmd, sizeof cmd, "'%s' send 127.0.0.1:9 '%s/s13_reply_T1.txt'", tool, ex);
  ASSERT_EQ(run(cmd, &out), 2);
  ASSERT_NOT_NULL(strstr(out, "request"));
  free(out);
}

int main(void)
{
  const char *top = getenv("top_srcdir"), *build = getenv("top_builddir");
  const char *t = getenv("WG_TEST_TMP");
  snprintf(tool, sizeof tool, "%s/h248tool", build ? build : ".");
  snprintf(ex, sizeof ex, "%s/tests/unit/h248-examples", top ? top : "..");
  snprintf(bad, sizeof bad, "%s/tests/unit/h248-bad", top ? top : "..");
  snprintf(tmp, sizeof tmp, "%s", t ? t : "/tmp");
  ASSERT_EQ(access(tool, X_OK), 0);
  TEST_RUN(test_parse_ok);
  TEST_RUN(test_parse_bad);
  TEST_RUN(test_print);
  TEST_RUN(test_send);
  return 0;
}
