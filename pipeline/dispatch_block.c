/* Blocked destinations and audiences. A FATAL verdict says the destination (credentials,
 * permissions, account, terms) or one audience (deleted, not owned, upload blocked) cannot take
 * anything: retrying row by row or dead-lettering would drain the stream into the dead-letter
 * topic and commit offsets for changes that never reached the platform. So the core parks the
 * scope instead: no new batch is sent for it, its failed requests wait unacknowledged (the
 * offset watermark stays put, and the in-flight bound pauses intake as in an outage), and one
 * request at a time re-probes with capped exponential backoff. The first probe that gets an
 * answer other than FATAL ends the block. State changes are logged once, loudly; nothing here
 * logs a row, a token or a secret.
 *
 * Credentials rotate: Kubernetes updates mounted secrets in place, so while a destination is
 * blocked, the files its *_file settings came from are re-read every second; a changed value
 * rebuilds the connector (init with the new settings) and the next probe goes at once. */
#include <string.h>

#include "base/backoff.h"
#include "config/config_util.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "base/mem.h"

#define SECRET_CHECK_MS 1000

void sgx_block_setup(sgx_dest_rt_t *dr)
{
    dr->ctx = dr->d->ctx;
    dr->aud_block = sgx_calloc(dr->d->cfg->naudiences ? dr->d->cfg->naudiences : 1,
                               sizeof *dr->aud_block);
}

void sgx_block_free(sgx_dest_rt_t *dr)
{
    if (dr->own_ctx) {
        dr->d->def->destroy(dr->own_ctx);
    }
    for (size_t i = 0; dr->secrets && i < dr->d->cfg->settings.nsettings; i++) {
        sgx_free(dr->secrets[i]);
    }
    sgx_free(dr->secrets);
    sgx_free(dr->aud_block);
    dr->own_ctx = NULL;
    dr->secrets = NULL;
    dr->aud_block = NULL;
}

bool sgx_block_holds(const sgx_dest_rt_t *dr, uint32_t aud)
{
    return dr->block.on || dr->aud_block[aud].on;
}

static const char *aud_name(const sgx_dest_rt_t *dr, uint32_t aud)
{
    return dr->aud_ids[aud] ? dr->aud_ids[aud] : "(new)";
}

/* Half the capped exponential window plus jitter over the other half: probes spread out but
 * never come back immediately. */
static int64_t probe_wait(sgx_dispatcher_t *d, int attempt)
{
    int64_t window = d->o.retry_cap_ms;
    if (attempt < 30 && (int64_t)d->o.retry_base_ms << attempt < window) {
        window = (int64_t)d->o.retry_base_ms << attempt;
    }
    return window / 2 + (int64_t)(sgx_rand_next(&d->rng) % (uint64_t)(window / 2 + 1));
}

/* Takes the values of fresh (owned, settings index, NULL where unchanged) into use by building
 * a new connector ctx. @returns false when the connector refuses them (fresh is freed). */
static bool rebuild(sgx_dest_rt_t *dr, char **fresh, const char **vals)
{
    const sgx_dest_config_t *cfg = dr->d->cfg;
    size_t n = cfg->settings.nsettings;
    sgx_dest_settings_t s = cfg->settings;
    s.values = vals;
    void *ctx = NULL;
    char cerr[SGX_ERRBUF_SIZE] = "";
    if (dr->d->def->init(&s, &ctx, cerr)) {
        SGX_ERROR("block", "%s: the re-read secret is refused by the connector (%s); keeping "
                  "the old one", cfg->name, cerr);
        for (size_t i = 0; i < n; i++) {
            sgx_free(fresh[i]);
        }
        return false;
    }
    if (dr->own_ctx) {
        dr->d->def->destroy(dr->own_ctx);
    }
    dr->own_ctx = dr->ctx = ctx;
    dr->ctx_gen++;
    if (!dr->secrets) {
        dr->secrets = sgx_calloc(n, sizeof *dr->secrets);
    }
    for (size_t i = 0; i < n; i++) {
        if (fresh[i]) {
            sgx_free(dr->secrets[i]);
            dr->secrets[i] = fresh[i];
        }
    }
    /* An access token obtained with the old secret is not worth keeping. */
    sgx_free(dr->token);
    dr->token = NULL;
    dr->token_expiry = 0;
    dr->auth_retry_at = 0;
    SGX_INC(dr->st->secret_reloads);
    return true;
}

