/* common.h -- the one public header of libwgcommon: logging, the config
 * reader, and the pcap + DTLS key-log writers shared by wicgated and wicsim.
 *
 * Conventions (as in libuv): functions that can fail return int, 0 on
 * success and a negative errno-style value on failure; an error text, when
 * asked for, is written into a caller-supplied buffer and names the problem
 * (file, line, key) so that a person can fix it. Every function here is
 * thread-safe unless said otherwise: the ALG and AGW threads log and write
 * captures at the same time.
 */
#ifndef WG_COMMON_H
#define WG_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/socket.h>

/* ---------------------------------------------------------------- logging */

enum wg_log_level {
  WG_LOG_ERROR = 0,
  WG_LOG_WARN = 1,
  WG_LOG_NOTICE = 2,
  WG_LOG_INFO = 3,
  WG_LOG_DEBUG = 4,
};

/* What a log line is about. Any field may be empty (NULL / 0 / -1):
 * call_id: the SIP Call-ID; context_id: the H.248 context (0 = none);
 * step: the figure 6.2.10.x.2.1 step number (1..18, -1 = none). */
typedef struct wg_log_ctx {
  const char *call_id;
  uint32_t context_id;
  int step;
} wg_log_ctx_t;

/* Send log lines to `path` (appended; created 0640), or to stderr when path is
 * NULL or "-". Returns 0 or -errno; on failure the previous target stays. */
int wg_log_open(const char *path);
/* Reopen the current log file (for SIGHUP after log rotation). Async-signal
 * unsafe: call it from a loop, not from the handler. */
int wg_log_reopen(void);
void wg_log_close(void);
void wg_log_set_level(enum wg_log_level level);
enum wg_log_level wg_log_get_level(void);
/* "error" "warn" "notice" "info" "debug" (or 0..4) -> level; -EINVAL else. */
int wg_log_level_parse(const char *name);
const char *wg_log_level_name(enum wg_log_level level);

/* One line: "<UTC time> <LEVEL> <component> [call=<id> ctx=<n> step=<n>] msg".
 * component is a short module name ("alg", "agw", "media", "wicsim"). */
void wg_log(enum wg_log_level level, const char *component, const wg_log_ctx_t *ctx,
            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void wg_vlog(enum wg_log_level level, const char *component, const wg_log_ctx_t *ctx,
             const char *fmt, va_list ap);

#define WG_LOG_ENABLED(lvl) ((int)(lvl) <= (int)wg_log_get_level())

/* ----------------------------------------------------------------- config */

/* The config file format (doc/wicgated.conf.5.md):
 *   # comment            ; comment
 *   [section]
 *   key = value          -> stored as "section.key"
 *   key = "quoted value" (quotes removed; \" and \\ escapes)
 * Keys are case-insensitive ASCII [A-Za-z0-9_.-]. A later setting of the same
 * key replaces an earlier one, so command-line overrides are applied after
 * the file. Not thread-safe: build it before starting threads, then read. */
typedef struct wg_config wg_config_t;

wg_config_t *wg_config_new(void);
void wg_config_free(wg_config_t *cfg);
/* Load a file. On error returns -EINVAL (syntax; err = "FILE:LINE: reason")
 * or -errno (cannot open; err names the file). */
int wg_config_load(wg_config_t *cfg, const char *path, char *err, size_t errlen);
/* Parse a whole buffer as a file would be (name is used in error texts). */
int wg_config_load_string(wg_config_t *cfg, const char *name, const char *text,
                          char *err, size_t errlen);
int wg_config_set(wg_config_t *cfg, const char *key, const char *value);
/* "section.key=value" (from --set). */
int wg_config_set_kv(wg_config_t *cfg, const char *kv, char *err, size_t errlen);
/* NULL when not set and def is NULL. The pointer lives as long as cfg, or
 * until the key is set again. */
const char *wg_config_get(const wg_config_t *cfg, const char *key, const char *def);
/* Integer in [min,max]; -ERANGE / -EINVAL with err naming key and value. */
int wg_config_get_int(const wg_config_t *cfg, const char *key, long def, long min,
                      long max, long *out, char *err, size_t errlen);
/* yes/no/true/false/on/off/1/0. */
int wg_config_get_bool(const wg_config_t *cfg, const char *key, int def, int *out,
                       char *err, size_t errlen);
/* Iterate the keys (0 .. count-1), e.g. to reject unknown ones. */
size_t wg_config_count(const wg_config_t *cfg);
const char *wg_config_key_at(const wg_config_t *cfg, size_t i);
/* Keys that are set but are not in `known` (NULL-terminated): returns the
 * first such key, or NULL when all are known. A known entry ending in ".*"
 * accepts any key with that prefix. */
const char *wg_config_first_unknown(const wg_config_t *cfg, const char *const *known);

/* ------------------------------------------------------------------ pcap */

/* A pcap file (LINKTYPE_RAW: IPv4/IPv6 packets) of what a process sends and
 * receives. UDP datagrams are written as they are; TCP payload is written as
 * segments with per-connection sequence numbers (a SYN first) so Wireshark
 * reassembles MSRP and SIP over TCP. Thread-safe; every packet is flushed.
 * The caller owns the handle and closes it once. */
typedef struct wg_pcap wg_pcap_t;

wg_pcap_t *wg_pcap_open(const char *path, char *err, size_t errlen);
void wg_pcap_close(wg_pcap_t *pc);
/* src/dst are sockaddr_in or sockaddr_in6 of the same family. len may exceed
 * what fits in one IP packet: UDP is clipped at 65507 bytes, TCP split. */
void wg_pcap_udp(wg_pcap_t *pc, const struct sockaddr *src, const struct sockaddr *dst,
                 const void *data, size_t len);
void wg_pcap_tcp(wg_pcap_t *pc, const struct sockaddr *src, const struct sockaddr *dst,
                 const void *data, size_t len);
/* A TCP connection ended (FIN both ways is written). */
void wg_pcap_tcp_close(wg_pcap_t *pc, const struct sockaddr *src, const struct sockaddr *dst);

/* --------------------------------------------------------------- key log */

/* NSS key log file (the format of SSLKEYLOGFILE) for Wireshark to decrypt
 * DTLS. Lines are appended and flushed; thread-safe. */
typedef struct wg_keylog wg_keylog_t;
wg_keylog_t *wg_keylog_open(const char *path, char *err, size_t errlen);
void wg_keylog_write(wg_keylog_t *kl, const char *line);
void wg_keylog_close(wg_keylog_t *kl);

/* ----------------------------------------------------------------- misc */

/* Wall-clock time in microseconds since the epoch; monotonic milliseconds. */
int64_t wg_time_us(void);
uint64_t wg_mono_ms(void);
/* "1.2.3.4:5" / "[::1]:5" -> sockaddr (port required when need_port). */
int wg_parse_hostport(const char *text, int need_port, struct sockaddr_storage *out);
/* sockaddr -> "1.2.3.4:5" or "[::1]:5". Returns buf. */
const char *wg_format_addr(const struct sockaddr *sa, char *buf, size_t len);

#endif /* WG_COMMON_H */
