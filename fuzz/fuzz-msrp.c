/* fuzz-msrp.c -- libFuzzer target for the MSRP framer: the whole input as
 * one buffer, and the same input fed in growing pieces; both must agree,
 * every returned length must stay inside the buffer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agw/media/wgmedia.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wgm_msrp_framer_t f;
  wgm_msrp_frame_t fr;
  size_t off = 0;
  int whole[64], nwhole = 0;
  wgm_msrp_framer_init(&f, 65536);
  while (off < size && nwhole < 64) {
    int n = wgm_msrp_frame(&f, data + off, size - off, &fr);
    if (n <= 0)
      break;
    if ((size_t)n > size - off || fr.body_off + fr.body_len > (size_t)n)
      abort();
    whole[nwhole++] = n;
    off += (size_t)n;
  }
  /* incremental: step 1..7 bytes at a time */
  size_t step = size ? (size_t)(data[0] % 7) + 1 : 1, start = 0, have = 0;
  int k = 0;
  wgm_msrp_framer_init(&f, 65536);
  while (have < size && k < nwhole) {
    have = have + step > size ? size : have + step;
    for (;;) {
      int n = wgm_msrp_frame(&f, data + start, have - start, &fr);
      if (n < 0)
        abort(); /* the whole-buffer pass framed this message */
      if (n == 0)
        break;
      if (n != whole[k])
        abort();
      start += (size_t)n;
      if (++k == nwhole)
        break;
    }
  }
  return 0;
}