/* Re-reads every *_file setting of dr. @returns true when one changed and is now in use. */
static bool reload_secrets(sgx_dest_rt_t *dr)
{
    const sgx_dest_config_t *cfg = dr->d->cfg;
    size_t n = cfg->settings.nsettings;
    if (!cfg->setting_files || n == 0) {
        return false;
    }
    const char **vals = sgx_calloc(n, sizeof *vals);
    char **fresh = sgx_calloc(n, sizeof *fresh);
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        vals[i] = dr->secrets && dr->secrets[i] ? dr->secrets[i] : cfg->settings.values[i];
        char errbuf[SGX_ERRBUF_SIZE] = "";
        if (!cfg->setting_files[i] ||
            sgx_cfg_read_secret(cfg->setting_files[i], cfg->settings.keys[i], &fresh[i],
                                errbuf)) {
            continue; /* unreadable for a moment (being replaced): the next check sees it */
        }
        if (strcmp(fresh[i], vals[i]) == 0) {
            sgx_free(fresh[i]);
            fresh[i] = NULL;
            continue;
        }
        vals[i] = fresh[i];
        changed = true;
        SGX_WARN("block", "%s: setting '%s' changed in %s: rebuilding the connector with the "
                 "new value", cfg->name, cfg->settings.keys[i], cfg->setting_files[i]);
    }
    changed = changed && rebuild(dr, fresh, vals);
    if (!changed) {
        for (size_t i = 0; i < n; i++) {
            sgx_free(fresh[i]);
        }
    }
    sgx_free(fresh);
    sgx_free(vals);
    return changed;
}

/* @param aud the audience (audience blocks), or NULL. */
static void leave(sgx_dest_rt_t *dr, sgx_block_t *b, const char *aud, int64_t now)
{
    SGX_WARN("block", "%s: %s%s UNBLOCKED after %lld s (was: %s); sending resumes",
             dr->d->cfg->name, b == &dr->block ? "destination" : "audience ",
             b == &dr->block || !aud ? "" : aud, (long long)((now - b->since) / 1000),
             b->reason);
    memset(b, 0, sizeof *b);
    if (SGX_ADD(dr->st->blocked, -1) == 1) { /* the last block ended: /metrics, /readyz */
        sgx_stats_set_dest_state(dr->st, SGX_DSTATE_OK, NULL, now);
    }
}

static sgx_block_t *holding(sgx_dest_rt_t *dr, uint32_t aud)
{
    return dr->block.on ? &dr->block : dr->aud_block[aud].on ? &dr->aud_block[aud] : NULL;
}

bool sgx_block_may_start(sgx_dispatcher_t *d, sgx_req_t *r, int64_t now)
{
    (void)d;
    sgx_block_t *b = holding(r->dest, r->aud);
    if (!b) {
        return true;
    }
    if (b->probe || now < b->probe_at) {
        return false;
    }
    b->probe = r;
    SGX_DEBUG("block", "%s: probing (attempt %d) with audience %s", r->dest->d->cfg->name,
              b->attempt, aud_name(r->dest, r->aud));
    return true;
}

/* Marks b blocked (logging the change) or, for a probe that failed again, backs off further.
 * @param aud the audience the refusal came with, or NULL for the token request. */
static void block(sgx_dispatcher_t *d, sgx_dest_rt_t *dr, sgx_block_t *b, const char *aud,
                  const char *reason, bool auth, int64_t now)
{
    char seen[96];
    snprintf(seen, sizeof seen, "%s%s", aud ? "on audience " : "on the token request",
             aud ? aud : "");
    if (!b->on) {
        b->on = true;
        b->since = now;
        b->attempt = 0;
        snprintf(b->reason, sizeof b->reason, "%s", reason);
        SGX_INC(dr->st->blocks);
        SGX_ADD(dr->st->blocked, 1);
        sgx_stats_set_dest_state(dr->st, SGX_DSTATE_BLOCKED, reason, now);
        SGX_ERROR("block", "%s: %s%s BLOCKED (%s): %s. Nothing is acknowledged or "
                  "dead-lettered; intake backs off; re-probing every %d ms at most%s",
                  dr->d->cfg->name, b == &dr->block ? "destination" : "audience ",
                  b == &dr->block ? "" : aud, seen, reason, d->o.retry_cap_ms,
                  auth ? "; fix the credentials (*_file secrets are re-read every second)"
                       : "");
    } else {
        b->attempt++;
    }
    b->auth = auth;
    b->probe_at = now + probe_wait(d, b->attempt);
    SGX_DEBUG("block", "%s: %s%s blocked: backoff: next probe in %lld ms (attempt %d)",
              dr->d->cfg->name, b == &dr->block ? "destination" : "audience ",
              b == &dr->block || !aud ? "" : aud, (long long)(b->probe_at - now), b->attempt);
    if (b == &dr->block && reload_secrets(dr)) {
        b->probe_at = now;
    }
}

