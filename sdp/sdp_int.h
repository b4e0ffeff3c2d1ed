/* sdp_int.h -- private helpers shared by the sdp/ sources. Not installed,
 * not for other folders: use sdp_dc.h. */
#ifndef WG_SDP_INT_H
#define WG_SDP_INT_H

#include "sdp/sdp_dc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>

/* Fill err (if not NULL) and return rc (a negative errno). */
int sdpdc__fail(sdpdc_error_t *err, int rc, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define SDPDC_NOMEM(err) sdpdc__fail((err), -ENOMEM, SDPDC_E_NOMEM, "out of memory")

/* A growable text buffer allocated in a home. On allocation failure `oom`
 * is set and further appends do nothing. */
typedef struct sdpdc__buf {
  su_home_t *home;
  char *s;
  size_t len, cap;
  bool oom;
} sdpdc__buf_t;

void sdpdc__buf_init(sdpdc__buf_t *b, su_home_t *home);
void sdpdc__buf_add(sdpdc__buf_t *b, const char *s, size_t n);
void sdpdc__buf_puts(sdpdc__buf_t *b, const char *s);
void sdpdc__buf_printf(sdpdc__buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Case-insensitive equality of NUL-terminated strings. */
bool sdpdc__ieq(const char *a, const char *b);

/* A growable array of T in a home; returns the new element (zeroed) or NULL. */
void *sdpdc__grow(su_home_t *home, void **arr, size_t *n, size_t elem);

/* Parse a decimal unsigned integer of the whole string s (no sign, no
 * spaces, at most 20 digits) into *v; false if not. */
bool sdpdc__u64(const char *s, uint64_t *v);

/* Print the attributes of one media line (everything after m= and c=) in
 * the canonical order; `dollar` honours the choose bits (fragments). */
void sdpdc__print_media_attrs(sdpdc__buf_t *b, const sdpdc_media_t *m, bool dollar);

/* Is the name one the model decodes into fields (so that printing the
 * fields and the raw attrs would duplicate it)? */
bool sdpdc__known_attr(const sdpdc_media_t *m, const char *name);

/* Validate (and decode) a fingerprint value "hash HEX:HEX..." (shared by
 * parse and the builders). */
int sdpdc__fingerprint(su_home_t *home, const char *value, sdpdc_fingerprint_t *fp,
                       sdpdc_error_t *err);

#endif /* WG_SDP_INT_H */
