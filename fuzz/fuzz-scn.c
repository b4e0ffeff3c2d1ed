/* fuzz-scn.c -- libFuzzer target for wicsim's scenario parser: any input is
 * parsed; what parses has every template expanded with a fixed lookup. A
 * parse error must come back as -EINVAL with "FILE:LINE: " in front. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/scn.h"

static const char *lookup(void *ctx, const char *name)
{
  (void)ctx;
  return scn_builtin_var(name) ? "x" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = 0;
  char err[512];
  struct scn *s = NULL;
  int r = scn_parse("f.scn", text, &s, err, sizeof err);
  if (r == 0) {
    for (size_t i = 0; i < s->ntmpls; i++) {
      char *out = NULL;
      if (scn_expand(s->tmpls[i].text, lookup, NULL, &out, err, sizeof err) == 0)
        free(out);
    }
    scn_free(s);
  } else if (r == -EINVAL && strncmp(err, "f.scn:", 6) != 0) {
    abort(); /* an error that does not name the line */
  }
  free(text);
  return 0;
}
