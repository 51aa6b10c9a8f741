/* Microsoft Advertising Customer Match: descriptor, configuration, OAuth (refresh_token grant)
 * and the job-state helpers. */
#include "connectors/microsoft_ads/msads.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/conn_util.h"
#include "base/mem.h"

#define MSADS_DEFAULT_TOKEN_URL "https://login.microsoftonline.com/common/oauth2/v2.0/token"
#define MSADS_DEFAULT_SCOPE "https://ads.microsoft.com/msads.manage"
#define MSADS_DEFAULT_BASE "https://bulk.api.bingads.microsoft.com"
/* ServiceClient.endpoints['production']['campaignmanagement'] (REST SDK bingads/
 * service_client.py); guides/web-service-addresses lists the same host for the SOAP service. */
#define MSADS_DEFAULT_CAMPAIGN "https://campaign.api.bingads.microsoft.com"

static const sgx_config_key_t msads_config_keys[] = {
    {"customer_id", SGX_CFG_STRING, NULL, "Manager account (customer) id: CustomerId header"},
    {"account_id", SGX_CFG_STRING, NULL, "Ad account id: AccountId and CustomerAccountId"},
    {"developer_token", SGX_CFG_STRING, NULL, "DeveloperToken header"},
    {"client_id", SGX_CFG_STRING, NULL, "OAuth application (client) id"},
    {"client_secret", SGX_CFG_STRING, "", "OAuth client secret (web apps only)"},
    {"refresh_token", SGX_CFG_STRING, NULL, "OAuth refresh token (msads.manage consent)"},
    {"token_url", SGX_CFG_STRING, MSADS_DEFAULT_TOKEN_URL, "OAuth token endpoint"},
    {"scope", SGX_CFG_STRING, MSADS_DEFAULT_SCOPE, "OAuth scope"},
    {"base_url", SGX_CFG_STRING, MSADS_DEFAULT_BASE,
     "REST host; {base_url}/Bulk/v13/BulkUploadUrl/Query etc."},
    {"campaign_url", SGX_CFG_STRING, MSADS_DEFAULT_CAMPAIGN,
     "Campaign Management REST host: a segment mapped to \"\" first looks for its Customer "
     "List by name at {campaign_url}/CampaignManagement/v13/Audiences/QueryByIds and creates "
     "it only when there is none"},
    {"poll_interval_ms", SGX_CFG_INT, "5000",
     "Status polling: first poll after this per 10,000 rows, then every interval (Microsoft "
     "suggests 60000)"},
    {"throttle_wait_ms", SGX_CFG_INT, "60000",
     "Wait after error 4204 or 3227 (too many requests) when no Retry-After is given"},
    {"job_timeout_s", SGX_CFG_INT, "10800",
     "A bulk job still not final after this much polling is overdue: logged, counted, polled "
     "every retry_cap_ms; its rows stay unacknowledged until it is final"},
    {"state_path", SGX_CFG_STRING, "",
     "Writable file where the core keeps the newest (rotated) refresh token and the ids of "
     "Customer Lists found or created for segments mapped to \"\", mode 0600; read on restart "
     "(the token in preference to refresh_token)"},
    {NULL, SGX_CFG_STRING, NULL, NULL},
};

static const sgx_key_t msads_keys[] = {SGX_KEY_EMAIL};

bool sgx_msads_digits(const char *s, size_t n)
{
    if (!s || n == 0 || n > 19) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/* Header values must be printable ASCII: a CR/LF would split the request. */
static bool header_safe(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
            return false;
        }
    }
    return true;
}

static bool http_url(const char *u)
{
    return sgx_conn_http_scheme(u) && header_safe(u) && !strchr(u, ' ');
}

static void form_field(sgx_buf_t *out, const char *key, const char *val)
{
    if (out->len) {
        sgx_buf_putc(out, '&');
    }
    sgx_buf_puts(out, key);
    sgx_buf_putc(out, '=');
    sgx_conn_urlencode(out, val, strlen(val), NULL);
}

