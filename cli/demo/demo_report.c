/* The demo's closing summary and its verification line. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cli/demo/demo_env.h"

/* Committed offsets of one consumer group against each partition's end. */
static bool check_group(const sgx_demo_env_t *env, const char *group, int partitions,
                        int64_t *committed, int64_t *end)
{
    char errbuf[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", env->bootstrap, NULL, 0);
    rd_kafka_conf_set(conf, "group.id", group, NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return false;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) {
        rd_kafka_topic_partition_list_add(list, env->topic, p);
    }
    bool ok = rd_kafka_committed(rk, list, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    *committed = *end = 0;
    for (int p = 0; ok && p < partitions; p++) {
        int64_t lo = 0, hi = 0;
        ok = rd_kafka_query_watermark_offsets(rk, env->topic, p, &lo, &hi, 5000) == 0;
        int64_t c = list->elems[p].offset;
        ok = ok && c == hi;
        *committed += c > 0 ? c : 0;
        *end += hi;
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return ok;
}

/* Every group the pipeline commits for: the demo group, or with a group per destination
 * (consumer_group_per_destination) each `<group.id>.<destination>`; committed is the least. */
static bool check_commits(const sgx_demo_env_t *env, int partitions, int64_t *committed,
                          int64_t *end)
{
    const char *gid = sgx_config_kafka(env->cfg, "group.id");
    if (!env->cfg->group_per_dest) {
        return check_group(env, gid, partitions, committed, end);
    }
    bool ok = true;
    for (size_t i = 0; i < env->cfg->ndests; i++) {
        char group[256];
        int64_t c = 0, e = 0;
        snprintf(group, sizeof group, "%s.%s", gid, env->cfg->dests[i].name);
        ok &= check_group(env, group, partitions, &c, &e);
        *committed = i == 0 || c < *committed ? c : *committed;
        *end = e;
    }
    return ok;
}

static void print_dest(const sgx_demo_env_t *env, const char *name, const sgx_dest_stats_t *d)
{
    printf("  destination %s:\n    rows sent per audience (added / removed):", name);
    for (size_t s = 0; s < env->nsegments && s < SGX_STATS_MAX_AUDS; s++) {
        printf("%s seg-%02zu %" PRIuFAST64 "/%" PRIuFAST64, s % 5 ? "," : "\n     ", s,
               SGX_GET(d->rows_by_aud[s][SGX_OP_ENTER]), SGX_GET(d->rows_by_aud[s][SGX_OP_EXIT]));
    }
    printf("\n    rows delivered %" PRIuFAST64 " (coalesced %" PRIuFAST64 ", rejected %" PRIuFAST64
           "), requests %" PRIuFAST64 ", retries %" PRIuFAST64 ", throttled %" PRIuFAST64 "\n",
           SGX_GET(d->rows_delivered), SGX_GET(d->rows_coalesced), SGX_GET(d->rows_rejected),
           SGX_GET(d->requests), SGX_GET(d->retries), SGX_GET(d->throttled));
    printf("    blocked %" PRIuFAST64 " time(s), blocked now %" PRIdFAST64 ", secrets re-read %"
           PRIuFAST64 ", batches split %" PRIuFAST64 ", server waits capped %" PRIuFAST64 "\n",
           SGX_GET(d->blocks), SGX_GET(d->blocked), SGX_GET(d->secret_reloads),
           SGX_GET(d->batches_split), SGX_GET(d->waits_capped));
}

/* Verifies every destination's audiences; report gets one clause per destination. */
static bool verify_all(const sgx_demo_env_t *env, const sgx_demo_truth_t *t, char *report,
                       size_t cap)
{
    bool ok = true;
    size_t used = 0;
    report[0] = '\0';
    for (size_t i = 0; i < env->cfg->ndests; i++) {
        const sgx_dest_config_t *dc = &env->cfg->dests[i];
        sgx_dest_kind_t kind = dc->def->kind;
        char one[256];
        bool pass = sgx_demo_verify_for(kind, sgx_demo_dest_port(env, kind), t, one, sizeof one);
        ok = ok && pass;
        int n = snprintf(report + used, cap - used, "%s%s: %s", used ? "; " : "", dc->name, one);
        used += n > 0 && (size_t)n < cap - used ? (size_t)n : 0;
    }
    return ok;
}

bool sgx_demo_report(const sgx_demo_env_t *env, sgx_pipeline_t *pipe,
                     const sgx_demo_truth_t *t, double elapsed_s)
{
    sgx_stats_t *st = sgx_pipeline_stats(pipe);
    int64_t committed = 0, end = 0;
    bool commits_ok = check_commits(env, env->partitions, &committed, &end);
    char report[1024];
    bool aud_ok = verify_all(env, t, report, sizeof report);
    uint64_t consumed = SGX_GET(st->consumed), dlq = SGX_GET(st->dead_lettered);
    uint64_t gaps = SGX_GET(st->offset_gaps);
    printf("\n== segexport demo summary ==\n");
    printf("  events consumed:      %" PRIu64 " (%" PRIu64 " well-formed)\n", consumed,
           t->events);
    for (size_t i = 0; i < env->cfg->ndests && i < SGX_STATS_MAX_DESTS; i++) {
        print_dest(env, env->cfg->dests[i].name, &st->dest[i]);
    }
    printf("  dead-lettered:        %" PRIu64 " (expected %" PRIu64 ")\n", dlq, t->expected_dlq);
    printf("  committed offsets:    %" PRId64 " of %" PRId64 " (offset gaps: %" PRIu64 ")\n",
           committed, end, gaps);
    printf("  throughput:           %.0f events/s over %.1f s\n",
           elapsed_s > 0 ? (double)consumed / elapsed_s : 0.0, elapsed_s);
    bool pass = aud_ok && commits_ok && dlq == t->expected_dlq && gaps == 0;
    printf("verification: %s audiences: %s; dead-letter %s; offsets %s\n",
           pass ? "PASS" : "FAIL", report, dlq == t->expected_dlq ? "exact" : "MISMATCH",
           commits_ok && gaps == 0 ? "fully committed" : "NOT fully committed");
    fflush(stdout);
    return pass;
}
