#include "pipeline/metrics.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

void sgx_metrics_label(sgx_buf_t *out, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"') {
            sgx_buf_putc(out, '\\');
            sgx_buf_putc(out, *p);
        } else if (*p == '\n') {
            sgx_buf_puts(out, "\\n");
        } else {
            sgx_buf_putc(out, *p);
        }
    }
}

static void head(sgx_buf_t *o, const char *name, const char *type, const char *help)
{
    char line[512];
    snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    sgx_buf_puts(o, line);
}

/* name{k1="v1",k2="v2"} value: labels is a NULL-terminated key, value, key, value list. */
static void sample(sgx_buf_t *o, const char *name, const char *const *labels, const char *value)
{
    sgx_buf_puts(o, name);
    for (int i = 0; labels && labels[i]; i += 2) {
        sgx_buf_puts(o, i == 0 ? "{" : ",");
        sgx_buf_puts(o, labels[i]);
        sgx_buf_puts(o, "=\"");
        sgx_metrics_label(o, labels[i + 1]);
        sgx_buf_putc(o, '"');
    }
    sgx_buf_puts(o, labels && labels[0] ? "} " : " ");
    sgx_buf_puts(o, value);
    sgx_buf_putc(o, '\n');
}

static void sample_u(sgx_buf_t *o, const char *name, const char *const *labels, uint64_t v)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRIu64, v);
    sample(o, name, labels, num);
}

static void sample_i(sgx_buf_t *o, const char *name, const char *const *labels, int64_t v)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, v);
    sample(o, name, labels, num);
}

static void scalar(sgx_buf_t *o, const char *name, const char *type, const char *help, int64_t v)
{
    head(o, name, type, help);
    sample_i(o, name, NULL, v);
}

static void records(const sgx_config_t *cfg, sgx_stats_t *s, sgx_buf_t *o)
{
    (void)cfg;
    scalar(o, "segexport_records_consumed_total", "counter",
           "Records consumed from the source topics.", (int64_t)SGX_GET(s->consumed));
    scalar(o, "segexport_records_acknowledged_total", "counter",
           "Records made final: every destination acknowledged them or they were dead-lettered.",
           (int64_t)SGX_GET(s->done));
    scalar(o, "segexport_records_in_flight", "gauge",
           "Records consumed and not yet final (bounded by max_inflight_events).",
           (int64_t)SGX_GET(s->inflight));
    scalar(o, "segexport_records_unrouted_total", "counter",
           "Records whose segment no destination exports.", (int64_t)SGX_GET(s->unrouted));
    scalar(o, "segexport_offsets_skipped_total", "counter",
           "Offsets the broker skipped inside a partition (compaction, retention).",
           (int64_t)SGX_GET(s->offset_gaps));
    head(o, "segexport_records_dead_lettered_total", "counter",
         "Records acknowledged by the dead-letter topic, by reason.");
    for (int i = 0; i < SGX_STATS_MAX_REASONS; i++) {
        sgx_reason_stats_t *r = &s->dlq_reasons[i];
        if (atomic_load_explicit(&r->used, memory_order_acquire) == 2) {
            const char *l[] = {"reason", r->name, NULL};
            sample_u(o, "segexport_records_dead_lettered_total", l, SGX_GET(r->count));
        }
    }
    scalar(o, "segexport_backpressure_paused", "gauge",
           "1 while intake is paused (in-flight bound, backlog or unreachable registry).",
           SGX_GET(s->paused));
    scalar(o, "segexport_backpressure_holding", "gauge",
           "1 while polling is held for a moment because the in-flight bound was reached.",
           SGX_GET(s->holding));
    scalar(o, "segexport_backpressure_pauses_total", "counter", "Times intake was paused.",
           (int64_t)SGX_GET(s->pauses));
}

static void per_audience(const sgx_config_t *cfg, sgx_stats_t *s, sgx_buf_t *o, bool rows)
{
    const char *name = rows ? "segexport_rows_total" : "segexport_requests_total";
    head(o, name, "counter",
         rows ? "Rows by destination, audience and outcome (delivered, retried, throttled, "
                "rejected, blocked)."
              : "Requests by destination, audience and what their response caused.");
    for (size_t d = 0; d < cfg->ndests && d < SGX_STATS_MAX_DESTS; d++) {
        const sgx_dest_config_t *dc = &cfg->dests[d];
        for (size_t a = 0; a < dc->naudiences && a < SGX_STATS_MAX_AUDS; a++) {
            for (int k = 0; k < SGX_OUT__COUNT; k++) {
                const char *l[] = {"destination", dc->name, "audience", dc->audience_ids[a],
                                   "segment", dc->segments[a], "outcome",
                                   sgx_outcome_str((sgx_outcome_t)k), NULL};
                sample_u(o, name, l,
                         rows ? SGX_GET(s->dest[d].aud_rows[a][k])
                              : SGX_GET(s->dest[d].aud_requests[a][k]));
            }
        }
    }
}

