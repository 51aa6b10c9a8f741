/* Criteo ContactlistAmendment body:
 *   {"data":{"type":"ContactlistAmendment","attributes":{"operation":"add"|"remove",
 *    "identifierType":"email","identifiers":["<hex>",...]}}}
 * Rows carry the e-mail as a 32-byte SHA-256 digest (hex here) or, for plain/md5, as the
 * normalized text. Pure: no I/O, no clock. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "codecs/hash.h"
#include "connectors/conn_util.h"
#include "connectors/criteo/criteo.h"

static const char hex_lower[] = "0123456789abcdef";

static void put_hex(sgx_buf_t *out, const unsigned char *p, size_t n)
{
    sgx_buf_reserve(out, 2 * n);
    char *w = out->data + out->len;
    for (size_t j = 0; j < n; j++) {
        w[2 * j] = hex_lower[p[j] >> 4];
        w[2 * j + 1] = hex_lower[p[j] & 15];
    }
    out->len += 2 * n;
    out->data[out->len] = '\0';
}

/* A TEXT value hashed here (plain/md5 modes, or text rows in sha256 mode). EVP_Digest is a
 * stateless one-shot, safe on the dispatcher thread without a per-thread hasher. */
static sgx_err_t put_text(const sgx_criteo_ctx_t *c, sgx_buf_t *out, const unsigned char *p,
                          size_t n)
{
    if (c->hashing == SGX_CRITEO_PLAIN) {
        sgx_conn_json_escape(out, (const char *)p, n);
        return SGX_OK;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    const EVP_MD *alg = c->hashing == SGX_CRITEO_MD5 ? EVP_md5() : EVP_sha256();
    if (n == 0 || !EVP_Digest(p, n, md, &mdlen, alg, NULL)) {
        return SGX_ERR_INVALID;
    }
    put_hex(out, md, mdlen);
    return SGX_OK;
}

/* One identifier. @returns SGX_OK and *put = false for an absent value (nothing written). */
static sgx_err_t put_identifier(const sgx_criteo_ctx_t *c, sgx_buf_t *out, const sgx_row_t *row,
                                bool first, bool *put)
{
    const unsigned char *p;
    size_t n;
    *put = false;
    if (row->nvals != 1) {
        return SGX_ERR_INVALID;
    }
    sgx_val_kind_t kind = sgx_row_val(row, 0, &p, &n);
    if (kind == SGX_VAL_ABSENT) {
        return SGX_OK;
    }
    sgx_buf_puts(out, first ? "\"" : ",\"");
    sgx_err_t err = SGX_OK;
    if (kind == SGX_VAL_DIGEST) {
        /* A SHA-256 digest can only be sent as such: no plain text or MD5 can come from it. */
        if (n != SGX_SHA256_LEN || c->hashing != SGX_CRITEO_SHA256) {
            return SGX_ERR_INVALID;
        }
        put_hex(out, p, n);
    } else if ((err = put_text(c, out, p, n)) != SGX_OK) {
        return err;
    }
    sgx_buf_putc(out, '"');
    *put = true;
    return SGX_OK;
}

sgx_err_t sgx_criteo_encode(const void *ctx, const sgx_batch_t *batch, sgx_buf_t *out)
{
    const sgx_criteo_ctx_t *c = ctx;
    size_t start = out->len, nput = 0;
    sgx_err_t err = SGX_ERR_INVALID;
    if (batch->nrows == 0 || !batch->rows || batch->nrows > SGX_CRITEO_MAX_IDENTIFIERS) {
        return batch->nrows > SGX_CRITEO_MAX_IDENTIFIERS ? SGX_ERR_TOO_LARGE : SGX_ERR_INVALID;
    }
    sgx_buf_puts(out, "{\"data\":{\"type\":\"ContactlistAmendment\",\"attributes\":"
                      "{\"operation\":\"");
    sgx_buf_puts(out, batch->op == SGX_OP_EXIT ? "remove" : "add");
    sgx_buf_puts(out, "\",\"identifierType\":\"email\",\"identifiers\":[");
    for (size_t i = 0; i < batch->nrows; i++) {
        bool put = false;
        if ((err = put_identifier(c, out, batch->rows[i], nput == 0, &put)) != SGX_OK) {
            goto fail;
        }
        nput += put;
        if (out->len - start > c->max_bytes) {
            err = SGX_ERR_TOO_LARGE; /* stop early: the core splits the batch and retries */
            goto fail;
        }
    }
    if (nput == 0) {
        err = SGX_ERR_INVALID; /* an empty amendment would be a wasted call */
        goto fail;
    }
    sgx_buf_puts(out, "]}}}");
    if (out->len - start > c->max_bytes) {
        err = SGX_ERR_TOO_LARGE;
        goto fail;
    }
    return SGX_OK;
fail:
    out->len = start;
    if (out->data) {
        out->data[start] = '\0';
    }
    return err;
}
