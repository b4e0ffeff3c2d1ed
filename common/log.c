/* log.c -- leveled, call-scoped logging to stderr or a file (thread-safe). */
#include "config.h"
#include "common/common.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/time.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;          /* NULL = stderr */
static char *log_path;
static volatile int log_level = WG_LOG_NOTICE;

static const char *const level_names[] = { "error", "warn", "notice", "info", "debug" };

const char *wg_log_level_name(enum wg_log_level level)
{
  return (unsigned)level <= WG_LOG_DEBUG ? level_names[level] : "?";
}

int wg_log_level_parse(const char *name)
{
  if (!name || !*name)
    return -EINVAL;
  for (int i = 0; i <= WG_LOG_DEBUG; i++)
    if (strcasecmp(name, level_names[i]) == 0)
      return i;
  if (strcasecmp(name, "warning") == 0)
    return WG_LOG_WARN;
  if (name[0] >= '0' && name[0] <= '4' && name[1] == '\0')
    return name[0] - '0';
  return -EINVAL;
}

void wg_log_set_level(enum wg_log_level level) { log_level = (int)level; }
enum wg_log_level wg_log_get_level(void) { return (enum wg_log_level)log_level; }

int wg_log_open(const char *path)
{
  FILE *fp = NULL;
  char *copy = NULL;
  if (path && strcmp(path, "-") != 0) {
    fp = fopen(path, "a");
    if (!fp)
      return -errno;
    setvbuf(fp, NULL, _IOLBF, 0);
    copy = strdup(path);
  }
  pthread_mutex_lock(&log_mu);
  if (log_fp)
    fclose(log_fp);
  free(log_path);
  log_fp = fp;
  log_path = copy;
  pthread_mutex_unlock(&log_mu);
  return 0;
}

int wg_log_reopen(void)
{
  int rc = 0;
  pthread_mutex_lock(&log_mu);
  if (log_path) {
    FILE *fp = fopen(log_path, "a");
    if (fp) {
      setvbuf(fp, NULL, _IOLBF, 0);
      fclose(log_fp);
      log_fp = fp;
    } else {
      rc = -errno;
    }
  }
  pthread_mutex_unlock(&log_mu);
  return rc;
}

void wg_log_close(void)
{
  pthread_mutex_lock(&log_mu);
  if (log_fp)
    fclose(log_fp);
  log_fp = NULL;
  free(log_path);
  log_path = NULL;
  pthread_mutex_unlock(&log_mu);
}

void wg_vlog(enum wg_log_level level, const char *component, const wg_log_ctx_t *ctx,
             const char *fmt, va_list ap)
{
  if (!WG_LOG_ENABLED(level))
    return;
  char line[2048];
  size_t n = 0;
  struct timeval tv;
  struct tm tm;
  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  n += strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ %-6s %-6s", (long)(tv.tv_usec / 1000),
                        wg_log_level_name(level), component ? component : "-");
  if (ctx && ((ctx->call_id && *ctx->call_id) || ctx->context_id || ctx->step > 0)) {
    n += (size_t)snprintf(line + n, sizeof line - n, " [");
    const char *sep = "";
    if (ctx->call_id && *ctx->call_id) {
      n += (size_t)snprintf(line + n, sizeof line - n, "call=%s", ctx->call_id);
      sep = " ";
    }
    if (n < sizeof line && ctx->context_id) {
      n += (size_t)snprintf(line + n, sizeof line - n, "%sctx=%u", sep, (unsigned)ctx->context_id);
      sep = " ";
    }
    if (n < sizeof line && ctx->step > 0)
      n += (size_t)snprintf(line + n, sizeof line - n, "%sstep=%d", sep, ctx->step);
    if (n < sizeof line)
      n += (size_t)snprintf(line + n, sizeof line - n, "]");
  }
  if (n < sizeof line - 1) {
    line[n++] = ' ';
    int k = vsnprintf(line + n, sizeof line - n, fmt, ap);
    if (k > 0)
      n += (size_t)k;
  }
  if (n > sizeof line - 2)
    n = sizeof line - 2;
  line[n++] = '\n';
  line[n] = '\0';
  pthread_mutex_lock(&log_mu);
  fputs(line, log_fp ? log_fp : stderr);
  pthread_mutex_unlock(&log_mu);
}

void wg_log(enum wg_log_level level, const char *component, const wg_log_ctx_t *ctx,
            const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  wg_vlog(level, component, ctx, fmt, ap);
  va_end(ap);
}

int64_t wg_time_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t wg_mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
