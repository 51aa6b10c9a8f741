/* ZIP archives as the Bulk service exchanges them, with libzip: the result file is served as a
 * ZIP holding one CSV (the official SDKs always unzip it: Python bingads/v13/bulk/
 * bulk_operation.py download_result_file(), zipfile, the first member), and an upload may be a
 * ZIP of one CSV (guides/bulk-download-upload: "The ZIP-compressed upload should contain one
 * file formatted as either Csv or Tsv"; the Python SDK's upload_entities() compresses by
 * default, bulk_service_manager.py _upload_file_by_url()). Independent of the connector's
 * reader. */
#include <stdio.h>
#include <string.h>
#include <zip.h>

#include "emulators/msads_priv.h"

sgx_err_t sgx_emu_msads_zip(const char *member, const char *data, size_t len, sgx_buf_t *out)
{
    zip_error_t zerr;
    zip_error_init(&zerr);
    sgx_err_t err = SGX_ERR_IO;
    zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &zerr);
    zip_t *za = buf ? zip_open_from_source(buf, ZIP_TRUNCATE, &zerr) : NULL;
    if (!za) {
        zip_source_free(buf);
        zip_error_fini(&zerr);
        return err;
    }
    zip_source_keep(buf); /* read the archive back after zip_close */
    zip_source_t *file = zip_source_buffer(za, data, len, 0);
    if (!file || zip_file_add(za, member, file, ZIP_FL_ENC_UTF_8) < 0) {
        zip_source_free(file);
        zip_discard(za);
        zip_source_free(buf);
        zip_error_fini(&zerr);
        return err;
    }
    zip_stat_t st;
    if (zip_close(za) == 0 && zip_source_stat(buf, &st) == 0 && zip_source_open(buf) == 0) {
        sgx_buf_reset(out);
        sgx_buf_reserve(out, (size_t)st.size);
        zip_int64_t got = zip_source_read(buf, out->data, st.size);
        if (got >= 0 && (zip_uint64_t)got == st.size) {
            out->len = (size_t)got;
            out->data[out->len] = '\0';
            err = SGX_OK;
        }
        zip_source_close(buf);
    } else {
        zip_discard(za);
    }
    zip_source_free(buf);
    zip_error_fini(&zerr);
    return err;
}

sgx_err_t sgx_emu_msads_unzip(const char *data, size_t len, size_t cap, sgx_buf_t *out)
{
    zip_error_t zerr;
    zip_error_init(&zerr);
    sgx_err_t err = SGX_ERR_INVALID;
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &zerr);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, &zerr) : NULL;
    zip_file_t *zf = NULL;
    zip_stat_t st;
    if (!za) {
        zip_source_free(src);
    } else if (zip_get_num_entries(za, 0) == 1 && zip_stat_index(za, 0, 0, &st) == 0 &&
               (st.valid & ZIP_STAT_SIZE) && st.size <= cap &&
               (zf = zip_fopen_index(za, 0, 0)) != NULL) {
        sgx_buf_reset(out);
        sgx_buf_reserve(out, (size_t)st.size);
        zip_int64_t got = st.size ? zip_fread(zf, out->data, st.size) : 0;
        if (got >= 0 && (zip_uint64_t)got == st.size) {
            out->len = (size_t)got;
            out->data[out->len] = '\0';
            err = SGX_OK;
        }
        zip_fclose(zf);
    }
    if (za) {
        zip_discard(za);
    }
    zip_error_fini(&zerr);
    return err;
}
