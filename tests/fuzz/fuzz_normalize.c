/* libFuzzer target: every (destination, key) on the input. The first byte picks the profile
 * and default country (absent, alpha-2, alpha-3, name, garbage) so phone/zip/state paths run.
 * Checks: no crash or sanitizer report; a usable output is non-empty, NUL-terminated, within
 * SGX_NORM_MAX and valid UTF-8; a pre-hashed output is 64 lowercase hex; EMAIL is idempotent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/normalize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* Strict UTF-8 (RFC 3629) check written independently of the normalizer's decoder. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (k == 0 || i + k > n) {
            return 0;
        }
        uint32_t cp = k == 1 ? c : c & (0x7F >> k);
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) {
            return 0;
        }
        i += k;
    }
    return 1;
}

static void check_output(sgx_dest_kind_t dest, sgx_key_t key, const char *out, size_t n,
                         bool pre, const sgx_norm_ctx_t *ctx)
{
    CHECK(n > 0 && n <= SGX_NORM_MAX && out[n] == '\0');
    CHECK(valid_utf8((const unsigned char *)out, n));
    if (pre) {
        CHECK(n == 64 && sgx_key_hashed(dest, key));
        CHECK(strspn(out, "0123456789abcdef") == 64);
    }
    if (key == SGX_KEY_EMAIL) {
        char again[SGX_NORM_MAX + 1];
        size_t m;
        bool pre2;
        CHECK(sgx_normalize(dest, key, out, n, ctx, again, sizeof again, &m, &pre2) ==
              SGX_DROP_NONE);
        CHECK(m == n && memcmp(again, out, n) == 0 && pre2 == pre);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const countries[] = {NULL, "us", "GB", "fra", "Deutschland", "it",
                                            "Narnia", "\xc3"};
    static const char *const defaults[] = {NULL, "us", "jp", "br"};
    if (size == 0) {
        return 0;
    }
    const char *country = countries[data[0] & 7];
    sgx_norm_ctx_t ctx = {country, country ? strlen(country) : 0, defaults[(data[0] >> 3) & 3]};
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    for (int d = 0; d < SGX_DEST__COUNT; d++) {
        for (int k = 0; k < SGX_KEY__COUNT; k++) {
            char out[SGX_NORM_MAX + 1];
            size_t n = 0;
            bool pre = false;
            sgx_drop_t r = sgx_normalize((sgx_dest_kind_t)d, (sgx_key_t)k, in, len, &ctx, out,
                                         sizeof out, &n, &pre);
            CHECK((unsigned)r < SGX_DROP__COUNT);
            if (r == SGX_DROP_NONE) {
                check_output((sgx_dest_kind_t)d, (sgx_key_t)k, out, n, pre, &ctx);
            }
        }
    }
    return 0;
}
