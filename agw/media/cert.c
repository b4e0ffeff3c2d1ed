/* cert.c -- the DTLS certificate: ECDSA P-256 self-signed, or PEM files. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "agw/media/media-int.h"

static void set_fingerprint(wgm_cert_t *c) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(c->x509, EVP_sha256(), md, &n);
  char *p = c->fingerprint;
  p += sprintf(p, "sha-256 ");
  for (unsigned i = 0; i < n; i++)
    p += sprintf(p, i ? ":%02X" : "%02X", md[i]);
}

int wgm_cert_generate(wgm_cert_t **out) {
  if (!out)
    return -EINVAL;
  wgm_cert_t *c = calloc(1, sizeof(*c));
  if (!c)
    return -ENOMEM;
  c->refs = 1;
  c->pkey = EVP_EC_gen("P-256");
  c->x509 = X509_new();
  if (!c->pkey || !c->x509)
    goto fail;
  X509_set_version(c->x509, 2);
  uint64_t serial;
  RAND_bytes((unsigned char *)&serial, sizeof(serial));
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(c->x509), serial >> 1);
  X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400L);
  X509_gmtime_adj(X509_getm_notAfter(c->x509), 365L * 86400L);
  X509_set_pubkey(c->x509, c->pkey);
  X509_NAME *name = X509_get_subject_name(c->x509);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"wicgate", -1, -1,
                             0);
  X509_set_issuer_name(c->x509, name);
  if (!X509_sign(c->x509, c->pkey, EVP_sha256()))
    goto fail;
  set_fingerprint(c);
  *out = c;
  return 0;
fail:
  X509_free(c->x509);
  EVP_PKEY_free(c->pkey);
  free(c);
  ERR_clear_error();
  return -EIO;
}

int wgm_cert_load(const char *cert_path, const char *key_path, wgm_cert_t **out, char *err,
                  size_t errlen) {
  if (!cert_path || !out)
    return -EINVAL;
  if (!key_path)
    key_path = cert_path;
  if (err && errlen)
    err[0] = 0;
  FILE *f = fopen(cert_path, "r");
  if (!f) {
    int e = errno;
    if (err)
      snprintf(err, errlen, "%s: %s", cert_path, strerror(e));
    return -e;
  }
  X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  if (!x) {
    if (err)
      snprintf(err, errlen, "%s: no PEM certificate", cert_path);
    ERR_clear_error();
    return -EINVAL;
  }
  f = fopen(key_path, "r");
  if (!f) {
    int e = errno;
    if (err)
      snprintf(err, errlen, "%s: %s", key_path, strerror(e));
    X509_free(x);
    return -e;
  }
  EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  if (!k || X509_check_private_key(x, k) != 1) {
    if (err)
      snprintf(err, errlen, "%s: %s", key_path,
               k ? "private key does not match the certificate" : "no PEM private key");
    EVP_PKEY_free(k);
    X509_free(x);
    ERR_clear_error();
    return -EINVAL;
  }
  wgm_cert_t *c = calloc(1, sizeof(*c));
  if (!c) {
    EVP_PKEY_free(k);
    X509_free(x);
    return -ENOMEM;
  }
  c->refs = 1;
  c->x509 = x;
  c->pkey = k;
  set_fingerprint(c);
  *out = c;
  return 0;
}

const char *wgm_cert_fingerprint(const wgm_cert_t *c) { return c ? c->fingerprint : NULL; }
void wgm_cert_ref(wgm_cert_t *c) {
  if (c)
    c->refs++;
}
void wgm_cert_unref(wgm_cert_t *c) {
  if (c && --c->refs == 0) {
    X509_free(c->x509);
    EVP_PKEY_free(c->pkey);
    free(c);
  }
}
