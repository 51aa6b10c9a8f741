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

#include "base/mem.h"

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

#define SHANI_FN __attribute__((target("sha,ssse3,sse4.1"), always_inline)) static inline

/* Four rounds: W[4i..4i+3] in w, state s0 (ABEF) / s1 (CDGH). */
#define SHANI_ROUNDS4(s0, s1, w, i)                                                              \
    do {                                                                                          \
        __m128i m_ = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&K256[4 * (i)]));        \
        (s1) = _mm_sha256rnds2_epu32((s1), (s0), m_);                                             \
        (s0) = _mm_sha256rnds2_epu32((s0), (s1), _mm_shuffle_epi32(m_, 0x0E));                   \
    } while (0)

/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time, into w0. */
#define SHANI_SCHEDULE(w0, w1, w2, w3)                                                            \
    do {                                                                                          \
        (w0) = _mm_sha256msg1_epu32((w0), (w1));                                                  \
        (w0) = _mm_add_epi32((w0), _mm_alignr_epi8((w3), (w2), 4));                               \
        (w0) = _mm_sha256msg2_epu32((w0), (w3));                                                  \
    } while (0)

SHANI_FN __m128i shani_load_words(const unsigned char *p)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), bswap);
}

/* One 64-byte block of one message (FIPS 180-4 §6.2.2), written out so that the state and the
 * 16-word schedule window stay in registers (a loop over lanes and arrays spilled them). */
SHANI_FN void shani_block1(shani_state_t *st, const unsigned char *p)
{
    __m128i s0 = st->s0, s1 = st->s1;
    __m128i w0 = shani_load_words(p), w1 = shani_load_words(p + 16);
    __m128i w2 = shani_load_words(p + 32), w3 = shani_load_words(p + 48);
    SHANI_ROUNDS4(s0, s1, w0, 0);
    SHANI_ROUNDS4(s0, s1, w1, 1);
    SHANI_ROUNDS4(s0, s1, w2, 2);
    SHANI_ROUNDS4(s0, s1, w3, 3);
    for (int i = 4; i < 16; i += 4) {
        SHANI_SCHEDULE(w0, w1, w2, w3);
        SHANI_ROUNDS4(s0, s1, w0, i);
        SHANI_SCHEDULE(w1, w2, w3, w0);
        SHANI_ROUNDS4(s0, s1, w1, i + 1);
        SHANI_SCHEDULE(w2, w3, w0, w1);
        SHANI_ROUNDS4(s0, s1, w2, i + 2);
        SHANI_SCHEDULE(w3, w0, w1, w2);
        SHANI_ROUNDS4(s0, s1, w3, i + 3);
    }
    st->s0 = _mm_add_epi32(st->s0, s0);
    st->s1 = _mm_add_epi32(st->s1, s1);
}

/* One block each of two independent messages, their rounds interleaved: sha256rnds2 is
 * latency-bound (~1 ns on the reference Xeon, one issued every ~0.75 ns), so the second
 * message costs about half of the first. */
