/* The poll thread's side of ownership.h: it keeps group contact fresh while it runs, notices a
 * pause longer than the limit and then proves membership with a commit the coordinator must
 * accept (it rejects an evicted member or a stale generation), and disowns partitions (purge
 * handshake with the dispatcher) before giving them up. */
#include <stdlib.h>

#include "pipeline/consumer.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"

/* The dispatcher acts on a purge within one loop turn (a few ms); the bound only matters if it
 * is stuck, and stays well under max.poll.interval.ms since rebalance callbacks wait for it. */
#define PURGE_WAIT_MS 5000
#define CONFIRM_INTERVAL_MS 1000

int64_t sgx_consumer_setting_ms(const sgx_config_t *cfg, const char *key, int64_t def)
{
    const char *v = sgx_config_kafka(cfg, key);
    long long n = v ? atoll(v) : 0;
    return n > 0 ? (int64_t)n : def;
}

/* Served on the poll thread inside rd_kafka_consumer_poll (the reply queue is the consumer's). */
static void confirm_done(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    (void)offsets;
    sgx_consumer_t *c = opaque;
    c->confirm_pending = false;
    if (err) {
        if (!c->confirm_failed) {
            SGX_WARN("consumer", "membership not confirmed (%s): sending stays stopped",
                     rd_kafka_err2str(err));
        }
        c->confirm_failed = true;
        return;
    }
    if (c->confirm_sent_ms < c->gap_ms) {
        return; /* sent before the latest pause: proves nothing about now */
    }
    if (c->own->suspect) {
        sgx_own_confirmed(c->own, c->confirm_sent_ms);
        SGX_INFO("consumer", "group membership confirmed: sending resumes");
    }
    c->confirm_failed = false;
}

/* One confirmation at a time, so confirm_sent_ms names the commit a reply is for. Commits the
 * acknowledged watermark of every assigned partition that has one: what would be
 * committed anyway, and an OffsetCommit carries the member id and generation. With nothing
 * tracked there is nothing of this assignment to send either: the next record tracked allows
 * the next attempt. */
static void confirm(sgx_consumer_t *c, int64_t now)
{
    c->confirm_next_ms = now + CONFIRM_INTERVAL_MS;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < c->nparts; i++) {
        sgx_part_t *p = c->parts[i];
        int64_t pos = p->assigned ? sgx_offsets_position(p->offsets) : -1;
        if (pos >= 0) {
            rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset = pos;
        }
    }
    if (list->cnt > 0) {
        rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
        rd_kafka_resp_err_t err = rd_kafka_commit_queue(c->rk, list, q, confirm_done, c);
        rd_kafka_queue_destroy(q);
        c->confirm_pending = err == RD_KAFKA_RESP_ERR_NO_ERROR;
        c->confirm_sent_ms = now;
    }
    rd_kafka_topic_partition_list_destroy(list);
}

void sgx_consumer_tick(sgx_consumer_t *c)
{
    int64_t now = sgx_now_ms();
    int64_t prev = c->own->last_tick_ms;
    if (sgx_own_tick(c->own, now)) {
        SGX_WARN("consumer", "no contact with the group for %lld ms (limit %lld ms): sending "
                 "stops until membership is confirmed or the next assignment is known",
                 (long long)(now - prev), (long long)c->own->limit_ms);
        c->gap_ms = now;
        c->confirm_failed = false;
        c->confirm_next_ms = now;
    }
    if (c->own->suspect && !c->confirm_pending && now >= c->confirm_next_ms && c->rk) {
        confirm(c, now);
    }
}

void sgx_consumer_disown(sgx_consumer_t *c, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        sgx_part_t *p = sgx_consumer_part(c, parts->elems[i].topic, parts->elems[i].partition,
                                          false);
        if (p) {
            p->assigned = false;
            p->generation++; /* late acks of this assignment are ignored */
            sgx_own_publish(p);
            p->inflight = 0;
            p->dlq_paused = false;
            sgx_offsets_reset(p->offsets); /* nothing of it is stored or committed any more */
            SGX_DEBUG("consumer", "given up %s[%d]", p->topic, (int)p->partition);
        }
    }
    unsigned epoch = sgx_own_revoke_begin(c->own);
    if (!sgx_own_wait_purged(c->own, epoch, PURGE_WAIT_MS)) {
        SGX_ERROR("consumer", "the dispatcher did not drop the revoked partitions' rows within "
                  "%d ms", PURGE_WAIT_MS);
    }
    sgx_consumer_drop_stash(c, false);
}
