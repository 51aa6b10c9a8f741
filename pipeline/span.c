/* The uncommitted span bound. A partition's watermark cannot pass its oldest unfinished record,
 * and every record consumed after it stays in the offset tracker even when done: those do not
 * count toward max_inflight_events, so one stuck record (an overdue import, a destination that
 * is blocked for one audience) would let the tracker grow without limit. Above
 * max_uncommitted_span that one partition is paused; it resumes at three quarters of it. Other
 * partitions keep flowing. */
#include "pipeline/consumer.h"
#include "base/log.h"

static void pause_one(sgx_consumer_t *c, sgx_part_t *p, bool pause)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
    rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(c->rk, l)
                                    : rd_kafka_resume_partitions(c->rk, l);
    if (err || l->elems[0].err) {
        SGX_WARN("consumer", "%s[%d]: %s failed: %s", p->topic, (int)p->partition,
                 pause ? "pause" : "resume", rd_kafka_err2str(err ? err : l->elems[0].err));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

void sgx_span_check(sgx_consumer_t *c, sgx_part_t *p)
{
    size_t held = sgx_offsets_held(p->offsets);
    if (p->span_paused || held <= c->cfg->max_uncommitted_span) {
        return;
    }
    p->span_paused = true;
    c->span_paused++;
    SGX_INC(c->stats->span_pauses);
    if (!c->paused) {
        pause_one(c, p, true);
    }
    SGX_WARN("consumer", "%s[%d]: pausing: %zu records uncommitted behind offset %lld, which is "
             "not final yet (max_uncommitted_span %zu)", p->topic, (int)p->partition, held,
             (long long)sgx_offsets_position(p->offsets), c->cfg->max_uncommitted_span);
}

void sgx_span_resume_due(sgx_consumer_t *c)
{
    if (c->span_paused == 0) {
        return;
    }
    size_t low = c->cfg->max_uncommitted_span / 4 * 3;
    for (size_t i = 0; i < c->nparts; i++) {
        sgx_part_t *p = c->parts[i];
        if (p->span_paused && !p->assigned) {
            sgx_span_forget(c, p); /* revoked: whoever gets it next starts afresh */
            continue;
        }
        if (!p->span_paused || sgx_offsets_held(p->offsets) > low) {
            continue;
        }
        sgx_span_forget(c, p);
        if (!c->paused && p->assigned) {
            pause_one(c, p, false); /* when all intake is paused, its resume covers p */
        }
        SGX_INFO("consumer", "%s[%d]: resuming: uncommitted span down to %zu", p->topic,
                 (int)p->partition, sgx_offsets_held(p->offsets));
    }
}

void sgx_span_forget(sgx_consumer_t *c, sgx_part_t *p)
{
    if (p->span_paused) {
        p->span_paused = false;
        c->span_paused--;
    }
}
