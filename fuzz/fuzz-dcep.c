/* fuzz-dcep.c -- libFuzzer target for the DCEP codec: parse; an OPEN that
 * parses must rebuild to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agw/media/wgmedia.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wgm_dcep_open_t o;
  int t = wgm_dcep_parse(data, size, &o);
  if (t == WGM_DCEP_OPEN) {
    uint8_t *out = malloc(size ? size : 1);
    if (!out)
      return 0;
    int n = wgm_dcep_build_open(&o, out, size);
    if (n != (int)size || memcmp(out, data, size) != 0)
      abort();
    free(out);
  }
  return 0;
}
