/* Expiring credentials: the dispatcher fetches a token before a destination's first request,
 * again a minute before it expires, and after a REAUTH verdict. The connector builds the token
 * request and parses the answer; the token itself never reaches a log. Rotating refresh tokens
 * (auth_rotated) are kept here and persisted at the destination's state_path, which is read
 * before the first token request so a restart uses the newest one. The same file keeps the
 * audiences a connector found by name or created ("audience:<segment>"), read at start-up. */
#include <stdio.h>
#include <string.h>

#include "base/backoff.h"
#include "pipeline/state_file.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "base/mem.h"

#define REFRESH_EARLY_MS 60000

static const char *state_file(const sgx_dest_rt_t *dr)
{
    const char *p = sgx_settings_get(&dr->d->cfg->settings, "state_path");
    return p && *p ? p : NULL;
}

/* The state file key of a created audience: one per segment, so a restart, or a replica that
 * shares the file through a volume, reuses the audience instead of creating another. */
static void audience_key(const sgx_dest_rt_t *dr, size_t aud, char *key, size_t size)
{
    snprintf(key, size, "audience:%s", dr->d->cfg->segments[aud]);
}

void sgx_dest_load_created(sgx_dest_rt_t *dr)
{
    const char *path = state_file(dr);
    for (size_t a = 0; path && a < dr->d->cfg->naudiences; a++) {
        if (dr->aud_ids[a]) {
            continue; /* the config names it: the config wins */
        }
        char key[320];
        audience_key(dr, a, key, sizeof key);
        sgx_err_t err = sgx_state_file_get(path, key, &dr->aud_ids[a]);
        if (err == SGX_OK) {
            SGX_INFO("dispatch", "%s: segment %s uses audience %s, created earlier (%s)",
                     dr->d->cfg->name, dr->d->cfg->segments[a], dr->aud_ids[a], path);
        } else if (err != SGX_ERR_NOT_FOUND) {
            SGX_ERROR("dispatch", "%s: state file %s unreadable (%s): segment %s will look its "
                      "audience up again", dr->d->cfg->name, path, sgx_err_str(err),
                      dr->d->cfg->segments[a]);
        }
    }
}

void sgx_dest_save_created(const sgx_dest_rt_t *dr, size_t aud)
{
    const char *path = state_file(dr);
    if (!path) {
        SGX_INFO("dispatch", "%s: no state_path: put audience %s in the config for segment %s "
                 "to reuse it after a restart without looking it up", dr->d->cfg->name,
                 dr->aud_ids[aud], dr->d->cfg->segments[aud]);
        return;
    }
    char key[320];
    audience_key(dr, aud, key, sizeof key);
    if (sgx_state_file_set(path, key, dr->aud_ids[aud]) != SGX_OK) {
        SGX_ERROR("dispatch", "%s: cannot write state file %s: audience %s of segment %s is "
                  "only in memory", dr->d->cfg->name, path, dr->aud_ids[aud],
                  dr->d->cfg->segments[aud]);
        return;
    }
    SGX_INFO("dispatch", "%s: audience %s of segment %s saved in %s", dr->d->cfg->name,
             dr->aud_ids[aud], dr->d->cfg->segments[aud], path);
}

/* Once per destination: the refresh token persisted by an earlier run wins over the config. */
static void load_refresh_token(sgx_dest_rt_t *dr)
{
    const char *path = state_file(dr);
    dr->refresh_loaded = true;
    if (!path || !dr->d->def->auth_rotated) {
        return;
    }
    sgx_err_t err = sgx_state_file_get(path, "refresh_token", &dr->refresh_token);
    if (err == SGX_OK) {
        SGX_INFO("auth", "%s: using the refresh token saved in %s", dr->d->cfg->name, path);
    } else if (err != SGX_ERR_NOT_FOUND) {
        SGX_ERROR("auth", "%s: state file %s unreadable (%s); using the configured refresh "
                  "token", dr->d->cfg->name, path, sgx_err_str(err));
    }
}

