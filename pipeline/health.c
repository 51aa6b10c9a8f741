#include "pipeline/health.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define MIN_STATS_STALE_MS 15000

static bool check(json_t *checks, const char *name, bool ok, const char *detail)
{
    json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check", name, "ok", ok,
                                            "detail", detail));
    return ok;
}

static bool beat_ok(json_t *checks, const char *name, int64_t beat, int64_t started,
                    int64_t now, int stall_ms)
{
    char detail[128];
    int64_t age = now - (beat > 0 ? beat : started);
    snprintf(detail, sizeof detail, "last loop turn %lld ms ago (limit %d ms)", (long long)age,
             stall_ms);
    return check(checks, name, age <= stall_ms, detail);
}

static char *finish(json_t *checks, bool ok, const char *yes, const char *no)
{
    json_t *o = json_pack("{s:s, s:o}", "status", ok ? yes : no, "checks", checks);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

bool sgx_health_live(const sgx_config_t *cfg, sgx_stats_t *s, int64_t started_ms, int64_t now_ms,
                     char **body)
{
    json_t *checks = json_array();
    bool ok = true;
    if (atomic_load(&s->stopping)) {
        check(checks, "stopping", true, "graceful stop under way: threads are winding down");
        *body = finish(checks, true, "live", "stuck");
        return true;
    }
    int stall = cfg->liveness_stall_ms;
    ok &= beat_ok(checks, "poll_thread", SGX_GET(s->beat_poll), started_ms, now_ms, stall);
    ok &= beat_ok(checks, "dispatcher_thread", SGX_GET(s->beat_dispatcher), started_ms, now_ms,
                  stall);
    for (int i = 0; i < cfg->workers && i < SGX_STATS_MAX_WORKERS; i++) {
        char name[32];
        snprintf(name, sizeof name, "worker_thread_%d", i);
        ok &= beat_ok(checks, name, SGX_GET(s->beat_worker[i]), started_ms, now_ms, stall);
    }
    *body = finish(checks, ok, "live", "stuck");
    return ok;
}

static int stats_interval_ms(const sgx_config_t *cfg)
{
    const char *v = sgx_config_kafka(cfg, "statistics.interval.ms");
    int ms = v ? atoi(v) : 5000;
    return ms > 0 ? ms : 5000;
}

static bool kafka_checks(const sgx_config_t *cfg, sgx_stats_t *s, int64_t now, json_t *checks)
{
    char detail[160];
    int64_t at = SGX_GET(s->stats_at);
    int64_t stale = 3LL * stats_interval_ms(cfg);
    stale = stale < MIN_STATS_STALE_MS ? MIN_STATS_STALE_MS : stale;
    if (at == 0 || now - at > stale) {
        snprintf(detail, sizeof detail, "%s", at == 0 ? "no librdkafka statistics yet"
                                                      : "librdkafka statistics are stale");
        check(checks, "kafka_broker", false, detail);
        return check(checks, "consumer_group", false, detail);
    }
    int up = SGX_GET(s->brokers_up);
    snprintf(detail, sizeof detail, "%d broker(s) connected", up);
    bool ok = check(checks, "kafka_broker", up > 0, up > 0 ? detail : "no broker reachable");
    int parts = SGX_GET(s->assigned_parts);
    if (!SGX_GET(s->group_steady)) {
        return check(checks, "consumer_group", false, "not joined (joining or rebalancing)") &&
               ok;
    }
    if (parts == 0) {
        return check(checks, "consumer_group", true,
                     "joined, idle by design: no partition assigned (more members than "
                     "partitions)") &&
               ok;
    }
    snprintf(detail, sizeof detail, "joined, %d partition(s) assigned", parts);
    return check(checks, "consumer_group", true, detail) && ok;
}

static bool dest_checks(const sgx_config_t *cfg, sgx_stats_t *s, int64_t now, json_t *checks)
{
    bool ok = true;
    for (size_t d = 0; d < cfg->ndests && d < SGX_STATS_MAX_DESTS; d++) {
        char name[96], detail[192], reason[SGX_STATS_REASON_LEN];
        sgx_dest_stats_t *st = &s->dest[d];
        int state = atomic_load(&st->state);
        int64_t for_ms = now - atomic_load(&st->state_since);
        sgx_stats_dest_reason(st, reason, sizeof reason);
        snprintf(name, sizeof name, "destination_%.80s", cfg->dests[d].name);
        bool bad = state == SGX_DSTATE_BLOCKED && for_ms > cfg->ready_blocked_max_ms;
        if (state == SGX_DSTATE_OK) {
            snprintf(detail, sizeof detail, "ok");
        } else {
            snprintf(detail, sizeof detail, "%s for %lld s (%s)%s",
                     sgx_dest_state_str((sgx_dest_state_t)state), (long long)(for_ms / 1000),
                     reason, bad ? ": longer than ready_blocked_max_ms" : "");
        }
        ok &= check(checks, name, !bad, detail);
    }
    return ok;
}

bool sgx_health_ready(const sgx_config_t *cfg, sgx_stats_t *s, int64_t now_ms, char **body)
{
    json_t *checks = json_array();
    bool ok;
    if (atomic_load(&s->stopping)) {
        ok = check(checks, "stopping", false, "graceful stop under way");
    } else {
        ok = kafka_checks(cfg, s, now_ms, checks);
        ok &= dest_checks(cfg, s, now_ms, checks);
    }
    *body = finish(checks, ok, "ready", "not ready");
    return ok;
}
