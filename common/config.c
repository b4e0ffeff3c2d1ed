/* config.c -- the wicgated/wicsim config file reader ("[section] key = value"). */
#include "config.h"
#include "common/common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct wg_kv {
  char *key;
  char *value;
};

struct wg_config {
  struct wg_kv *kv;
  size_t n, cap;
};

wg_config_t *wg_config_new(void) { return calloc(1, sizeof(wg_config_t)); }

void wg_config_free(wg_config_t *cfg)
{
  if (!cfg)
    return;
  for (size_t i = 0; i < cfg->n; i++) {
    free(cfg->kv[i].key);
    free(cfg->kv[i].value);
  }
  free(cfg->kv);
  free(cfg);
}

static int key_ok(const char *k)
{
  if (!*k)
    return 0;
  for (; *k; k++)
    if (!isalnum((unsigned char)*k) && *k != '_' && *k != '.' && *k != '-')
      return 0;
  return 1;
}

int wg_config_set(wg_config_t *cfg, const char *key, const char *value)
{
  if (!cfg || !key || !value || !key_ok(key))
    return -EINVAL;
  for (size_t i = 0; i < cfg->n; i++) {
    if (strcasecmp(cfg->kv[i].key, key) == 0) {
      char *v = strdup(value);
      if (!v)
        return -ENOMEM;
      free(cfg->kv[i].value);
      cfg->kv[i].value = v;
      return 0;
    }
  }
  if (cfg->n == cfg->cap) {
    size_t cap = cfg->cap ? cfg->cap * 2 : 16;
    struct wg_kv *kv = realloc(cfg->kv, cap * sizeof *kv);
    if (!kv)
      return -ENOMEM;
    cfg->kv = kv;
    cfg->cap = cap;
  }
  char *k = strdup(key), *v = strdup(value);
  if (!k || !v) {
    free(k);
    free(v);
    return -ENOMEM;
  }
  for (char *p = k; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  cfg->kv[cfg->n].key = k;
  cfg->kv[cfg->n].value = v;
  cfg->n++;
  return 0;
}

static char *trim(char *s)
{
  while (isspace((unsigned char)*s))
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = '\0';
  return s;
}

/* Parse a value: quoted (with \" \\ escapes) or bare up to a comment. */
static int parse_value(char *v, char **out)
{
  v = trim(v);
  if (*v == '"') {
    char *w = v, *r = v + 1;
    while (*r && *r != '"') {
      if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
        r++;
      *w++ = *r++;
    }
    if (*r != '"')
      return -1;
    char *rest = trim(r + 1);
    if (*rest && *rest != '#' && *rest != ';')
      return -1;
    *w = '\0';
    *out = v;
    return 0;
  }
  for (char *p = v; *p; p++) {
    if ((*p == '#' || *p == ';') && (p == v || isspace((unsigned char)p[-1]))) {
      *p = '\0';
      break;
    }
  }
  *out = trim(v);
  return 0;
}

int wg_config_load_string(wg_config_t *cfg, const char *name, const char *text, char *err,
                          size_t errlen)
{
  char section[128] = "";
  int lineno = 0;
  const char *p = text;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    char *line = strndup(p, len);
    if (!line)
      return -ENOMEM;
    p += len + (eol ? 1 : 0);
    lineno++;
    char *s = trim(line);
    int rc = 0;
    const char *why = NULL;
    if (*s == '\0' || *s == '#' || *s == ';') {
      /* blank or comment */
    } else if (*s == '[') {
      char *e = strchr(s, ']');
      if (!e || *trim(e + 1)) {
        why = "section header must be \"[name]\"";
      } else {
        *e = '\0';
        char *sec = trim(s + 1);
        if (!key_ok(sec) || strlen(sec) >= sizeof section)
          why = "bad section name";
        else
          snprintf(section, sizeof section, "%s", sec);
      }
    } else {
      char *eq = strchr(s, '=');
      if (!eq) {
        why = "expected \"key = value\"";
      } else {
        *eq = '\0';
        char *k = trim(s), *v;
        if (!key_ok(k))
          why = "bad key name (letters, digits, '_', '-', '.')";
        else if (parse_value(eq + 1, &v) != 0)
          why = "unterminated or malformed quoted value";
        else {
          char full[300];
          snprintf(full, sizeof full, "%s%s%s", section, *section ? "." : "", k);
          rc = wg_config_set(cfg, full, v);
        }
      }
    }
    free(line);
    if (why) {
      if (err)
        snprintf(err, errlen, "%s:%d: %s", name, lineno, why);
      return -EINVAL;
    }
    if (rc)
      return rc;
  }
  return 0;
}

