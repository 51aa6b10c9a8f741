/* Meta Custom Audiences: descriptor, configuration, init/destroy and the key list. */
#include "connectors/facebook/fb.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "codecs/hash.h"
#include "connectors/conn_util.h"
#include "base/mem.h"

#define FB_DEFAULT_VERSION "v25.0"
#define FB_DEFAULT_BASE "https://graph.facebook.com"
#define FB_DEFAULT_KEYS "EMAIL,PHONE"

static const sgx_config_key_t fb_config_keys[] = {
    {"access_token", SGX_CFG_STRING, NULL, "System-user access token with ads_management"},
    {"app_secret", SGX_CFG_STRING, "",
     "App secret; when set every call carries appsecret_proof (HMAC-SHA256 of the token)"},
    {"api_version", SGX_CFG_STRING, FB_DEFAULT_VERSION, "Graph API version, e.g. v25.0"},
    {"base_url", SGX_CFG_STRING, FB_DEFAULT_BASE, "Graph API base URL (emulators, proxies)"},
    {"keys", SGX_CFG_LIST, FB_DEFAULT_KEYS,
     "Meta keys sent per row: EXTERN_ID, EMAIL, PHONE, GEN, DOBY, DOBM, DOBD, LN, FN, FI, CT, "
     "ST, ZIP, MADID, COUNTRY"},
    {"default_country", SGX_CFG_STRING, "",
     "ISO alpha-2 country for phone numbers in national form when the profile has none"},
    {"ad_account_id", SGX_CFG_STRING, "",
     "Ad account (digits, optional act_ prefix) where segments mapped to \"\" get their "
     "audience: found by name (the segment id) or created"},
    {"customer_file_source", SGX_CFG_STRING, "USER_PROVIDED_ONLY",
     "customer_file_source of created audiences: USER_PROVIDED_ONLY, PARTNER_PROVIDED_ONLY or "
     "BOTH_USER_AND_PARTNER_PROVIDED"},
    {"delete_max_url_bytes", SGX_CFG_INT, "8000",
     "Longest URL of a removal (DELETE carries its rows in the query string, as the official "
     "SDK sends it): 8000 is what RFC 9110 asks every server to accept; Meta documents no "
     "limit. Up to 65536 (RudderStack sends up to 60 KB queries): fewer, larger removals"},
    {"state_path", SGX_CFG_STRING, "",
     "Writable file where the core keeps the ids of audiences it found or created (key "
     "audience:<segment>), read on restart so they are not searched or created again"},
    {NULL, SGX_CFG_STRING, NULL, NULL},
};

/* Meta's multi-key schema names, in the order Meta documents them. */
static const struct {
    const char *name;
    sgx_key_t key;
} fb_keys[] = {
    {"EXTERN_ID", SGX_KEY_EXTERN_ID}, {"EMAIL", SGX_KEY_EMAIL}, {"PHONE", SGX_KEY_PHONE},
    {"GEN", SGX_KEY_GEN},             {"DOBY", SGX_KEY_DOBY},   {"DOBM", SGX_KEY_DOBM},
    {"DOBD", SGX_KEY_DOBD},           {"LN", SGX_KEY_LN},       {"FN", SGX_KEY_FN},
    {"FI", SGX_KEY_FI},               {"CT", SGX_KEY_CT},       {"ST", SGX_KEY_ST},
    {"ZIP", SGX_KEY_ZIP},             {"MADID", SGX_KEY_MADID}, {"COUNTRY", SGX_KEY_COUNTRY},
};
#define FB_NKEYS (sizeof fb_keys / sizeof fb_keys[0])

static const char *key_name(sgx_key_t key)
{
    for (size_t i = 0; i < FB_NKEYS; i++) {
        if (fb_keys[i].key == key) {
            return fb_keys[i].name;
        }
    }
    return NULL;
}

