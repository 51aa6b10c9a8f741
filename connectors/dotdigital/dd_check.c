/* Dotdigital pre-flight: address book ids are numbers and segexport cannot create address books
 * (configure ids). The online probe reads the book, which changes nothing:
 *   GET /v2/address-books/{addressBookId}   (GetAddressBookById, Dotdigital v2 swagger;
 * dotdigital-php V2/Resources/AddressBooks.php show): 200 with the book, 404
 * ERROR_ADDRESSBOOK_NOT_FOUND, 401 for a wrong API user or password. */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "connectors/conn_util.h"
#include "connectors/dotdigital/dotdigital.h"

sgx_err_t sgx_dd_validate_audience(const void *ctx, const char *audience_id, char *errbuf)
{
    (void)ctx;
    return sgx_conn_numeric_audience(audience_id, "address book id", false,
                                     "segexport does not create Dotdigital address books; give "
                                     "the id of an existing one",
                                     errbuf);
}

sgx_err_t sgx_dd_probe_prepare(const void *ctx, const char *audience_id, const char *auth_token,
                               sgx_request_t *req)
{
    const sgx_dd_ctx_t *dd = ctx;
    (void)auth_token;
    if (!audience_id || !*audience_id || strspn(audience_id, "0123456789") != strlen(audience_id)) {
        return SGX_ERR_INVALID;
    }
    sgx_buf_t url = {0};
    sgx_buf_puts(&url, dd->base_url);
    sgx_buf_puts(&url, "/v2/address-books/");
    sgx_buf_puts(&url, audience_id);
    req->url = url.data;
    snprintf(req->method, sizeof req->method, "GET");
    if (sgx_request_add_header(req, "Authorization", dd->auth_header) ||
        sgx_request_add_header(req, "Host", dd->host_header) ||
        sgx_request_add_header(req, "Accept", "application/json")) {
        return SGX_ERR_FULL;
    }
    return SGX_OK;
}

bool sgx_dd_probe_classify(const void *ctx, const char *audience_id, const sgx_response_t *resp,
                           char *reason)
{
    (void)ctx;
    (void)audience_id;
    return sgx_conn_probe_status(resp, "dotdigital", reason);
}