SHANI_FN void shani_block2(shani_state_t *st, const unsigned char *pa, const unsigned char *pb)
{
    __m128i a0 = st[0].s0, a1 = st[0].s1, b0 = st[1].s0, b1 = st[1].s1;
    __m128i wa0 = shani_load_words(pa), wa1 = shani_load_words(pa + 16);
    __m128i wa2 = shani_load_words(pa + 32), wa3 = shani_load_words(pa + 48);
    __m128i wb0 = shani_load_words(pb), wb1 = shani_load_words(pb + 16);
    __m128i wb2 = shani_load_words(pb + 32), wb3 = shani_load_words(pb + 48);
    SHANI_ROUNDS4(a0, a1, wa0, 0);
    SHANI_ROUNDS4(b0, b1, wb0, 0);
    SHANI_ROUNDS4(a0, a1, wa1, 1);
    SHANI_ROUNDS4(b0, b1, wb1, 1);
    SHANI_ROUNDS4(a0, a1, wa2, 2);
    SHANI_ROUNDS4(b0, b1, wb2, 2);
    SHANI_ROUNDS4(a0, a1, wa3, 3);
    SHANI_ROUNDS4(b0, b1, wb3, 3);
    for (int i = 4; i < 16; i += 4) {
        SHANI_SCHEDULE(wa0, wa1, wa2, wa3);
        SHANI_SCHEDULE(wb0, wb1, wb2, wb3);
        SHANI_ROUNDS4(a0, a1, wa0, i);
        SHANI_ROUNDS4(b0, b1, wb0, i);
        SHANI_SCHEDULE(wa1, wa2, wa3, wa0);
        SHANI_SCHEDULE(wb1, wb2, wb3, wb0);
        SHANI_ROUNDS4(a0, a1, wa1, i + 1);
        SHANI_ROUNDS4(b0, b1, wb1, i + 1);
        SHANI_SCHEDULE(wa2, wa3, wa0, wa1);
        SHANI_SCHEDULE(wb2, wb3, wb0, wb1);
        SHANI_ROUNDS4(a0, a1, wa2, i + 2);
        SHANI_ROUNDS4(b0, b1, wb2, i + 2);
        SHANI_SCHEDULE(wa3, wa0, wa1, wa2);
        SHANI_SCHEDULE(wb3, wb0, wb1, wb2);
        SHANI_ROUNDS4(a0, a1, wa3, i + 3);
        SHANI_ROUNDS4(b0, b1, wb3, i + 3);
    }
    st[0].s0 = _mm_add_epi32(st[0].s0, a0);
    st[0].s1 = _mm_add_epi32(st[0].s1, a1);
    st[1].s0 = _mm_add_epi32(st[1].s0, b0);
    st[1].s1 = _mm_add_epi32(st[1].s1, b1);
}

/* A message's padded form: its whole blocks in place, the rest (with 0x80 and the bit length)
 * in tail. Only the tail's used bytes are written (identifiers are one block: 64 bytes). */
typedef struct {
    const unsigned char *data;
    size_t full, blocks; /* whole blocks in data; total blocks */
    unsigned char tail[128];
} padded_t;

static inline void pad(padded_t *p, const unsigned char *data, size_t len)
{
    size_t rest = len % 64, tail_len = rest < 56 ? 64 : 128;
    uint64_t bits = __builtin_bswap64((uint64_t)len * 8); /* big-endian bit length */
    p->data = data;
    p->full = len / 64;
    p->blocks = p->full + tail_len / 64;
    memset(p->tail, 0, 64); /* constant sizes: a few vector stores, no call */
    if (tail_len > 64) {
        memset(p->tail + 64, 0, 64);
    }
    memcpy(p->tail, data + 64 * p->full, rest);
    p->tail[rest] = 0x80;
    memcpy(p->tail + tail_len - 8, &bits, 8);
}

static inline const unsigned char *block_of(const padded_t *p, size_t b)
{
    return b < p->full ? p->data + 64 * b : p->tail + 64 * (b - p->full);
}

/* The state back in A..H order, each word big-endian: the digest. */
SHANI_FN void shani_digest(shani_state_t st, unsigned char *out)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i feba = _mm_shuffle_epi32(st.s0, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(st.s1, 0xB1);
    __m128i abcd = _mm_blend_epi16(feba, dchg, 0xF0);
    __m128i efgh = _mm_alignr_epi8(dchg, feba, 8);
    _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(abcd, bswap));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(efgh, bswap));
}

static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* Digests `lanes` (1 or 2) messages; the longer one's extra blocks run alone. */
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
    for (size_t b = 0; lanes == 2 && b < common; b++) {
        shani_block2(st, block_of(&p[0], b), block_of(&p[1], b));
    }
    for (int l = 0; l < lanes; l++) {
        for (size_t b = lanes == 2 ? common : 0; b < p[l].blocks; b++) {
            shani_block1(&st[l], block_of(&p[l], b));
        }
        shani_digest(st[l], out[l]);
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
