/* h248_int.h -- private to libwgh248: token table, arena, shared scanners. */
#ifndef WG_H248_INT_H
#define WG_H248_INT_H

#include "h248/h248.h"

#include <string.h>

/* Tokens of Annex B.2 that the codec knows (long and compact spelling). */
enum h248_tok {
  TK_NONE = 0,
  TK_ADD, TK_AUDIT, TK_AUDITCAP, TK_AUDITVALUE, TK_AUTH, TK_BRIEF, TK_BUFFER,
  TK_CONTEXT, TK_CONTEXTAUDIT, TK_CONTEXTATTR, TK_DIGITMAP, TK_DISCONNECTED, TK_DELAY,
  TK_DURATION, TK_EMBED, TK_EMERGENCY, TK_EMERGENCYOFF, TK_ERROR, TK_EVENTBUFFER,
  TK_EVENTS, TK_FAILOVER, TK_FORCED, TK_GRACEFUL, TK_HANDOFF, TK_IEPS, TK_IMMACK,
  TK_INACTIVE, TK_INSERVICE, TK_INTBYEVENT, TK_INTBYSIGDESCR, TK_ITERATION,
  TK_KEEPACTIVE, TK_LOCAL, TK_LOCALCONTROL, TK_LOCKSTEP, TK_LOOPBACK, TK_MEDIA,
  TK_MEGACO, TK_METHOD, TK_MGCIDTOTRY, TK_MODE, TK_MODIFY, TK_MODEM, TK_MOVE, TK_MTP,
  TK_MUX, TK_NOTIFY, TK_NOTIFYCOMPLETION, TK_OBSERVEDEVENTS, TK_OFF, TK_ON, TK_ONOFF,
  TK_OTHERREASON, TK_OUTOFSERVICE, TK_PACKAGES, TK_PENDING, TK_PRIORITY, TK_PROFILE,
  TK_REASON, TK_RECVONLY, TK_REPLY, TK_REMOTE, TK_RESERVEDGROUP, TK_RESERVEDVALUE,
  TK_RESPONSEACK, TK_RESTART, TK_SEGMENTREPLY, TK_SENDONLY, TK_SENDRECV, TK_SERVICES,
  TK_SERVICESTATES, TK_SERVICECHANGE, TK_SCADDRESS, TK_SIGNALLIST, TK_SIGNALS,
  TK_SIGNALTYPE, TK_STATISTICS, TK_STREAM, TK_SUBTRACT, TK_TERMSTATE, TK_TEST,
  TK_TIMEOUT, TK_TOPOLOGY, TK_TRANSACTION, TK_VERSION,
  TK_COUNT_
};

/* Token id of text[0..n) (case-insensitive, long or compact), or TK_NONE. */
int h248__tok(const char *text, size_t n);
/* The same with the hash of text[0..n) already made by h248__tok_step()
 * over each octet, from h = 0 (the decoder hashes while it scans a word). */
int h248__tok_hashed(const char *text, size_t n, uint32_t h);
extern const unsigned char h248__upcase[256];
static inline uint32_t h248__tok_step(uint32_t h, unsigned char c)
{
  return h * 41 + h248__upcase[c];
}
#define H248__TOK_SLOT(h) (((h) ^ ((h) >> 5)) & 511)
const char *h248__tok_long(int tk);
const char *h248__tok_short(int tk);
/* Spellings in enum order: h248__toks[tk - 1].tk == tk. */
struct h248__tokname {
  int tk;
  const char *lng, *shrt;
  unsigned char nlng, nshrt;
};
extern const struct h248__tokname h248__toks[];
const char *h248__tok_spell_slow(int tk, int compact, size_t *len);
/* the compact or long spelling and its length */
static inline const char *h248__tok_spell(int tk, int compact, size_t *len)
{
  if (tk >= 1 && tk < TK_COUNT_ && h248__toks[tk - 1].tk == tk) {
    const struct h248__tokname *t = &h248__toks[tk - 1];
    *len = compact ? t->nshrt : t->nlng;
    return compact ? t->shrt : t->lng;
  }
  return h248__tok_spell_slow(tk, compact, len);
}

