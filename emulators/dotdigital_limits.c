/* The Dotdigital emulator's rate limits and injected faults.
 * Rate limits (https://developer.dotdigital.com/docs/call-rate-limits): an API user is on the
 * tiered scheme (calls per minute, the default) or on the deprecated flat scheme (calls per
 * hour).
 *   - Tiered: the page says this scheme "uses industry standard methods to indicate when you need
 *     to reduce usage"; the headers are X-RateLimit-Limit (calls in the current one-minute
 *     window), X-RateLimit-Remaining (calls left in it), X-RateLimit-Reset (UTC epoch seconds
 *     when it ends) and X-RateLimit-Scope (the tier), as api-evangelist/dotdigital
 *     (rate-limits/dotdigital-rate-limits.yml) summarises that page; the page's own header table
 *     was not retrieved here, so the names and their presence on every answer (not only on a
 *     429) are PARTIALLY CONFIRMED. dotdigital-php (src/Exception/TooManyRequestsException.php)
 *     reads x-ratelimit-scope/-limit/-reset of a 429. The emulator sends limit/remaining/reset
 *     on every answer of a tiered user, with a Date from the same clock reading, as the Criteo
 *     emulator does, and windows fixed on epoch multiples of rate_window_s (60 s).
 *   - Flat: overflow is ERROR_APIUSAGE_EXCEEDED: "exceeded the cut-off of 2000 API calls in a
 *     one hour period ... unable to make any further API calls until the number of API calls
 *     made in the last hour goes below this figure"
 *     (https://developer.dotdigital.com/docs/error-response-types), so the hour rolls; the
 *     message text is the one dotmailer-magento2-extension (Model/Apiconnector/Client.php
 *     API_ERROR_API_EXCEEDED) matches. Its HTTP status and any headers are UNCONFIRMED: 403
 *     here, with no x-ratelimit-* headers (none are documented for the flat scheme), the harder
 *     case for a client, which must not take it for a wrong region. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "base/mem.h"
#include "emulators/dotdigital_priv.h"

void sgx_emu_dd_add_header(dd_reply_t *r, const char *name, const char *fmt, ...)
{
    if (r->nh < DD_MAX_HEADERS) {
        va_list ap;
        va_start(ap, fmt);
        r->hname[r->nh] = name;
        vsnprintf(r->hval[r->nh++], sizeof r->hval[0], fmt, ap);
        va_end(ap);
    }
}

/* The flat allowance: a ring of the times of the calls of the last period. A refused call is
 * not counted ("until the number of API calls made in the last hour goes below this figure").
 * @returns true when this call is over it. @locks_required mu */
static bool over_allowance(sgx_emu_dd_t *e, int64_t now)
{
    if (e->allowance <= 0) {
        return false;
    }
    while (e->calls_n > 0 && e->calls[e->calls_head] <= now - e->allowance_window_s) {
        e->calls_head = (e->calls_head + 1) % e->allowance;
        e->calls_n--;
    }
    if (e->calls_n >= e->allowance) {
        return true;
    }
    e->calls[(e->calls_head + e->calls_n++) % e->allowance] = now;
    return false;
}

/* An IMF-fixdate of t, the Date the reset is read against. */
static void add_date(dd_reply_t *r, time_t t)
{
    struct tm tm;
    char d[40];
    gmtime_r(&t, &tm);
    strftime(d, sizeof d, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    sgx_emu_dd_add_header(r, "Date", "%s", d);
}

/* The tiered window: counts this call, and says what is left of the window on the answer.
 * @returns true when the call is over the limit. @locks_required mu */
static bool over_tier(sgx_emu_dd_t *e, dd_reply_t *r, int64_t now)
{
    if (now / e->rate_window_s != e->window) {
        e->window = now / e->rate_window_s;
        e->window_calls = 0;
    }
    bool over = ++e->window_calls > e->rate_limit;
    int left = over ? 0 : e->rate_limit - e->window_calls;
    if (over) {
        sgx_emu_dd_error(r, 429, "Too many requests. ERROR_RATE_LIMIT_EXCEEDED");
        sgx_emu_dd_add_header(r, "x-ratelimit-scope", "%s", "tier");
        e->stats.throttled++;
    }
    sgx_emu_dd_add_header(r, "x-ratelimit-limit", "%d", e->rate_limit);
    sgx_emu_dd_add_header(r, "x-ratelimit-remaining", "%d", left);
    sgx_emu_dd_add_header(r, "x-ratelimit-reset", "%" PRId64, (e->window + 1) * e->rate_window_s);
    add_date(r, (time_t)now);
    return over;
}

/* An injected fault. @locks_required mu */
static void injected(sgx_emu_dd_t *e, dd_reply_t *r, int64_t now)
{
    e->fault_count--;
    if (e->fault_kind == SGX_EMU_DD_FAULT_5XX) {
        r->status = e->fault_param ? (unsigned)e->fault_param : 503;
        r->text = sgx_strdup("upstream unavailable");
        e->stats.failed_5xx++;
        return;
    }
    sgx_emu_dd_error(r, 429, "Too many requests. ERROR_RATE_LIMIT_EXCEEDED");
    sgx_emu_dd_add_header(r, "x-ratelimit-reset", "%" PRId64, now + e->fault_param);
    sgx_emu_dd_add_header(r, "x-ratelimit-scope", "%s", "tier");
    sgx_emu_dd_add_header(r, "x-ratelimit-limit", "%d", e->rate_limit);
    sgx_emu_dd_add_header(r, "x-ratelimit-remaining", "%d", 0);
    e->stats.throttled++;
}

bool sgx_emu_dd_limits(sgx_emu_dd_t *e, dd_reply_t *r)
{
    int64_t now = (int64_t)time(NULL);
    bool done = false;
    pthread_mutex_lock(&e->mu);
    if (e->fault_count <= 0 && over_allowance(e, now)) {
        sgx_emu_dd_error(r, 403, "Your account has generated excess API activity and is being "
                                 "temporarily capped. Please contact support. "
                                 "ERROR_APIUSAGE_EXCEEDED");
        e->stats.usage_capped++;
        done = true;
    } else if (e->fault_count > 0) {
        injected(e, r, now);
        done = true;
    } else if (e->rate_limit > 0) {
        done = over_tier(e, r, now);
    }
    pthread_mutex_unlock(&e->mu);
    return done;
}
