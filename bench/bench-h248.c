/* bench-h248.c -- codec throughput: decode + encode (pretty and compact) of
 * every H.248 example message, repeated; prints messages per second.
 *
 *   bench-h248 [DIR] [SECONDS]     DIR defaults to $top_srcdir/tests/unit/h248-examples
 */
#include "config.h"
#include "h248/h248.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
  char dir[1024];
  const char *top = getenv("top_srcdir");
  if (argc > 1)
    snprintf(dir, sizeof dir, "%s", argv[1]);
  else
    snprintf(dir, sizeof dir, "%s/tests/unit/h248-examples", top ? top : ".");
  double secs = argc > 2 ? atof(argv[2]) : 2.0;
  DIR *dp = opendir(dir);
  if (!dp) {
    perror(dir);
    return 1;
  }
  char *msgs[256];
  size_t lens[256], n = 0, bytes = 0;
  struct dirent *de;
  while ((de = readdir(dp)) && n < 256) {
    size_t l = strlen(de->d_name);
    if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0)
      continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
      continue;
    msgs[n] = malloc(65536);
    lens[n] = fread(msgs[n], 1, 65535, fp);
    fclose(fp);
    h248_msg_t *m = NULL;
    if (h248_decode(msgs[n], lens[n], &m, NULL) != 0) {
      free(msgs[n]);
      continue; /* not H.248 (e.g. MSRP) */
    }
    h248_msg_free(m);
    bytes += lens[n];
    n++;
  }
  closedir(dp);
  if (n == 0) {
    fprintf(stderr, "no H.248 messages in %s\n", dir);
    return 1;
  }
  const char *mode[] = {"decode", "decode+encode pretty", "decode+encode compact"};
  for (int k = 0; k < 3; k++) {
    unsigned long long count = 0;
    double t0 = now_s(), t;
    h248_buf_t b = {0};
    do {
      for (size_t i = 0; i < n; i++) {
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
      count += n;
      t = now_s() - t0;
    } while (t < secs);
    h248_buf_free(&b);
    printf("%-24s %10.0f msg/s  %8.1f MB/s  (%zu messages, avg %zu bytes)\n", mode[k],
           (double)count / t, (double)count * ((double)bytes / (double)n) / t / 1e6, n,
           bytes / n);
  }
  for (size_t i = 0; i < n; i++)
    free(msgs[i]);
  return 0;
}