/* The refresh_token grant: the fixed fields plus refresh (borrowed). @returns owned text. */
static char *token_form(const sgx_msads_ctx_t *m, const char *refresh)
{
    sgx_buf_t f = {0};
    sgx_buf_puts(&f, m->auth_fields);
    form_field(&f, "refresh_token", refresh);
    return f.data;
}

static void msads_destroy(void *ctx)
{
    sgx_msads_ctx_t *m = ctx;
    if (!m) {
        return;
    }
    sgx_free(m->customer_id);
    sgx_free(m->account_id);
    sgx_conn_free_secret(m->developer_token);
    sgx_free(m->token_url);
    sgx_conn_free_secret(m->auth_form);
    sgx_conn_free_secret(m->auth_fields);
    sgx_free(m->base_url);
    sgx_free(m->campaign_url);
    sgx_free(m);
}

/* Millisecond settings share one upper bound: an hour. */
static sgx_err_t parse_ms(const char *v, const char *name, long lo, int64_t *out, char *errbuf)
{
    return sgx_conn_parse_int(v, lo, 3600000, name, out, errbuf);
}

static sgx_err_t msads_init(const sgx_dest_settings_t *s, void **ctx_out, char *errbuf)
{
    sgx_msads_ctx_t *m = sgx_calloc(1, sizeof *m);
    sgx_err_t err = SGX_OK;
    const char *customer = sgx_conn_setting(s, "customer_id", NULL);
    const char *account = sgx_conn_setting(s, "account_id", NULL);
    const char *devtok = sgx_conn_setting(s, "developer_token", NULL);
    const char *client = sgx_conn_setting(s, "client_id", NULL);
    const char *secret = sgx_conn_setting(s, "client_secret", NULL);
    const char *refresh = sgx_conn_setting(s, "refresh_token", NULL);
    const char *token_url = sgx_conn_setting(s, "token_url", MSADS_DEFAULT_TOKEN_URL);
    const char *base = sgx_conn_setting(s, "base_url", MSADS_DEFAULT_BASE);
    const char *campaign = sgx_conn_setting(s, "campaign_url", MSADS_DEFAULT_CAMPAIGN);
    if (!customer || !sgx_msads_digits(customer, strlen(customer))) {
        err = sgx_conn_cfg_error(errbuf, "customer_id is required: the manager account id (digits)");
    } else if (!account || !sgx_msads_digits(account, strlen(account))) {
        err = sgx_conn_cfg_error(errbuf, "account_id is required: the ad account id (digits)");
    } else if (!devtok || !header_safe(devtok)) {
        err = sgx_conn_cfg_error(errbuf, "developer_token is required (printable ASCII)");
    } else if (!client || !refresh) {
        err = sgx_conn_cfg_error(errbuf, "client_id and refresh_token are required (OAuth)");
    } else if (!http_url(token_url) || !http_url(base) || !http_url(campaign)) {
        err = sgx_conn_cfg_error(errbuf, "token_url, base_url and campaign_url must be http(s) "
                                         "URLs");
    } else if (!(err = parse_ms(sgx_conn_setting(s, "poll_interval_ms", "5000"), "poll_interval_ms", 1,
                                &m->poll_interval_ms, errbuf))) {
        err = parse_ms(sgx_conn_setting(s, "throttle_wait_ms", "60000"), "throttle_wait_ms", 0,
                       &m->throttle_wait_ms, errbuf);
    }
    int64_t timeout_s = 0;
    if (!err && !(err = sgx_conn_parse_int(sgx_conn_setting(s, "job_timeout_s", "10800"), 1,
                                           7 * 86400, "job_timeout_s", &timeout_s, errbuf))) {
        m->max_polls = (timeout_s * 1000 + m->poll_interval_ms - 1) / m->poll_interval_ms;
    }
    if (err) {
        msads_destroy(m);
        return err;
    }
    m->base_url = sgx_conn_url_dup(base);
    m->campaign_url = sgx_conn_url_dup(campaign);
    m->customer_id = sgx_strdup(customer);
    m->account_id = sgx_strdup(account);
    m->developer_token = sgx_strdup(devtok);
    m->token_url = sgx_strdup(token_url);
    sgx_buf_t f = {0};
    form_field(&f, "grant_type", "refresh_token");
    form_field(&f, "client_id", client);
    if (secret) {
        form_field(&f, "client_secret", secret);
    }
    form_field(&f, "scope", sgx_conn_setting(s, "scope", MSADS_DEFAULT_SCOPE));
    m->auth_fields = f.data;
    m->auth_form = token_form(m, refresh);
    *ctx_out = m;
    return SGX_OK;
}

