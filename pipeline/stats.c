/* The few stats operations that are more than one relaxed increment: bounded label tables
 * (dead-letter reasons, partitions), destination state with its reason, latency buckets. */
#include "pipeline/stats.h"

#include <stdio.h>
#include <string.h>

const double sgx_lat_bounds[SGX_LAT_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                0.5,   1.0,  2.5,   5.0,  10.0, 30.0};

void sgx_stats_code(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = text ? text : ""; *p && n + 1 < cap; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                    c == ':' || c == '-';
        out[n++] = keep ? c : '_';
    }
    out[n] = '\0';
}

void sgx_stats_count_reason(sgx_stats_t *s, const char *reason)
{
    char code[SGX_STATS_REASON_LEN];
    sgx_stats_code(reason && *reason ? reason : "unknown", code, sizeof code);
    for (int i = 0; i < SGX_STATS_MAX_REASONS; i++) {
        sgx_reason_stats_t *r = &s->dlq_reasons[i];
        int used = atomic_load_explicit(&r->used, memory_order_acquire);
        if (used == 0) {
            int expect = 0;
            if (i == SGX_STATS_MAX_REASONS - 1) {
                strcpy(code, "other"); /* the last slot collects whatever does not fit */
            }
            if (atomic_compare_exchange_strong(&r->used, &expect, 1)) {
                memcpy(r->name, code, sizeof r->name);
                atomic_store_explicit(&r->used, 2, memory_order_release);
                SGX_INC(r->count);
                return;
            }
            used = atomic_load_explicit(&r->used, memory_order_acquire);
        }
        while (used == 1) { /* another thread is naming this slot: a few instructions */
            used = atomic_load_explicit(&r->used, memory_order_acquire);
        }
        if (strcmp(r->name, code) == 0 || i == SGX_STATS_MAX_REASONS - 1) {
            SGX_INC(r->count);
            return;
        }
    }
}

static void lock_reason(sgx_dest_stats_t *d)
{
    while (atomic_flag_test_and_set_explicit(&d->reason_lock, memory_order_acquire)) {
    }
}

static void unlock_reason(sgx_dest_stats_t *d)
{
    atomic_flag_clear_explicit(&d->reason_lock, memory_order_release);
}

void sgx_stats_set_dest_state(sgx_dest_stats_t *d, sgx_dest_state_t state, const char *reason,
                              int64_t now_ms)
{
    char code[SGX_STATS_REASON_LEN];
    sgx_stats_code(reason, code, sizeof code);
    lock_reason(d);
    memcpy(d->state_reason, code, sizeof code);
    if (atomic_load(&d->state) != (int)state) {
        atomic_store(&d->state_since, now_ms);
        atomic_store(&d->state, (int)state);
    }
    unlock_reason(d);
}

void sgx_stats_dest_reason(sgx_dest_stats_t *d, char *out, size_t cap)
{
    lock_reason(d);
    snprintf(out, cap, "%s", d->state_reason);
    unlock_reason(d);
}

const char *sgx_dest_state_str(sgx_dest_state_t s)
{
    static const char *const names[SGX_DSTATE__COUNT] = {"ok", "throttled", "blocked"};
    return (unsigned)s < SGX_DSTATE__COUNT ? names[s] : "unknown";
}

const char *sgx_outcome_str(sgx_outcome_t o)
{
    static const char *const names[SGX_OUT__COUNT] = {"delivered", "retried", "throttled",
                                                      "rejected", "blocked"};
    return (unsigned)o < SGX_OUT__COUNT ? names[o] : "unknown";
}

void sgx_stats_observe_latency(sgx_dest_stats_t *d, double seconds)
{
    int b = 0;
    while (b < SGX_LAT_BUCKETS && seconds > sgx_lat_bounds[b]) {
        b++;
    }
    SGX_INC(d->lat_buckets[b]);
    SGX_ADD(d->lat_sum_us, (uint64_t)(seconds * 1e6 + 0.5));
}

sgx_part_stats_t *sgx_stats_part(sgx_stats_t *s, const char *topic, int32_t partition,
                                 bool create)
{
    for (int i = 0; i < SGX_STATS_MAX_PARTS; i++) {
        sgx_part_stats_t *p = &s->parts[i];
        if (!atomic_load_explicit(&p->used, memory_order_acquire)) {
            if (!create) {
                return NULL;
            }
            snprintf(p->topic, sizeof p->topic, "%s", topic);
            p->partition = partition;
            SGX_SET(p->committed, -1);
            SGX_SET(p->stored, -1);
            SGX_SET(p->lag, -1);
            atomic_store_explicit(&p->used, true, memory_order_release);
            return p;
        }
        if (p->partition == partition && strncmp(p->topic, topic, sizeof p->topic) == 0) {
            return p;
        }
    }
    return NULL;
}
