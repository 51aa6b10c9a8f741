/* The result file of a bulk upload is a ZIP archive holding one CSV: the official SDKs always
 * unzip it (Python bingads/v13/bulk/bulk_operation.py download_result_file(): zipfile, first
 * member of namelist()). Read with libzip from memory; the size is capped before inflating so a
 * hostile or corrupt archive cannot exhaust memory. */
#include <stdio.h>
#include <string.h>
#include <zip.h>

#include "connectors/microsoft_ads/msads.h"
#include "base/mem.h"

bool sgx_msads_is_zip(const char *body, size_t len)
{
    return body && len >= 4 && memcmp(body, "PK\x03\x04", 4) == 0;
}

sgx_err_t sgx_msads_unzip(const char *body, size_t len, size_t cap, sgx_buf_t *out)
{
    zip_error_t zerr;
    zip_error_init(&zerr);
    sgx_err_t err = SGX_ERR_INVALID;
    zip_t *za = NULL;
    zip_file_t *zf = NULL;
    zip_source_t *src = zip_source_buffer_create(body, len, 0, &zerr);
    if (!src) {
        goto out;
    }
    za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!za) {
        zip_source_free(src); /* not taken over when the open fails */
        goto out;
    }
    zip_stat_t st;
    if (zip_get_num_entries(za, 0) < 1 || zip_stat_index(za, 0, 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_SIZE)) {
        goto out;
    }
    if (st.size > cap) {
        err = SGX_ERR_TOO_LARGE;
        goto out;
    }
    zf = zip_fopen_index(za, 0, 0);
    if (!zf) {
        goto out;
    }
    sgx_buf_reset(out);
    sgx_buf_reserve(out, (size_t)st.size + 1);
    zip_int64_t got = st.size ? zip_fread(zf, out->data, st.size) : 0;
    if (got < 0 || (zip_uint64_t)got != st.size) {
        goto out;
    }
    out->len = (size_t)got;
    out->data[out->len] = '\0';
    err = SGX_OK;
out:
    if (zf) {
        zip_fclose(zf);
    }
    if (za) {
        zip_discard(za);
    }
    zip_error_fini(&zerr);
    return err;
}
