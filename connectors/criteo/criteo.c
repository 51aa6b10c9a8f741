/* Criteo contact-list audiences: descriptor, configuration, init/destroy, the key list and the
 * client-credentials token request. */
#include "connectors/criteo/criteo.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "base/mem.h"

/* The current stable Marketing Solutions version. Criteo releases two stable versions a year
 * (January, July), each supported 12 months, then decommissioned (410 Gone) - "API Versioning
 * Policy", developers.criteo.com/criteo-apis/docs/versioning-policy. 2026-07 is stable until
 * July 2027; 2027-01 is the release candidate (criteo-api-marketingsolutions-sdk 2027.1.0.*).
 * Operators move with api_version (docs/platform-notes.md). */
#define CRT_DEFAULT_VERSION "2026-07"
#define CRT_DEFAULT_BASE "https://api.criteo.com"

static const sgx_config_key_t crt_config_keys[] = {
    {"client_id", SGX_CFG_STRING, NULL, "OAuth client id of the Criteo API app"},
    {"client_secret", SGX_CFG_STRING, NULL, "OAuth client secret (use client_secret_file)"},
    {"advertiser_id", SGX_CFG_STRING, "",
     "Advertiser that owns created segments; needed only for segments without an audience id"},
    {"api_version", SGX_CFG_STRING, CRT_DEFAULT_VERSION, "Marketing Solutions API version"},
    {"base_url", SGX_CFG_STRING, CRT_DEFAULT_BASE, "API base URL (emulators, proxies)"},
    {"identifier_hashing", SGX_CFG_STRING, "sha256",
     "How e-mails are sent: sha256 (default), plain or md5"},
    {"state_path", SGX_CFG_STRING, "",
     "Writable file where the core keeps the ids of segments found or created by name, so a "
     "restart or another replica does not search and create again"},
    {NULL, SGX_CFG_STRING, NULL, NULL},
};

/* "YYYY-MM" (the dated versions) or "preview". */
static bool valid_version(const char *v)
{
    if (strcmp(v, "preview") == 0) {
        return true;
    }
    return strlen(v) == 7 && isdigit((unsigned char)v[0]) && isdigit((unsigned char)v[1]) &&
           isdigit((unsigned char)v[2]) && isdigit((unsigned char)v[3]) && v[4] == '-' &&
           isdigit((unsigned char)v[5]) && isdigit((unsigned char)v[6]);
}

static bool crt_plain_key(const void *ctx, sgx_key_t key)
{
    const sgx_criteo_ctx_t *c = ctx;
    return key == SGX_KEY_EMAIL && c->hashing != SGX_CRITEO_SHA256;
}

static sgx_err_t set_hashing(sgx_criteo_ctx_t *c, const char *mode, char *errbuf)
{
    if (strcmp(mode, "sha256") == 0) {
        c->hashing = SGX_CRITEO_SHA256;
        return SGX_OK;
    }
    /* plain and md5 ask the core for the normalized text (plain_key); the encoder sends it
     * as is or hashes it with MD5. */
    if (strcmp(mode, "plain") == 0) {
        c->hashing = SGX_CRITEO_PLAIN;
        return SGX_OK;
    }
    if (strcmp(mode, "md5") == 0) {
        c->hashing = SGX_CRITEO_MD5;
        return SGX_OK;
    }
    return sgx_conn_cfg_error(errbuf, "identifier_hashing must be sha256, plain or md5");
}

static sgx_err_t set_advertiser(sgx_criteo_ctx_t *c, const char *id, char *errbuf)
{
    if (!id) {
        return SGX_OK;
    }
    if (strspn(id, "0123456789") != strlen(id)) {
        return sgx_conn_cfg_error(errbuf, "advertiser_id must be digits");
    }
    c->advertiser_id = sgx_strdup(id);
    return SGX_OK;
}

static void crt_destroy(void *ctx)
{
    sgx_criteo_ctx_t *c = ctx;
    if (!c) {
        return;
    }
    sgx_free(c->client_id);
    sgx_conn_free_secret(c->client_secret);
    sgx_conn_free_secret(c->token_form);
    sgx_free(c->advertiser_id);
    sgx_free(c->api_version);
    sgx_free(c->base_url);
    OPENSSL_cleanse(c, sizeof *c);
    sgx_free(c);
}

