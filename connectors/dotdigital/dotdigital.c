/* Dotdigital: descriptor, configuration, init/destroy and the key list. */
#include "connectors/dotdigital/dotdigital.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "base/mem.h"

#define DD_DEFAULT_FIELDS "EMAIL,FIRSTNAME,LASTNAME"
#define DD_DEFAULT_POLL_MS "1000"
/* Customer Insights allows a Dotdigital export up to 3 h (destinations.md §5). */
#define DD_DEFAULT_TIMEOUT_S "10800"

static const sgx_config_key_t dd_config_keys[] = {
    {"api_user", SGX_CFG_STRING, NULL, "API user, e.g. apiuser-123@apiconnector.com"},
    {"api_password", SGX_CFG_STRING, NULL, "API user password"},
    {"region", SGX_CFG_STRING, "r1", "Account region: r1 (Europe), r2 (North America), r3 (APAC)"},
    {"base_url", SGX_CFG_STRING, "",
     "Override of https://<region>-api.dotdigital.com (proxies, emulators); the region still "
     "goes out in the Host header"},
    {"fields", SGX_CFG_LIST, DD_DEFAULT_FIELDS,
     "Columns sent per contact: EMAIL (required), FIRSTNAME, LASTNAME, FULLNAME, GENDER, "
     "POSTCODE (Meta names FN, LN, GEN, ZIP accepted)"},
    {"poll_interval_ms", SGX_CFG_INT, DD_DEFAULT_POLL_MS, "Wait between import status polls"},
    {"import_timeout_s", SGX_CFG_INT, DD_DEFAULT_TIMEOUT_S,
     "An import still NotFinished after this long is overdue: logged, counted, polled every "
     "retry_cap_ms; its rows stay unacknowledged until it is final"},
    {NULL, SGX_CFG_STRING, NULL, NULL},
};

static const struct {
    sgx_key_t key;
    const char *column;
} dd_columns[] = {
    {SGX_KEY_EMAIL, "Email"},       {SGX_KEY_FN, "FIRSTNAME"}, {SGX_KEY_LN, "LASTNAME"},
    {SGX_KEY_FULLNAME, "FULLNAME"}, {SGX_KEY_GEN, "GENDER"},   {SGX_KEY_ZIP, "POSTCODE"},
};
#define DD_NCOLUMNS (sizeof dd_columns / sizeof dd_columns[0])

const char *sgx_dd_column(sgx_key_t key)
{
    for (size_t i = 0; i < DD_NCOLUMNS; i++) {
        if (dd_columns[i].key == key) {
            return dd_columns[i].column;
        }
    }
    return NULL;
}

static sgx_err_t parse_fields(sgx_dd_ctx_t *dd, const char *list, char *errbuf)
{
    bool seen[SGX_KEY__COUNT] = {false};
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char name[32];
        while (n && isspace((unsigned char)*p)) {
            p++, n--;
        }
        while (n && isspace((unsigned char)p[n - 1])) {
            n--;
        }
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
        int k = n < sizeof name ? sgx_key_parse(name) : -1;
        if (k < 0 || !sgx_dd_column((sgx_key_t)k)) {
            return sgx_conn_cfg_error(errbuf, "fields: unknown Dotdigital field '%.*s' (allowed: EMAIL, "
                             "FIRSTNAME, LASTNAME, FULLNAME, GENDER, POSTCODE)",
                             (int)(n > 32 ? 32 : n), p);
        }
        if (seen[k]) {
            return sgx_conn_cfg_error(errbuf, "fields: %s listed twice", sgx_dd_column((sgx_key_t)k));
        }
        seen[k] = true;
        if (k == SGX_KEY_EMAIL) {
            dd->email_idx = dd->nkeys;
        }
        dd->keys[dd->nkeys++] = (sgx_key_t)k;
        if (!end) {
            break;
        }
        p = end + 1;
    }
    if (!seen[SGX_KEY_EMAIL]) {
        return sgx_conn_cfg_error(errbuf, "fields: EMAIL is required (Dotdigital imports need an Email "
                         "column)");
    }
    return SGX_OK;
}

static sgx_err_t set_base_url(sgx_dd_ctx_t *dd, const char *url, const char *region,
                              char *errbuf)
{
    char def[64];
    if (!url) {
        snprintf(def, sizeof def, "https://%s-api.dotdigital.com", region);
        url = def;
    }
    return sgx_conn_base_url(url, &dd->base_url, errbuf);
}