/* A successful token response may carry a new refresh token: keep it and persist it. */
static void take_rotated(sgx_dest_rt_t *dr, const sgx_response_t *resp)
{
    char *fresh = dr->d->def->auth_rotated ? dr->d->def->auth_rotated(dr->ctx, resp) : NULL;
    if (!fresh || (dr->refresh_token && strcmp(fresh, dr->refresh_token) == 0)) {
        sgx_free(fresh);
        return;
    }
    if (dr->refresh_token) {
        explicit_bzero(dr->refresh_token, strlen(dr->refresh_token));
    }
    sgx_free(dr->refresh_token);
    dr->refresh_token = fresh;
    const char *path = state_file(dr);
    if (!path) {
        SGX_WARN("auth", "%s: the refresh token rotated but no state_path is configured: a "
                 "restart will use the configured one, which may have been revoked",
                 dr->d->cfg->name);
    } else if (sgx_state_file_set(path, "refresh_token", fresh) != SGX_OK) {
        SGX_ERROR("auth", "%s: cannot write state file %s: the rotated refresh token is only "
                  "in memory", dr->d->cfg->name, path);
    }
}

static void start_auth(sgx_dispatcher_t *d, sgx_dest_rt_t *dr)
{
    sgx_req_t *r = sgx_calloc(1, sizeof *r);
    r->dest = dr;
    r->is_auth = true;
    r->http.tls = &dr->d->cfg->tls;
    if (!dr->refresh_loaded) {
        load_refresh_token(dr);
    }
    const sgx_connector_def_t *def = dr->d->def;
    sgx_err_t err = dr->refresh_token && def->auth_prepare_refresh
                        ? def->auth_prepare_refresh(dr->ctx, dr->refresh_token, &r->req)
                        : def->auth_prepare(dr->ctx, &r->req);
    if (err ||
        sgx_http_setup(&r->http, &r->req, d->o.request_timeout_ms, r)) {
        SGX_ERROR("auth", "%s: cannot build the token request", dr->d->cfg->name);
        sgx_req_free(r);
        dr->auth_retry_at = sgx_now_ms() + d->o.retry_cap_ms;
        return;
    }
    dr->auth = r;
    sgx_req_start_transfer(d, r);
}

bool sgx_dest_ready(sgx_dispatcher_t *d, sgx_dest_rt_t *dr, int64_t now)
{
    if (now < dr->not_before || now < sgx_pacer_next_start(&dr->pacer)) {
        return false;
    }
    if (!dr->d->def->auth_prepare) {
        return true;
    }
    bool valid = dr->token && now < dr->token_expiry;
    /* A minute early, or a quarter of the lifetime for short-lived tokens. */
    int64_t early = dr->token_ttl / 4 < REFRESH_EARLY_MS ? dr->token_ttl / 4 : REFRESH_EARLY_MS;
    bool refresh = !dr->token || now >= dr->token_expiry - early;
    if (refresh && !dr->auth && now >= dr->auth_retry_at) {
        start_auth(d, dr);
    }
    return valid;
}

/* OAuth 2.0 token errors (RFC 6749 §5.2): invalid_client is 401, invalid_grant and
 * unauthorized_client are 400; 403 is an account the endpoint will not serve. 408 and 429 are
 * transient like 5xx and transport failures. */
static bool refused(const sgx_response_t *resp)
{
    return resp->status >= 400 && resp->status <= 403;
}

void sgx_auth_done(sgx_dispatcher_t *d, sgx_req_t *r, const sgx_response_t *resp, int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    char reason[128] = "";
    char *token = NULL;
    int64_t ttl = 0;
    dr->auth = NULL;
    if (dr->d->def->auth_parse(dr->ctx, resp, &token, &ttl, reason) == SGX_OK && token) {
        sgx_free(dr->token);
        dr->token = token;
        dr->token_expiry = now + ttl;
        dr->token_ttl = ttl;
        dr->auth_attempt = 0;
        SGX_INC(dr->st->token_refreshes);
        take_rotated(dr, resp);
        SGX_INFO("auth", "%s: access token obtained, valid %lld s", dr->d->cfg->name,
                 (long long)(ttl / 1000));
        sgx_block_token(d, dr, false, NULL, now);
    } else if (refused(resp)) {
        /* The credentials themselves are wrong: block (once, loudly) rather than log a retry
         * every few seconds; *_file secrets are re-read while blocked. */
        sgx_block_token(d, dr, true, reason[0] ? reason : "no detail", now);
    } else {
        int64_t wait = sgx_backoff_ms(dr->auth_attempt++, d->o.retry_base_ms,
                                      d->o.retry_cap_ms, &d->rng);
        dr->auth_retry_at = now + wait;
        SGX_ERROR("auth", "%s: token request failed (HTTP %ld): %s; retry in %lld ms",
                  dr->d->cfg->name, resp->status, reason[0] ? reason : "no detail",
                  (long long)wait);
    }
    sgx_req_free(r);
}
