/* Rebalances (architecture.md §3 rule 4): on revoke, stop feeding the partitions, give their
 * in-flight records a bounded time to finish, store and commit synchronously, disown them (the
 * dispatcher drops what is left), then unassign. A lost assignment commits nothing and is
 * disowned at once. */
#include <string.h>

#include "pipeline/consumer.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "pipeline/kstats.h"

/* Bounded well under max.poll.interval.ms: the callback runs inside consumer_poll. */
#define REVOKE_WAIT_MS 10000

static void on_assign(sgx_consumer_t *c, rd_kafka_topic_partition_list_t *parts)
{
    /* The coordinator just handed us an assignment: membership holds as of now. */
    sgx_own_confirmed(c->own, sgx_now_ms());
    for (int i = 0; i < parts->cnt; i++) {
        sgx_part_t *p = sgx_consumer_part(c, parts->elems[i].topic, parts->elems[i].partition,
                                          true);
        p->assigned = true;
        p->generation++;
        sgx_own_publish(p);
        sgx_span_forget(c, p); /* its span starts over, and librdkafka resumes it */
        p->inflight = 0;
        p->next_expected = -1;
        sgx_offsets_reset(p->offsets);
        SGX_DEBUG("consumer", "assigned %s[%d]", p->topic, (int)p->partition);
    }
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (c->cooperative) {
        error = rd_kafka_incremental_assign(c->rk, parts);
    } else {
        err = rd_kafka_assign(c->rk, parts);
    }
    if (error || err) {
        SGX_ERROR("consumer", "assign failed: %s",
                  error ? rd_kafka_error_string(error) : rd_kafka_err2str(err));
        rd_kafka_error_destroy(error);
    }
    /* librdkafka keeps an application pause across reassignment only for partitions it
     * already had; newly assigned ones must be paused explicitly while we are paused. */
    if (c->paused) {
        rd_kafka_resp_err_t perr = rd_kafka_pause_partitions(c->rk, parts);
        for (int i = 0; i < parts->cnt && !perr; i++) {
            perr = parts->elems[i].err;
        }
        if (perr) {
            SGX_WARN("consumer", "pausing newly assigned partitions failed: %s",
                     rd_kafka_err2str(perr));
        }
    }
    SGX_INFO("consumer", "assigned %d partition(s)", parts->cnt);
    sgx_kstats_publish_parts(c);
}

static size_t revoked_inflight(sgx_consumer_t *c, rd_kafka_topic_partition_list_t *parts)
{
    size_t n = 0;
    for (int i = 0; i < parts->cnt; i++) {
        sgx_part_t *p = sgx_consumer_part(c, parts->elems[i].topic, parts->elems[i].partition,
                                          false);
        n += p && p->assigned ? p->inflight : 0;
    }
    return n;
}

/* Waits (bounded) for the revoked partitions' in-flight records, then commits them. */
static void finish_revoked(sgx_consumer_t *c, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        sgx_part_t *p = sgx_consumer_part(c, parts->elems[i].topic, parts->elems[i].partition,
                                          false);
        if (p) {
            p->assigned = false; /* stop feeding: stashed records of it are dropped */
        }
    }
    sgx_consumer_drop_stash(c, false);
    for (int i = 0; i < parts->cnt; i++) {
        sgx_part_t *p = sgx_consumer_part(c, parts->elems[i].topic, parts->elems[i].partition,
                                          false);
        if (p) {
            p->assigned = true; /* acks still count until the wait ends */
        }
    }
    bool was = atomic_exchange(c->flush_now, true);
    /* While draining for shutdown the grace period already bounded the wait: the revoke that
     * consumer_close triggers must not add another. */
    int64_t wait = atomic_load(&c->state) == SGX_RUN ? REVOKE_WAIT_MS : 0;
    int64_t deadline = sgx_now_ms() + wait;
    while (revoked_inflight(c, parts) > 0 && sgx_now_ms() < deadline) {
        SGX_SET(c->stats->beat_poll, sgx_now_ms());
        sgx_consumer_tick(c);
        if (sgx_consumer_process_done(c) == 0) {
            sgx_idle(10);
        }
    }
    atomic_store(c->flush_now, was);
    sgx_consumer_store_offsets(c, true);
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        SGX_WARN("consumer", "commit on revoke failed: %s", rd_kafka_err2str(err));
    } else {
        sgx_kstats_committed_all(c);
    }
    size_t left = revoked_inflight(c, parts);
    if (left) {
        SGX_WARN("consumer", "revoke: %zu records still in flight; the next owner re-sends them",
                 left);
    }
}

/* Rows of a revoked partition may be flushed and waited for only while this process still
 * owns it, i.e. inside this callback before the unassign (finish_revoked). What is left then
 * is cancelled, not flushed: disown drops its rows and aborts its transfers first. */
static void on_revoke(sgx_consumer_t *c, rd_kafka_topic_partition_list_t *parts, bool lost)
{
    if (!lost) {
        finish_revoked(c, parts);
    }
    sgx_consumer_disown(c, parts);
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (c->cooperative) {
        error = rd_kafka_incremental_unassign(c->rk, parts);
    } else {
        err = rd_kafka_assign(c->rk, NULL);
    }
    if (error || err) {
        /* Our side already dropped the partitions (nothing more is acknowledged or sent);
         * librdkafka's assignment may still hold them until the next rebalance. */
        SGX_ERROR("consumer", "unassign of %d partition(s) failed: %s", parts->cnt,
                  error ? rd_kafka_error_string(error) : rd_kafka_err2str(err));
        rd_kafka_error_destroy(error);
    }
    SGX_INFO("consumer", "%s %d partition(s)", lost ? "lost" : "revoked", parts->cnt);
    sgx_kstats_publish_parts(c);
}

void sgx_consumer_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    sgx_consumer_t *c = opaque;
    /* The protocol is only known once the group has formed, i.e. here. */
    c->cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        on_assign(c, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        on_revoke(c, parts, rd_kafka_assignment_lost(c->rk));
    } else {
        SGX_ERROR("consumer", "rebalance error: %s", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_t *all = NULL;
        if (rd_kafka_assignment(c->rk, &all) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            sgx_consumer_disown(c, all);
        }
        if (all) {
            rd_kafka_topic_partition_list_destroy(all);
        }
        rd_kafka_assign(c->rk, NULL);
    }
}
