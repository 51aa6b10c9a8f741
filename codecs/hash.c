/* SHA-256 and MD5. OpenSSL 3's EVP costs ~80 ns per identifier-sized digest, nearly all of it
 * provider dispatch and context set-up (the compression itself is ~20 ns), which is most of a
 * 13-key Meta row's budget. So SHA-256 runs through the CPU's SHA extensions when it has them
 * (x86-64 SHA-NI: detected once in sgx_hasher_new) and otherwise through EVP, copying a context
 * initialised once (EVP_MD_CTX_copy_ex: cheaper than EVP_DigestInit_ex every time). The two
 * paths are checked against each other in tests/unit/test_normalize_email.c. MD5 (Criteo) stays
 * on EVP. */
#include "codecs/hash.h"

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "pipeline/mem.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define SGX_HAVE_SHANI 1
#endif

struct sgx_hasher {
    EVP_MD *sha256;
    EVP_MD *md5;
    EVP_MD_CTX *ctx;
    EVP_MD_CTX *sha256_init; /* initialised once; copied into ctx per digest */
    bool accel;              /* SHA-NI available and enabled */
    bool accel_possible;
};

#ifdef SGX_HAVE_SHANI
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static bool cpu_has_shani(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1)) {
        return false;
    }
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)); /* SHA */
}

/* SHA-NI state layout: ABEF/CDGH, the layout sha256rnds2 wants. */
typedef struct {
    __m128i s0, s1;
} shani_state_t;

__attribute__((target("sha,ssse3,sse4.1"))) static inline shani_state_t
shani_load(const uint32_t state[8])
{
    shani_state_t st;
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
    st.s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
    st.s0 = _mm_alignr_epi8(tmp, st.s1, 8);      /* ABEF */
    st.s1 = _mm_blend_epi16(st.s1, tmp, 0xF0);   /* CDGH */
    return st;
}

__attribute__((target("sha,ssse3,sse4.1"))) static inline void shani_store(shani_state_t st,
                                                                          uint32_t state[8])
{
    __m128i tmp = _mm_shuffle_epi32(st.s0, 0x1B); /* FEBA */
    __m128i s1 = _mm_shuffle_epi32(st.s1, 0xB1);  /* DCHG */
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(tmp, s1, 0xF0)); /* DCBA */
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(s1, tmp, 8));    /* HGFE */
}

/* One 64-byte block for each of `lanes` (1 or 2) independent messages (FIPS 180-4 §6.2.2).
 * sha256rnds2 is latency-bound (~75 ns a block on the reference Xeon, EVP included), so two
 * messages whose rounds interleave cost little more than one. */
__attribute__((target("sha,ssse3,sse4.1"))) static inline void
shani_block(shani_state_t *st, const unsigned char *const *data, int lanes)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    shani_state_t save[2];
    __m128i w[2][4];
    for (int l = 0; l < lanes; l++) {
        save[l] = st[l];
    }
#pragma GCC unroll 16 /* constant indices keep w[] in registers */
    for (int i = 0; i < 16; i++) {
        __m128i k = _mm_loadu_si128((const __m128i *)&K256[4 * i]);
#pragma GCC unroll 2
        for (int l = 0; l < lanes; l++) {
            __m128i m;
            if (i < 4) {
                m = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data[l] + 16 * i)), bswap);
            } else { /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
                m = _mm_sha256msg1_epu32(w[l][i & 3], w[l][(i + 1) & 3]);
                m = _mm_add_epi32(m, _mm_alignr_epi8(w[l][(i + 3) & 3], w[l][(i + 2) & 3], 4));
                m = _mm_sha256msg2_epu32(m, w[l][(i + 3) & 3]);
            }
            w[l][i & 3] = m;
            m = _mm_add_epi32(m, k);
            st[l].s1 = _mm_sha256rnds2_epu32(st[l].s1, st[l].s0, m);
            st[l].s0 = _mm_sha256rnds2_epu32(st[l].s0, st[l].s1, _mm_shuffle_epi32(m, 0x0E));
        }
    }
    for (int l = 0; l < lanes; l++) {
        st[l].s0 = _mm_add_epi32(st[l].s0, save[l].s0);
        st[l].s1 = _mm_add_epi32(st[l].s1, save[l].s1);
    }
}

/* A message's padded form: its whole blocks in place, the rest (with 0x80 and the bit length)
 * in tail. */
typedef struct {
    const unsigned char *data;
    size_t full, blocks; /* whole blocks in data; total blocks */
    unsigned char tail[128];
} padded_t;

static void pad(padded_t *p, const unsigned char *data, size_t len)
{
    size_t rest = len % 64, tail_len = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    p->data = data;
    p->full = len / 64;
    p->blocks = p->full + tail_len / 64;
    memset(p->tail, 0, sizeof p->tail);
    memcpy(p->tail, data + 64 * p->full, rest);
    p->tail[rest] = 0x80;
    for (int i = 0; i < 8; i++) {
        p->tail[tail_len - 1 - i] = (unsigned char)(bits >> (8 * i));
    }
}

static const unsigned char *block_of(const padded_t *p, size_t b)
{
    return b < p->full ? p->data + 64 * b : p->tail + 64 * (b - p->full);
}