static void latency(const sgx_config_t *cfg, sgx_stats_t *s, sgx_buf_t *o)
{
    static const char *const name = "segexport_request_duration_seconds";
    head(o, name, "histogram", "Time from sending a request to its complete response.");
    for (size_t d = 0; d < cfg->ndests && d < SGX_STATS_MAX_DESTS; d++) {
        sgx_dest_stats_t *st = &s->dest[d];
        uint64_t cum = 0;
        char le[32], num[64];
        for (int b = 0; b <= SGX_LAT_BUCKETS; b++) {
            cum += SGX_GET(st->lat_buckets[b]);
            if (b < SGX_LAT_BUCKETS) {
                snprintf(le, sizeof le, "%g", sgx_lat_bounds[b]);
            } else {
                snprintf(le, sizeof le, "+Inf");
            }
            const char *l[] = {"destination", cfg->dests[d].name, "le", le, NULL};
            sample_u(o, "segexport_request_duration_seconds_bucket", l, cum);
        }
        const char *l[] = {"destination", cfg->dests[d].name, NULL};
        snprintf(num, sizeof num, "%.6f", (double)SGX_GET(st->lat_sum_us) / 1e6);
        sample(o, "segexport_request_duration_seconds_sum", l, num);
        sample_u(o, "segexport_request_duration_seconds_count", l, cum);
    }
}

/* One counter per destination, read from the field at byte offset off of sgx_dest_stats_t. */
static void per_dest(const sgx_config_t *cfg, sgx_stats_t *s, sgx_buf_t *o, const char *name,
                     const char *help, size_t off)
{
    head(o, name, "counter", help);
    for (size_t d = 0; d < cfg->ndests && d < SGX_STATS_MAX_DESTS; d++) {
        atomic_uint_fast64_t *c = (atomic_uint_fast64_t *)((char *)&s->dest[d] + off);
        const char *l[] = {"destination", cfg->dests[d].name, NULL};
        sample_u(o, name, l, SGX_GET(*c));
    }
}

static void drops(const sgx_config_t *cfg, sgx_stats_t *s, sgx_buf_t *o)
{
    static const char *const name = "segexport_normalization_drops_total";
    head(o, name, "counter",
         "Identifier values dropped by normalization, by destination, key and reason.");
    for (size_t d = 0; d < cfg->ndests && d < SGX_STATS_MAX_DESTS; d++) {
        for (int k = 0; k < SGX_KEY__COUNT; k++) {
            for (int r = 1; r < SGX_DROP__COUNT; r++) {
                uint64_t n = SGX_GET(s->dest[d].dropped[k][r]);
                if (n) { /* 150 mostly-zero series per destination would drown the rest */
                    const char *l[] = {"destination", cfg->dests[d].name, "key",
                                       sgx_key_name((sgx_key_t)k), "reason",
                                       sgx_drop_str((sgx_drop_t)r), NULL};
                    sample_u(o, name, l, n);
                }
            }
        }
    }
}