static void msads_keys_cb(const void *ctx, const sgx_key_t **keys, size_t *nkeys)
{
    (void)ctx;
    *keys = msads_keys;
    *nkeys = 1;
}

static void token_request(const sgx_msads_ctx_t *m, const char *form, sgx_request_t *req)
{
    snprintf(req->method, sizeof req->method, "POST");
    req->url = sgx_strdup(m->token_url);
    req->content_type = sgx_strdup("application/x-www-form-urlencoded");
    sgx_buf_puts(&req->owned_body, form);
    req->body = &req->owned_body;
}

static sgx_err_t msads_auth_prepare(const void *ctx, sgx_request_t *req)
{
    token_request(ctx, ((const sgx_msads_ctx_t *)ctx)->auth_form, req);
    return SGX_OK;
}

/* The same grant with the newest refresh token the core kept (rotation). */
static sgx_err_t msads_auth_prepare_refresh(const void *ctx, const char *refresh,
                                            sgx_request_t *req)
{
    if (!refresh || !*refresh) {
        return SGX_ERR_INVALID;
    }
    char *form = token_form(ctx, refresh);
    token_request(ctx, form, req);
    sgx_conn_free_secret(form);
    return SGX_OK;
}

/* Microsoft's identity platform returns a new refresh token with every refresh_token grant
 * and the old one is to be replaced (learn.microsoft.com/advertising/guides/
 * authentication-oauth-get-tokens: "Get the access_token, refresh_token, and expires_in values";
 * the Python SDK hands each new OAuthTokens to token_refreshed_callback for storing,
 * bingads/authorization.py request_oauth_tokens_by_refresh_token). */
static char *msads_auth_rotated(const void *ctx, const sgx_response_t *resp)
{
    (void)ctx;
    if (resp->status != 200 || !resp->body) {
        return NULL;
    }
    json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
    const char *rt = json_string_value(json_object_get(root, "refresh_token"));
    char *out = rt && *rt && strlen(rt) < 8192 && header_safe(rt) ? sgx_strdup(rt) : NULL;
    json_decref(root);
    return out;
}

/* {"access_token","expires_in","refresh_token"?} or {"error","error_description"}. The reason
 * carries the OAuth error code only (descriptions may quote the request). */
static sgx_err_t msads_auth_parse(const void *ctx, const sgx_response_t *resp, char **token,
                                  int64_t *expires_in_ms, char *reason)
{
    (void)ctx;
    *token = NULL;
    if (resp->transport_error || resp->status == 0) {
        snprintf(reason, 128, "transport_error");
        return SGX_ERR_UNAVAILABLE;
    }
    json_t *root = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    const char *at = json_string_value(json_object_get(root, "access_token"));
    json_t *exp = json_object_get(root, "expires_in");
    sgx_err_t err = SGX_OK;
    if (resp->status == 200 && at && *at && header_safe(at)) {
        long long secs = json_is_integer(exp) ? json_integer_value(exp)
                         : json_is_string(exp) ? atoll(json_string_value(exp))
                                               : 3600;
        *expires_in_ms = (secs > 0 ? secs : 60) * 1000;
        *token = sgx_strdup(at);
    } else {
        const char *e = json_string_value(json_object_get(root, "error"));
        bool clean = e && strlen(e) < 48 && strspn(e, "abcdefghijklmnopqrstuvwxyz_") == strlen(e);
        snprintf(reason, 128, "oauth_error http=%ld error=%s", resp->status,
                 clean ? e : "unexpected");
        err = SGX_ERR_UNAVAILABLE;
    }
    json_decref(root);
    return err;
}