int wg_config_load(wg_config_t *cfg, const char *path, char *err, size_t errlen)
{
  FILE *fp = fopen(path, "r");
  if (!fp) {
    int e = errno;
    if (err)
      snprintf(err, errlen, "%s: cannot open config file: %s", path, strerror(e));
    return -e;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t k;
  while (buf && (k = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
    n += k;
    if (n + 1 == cap) {
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
  fclose(fp);
  if (!buf)
    return -ENOMEM;
  buf[n] = '\0';
  int rc = wg_config_load_string(cfg, path, buf, err, errlen);
  free(buf);
  return rc;
}

int wg_config_set_kv(wg_config_t *cfg, const char *kv, char *err, size_t errlen)
{
  const char *eq = kv ? strchr(kv, '=') : NULL;
  if (!eq || eq == kv) {
    if (err)
      snprintf(err, errlen, "--set wants SECTION.KEY=VALUE, got \"%s\"", kv ? kv : "");
    return -EINVAL;
  }
  char key[300];
  snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
  int rc = wg_config_set(cfg, key, eq + 1);
  if (rc == -EINVAL && err)
    snprintf(err, errlen, "--set: bad key name \"%s\"", key);
  return rc;
}

const char *wg_config_get(const wg_config_t *cfg, const char *key, const char *def)
{
  if (cfg)
    for (size_t i = 0; i < cfg->n; i++)
      if (strcasecmp(cfg->kv[i].key, key) == 0)
        return cfg->kv[i].value;
  return def;
}

int wg_config_get_int(const wg_config_t *cfg, const char *key, long def, long min, long max,
                      long *out, char *err, size_t errlen)
{
  const char *v = wg_config_get(cfg, key, NULL);
  if (!v) {
    *out = def;
    return 0;
  }
  char *end;
  errno = 0;
  long x = strtol(v, &end, 0);
  if (errno || end == v || *end) {
    if (err)
      snprintf(err, errlen, "%s: \"%s\" is not a whole number", key, v);
    return -EINVAL;
  }
  if (x < min || x > max) {
    if (err)
      snprintf(err, errlen, "%s: %ld is out of range %ld..%ld", key, x, min, max);
    return -ERANGE;
  }
  *out = x;
  return 0;
}

int wg_config_get_bool(const wg_config_t *cfg, const char *key, int def, int *out, char *err,
                       size_t errlen)
{
  const char *v = wg_config_get(cfg, key, NULL);
  if (!v) {
    *out = def;
    return 0;
  }
  static const char *const yes[] = { "yes", "true", "on", "1" };
  static const char *const no[] = { "no", "false", "off", "0" };
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(v, yes[i]) == 0) {
      *out = 1;
      return 0;
    }
    if (strcasecmp(v, no[i]) == 0) {
      *out = 0;
      return 0;
    }
  }
  if (err)
    snprintf(err, errlen, "%s: \"%s\" is not yes/no", key, v);
  return -EINVAL;
}

size_t wg_config_count(const wg_config_t *cfg) { return cfg ? cfg->n : 0; }
const char *wg_config_key_at(const wg_config_t *cfg, size_t i)
{
  return cfg && i < cfg->n ? cfg->kv[i].key : NULL;
}

const char *wg_config_first_unknown(const wg_config_t *cfg, const char *const *known)
{
  for (size_t i = 0; cfg && i < cfg->n; i++) {
    const char *k = cfg->kv[i].key;
    int found = 0;
    for (const char *const *p = known; *p && !found; p++) {
      size_t l = strlen(*p);
      if (l >= 2 && strcmp(*p + l - 2, ".*") == 0)
        found = strncasecmp(k, *p, l - 1) == 0;
      else
        found = strcasecmp(k, *p) == 0;
    }
    if (!found)
      return k;
  }
  return NULL;
}

int wg_parse_hostport(const char *text, int need_port, struct sockaddr_storage *out)
{
  char host[128];
  const char *port = NULL;
  memset(out, 0, sizeof *out);
  if (!text || !*text)
    return -EINVAL;
  if (text[0] == '[') {
    const char *e = strchr(text, ']');
    if (!e || (size_t)(e - text - 1) >= sizeof host)
      return -EINVAL;
    snprintf(host, sizeof host, "%.*s", (int)(e - text - 1), text + 1);
    if (e[1] == ':')
      port = e + 2;
    else if (e[1])
      return -EINVAL;
  } else {
    const char *c = strrchr(text, ':');
    size_t hl = c ? (size_t)(c - text) : strlen(text);
    if (hl >= sizeof host)
      return -EINVAL;
    snprintf(host, sizeof host, "%.*s", (int)hl, text);
    if (c)
      port = c + 1;
  }
  long pn = 0;
  if (port) {
    char *end;
    pn = strtol(port, &end, 10);
    if (end == port || *end || pn < 0 || pn > 65535)
      return -EINVAL;
  } else if (need_port) {
    return -EINVAL;
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
  if (strcmp(host, "localhost") == 0)
    snprintf(host, sizeof host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)pn);
    return 0;
  }
  if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)pn);
    return 0;
  }
  return -EINVAL;
}

const char *wg_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
  char h[INET6_ADDRSTRLEN] = "?";
  if (!sa) {
    snprintf(buf, len, "-");
  } else if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &s->sin_addr, h, sizeof h);
    snprintf(buf, len, "%s:%u", h, ntohs(s->sin_port));
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof h);
    snprintf(buf, len, "[%s]:%u", h, ntohs(s->sin6_port));
  } else {
    snprintf(buf, len, "(family %d)", sa->sa_family);
  }
  return buf;
}
