/* bench-h248.c -- codec throughput: decode, and decode + encode (pretty and
 * compact) of every H.248 message of a corpus, repeated; prints messages per
 * CPU second of each.
 *
 *   bench-h248 [DIR] [SECONDS]          every *.txt of DIR (default
 *                                       $top_srcdir/tests/unit/h248-examples)
 *   bench-h248 -t SECONDS PATH...       each PATH a message file or a folder
 *                                       of *.txt (bench/p6-h248 uses this form)
 *   bench-h248 -n ROUNDS PATH...        exactly ROUNDS passes over the corpus
 *                                       per mode: for valgrind --tool=callgrind,
 *                                       whose instruction counts then repeat
 *
 * Files that are not H.248 (the MSRP examples) and files whose content is
 * already in the corpus are skipped, so each distinct message counts once.
 * Output, one line per mode (bench/p6-h248 reads it):
 *   decode                  NNN msg/s  ...
 *   decode+encode pretty    NNN msg/s  ...
 *   decode+encode compact   NNN msg/s  ...
 */
#include "config.h"
#include "h248/h248.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAXMSG 512

static char *msgs[MAXMSG];
static size_t lens[MAXMSG], nmsg, bytes;

/* CPU time of this process: on a shared machine, the time another process
 * holds the core is not counted (bench/p6-h248 compares with megaco's CPU
 * time the same way). */
static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_file(const char *path)
{
  if (nmsg >= MAXMSG)
    return;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    perror(path);
    return;
  }
  char *m = malloc(65536);
  if (!m) {
    fclose(fp);
    return;
  }
  size_t l = fread(m, 1, 65535, fp);
  fclose(fp);
  for (size_t i = 0; i < nmsg; i++)
    if (lens[i] == l && memcmp(msgs[i], m, l) == 0) {
      free(m); /* the same message from another folder */
      return;
    }
  h248_msg_t *d = NULL;
  if (h248_decode(m, l, &d, NULL) != 0) {
    free(m); /* not H.248 (e.g. MSRP) */
    return;
  }
  h248_msg_free(d);
  msgs[nmsg] = m;
  lens[nmsg++] = l;
  bytes += l;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(const char *path)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    add_file(path);
    return;
  }
  DIR *dp = opendir(path);
  if (!dp) {
    perror(path);
    return;
  }
  char *names[MAXMSG];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(dp)) && n < MAXMSG) {
    size_t l = strlen(de->d_name);
    if (l >= 5 && strcmp(de->d_name + l - 4, ".txt") == 0)
      names[n++] = strdup(de->d_name);
  }
  closedir(dp);
  qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    char file[4096];
    snprintf(file, sizeof file, "%s/%s", path, names[i]);
    add_file(file);
    free(names[i]);
  }
}

int main(int argc, char **argv)
{
  double secs = 2.0;
  long rounds = 0;
  if (argc > 2 && (strcmp(argv[1], "-t") == 0 || strcmp(argv[1], "-n") == 0)) {
    if (argv[1][1] == 'n')
      rounds = atol(argv[2]);
    else
      secs = atof(argv[2]);
    for (int i = 3; i < argc; i++)
      add_path(argv[i]);
  } else {
    char dir[1024];
    const char *top = getenv("top_srcdir");
    if (argc > 1)
      snprintf(dir, sizeof dir, "%s", argv[1]);
    else
      snprintf(dir, sizeof dir, "%s/tests/unit/h248-examples", top ? top : ".");
    if (argc > 2)
      secs = atof(argv[2]);
    add_path(dir);
  }
  if (nmsg == 0) {
    fprintf(stderr, "bench-h248: no H.248 messages found\n");
    return 1;
  }
  const char *mode[] = {"decode", "decode+encode pretty", "decode+encode compact"};
  for (int k = 0; k < 3; k++) {
    unsigned long long count = 0;
    long round = 0;
    double t0 = now_s(), t;
    h248_buf_t b = {0};
    do {
      for (size_t i = 0; i < nmsg; i++) {
        h248_msg_t *m = NULL;
        if (h248_decode(msgs[i], lens[i], &m, NULL) != 0)
          return 1;
        if (k > 0) {
          b.len = 0;
          if (h248_encode(m, k == 2 ? H248_ENC_COMPACT : H248_ENC_PRETTY, &b) != 0)
            return 1;
        }
        h248_msg_free(m);
      }
      count += nmsg;
      t = now_s() - t0;
    } while (rounds > 0 ? ++round < rounds : t < secs);
    h248_buf_free(&b);
    printf("%-24s %10.0f msg/s  %8.1f MB/s  (%zu messages, avg %zu bytes)\n", mode[k],
           (double)count / t, (double)count * ((double)bytes / (double)nmsg) / t / 1e6, nmsg,
           bytes / nmsg);
  }
  for (size_t i = 0; i < nmsg; i++)
    free(msgs[i]);
  return 0;
}