/* Arena: chunks freed together. The first chunk comes in the arena's own
 * allocation (one malloc per message); allocation is inline while the head
 * chunk has room. */
typedef struct h248__chunk {
  struct h248__chunk *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
} h248__chunk_t;
typedef struct h248__arena {
  h248__chunk_t *head;
} h248__arena_t;
h248__arena_t *h248__arena_new(void);
/* with a first chunk of about `first` bytes (256..4000, else 4000) */
h248__arena_t *h248__arena_new_sized(size_t first);
/* h248_msg_new() with such an arena (the decoder sizes it by the input, so
 * that a small message costs one small malloc) */
h248_msg_t *h248__msg_new_sized(size_t first);
void h248__arena_free(h248__arena_t *a);
void *h248__arena_alloc_slow(h248__arena_t *a, size_t size); /* a new chunk */

/* size bytes, 16-aligned, not zeroed (strings) */
static inline void *h248__arena_raw(h248__arena_t *a, size_t size)
{
  size = (size + 15) & ~(size_t)15;
  if (size == 0)
    size = 16;
  h248__chunk_t *c = a->head;
  if (__builtin_expect(c && c->size - c->used >= size, 1)) {
    void *p = c->data + c->used;
    c->used += size;
    return p;
  }
  return h248__arena_alloc_slow(a, size);
}

/* size bytes, zeroed, 16-aligned */
static inline void *h248__arena_alloc(h248__arena_t *a, size_t size)
{
  void *p = h248__arena_raw(a, size);
  if (p)
    memset(p, 0, size);
  return p;
}

/* Scan a mId at text[0..n): returns the number of bytes it spans (> 0) and
 * fills *mid (strings allocated in msg when msg is non-NULL), or 0 when the
 * text does not start with a valid mId. */
size_t h248__scan_mid(const char *text, size_t n, h248_msg_t *msg, h248_mid_t *mid);
/* inet_pton(AF_INET, text[0..n)) == 1: a dotted quad, no leading zeros */
int h248__is_ip4(const char *text, size_t n);

/* Character classes of Annex B, ASCII whatever the locale (the grammar's
 * ALPHA / DIGIT): one table, inline, because the decoder asks for every
 * octet of a message. */
enum {
  H248__C_ALNUM = 1,   /* ALPHA / DIGIT */
  H248__C_NAME = 2,    /* ALPHA / DIGIT / "_" / "/" / "*" (pkgdName, tokens) */
  H248__C_TID = 4,     /* characters of a termination id / device name */
  H248__C_SAFE = 8,    /* SafeChar */
  H248__C_QCHAR = 16,  /* inside a quotedString */
  H248__C_DIGIT = 32,
  H248__C_ALPHA = 64,
  H248__C_TIDEND = 128 /* may follow a termination id: NUL and " \t\r\n;{},]" */
};
extern const unsigned char h248__cls[256];
#define H248__IS(c, cl) ((h248__cls[(unsigned char)(c)] & (cl)) != 0)
static inline int h248__is_safe(int c) { return H248__IS(c, H248__C_SAFE); }
static inline int h248__is_alnum(int c) { return H248__IS(c, H248__C_ALNUM); }
static inline int h248__is_name(int c) { return H248__IS(c, H248__C_NAME); }
static inline int h248__is_tidchar(int c) { return H248__IS(c, H248__C_TID); }
static inline int h248__is_qchar(int c) { return H248__IS(c, H248__C_QCHAR); }

/* Validation used by the encoder. */
int h248__valid_pkgd(const char *s);   /* pkg/item, pkg/ *, * / * */
int h248__valid_pname(const char *s);  /* a parameter name (NAME or pkgdName) */
int h248__valid_tid(const char *s);
int h248__valid_timestamp(const char *s);

#endif /* WG_H248_INT_H */