static void set_auth(sgx_dd_ctx_t *dd, const char *user, const char *password)
{
    size_t n = strlen(user) + 1 + strlen(password);
    unsigned char *plain = sgx_malloc(n + 1);
    snprintf((char *)plain, n + 1, "%s:%s", user, password);
    size_t enc = 4 * ((n + 2) / 3);
    dd->auth_header = sgx_malloc(enc + 7);
    memcpy(dd->auth_header, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)dd->auth_header + 6, plain, (int)n);
    OPENSSL_cleanse(plain, n);
    sgx_free(plain);
}

static void dd_destroy(void *ctx)
{
    sgx_dd_ctx_t *dd = ctx;
    if (!dd) {
        return;
    }
    sgx_conn_free_secret(dd->auth_header);
    sgx_free(dd->base_url);
    sgx_free(dd->host_header);
    sgx_free(dd);
}

static sgx_err_t dd_init(const sgx_dest_settings_t *s, void **ctx_out, char *errbuf)
{
    sgx_dd_ctx_t *dd = sgx_calloc(1, sizeof *dd);
    sgx_err_t err = SGX_OK;
    const char *user = sgx_conn_setting(s, "api_user", NULL);
    const char *password = sgx_conn_setting(s, "api_password", NULL);
    const char *region = sgx_conn_setting(s, "region", "r1");
    int64_t poll = 0, timeout = 0;
    if (!user || !password) {
        err = sgx_conn_cfg_error(errbuf, "api_user and api_password are required");
        goto fail;
    }
    if (strcmp(region, "r1") != 0 && strcmp(region, "r2") != 0 && strcmp(region, "r3") != 0) {
        err = sgx_conn_cfg_error(errbuf, "region must be r1, r2 or r3");
        goto fail;
    }
    if ((err = parse_fields(dd, sgx_conn_setting(s, "fields", DD_DEFAULT_FIELDS), errbuf)) ||
        (err = set_base_url(dd, sgx_conn_setting(s, "base_url", NULL), region, errbuf)) ||
        (err = sgx_conn_parse_int(sgx_conn_setting(s, "poll_interval_ms", DD_DEFAULT_POLL_MS), 10,
                                  600000, "poll_interval_ms", &poll, errbuf)) ||
        (err = sgx_conn_parse_int(sgx_conn_setting(s, "import_timeout_s", DD_DEFAULT_TIMEOUT_S), 1,
                                  7 * 86400, "import_timeout_s", &timeout, errbuf))) {
        goto fail;
    }
    char host[64];
    snprintf(host, sizeof host, "%s-api.dotdigital.com", region);
    dd->host_header = sgx_strdup(host);
    set_auth(dd, user, password);
    dd->poll_ms = poll;
    dd->max_polls = (timeout * 1000 + poll - 1) / poll;
    *ctx_out = dd;
    return SGX_OK;
fail:
    dd_destroy(dd);
    return err;
}

static void dd_keys_cb(const void *ctx, const sgx_key_t **keys, size_t *nkeys)
{
    const sgx_dd_ctx_t *dd = ctx;
    *keys = dd->keys;
    *nkeys = dd->nkeys;
}

const sgx_connector_def_t sgx_connector_dotdigital = {
    .abi_version = SGX_CONNECTOR_ABI,
    .name = "dotdigital",
    .description = "Dotdigital v2 API: address book bulk import (ENTER) and contact removal "
                   "(EXIT)",
    .kind = SGX_DEST_DOTDIGITAL,
    .config_keys = dd_config_keys,
    /* A file may be 50 MB; the multipart envelope adds a few hundred bytes. At most 25 imports
     * may be active per account: 20 leaves room for other clients of the same account. Each
     * EXIT batch costs at most one call per 1,000 contacts of the book or one per row, whichever
     * is fewer (dd_exit.c). */
    .limits = {.max_rows = 20000, .max_bytes = (50u << 20) - 4096, .max_inflight = 20,
               .linger_ms = 1000},
    .init = dd_init,
    .destroy = dd_destroy,
    .keys = dd_keys_cb,
    .encode = sgx_dd_encode,
    .prepare = sgx_dd_prepare,
    .classify = sgx_dd_classify,
    .validate_audience = sgx_dd_validate_audience,
    .probe_prepare = sgx_dd_probe_prepare,
    .probe_classify = sgx_dd_probe_classify,
};