static void dest_state(const sgx_config_t *cfg, sgx_stats_t *s, int64_t now, sgx_buf_t *o)
{
    head(o, "segexport_destination_state", "gauge",
         "1 for the destination's current state (ok, throttled, blocked), 0 for the others.");
    for (size_t d = 0; d < cfg->ndests && d < SGX_STATS_MAX_DESTS; d++) {
        int st = atomic_load(&s->dest[d].state);
        for (int k = 0; k < SGX_DSTATE__COUNT; k++) {
            const char *l[] = {"destination", cfg->dests[d].name, "state",
                               sgx_dest_state_str((sgx_dest_state_t)k), NULL};
            sample_i(o, "segexport_destination_state", l, st == k);
        }
    }
    head(o, "segexport_destination_state_reason", "gauge",
         "1 with the reason code of a destination that is not ok.");
    for (size_t d = 0; d < cfg->ndests && d < SGX_STATS_MAX_DESTS; d++) {
        int st = atomic_load(&s->dest[d].state);
        char reason[SGX_STATS_REASON_LEN];
        sgx_stats_dest_reason(&s->dest[d], reason, sizeof reason);
        if (st != SGX_DSTATE_OK) {
            const char *l[] = {"destination", cfg->dests[d].name, "state",
                               sgx_dest_state_str((sgx_dest_state_t)st), "reason", reason, NULL};
            sample_i(o, "segexport_destination_state_reason", l, 1);
        }
    }
    head(o, "segexport_destination_state_seconds", "gauge",
         "Seconds the destination has been in its current state (0 for ok since start).");
    for (size_t d = 0; d < cfg->ndests && d < SGX_STATS_MAX_DESTS; d++) {
        int64_t since = atomic_load(&s->dest[d].state_since);
        const char *l[] = {"destination", cfg->dests[d].name, NULL};
        sample_i(o, "segexport_destination_state_seconds", l,
                 since > 0 && now > since ? (now - since) / 1000 : 0);
    }
}

static void partitions(const sgx_config_t *cfg, sgx_stats_t *s, sgx_buf_t *o)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } g[] = {
        {"segexport_partition_committed_offset",
         "Last committed offset (the next to read) of an assigned partition.",
         offsetof(sgx_part_stats_t, committed)},
        {"segexport_partition_uncommitted_records",
         "Consumed offsets of an assigned partition not yet committable (the uncommitted span).",
         offsetof(sgx_part_stats_t, uncommitted)},
        {"segexport_partition_consumer_lag",
         "Records between the committed offset and the partition's end (librdkafka "
         "consumer_lag).",
         offsetof(sgx_part_stats_t, lag)},
    };
    for (size_t m = 0; m < sizeof g / sizeof g[0]; m++) {
        head(o, g[m].name, "gauge", g[m].help);
        for (int i = 0; i < SGX_STATS_MAX_PARTS; i++) {
            sgx_part_stats_t *p = &s->parts[i];
            if (!atomic_load_explicit(&p->used, memory_order_acquire)) {
                break;
            }
            int64_t v = SGX_GET(*(atomic_int_fast64_t *)((char *)p + g[m].off));
            if (!atomic_load(&p->assigned) || v < 0) {
                continue;
            }
            char part[16];
            snprintf(part, sizeof part, "%d", (int)p->partition);
            /* With a group per destination each group has its own offsets: one series each. */
            const char *l[] = {"topic", p->topic, "partition", part,
                               p->group > 0 ? "destination" : NULL,
                               p->group > 0 ? cfg->dests[p->group - 1].name : NULL, NULL};
            sample_i(o, g[m].name, l, v);
        }
    }
    scalar(o, "segexport_assigned_partitions", "gauge", "Partitions assigned to this process.",
           SGX_GET(s->assigned_parts));
    scalar(o, "segexport_kafka_brokers_up", "gauge",
           "Brokers librdkafka is connected to (from its statistics).", SGX_GET(s->brokers_up));
    scalar(o, "segexport_kafka_group_joined", "gauge",
           "1 while the consumer group is joined with a settled assignment.",
           SGX_GET(s->group_steady));
}

void sgx_metrics_render(const sgx_config_t *cfg, sgx_stats_t *s, int64_t now_ms, sgx_buf_t *out)
{
    records(cfg, s, out);
    per_audience(cfg, s, out, true);
    per_audience(cfg, s, out, false);
    latency(cfg, s, out);
    per_dest(cfg, s, out, "segexport_token_refreshes_total", "Access tokens obtained.",
             offsetof(sgx_dest_stats_t, token_refreshes));
    per_dest(cfg, s, out, "segexport_audiences_created_total", "Audiences created at run time.",
             offsetof(sgx_dest_stats_t, audiences_created));
    per_dest(cfg, s, out, "segexport_rows_no_usable_identifier_total",
             "Rows dead-lettered because no identifier the destination takes was usable.",
             offsetof(sgx_dest_stats_t, rows_no_key));
    per_dest(cfg, s, out, "segexport_rows_coalesced_total",
             "Rows superseded by a later change of the same member before being sent.",
             offsetof(sgx_dest_stats_t, rows_coalesced));
    drops(cfg, s, out);
    dest_state(cfg, s, now_ms, out);
    partitions(cfg, s, out);
}