static sgx_err_t crt_init(const sgx_dest_settings_t *s, void **ctx_out, char *errbuf)
{
    sgx_criteo_ctx_t *c = sgx_calloc(1, sizeof *c);
    sgx_err_t err = SGX_OK;
    const char *id = sgx_conn_setting(s, "client_id", NULL);
    const char *secret = sgx_conn_setting(s, "client_secret", NULL);
    const char *version = sgx_conn_setting(s, "api_version", CRT_DEFAULT_VERSION);
    if (!id || !secret) {
        err = sgx_conn_cfg_error(errbuf, "client_id and client_secret are required");
        goto fail;
    }
    if (!valid_version(version)) {
        err = sgx_conn_cfg_error(errbuf, "api_version must look like 2026-07 (or be preview)");
        goto fail;
    }
    if ((err = sgx_conn_base_url(sgx_conn_setting(s, "base_url", CRT_DEFAULT_BASE), &c->base_url,
                                errbuf)) ||
        (err = set_hashing(c, sgx_conn_setting(s, "identifier_hashing", "sha256"), errbuf)) ||
        (err = set_advertiser(c, sgx_conn_setting(s, "advertiser_id", NULL), errbuf))) {
        goto fail;
    }
    c->client_id = sgx_strdup(id);
    c->client_secret = sgx_strdup(secret);
    c->api_version = sgx_strdup(version);
    c->keys[0] = SGX_KEY_EMAIL;
    c->max_bytes = sgx_connector_criteo.limits.max_bytes;
    sgx_buf_t form = {0};
    sgx_buf_puts(&form, "grant_type=client_credentials&client_id=");
    sgx_conn_urlencode(&form, id, strlen(id), NULL);
    sgx_buf_puts(&form, "&client_secret=");
    sgx_conn_urlencode(&form, secret, strlen(secret), NULL);
    c->token_form = form.data;
    *ctx_out = c;
    return SGX_OK;
fail:
    crt_destroy(c);
    return err;
}

static void crt_keys(const void *ctx, const sgx_key_t **keys, size_t *nkeys)
{
    const sgx_criteo_ctx_t *c = ctx;
    *keys = c->keys;
    *nkeys = 1;
}

static sgx_err_t crt_auth_prepare(const void *ctx, sgx_request_t *req)
{
    const sgx_criteo_ctx_t *c = ctx;
    size_t n = strlen(c->base_url) + sizeof "/oauth2/token";
    req->url = sgx_malloc(n);
    snprintf(req->url, n, "%s/oauth2/token", c->base_url);
    snprintf(req->method, sizeof req->method, "POST");
    req->content_type = sgx_strdup("application/x-www-form-urlencoded");
    sgx_buf_puts(&req->owned_body, c->token_form);
    req->body = &req->owned_body;
    return sgx_request_add_header(req, "Accept", "application/json");
}

const sgx_connector_def_t sgx_connector_criteo = {
    .abi_version = SGX_CONNECTOR_ABI,
    .name = "criteo",
    .description = "Criteo Marketing Solutions API: contact-list audience segments",
    .kind = SGX_DEST_CRITEO,
    .config_keys = crt_config_keys,
    /* 50,000 identifiers per call (partner connectors' limit, destinations.md §3); 250 calls a
     * minute for client-credentials apps, so requests start at most every 240 ms and the limit
     * is never reached in steady state. 4 MiB holds 50,000 hex SHA-256 identifiers (3.4 MB). */
    .limits = {.max_rows = SGX_CRITEO_MAX_IDENTIFIERS, .max_bytes = 4u << 20, .max_inflight = 4,
               .linger_ms = 500, .min_interval_ms = 240},
    .init = crt_init,
    .destroy = crt_destroy,
    .keys = crt_keys,
    .encode = sgx_criteo_encode,
    .prepare = sgx_criteo_prepare,
    .classify = sgx_criteo_classify,
    .auth_prepare = crt_auth_prepare,
    .auth_parse = sgx_criteo_auth_parse,
    .plain_key = crt_plain_key,
    .validate_audience = sgx_criteo_validate_audience,
    .probe_prepare = sgx_criteo_probe_prepare,
    .probe_classify = sgx_criteo_probe_classify,
};
