/* The bulk file of one batch (destinations.md §2, customer-list.md, customer-list-item.md):
 *   BOM Type,Status,Id,Parent Id,Client Id,Modified Time,Name,Description,Scope,Audience,
 *       Action Type,Sub Type,Text
 *   Format Version,,,,,,6.0,,,,,,
 *   Customer List,<Active if new>,<list id | -1>,,list,,,,Customer,<segment if new>,Add|Remove,,
 *   Customer List Item,,,<list id | -1>,r<i>,,,,,,,Email,<sha256 hex>
 * One row per batch row, in batch order, so Client Id r<i> maps a result row back to row i. */
#include <stdio.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "connectors/microsoft_ads/msads.h"

#define MSADS_HEADER                                                                           \
    "\xEF\xBB\xBFType,Status,Id,Parent Id,Client Id,Modified Time,Name,Description,Scope,"     \
    "Audience,Action Type,Sub Type,Text\r\n"                                                   \
    "Format Version,,,,,,6.0,,,,,,\r\n"

/* At most SGX_MSADS_MAX_NAME bytes, cut on a UTF-8 character boundary. */
static size_t name_len(const char *s)
{
    size_t n = strlen(s);
    if (n <= SGX_MSADS_MAX_NAME) {
        return n;
    }
    n = SGX_MSADS_MAX_NAME;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;
    }
    return n;
}

size_t sgx_msads_list_name(const sgx_batch_t *b, const char **name)
{
    *name = b->segment ? b->segment : "segexport";
    return name_len(*name);
}

#define MSADS_NEW_LIST_ROW "Customer List,Active," SGX_MSADS_NEW_LIST_REF ","

bool sgx_msads_body_creates(const sgx_buf_t *body)
{
    size_t h = sizeof MSADS_HEADER - 1, r = sizeof MSADS_NEW_LIST_ROW - 1;
    return body && body->len >= h + r && memcmp(body->data + h, MSADS_NEW_LIST_ROW, r) == 0;
}

static void list_row(sgx_buf_t *out, const sgx_batch_t *b, const char *id)
{
    bool create = b->audience_id == NULL;
    sgx_buf_puts(out, create ? "Customer List,Active," : "Customer List,,");
    sgx_buf_puts(out, id);
    sgx_buf_puts(out, ",," SGX_MSADS_LIST_CLIENT_ID ",,,,Customer,");
    if (create) {
        const char *name;
        size_t n = sgx_msads_list_name(b, &name);
        sgx_conn_csv_field(out, name, n);
    }
    sgx_buf_puts(out, b->op == SGX_OP_EXIT ? ",Remove,,\r\n" : ",Add,,\r\n");
}

sgx_err_t sgx_msads_encode(const void *ctx, const sgx_batch_t *b, sgx_buf_t *out)
{
    static const char hex[] = "0123456789abcdef";
    (void)ctx;
    const char *id = b->audience_id ? b->audience_id : SGX_MSADS_NEW_LIST_REF;
    if (b->audience_id && !sgx_msads_digits(id, strlen(id))) {
        return SGX_ERR_INVALID; /* list ids are numbers; anything else is a config mistake */
    }
    if (!b->audience_id && b->op == SGX_OP_EXIT) {
        /* A new Customer List ignores Action Type and adds its items (customer-list.md): a
         * removal must never create the list. The core acknowledges such rows unsent. */
        return SGX_ERR_INVALID;
    }
    size_t idlen = strlen(id);
    sgx_buf_reserve(out, sizeof MSADS_HEADER + 256 + b->nrows * (idlen + 100));
    sgx_buf_append(out, MSADS_HEADER, sizeof MSADS_HEADER - 1);
    list_row(out, b, id);
    for (size_t i = 0; i < b->nrows; i++) {
        char head[64];
        int n = snprintf(head, sizeof head, "Customer List Item,,,");
        sgx_buf_append(out, head, (size_t)n);
        sgx_buf_append(out, id, idlen);
        n = snprintf(head, sizeof head, ",r%zu,,,,,,,Email,", i);
        sgx_buf_append(out, head, (size_t)n);
        const unsigned char *p;
        size_t len;
        sgx_val_kind_t kind = b->rows[i]->nvals ? sgx_row_val(b->rows[i], 0, &p, &len)
                                                : SGX_VAL_ABSENT;
        if (kind == SGX_VAL_DIGEST && len == 32) {
            char h[64];
            for (size_t k = 0; k < 32; k++) {
                h[2 * k] = hex[p[k] >> 4];
                h[2 * k + 1] = hex[p[k] & 15];
            }
            sgx_buf_append(out, h, 64);
        } else if (kind == SGX_VAL_TEXT) {
            sgx_conn_csv_field(out, (const char *)p, len); /* the API rejects it per row */
        }
        sgx_buf_append(out, "\r\n", 2);
    }
    return SGX_OK;
}