/* ---- job state --------------------------------------------------------------------------- */

sgx_err_t sgx_msads_state_parse(const char *text, sgx_msads_state_t *st)
{
    memset(st, 0, sizeof *st);
    if (!text) {
        return SGX_ERR_INVALID;
    }
    const char *f[4] = {NULL};
    size_t len[4] = {0};
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        const char *nl = strchr(p, '\n');
        f[i] = p;
        len[i] = nl ? (size_t)(nl - p) : strlen(p);
        if (!nl) {
            break;
        }
        p = nl + 1;
    }
    if (!f[2] || len[0] == 0 || len[0] >= sizeof st->request_id || len[1] == 0) {
        return SGX_ERR_INVALID;
    }
    memcpy(st->request_id, f[0], len[0]);
    st->upload_url = sgx_strndup(f[1], len[1]);
    st->polls = atol(f[2]);
    st->result_url = f[3] && len[3] ? sgx_strndup(f[3], len[3]) : NULL;
    return SGX_OK;
}

char *sgx_msads_state_format(const sgx_msads_state_t *st)
{
    size_t n = strlen(st->request_id) + strlen(st->upload_url) +
               (st->result_url ? strlen(st->result_url) : 0) + 32;
    char *s = sgx_malloc(n);
    snprintf(s, n, "%s\n%s\n%ld\n%s", st->request_id, st->upload_url, st->polls,
             st->result_url ? st->result_url : "");
    return s;
}

void sgx_msads_state_free(sgx_msads_state_t *st)
{
    sgx_free(st->upload_url);
    sgx_free(st->result_url);
    st->upload_url = st->result_url = NULL;
}

/* Customer List ids are numbers (Id column, customer-list.md); "" finds the list by name or
 * creates it through a negative reference id, which needs no extra setting. */
static sgx_err_t msads_validate_audience(const void *ctx, const char *audience_id, char *errbuf)
{
    (void)ctx;
    return sgx_conn_numeric_audience(audience_id, "customer list id", true, "", errbuf);
}

const sgx_connector_def_t sgx_connector_microsoft_ads = {
    .abi_version = SGX_CONNECTOR_ABI,
    .name = "microsoft_ads",
    .description = "Microsoft Advertising Customer Match (Bulk API v13: upload, poll, results)",
    .kind = SGX_DEST_MICROSOFT_ADS,
    .config_keys = msads_config_keys,
    /* The API allows 4,000,000 rows and 100 MB per file; one limit is both default and cap in
     * this interface, so the batch is the saner 100,000 rows (~11 MB). Uploads are async and
     * polled: linger longer, and keep to <= 5 concurrent uploads per customer. */
    /* 100,000 rows by default (a file of ~10 MB, polled sooner); config may go up to the
     * bulk file's 4,000,000. */
    .limits = {.max_rows = 100000, .max_bytes = 100u << 20, .max_inflight = 5,
               .linger_ms = 5000, .max_rows_cap = 4000000},
    .init = msads_init,
    .destroy = msads_destroy,
    .keys = msads_keys_cb,
    .encode = sgx_msads_encode,
    .prepare = sgx_msads_prepare,
    .classify = sgx_msads_classify,
    .auth_prepare = msads_auth_prepare,
    .auth_parse = msads_auth_parse,
    .auth_rotated = msads_auth_rotated,
    .auth_prepare_refresh = msads_auth_prepare_refresh,
    /* No probe: the Bulk API has no read-only call for one list (GetBulkUploadUrl reserves an
     * upload), so `check --online` proves the credentials with a token refresh only; a missing
     * list (8000) or terms not accepted (8003) show on the first upload. */
    .validate_audience = msads_validate_audience,
};