static void put_digest(const uint32_t state[8], unsigned char *out)
{
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(state[i] >> 24);
        out[4 * i + 1] = (unsigned char)(state[i] >> 16);
        out[4 * i + 2] = (unsigned char)(state[i] >> 8);
        out[4 * i + 3] = (unsigned char)state[i];
    }
}

static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* Digests `lanes` (1 or 2) messages; the shorter one finishes alone. */
__attribute__((target("sha,ssse3,sse4.1"))) static void
sha256_shani(int lanes, const unsigned char *const *data, const size_t *len, unsigned char **out)
{
    padded_t p[2];
    shani_state_t st[2];
    size_t common = SIZE_MAX;
    for (int l = 0; l < lanes; l++) {
        pad(&p[l], data[l], len[l]);
        st[l] = shani_load(H0);
        common = p[l].blocks < common ? p[l].blocks : common;
    }
    for (size_t b = 0; b < common; b++) {
        const unsigned char *blk[2] = {block_of(&p[0], b), lanes > 1 ? block_of(&p[1], b) : NULL};
        if (lanes == 2) {
            shani_block(st, blk, 2);
        } else {
            shani_block(st, blk, 1);
        }
    }
    for (int l = 0; l < lanes; l++) {
        uint32_t state[8];
        for (size_t b = common; b < p[l].blocks; b++) {
            const unsigned char *blk = block_of(&p[l], b);
            shani_block(&st[l], &blk, 1);
        }
        shani_store(st[l], state);
        put_digest(state, out[l]);
    }
}
#endif


void sgx_hasher_destroy(sgx_hasher_t *h)
{
    if (!h) {
        return;
    }
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_CTX_free(h->sha256_init);
    EVP_MD_free(h->sha256);
    EVP_MD_free(h->md5);
    sgx_free(h);
}

sgx_err_t sgx_hasher_new(sgx_hasher_t **out)
{
    sgx_hasher_t *h = sgx_calloc(1, sizeof *h);
    h->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    /* MD5 may be missing under a FIPS provider; only Criteo's md5 mode needs it. */
    h->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    h->ctx = EVP_MD_CTX_new();
    h->sha256_init = EVP_MD_CTX_new();
    if (!h->sha256 || !h->ctx || !h->sha256_init ||
        EVP_DigestInit_ex(h->sha256_init, h->sha256, NULL) != 1) {
        sgx_hasher_destroy(h);
        return SGX_ERR_UNAVAILABLE;
    }
#ifdef SGX_HAVE_SHANI
    h->accel_possible = cpu_has_shani();
#endif
    h->accel = h->accel_possible;
    *out = h;
    return SGX_OK;
}

bool sgx_hasher_accel(sgx_hasher_t *h, bool enable)
{
    h->accel = enable && h->accel_possible;
    return h->accel;
}

static sgx_err_t evp_finish(sgx_hasher_t *h, const void *data, size_t len, unsigned char *out)
{
    unsigned int n = 0;
    if (EVP_DigestUpdate(h->ctx, data, len) != 1 || EVP_DigestFinal_ex(h->ctx, out, &n) != 1) {
        return SGX_ERR_UNAVAILABLE;
    }
    return SGX_OK;
}

sgx_err_t sgx_hasher_sha256(sgx_hasher_t *h, const void *data, size_t len,
                            unsigned char out[SGX_SHA256_LEN])
{
    if (len == 0 || !data) {
        return SGX_ERR_INVALID;
    }
#ifdef SGX_HAVE_SHANI
    if (h->accel) {
        const unsigned char *d = data;
        unsigned char *o = out;
        sha256_shani(1, &d, &len, &o);
        return SGX_OK;
    }
#endif
    if (EVP_MD_CTX_copy_ex(h->ctx, h->sha256_init) != 1) {
        return SGX_ERR_UNAVAILABLE;
    }
    return evp_finish(h, data, len, out);
}

sgx_err_t sgx_hasher_sha256_many(sgx_hasher_t *h, size_t n, const void *const *data,
                                 const size_t *len, unsigned char (*out)[SGX_SHA256_LEN])
{
    for (size_t i = 0; i < n; i++) {
        if (len[i] == 0 || !data[i]) {
            return SGX_ERR_INVALID;
        }
    }
    size_t i = 0;
#ifdef SGX_HAVE_SHANI
    for (; h->accel && i + 1 < n; i += 2) {
        const unsigned char *d[2] = {data[i], data[i + 1]};
        unsigned char *o[2] = {out[i], out[i + 1]};
        sha256_shani(2, d, &len[i], o);
    }
#endif
    for (; i < n; i++) {
        sgx_err_t r = sgx_hasher_sha256(h, data[i], len[i], out[i]);
        if (r != SGX_OK) {
            return r;
        }
    }
    return SGX_OK;
}

sgx_err_t sgx_hasher_md5(sgx_hasher_t *h, const void *data, size_t len,
                         unsigned char out[SGX_MD5_LEN])
{
    if (len == 0 || !data) {
        return SGX_ERR_INVALID;
    }
    if (!h->md5) {
        return SGX_ERR_UNAVAILABLE;
    }
    if (EVP_DigestInit_ex(h->ctx, h->md5, NULL) != 1) {
        return SGX_ERR_UNAVAILABLE;
    }
    return evp_finish(h, data, len, out);
}

void sgx_hex_lower(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}
