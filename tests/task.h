/* task.h -- the tiny assertion header of wicgate's C tests (after libuv's
 * test/task.h). A failed assertion prints file:line, the expression and the
 * values, then aborts the test process; the harness counts it as FAIL.
 *
 *   ASSERT(cond)            ASSERT_EQ(a, b)   ASSERT_NE(a, b)  (integers)
 *   ASSERT_STR_EQ(a, b)     ASSERT_MEM_EQ(a, b, n)
 *   ASSERT_NULL(p)          ASSERT_NOT_NULL(p)
 *   TEST_RUN(fn)            runs one test function and prints "ok - fn"
 *   TEST_SKIP("reason")     exits 77 (automake's SKIP)
 */
#ifndef WG_TASK_H
#define WG_TASK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_FAIL(...)                                                             \
  do {                                                                             \
    fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                           \
    fprintf(stderr, __VA_ARGS__);                                                  \
    fputc('\n', stderr);                                                           \
    fflush(stderr);                                                                \
    abort();                                                                       \
  } while (0)

#define ASSERT(expr)                                                               \
  do {                                                                             \
    if (!(expr))                                                                   \
      TASK_FAIL("assertion failed: %s", #expr);                                    \
  } while (0)

#define ASSERT_CMP_(a, op, b)                                                      \
  do {                                                                             \
    intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                               \
    if (!(a_ op b_))                                                               \
      TASK_FAIL("%s %s %s (%jd vs %jd)", #a, #op, #b, a_, b_);                     \
  } while (0)

#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b)

#define ASSERT_STR_EQ(a, b)                                                        \
  do {                                                                             \
    const char *a_ = (a), *b_ = (b);                                               \
    if (!a_ || !b_ || strcmp(a_, b_) != 0)                                         \
      TASK_FAIL("%s == %s (\"%s\" vs \"%s\")", #a, #b, a_ ? a_ : "(null)",         \
                b_ ? b_ : "(null)");                                               \
  } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                     \
  do {                                                                             \
    if (memcmp((a), (b), (n)) != 0)                                                \
      TASK_FAIL("memory %s == %s differs (%zu bytes)", #a, #b, (size_t)(n));       \
  } while (0)

#define ASSERT_NULL(p) ASSERT((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT((p) != NULL)

#define TEST_RUN(fn)                                                               \
  do {                                                                             \
    fn();                                                                          \
    printf("ok - %s\n", #fn);                                                      \
    fflush(stdout);                                                                \
  } while (0)

#define TEST_SKIP(reason)                                                          \
  do {                                                                             \
    printf("SKIP: %s\n", reason);                                                  \
    exit(77);                                                                      \
  } while (0)

#endif /* WG_TASK_H */