static int find_key(const char *name, size_t n)
{
    for (size_t i = 0; i < FB_NKEYS; i++) {
        if (strlen(fb_keys[i].name) == n && strncasecmp(fb_keys[i].name, name, n) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static sgx_err_t parse_keys(sgx_fb_ctx_t *fb, const char *list, char *errbuf)
{
    bool seen[FB_NKEYS] = {false};
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && isspace((unsigned char)*p)) {
            p++, n--;
        }
        while (n && isspace((unsigned char)p[n - 1])) {
            n--;
        }
        int k = find_key(p, n);
        if (k < 0) {
            return sgx_conn_cfg_error(errbuf, "keys: unknown Meta key '%.*s' (allowed: EXTERN_ID, EMAIL, "
                             "PHONE, GEN, DOBY, DOBM, DOBD, LN, FN, FI, CT, ST, ZIP, MADID, "
                             "COUNTRY)", (int)(n > 32 ? 32 : n), p);
        }
        if (seen[k]) {
            return sgx_conn_cfg_error(errbuf, "keys: %s listed twice", fb_keys[k].name);
        }
        seen[k] = true;
        fb->keys[fb->nkeys++] = fb_keys[k].key;
        if (!end) {
            return SGX_OK;
        }
        p = end + 1;
    }
}

static sgx_err_t set_proof(sgx_fb_ctx_t *fb, const char *token, const char *secret)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)token,
              strlen(token), mac, &n) ||
        n != SGX_SHA256_LEN) {
        return SGX_ERR_UNAVAILABLE;
    }
    sgx_hex_lower(mac, n, fb->appsecret_proof);
    OPENSSL_cleanse(mac, sizeof mac);
    return SGX_OK;
}

static bool valid_version(const char *v)
{
    if (v[0] != 'v' || !isdigit((unsigned char)v[1])) {
        return false;
    }
    return strspn(v + 1, "0123456789.") == strlen(v + 1);
}

static sgx_err_t set_country(sgx_fb_ctx_t *fb, const char *c, char *errbuf)
{
    if (!c) {
        return SGX_OK;
    }
    if (strlen(c) != 2 || !isalpha((unsigned char)c[0]) || !isalpha((unsigned char)c[1])) {
        return sgx_conn_cfg_error(errbuf, "default_country must be an ISO 3166-1 alpha-2 code");
    }
    fb->default_country = sgx_strdup(c);
    for (int i = 0; i < 2; i++) {
        fb->default_country[i] = (char)tolower((unsigned char)c[i]);
    }
    return SGX_OK;
}

/* The values the Graph reference and the SDK's CustomAudience.CustomerFileSource list. */
static sgx_err_t set_file_source(sgx_fb_ctx_t *fb, const char *v, char *errbuf)
{
    static const char *const ok[] = {"USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY",
                                     "BOTH_USER_AND_PARTNER_PROVIDED"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (strcmp(v, ok[i]) == 0) {
            fb->file_source = sgx_strdup(v);
            return SGX_OK;
        }
    }
    return sgx_conn_cfg_error(errbuf, "customer_file_source must be USER_PROVIDED_ONLY, "
                              "PARTNER_PROVIDED_ONLY or BOTH_USER_AND_PARTNER_PROVIDED");
}

static sgx_err_t set_account(sgx_fb_ctx_t *fb, const char *acct, char *errbuf)
{
    if (!acct) {
        return SGX_OK;
    }
    if (strncmp(acct, "act_", 4) == 0) {
        acct += 4;
    }
    if (!*acct || strspn(acct, "0123456789") != strlen(acct)) {
        return sgx_conn_cfg_error(errbuf, "ad_account_id must be digits, optionally prefixed act_");
    }
    fb->ad_account_id = sgx_strdup(acct);
    return SGX_OK;
}

/* The body's constant prefix depends only on the configured keys, so init builds it once and
 * encode copies it; building it here, next to the key table, keeps encode from calling back
 * into the configuration. */
static void build_payload_head(sgx_fb_ctx_t *fb)
{
    sgx_buf_t json = {0}, enc = {0};
    sgx_buf_puts(&json, "{\"schema\":[");
    for (size_t i = 0; i < fb->nkeys; i++) {
        sgx_buf_puts(&json, i ? ",\"" : "\"");
        sgx_buf_puts(&json, key_name(fb->keys[i]));
        sgx_buf_putc(&json, '"');
    }
    /* is_raw=true: the values are single-key columns, not combined keys like LN_FN_ZIP. */
    sgx_buf_puts(&json, "],\"is_raw\":true,\"data\":[");
    sgx_buf_puts(&enc, "payload=");
    sgx_conn_urlencode(&enc, json.data, json.len, NULL);
    sgx_buf_free(&json);
    fb->payload_head = enc.data;
    fb->payload_head_len = enc.len;
}

