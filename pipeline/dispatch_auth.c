/* Expiring credentials: the dispatcher fetches a token before a destination's first request,
 * again a minute before it expires, and after a REAUTH verdict. The connector builds the token
 * request and parses the answer; the token itself never reaches a log. */
#include <string.h>

#include "base/backoff.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "base/mem.h"

#define REFRESH_EARLY_MS 60000

static void start_auth(sgx_dispatcher_t *d, sgx_dest_rt_t *dr)
{
    sgx_req_t *r = sgx_calloc(1, sizeof *r);
    r->dest = dr;
    r->is_auth = true;
    r->http.tls = &dr->d->cfg->tls;
    if (dr->d->def->auth_prepare(dr->d->ctx, &r->req) ||
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
    if (now < dr->not_before || now < dr->next_start) {
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

void sgx_auth_done(sgx_dispatcher_t *d, sgx_req_t *r, const sgx_response_t *resp, int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    char reason[128] = "";
    char *token = NULL;
    int64_t ttl = 0;
    dr->auth = NULL;
    if (dr->d->def->auth_parse(dr->d->ctx, resp, &token, &ttl, reason) == SGX_OK && token) {
        sgx_free(dr->token);
        dr->token = token;
        dr->token_expiry = now + ttl;
        dr->token_ttl = ttl;
        dr->auth_attempt = 0;
        SGX_INFO("auth", "%s: access token obtained, valid %lld s", dr->d->cfg->name,
                 (long long)(ttl / 1000));
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