void sgx_block_enter(sgx_dispatcher_t *d, sgx_req_t *r, sgx_classification_t *c, int64_t now)
{
    sgx_dest_rt_t *dr = r->dest;
    bool aud_scope = c->block_scope == SGX_BLOCK_AUDIENCE;
    sgx_block_t *b = aud_scope ? &dr->aud_block[r->aud] : &dr->block;
    bool fresh = r->started_at >= b->since; /* sent while blocked: it was a probe */
    /* Whatever scope r probed for, the slot is free again (the answer may be about the other
     * scope: an audience probe can meet a revoked token). */
    if (dr->block.probe == r) {
        dr->block.probe = NULL;
    }
    if (dr->aud_block[r->aud].probe == r) {
        dr->aud_block[r->aud].probe = NULL;
    }
    if (aud_scope && dr->block.on && r->started_at >= dr->block.since) {
        /* The destination answered about one audience: the account itself works again. */
        leave(dr, &dr->block, aud_name(dr, r->aud), now);
    }
    if (!b->on || fresh) {
        block(d, dr, b, aud_name(dr, r->aud), c->reason, c->block_auth, now);
    }
    r->retry_at = now; /* parked: it goes as a probe, or as soon as the block ends */
    /* A parked request gives its slot back: the requests of one blocked audience would
     * otherwise fill max_inflight and starve every other audience of the destination. It takes
     * a slot again when it starts (sgx_req_start_due_retries). */
    if (!r->parked) {
        r->parked = true;
        dr->inflight--;
    }
}

void sgx_block_retried(sgx_req_t *r)
{
    sgx_block_t *scopes[2] = {&r->dest->block, &r->dest->aud_block[r->aud]};
    for (int i = 0; i < 2; i++) {
        if (scopes[i]->probe == r) {
            scopes[i]->probe = NULL;
            scopes[i]->probe_at = r->retry_at;
        }
    }
}

void sgx_block_answered(sgx_dispatcher_t *d, const sgx_req_t *r, int64_t now)
{
    (void)d;
    sgx_dest_rt_t *dr = r->dest;
    sgx_block_t *scopes[2] = {&dr->block, &dr->aud_block[r->aud]};
    for (int i = 0; i < 2; i++) {
        sgx_block_t *b = scopes[i];
        if (b->probe == r) {
            b->probe = NULL;
        }
        if (b->on && r->started_at >= b->since) {
            leave(dr, b, aud_name(dr, r->aud), now);
        }
    }
}

void sgx_block_token(sgx_dispatcher_t *d, sgx_dest_rt_t *dr, bool refused, const char *reason,
                     int64_t now)
{
    sgx_block_t *b = &dr->block;
    if (!refused) {
        if (b->on && b->from_token) {
            leave(dr, b, NULL, now);
        }
        return;
    }
    char why[128];
    snprintf(why, sizeof why, "token endpoint: %s", reason);
    block(d, dr, b, NULL, why, true, now);
    b->from_token = true;
    if (!dr->token || dr->auth_retry_at < b->probe_at) {
        dr->auth_retry_at = b->probe_at;
    }
}

void sgx_block_tick(sgx_dispatcher_t *d, int64_t now)
{
    for (size_t i = 0; i < d->o.ndests; i++) {
        sgx_dest_rt_t *dr = &d->dests[i];
        if (!dr->block.on || now - dr->secrets_checked < SECRET_CHECK_MS) {
            continue;
        }
        dr->secrets_checked = now;
        if (reload_secrets(dr)) {
            dr->block.probe_at = now;
        }
    }
}