static void fb_destroy(void *ctx)
{
    sgx_fb_ctx_t *fb = ctx;
    if (!fb) {
        return;
    }
    sgx_conn_free_secret(fb->access_token_enc);
    sgx_free(fb->api_version);
    sgx_free(fb->base_url);
    sgx_free(fb->default_country);
    sgx_free(fb->ad_account_id);
    sgx_free(fb->file_source);
    sgx_free(fb->payload_head);
    OPENSSL_cleanse(fb, sizeof *fb);
    sgx_free(fb);
}

static sgx_err_t fb_init(const sgx_dest_settings_t *s, void **ctx_out, char *errbuf)
{
    sgx_fb_ctx_t *fb = sgx_calloc(1, sizeof *fb);
    sgx_err_t err = SGX_OK;
    const char *token = sgx_conn_setting(s, "access_token", NULL);
    const char *secret = sgx_conn_setting(s, "app_secret", NULL);
    const char *version = sgx_conn_setting(s, "api_version", FB_DEFAULT_VERSION);
    if (!token) {
        err = sgx_conn_cfg_error(errbuf, "access_token is required");
        goto fail;
    }
    if (!valid_version(version)) {
        err = sgx_conn_cfg_error(errbuf, "api_version must look like v25.0");
        goto fail;
    }
    if (secret && (err = set_proof(fb, token, secret)) != SGX_OK) {
        sgx_conn_cfg_error(errbuf, "cannot compute appsecret_proof (HMAC-SHA256 unavailable)");
        goto fail;
    }
    if ((err = sgx_conn_base_url(sgx_conn_setting(s, "base_url", FB_DEFAULT_BASE), &fb->base_url,
                                errbuf)) ||
        (err = parse_keys(fb, sgx_conn_setting(s, "keys", FB_DEFAULT_KEYS), errbuf)) ||
        (err = set_country(fb, sgx_conn_setting(s, "default_country", NULL), errbuf)) ||
        (err = set_account(fb, sgx_conn_setting(s, "ad_account_id", NULL), errbuf)) ||
        (err = set_file_source(fb, sgx_conn_setting(s, "customer_file_source",
                                                    "USER_PROVIDED_ONLY"), errbuf))) {
        goto fail;
    }
    sgx_buf_t enc = {0};
    sgx_conn_urlencode(&enc, token, strlen(token), NULL);
    fb->access_token_enc = enc.data;
    fb->api_version = sgx_strdup(version);
    fb->max_bytes = sgx_connector_facebook.limits.max_bytes;
    int64_t max_url = FB_MAX_URL;
    if ((err = sgx_conn_parse_int(sgx_conn_setting(s, "delete_max_url_bytes", "8000"), 2048,
                                  65536, "delete_max_url_bytes", &max_url, errbuf))) {
        goto fail;
    }
    fb->max_url = (size_t)max_url;
    build_payload_head(fb);
    *ctx_out = fb;
    return SGX_OK;
fail:
    fb_destroy(fb);
    return err;
}

static void fb_keys_cb(const void *ctx, const sgx_key_t **keys, size_t *nkeys)
{
    const sgx_fb_ctx_t *fb = ctx;
    *keys = fb->keys;
    *nkeys = fb->nkeys;
}

const sgx_connector_def_t sgx_connector_facebook = {
    .abi_version = SGX_CONNECTOR_ABI,
    .name = "facebook",
    .description = "Meta Marketing API: Customer File Custom Audiences (/users add/remove, "
                   "find or create by name)",
    .kind = SGX_DEST_FACEBOOK,
    .config_keys = fb_config_keys,
    /* 10,000 rows per request is Meta's documented cap; 4 MiB keeps bodies well under the
     * Graph API's request size limits even for wide EXTERN_ID rows. Removals go in the URL and
     * are held to FB_MAX_URL by encode itself (SGX_ERR_TOO_LARGE: the core halves the batch). */
    .limits = {.max_rows = 10000, .max_bytes = 4u << 20, .max_inflight = 4, .linger_ms = 200,
               /* Business-use-case usage is counted over a rolling hour
                * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting) */
               .usage_window_ms = 3600000},
    .init = fb_init,
    .destroy = fb_destroy,
    .keys = fb_keys_cb,
    .encode = sgx_fb_encode,
    .prepare = sgx_fb_prepare,
    .classify = sgx_fb_classify,
    .validate_audience = sgx_fb_validate_audience,
    .probe_prepare = sgx_fb_probe_prepare,
    .probe_classify = sgx_fb_probe_classify,
};
