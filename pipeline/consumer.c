#include "pipeline/consumer.h"

#include <string.h>
#include <xxhash.h>

#include "codecs/wire.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "base/mem.h"
#include "pipeline/kstats.h"

#define POLL_BURST 1024
#define STORE_INTERVAL_MS 100

/* Every consumed message looks its partition up: a hash, not a scan of every partition this
 * process has ever been assigned (with many topics that list only grows). */
static uint64_t part_key(const char *topic, int32_t partition)
{
    return XXH3_64bits_withSeed(topic, strlen(topic), (uint64_t)(uint32_t)partition);
}

sgx_part_t *sgx_consumer_part(sgx_consumer_t *c, const char *topic, int32_t partition,
                              bool create)
{
    uint64_t key = part_key(topic, partition);
    if (!c->part_index && sgx_hmap_new(64, &c->part_index)) {
        abort();
    }
    sgx_part_t *first = sgx_hmap_get(c->part_index, key, NULL);
    for (sgx_part_t *p = first; p; p = p->hash_next) {
        if (p->partition == partition && strcmp(p->topic, topic) == 0) {
            return p;
        }
    }
    if (!create) {
        return NULL;
    }
    /* Partition states are never freed while the consumer lives: in-flight records point to
     * them, and a partition that comes back reuses its state under a new generation. */
    sgx_part_t *p = sgx_calloc(1, sizeof *p);
    p->topic = sgx_strdup(topic);
    p->partition = partition;
    p->next_expected = -1;
    p->stats = c->stats ? sgx_stats_part(c->stats, topic, partition, true) : NULL;
    if (sgx_offsets_new(&p->offsets)) {
        abort();
    }
    c->parts = sgx_realloc(c->parts, (c->nparts + 1) * sizeof *c->parts);
    c->parts[c->nparts++] = p;
    p->hash_next = first;
    if (sgx_hmap_put(c->part_index, key, p)) {
        abort();
    }
    return p;
}

static void finish_record(sgx_consumer_t *c, sgx_record_t *rec)
{
    sgx_part_t *p = rec->part;
    if (p->assigned && rec->generation == p->generation) {
        sgx_offsets_done(p->offsets, rec->offset);
        p->inflight--;
    }
    SGX_INC(c->stats->done);
    atomic_fetch_sub_explicit(&c->stats->inflight, 1, memory_order_relaxed);
    sgx_free(rec);
}

static size_t drain_ring(sgx_consumer_t *c, sgx_ring_t *ring)
{
    void *items[256];
    size_t n, total = 0;
    while ((n = sgx_ring_pop_many(ring, items, 256)) > 0) {
        for (size_t i = 0; i < n; i++) {
            finish_record(c, items[i]);
        }
        total += n;
    }
    return total;
}

size_t sgx_consumer_process_done(sgx_consumer_t *c)
{
    size_t n = drain_ring(c, c->self_done) + drain_ring(c, c->disp_done) +
               drain_ring(c, c->dlq_done);
    for (int i = 0; i < c->nworkers; i++) {
        n += drain_ring(c, c->workers[i].done);
    }
    sgx_span_resume_due(c);
    return n;
}

/* A watermark librdkafka refused to store (the tracker already counts it as reported) is kept
 * and offered again on every store until it is taken or overtaken: otherwise the partition's
 * last acknowledged records would stay uncommitted until more of them are acknowledged.
 * Logged once per partition and failure streak. */
static void store_result(sgx_consumer_t *c, const rd_kafka_topic_partition_list_t *list)
{
    for (int i = 0; i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *e = &list->elems[i];
        sgx_part_t *p = sgx_consumer_part(c, e->topic, e->partition, false);
        if (!p) {
            continue;
        }
        if (!e->err) {
            p->unstored = 0;
            SGX_INC(c->stats->commits_stored);
            continue;
        }
        if (p->unstored == 0) {
            SGX_WARN("consumer", "%s[%d]: storing offset %lld failed: %s; retrying", e->topic,
                     (int)e->partition, (long long)e->offset, rd_kafka_err2str(e->err));
        }
        SGX_INC(c->stats->store_errors);
        p->unstored = e->offset;
    }
}

void sgx_consumer_store_offsets(sgx_consumer_t *c, bool force)
{
    int64_t now = sgx_now_ms();
    if (!force && now - c->last_store_ms < STORE_INTERVAL_MS) {
        return;
    }
    c->last_store_ms = now;
    sgx_kstats_publish_parts(c);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < c->nparts; i++) {
        sgx_part_t *p = c->parts[i];
        int64_t next;
        if (!p->assigned) {
            p->unstored = 0; /* its next owner stores its own */
        } else if (sgx_offsets_advance(p->offsets, &next) || (next = p->unstored) > 0) {
            rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset = next;
        }
    }
    if (list->cnt > 0) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_store(c->rk, list);
        if (err) {
            SGX_WARN("consumer", "storing offsets failed: %s", rd_kafka_err2str(err));
        }
        store_result(c, list);
    }
    rd_kafka_topic_partition_list_destroy(list);
}

/* Pauses or resumes list, logging what librdkafka refused (per partition, or as a whole). */
static void pause_list(sgx_consumer_t *c, rd_kafka_topic_partition_list_t *list, bool pause)
{
    rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(c->rk, list)
                                    : rd_kafka_resume_partitions(c->rk, list);
    if (err) {
        SGX_WARN("consumer", "%s failed: %s", pause ? "pause" : "resume", rd_kafka_err2str(err));
    }
    for (int i = 0; i < list->cnt; i++) {
        if (list->elems[i].err) {
            SGX_WARN("consumer", "%s[%d]: %s failed: %s", list->elems[i].topic,
                     (int)list->elems[i].partition, pause ? "pause" : "resume",
                     rd_kafka_err2str(list->elems[i].err));
        }
    }
}

void sgx_consumer_set_paused(sgx_consumer_t *c, bool paused)
{
    rd_kafka_topic_partition_list_t *list = NULL;
    if (rd_kafka_assignment(c->rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR && list->cnt > 0) {
        for (int i = list->cnt - 1; !paused && i >= 0; i--) {
            sgx_part_t *p = sgx_consumer_part(c, list->elems[i].topic, list->elems[i].partition,
                                              false);
            /* Stays paused until its dead letters are accepted, or until its span drops. */
            if (p && (p->dlq_paused || p->span_paused)) {
                rd_kafka_topic_partition_list_del_by_idx(list, i);
            }
        }
        pause_list(c, list, paused);
    }
    if (list) {
        rd_kafka_topic_partition_list_destroy(list);
    }
    if (paused && !c->paused) {
        SGX_INC(c->stats->pauses);
        SGX_INFO("consumer", "pausing intake: %lld records in flight",
                 (long long)atomic_load(&c->stats->inflight));
    } else if (!paused && c->paused) {
        SGX_INFO("consumer", "resuming intake");
    }
    c->paused = paused;
    atomic_store(&c->stats->paused, paused);
}

/* A partition whose dead letters the DLQ refuses for good (dlq.c) takes no more records: its
 * watermark cannot pass the refused one, and what it consumed meanwhile would only pile up. */
static void sync_dlq_blocks(sgx_consumer_t *c)
{
    for (size_t i = 0; i < c->nparts; i++) {
        sgx_part_t *p = c->parts[i];
        bool blocked = p->assigned && atomic_load(&p->dlq_blocked) > 0;
        if (blocked == p->dlq_paused) {
            continue;
        }
        p->dlq_paused = blocked;
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(list, p->topic, p->partition);
        if (blocked || !c->paused) {
            pause_list(c, list, blocked);
        }
        rd_kafka_topic_partition_list_destroy(list);
        SGX_WARN("consumer", "%s[%d]: %s", p->topic, (int)p->partition,
                 blocked ? "paused: the dead-letter topic refuses its records"
                         : "resumed: the dead-letter topic accepts its records again");
    }
}

static void stash_push(sgx_consumer_t *c, sgx_record_t *rec)
{
    if (c->stash_head + c->stash_len == c->stash_cap) {
        if (c->stash_head > 0) {
            memmove(c->stash, c->stash + c->stash_head, c->stash_len * sizeof *c->stash);
            c->stash_head = 0;
        } else {
            c->stash_cap = c->stash_cap ? c->stash_cap * 2 : 64;
            c->stash = sgx_realloc(c->stash, c->stash_cap * sizeof *c->stash);
        }
    }
    c->stash[c->stash_head + c->stash_len++] = rec;
}

void sgx_consumer_drop_stash(sgx_consumer_t *c, bool all)
{
    size_t w = c->stash_head;
    for (size_t i = c->stash_head; i < c->stash_head + c->stash_len; i++) {
        sgx_record_t *rec = c->stash[i];
        if (all || !rec->part->assigned || rec->generation != rec->part->generation) {
            /* Never dispatched, never done: the offset is not committed and the record will
             * be consumed again by whoever owns the partition next. */
            if (rec->generation == rec->part->generation) {
                rec->part->inflight--;
            }
            atomic_fetch_sub_explicit(&c->stats->inflight, 1, memory_order_relaxed);
            sgx_free(rec);
        } else {
            c->stash[w++] = rec;
        }
    }
    c->stash_len = w - c->stash_head;
}

#define DLQ_WARN_EVERY_MS 10000

static void dead_letter(sgx_consumer_t *c, sgx_record_t *rec, sgx_err_t why, bool with_value)
{
    /* Coordinates and reason only (the record may hold PII); one WARN per 10 s, each at DEBUG. */
    int64_t now = sgx_now_ms();
    if (now - c->dlq_warned_ms >= DLQ_WARN_EVERY_MS) {
        SGX_WARN("consumer",
                 "dead-lettered %s[%d] offset %lld: %s (%llu more since the last such line)",
                 rec->part->topic, (int)rec->part->partition, (long long)rec->offset,
                 sgx_err_str(why), (unsigned long long)c->dlq_unwarned);
        c->dlq_warned_ms = now;
        c->dlq_unwarned = 0;
    } else {
        c->dlq_unwarned++;
        SGX_DEBUG("consumer", "dead-lettered %s[%d] offset %lld: %s", rec->part->topic,
                  (int)rec->part->partition, (long long)rec->offset, sgx_err_str(why));
    }
    /* With a group per destination every group reads the bad record; one dead letter is
     * enough, sent by the first group (pipeline/groups.c). */
    if (!c->cfg->undecodable_not_dlq) {
        sgx_dlq_send(c->dlq, rec, sgx_err_str(why), NULL, with_value);
    }
    sgx_record_release(rec, c->self_done);
}

#define UNKNOWN_SCHEMAS_LOGGED 1024

/* A schema id the registry does not know: its records are dead-lettered, which must not go
 * unnoticed. Logged once per id (an id is no PII), a bounded number of ids. */
static void note_unknown_schema(sgx_consumer_t *c, uint32_t id)
{
    SGX_INC(c->stats->unknown_schema);
    if (!c->unknown_schemas && sgx_hmap_new(64, &c->unknown_schemas)) {
        return;
    }
    bool found = false;
    size_t n = sgx_hmap_count(c->unknown_schemas);
    sgx_hmap_get(c->unknown_schemas, id, &found);
    if (found || n > UNKNOWN_SCHEMAS_LOGGED) {
        return;
    }
    sgx_hmap_put(c->unknown_schemas, id, NULL);
    if (n == UNKNOWN_SCHEMAS_LOGGED) {
        SGX_WARN("consumer", "more than %d unknown schema ids: no longer logging each",
                 UNKNOWN_SCHEMAS_LOGGED);
        return;
    }
    SGX_WARN("consumer", "schema id %u is unknown to the schema registry: its records go to "
             "the dead-letter topic (reason unknown_schema_id; logged once per id)",
             (unsigned)id);
}

/* Decodes a framed record. @returns SGX_OK, SGX_ERR_UNAVAILABLE (try later), or the reason
 * to dead-letter it. */
static sgx_err_t decode(sgx_consumer_t *c, sgx_record_t *rec)
{
    uint32_t id;
    size_t off;
    const uint8_t *value = sgx_record_value(rec);
    sgx_err_t err = sgx_wire_parse(value, rec->value_len, &id, &off);
    const sgx_projection_t *proj = NULL;
    if (!err) {
        err = sgx_schema_cache_get(c->schemas, id, &proj);
        if (err == SGX_ERR_UNKNOWN_SCHEMA) {
            note_unknown_schema(c, id);
        }
    }
    if (!err) {
        rec->body_off = (uint32_t)off;
        err = sgx_projection_decode(proj, value + off, rec->value_len - off, &rec->dec);
    }
    return err;
}

/* @returns false when the record must wait (registry unreachable, worker ring full). */
static bool try_route(sgx_consumer_t *c, sgx_record_t *rec)
{
    if (!rec->decoded) {
        sgx_err_t err = decode(c, rec);
        if (err == SGX_ERR_UNAVAILABLE) {
            return false;
        }
        if (err) {
            dead_letter(c, rec, err, true);
            return true;
        }
        rec->decoded = true;
    }
    const unsigned char *pid = sgx_record_body(rec) + rec->dec.profile_id.off;
    uint64_t h = XXH3_64bits(pid, rec->dec.profile_id.len);
    sgx_worker_t *w = &c->workers[h % (uint64_t)c->nworkers];
    return sgx_ring_push(w->in, rec) == SGX_OK;
}

static void route_or_stash(sgx_consumer_t *c, sgx_record_t *rec)
{
    if (c->stash_len > 0 || !try_route(c, rec)) {
        stash_push(c, rec); /* order matters: once anything waits, everything after waits */
    }
}

#define STASH_RETRY_MS 1000

/* A record waits in the stash for a free worker slot (retried at once) or for an unreachable
 * schema registry (retried once a second, not in a tight loop). */
static void retry_stash(sgx_consumer_t *c)
{
    if (c->stash_len == 0 || sgx_now_ms() < c->stash_retry_at) {
        return;
    }
    while (c->stash_len > 0 && try_route(c, c->stash[c->stash_head])) {
        c->stash_head++;
        c->stash_len--;
    }
    if (c->stash_len == 0) {
        c->stash_head = 0;
    } else if (!c->stash[c->stash_head]->decoded) {
        c->stash_retry_at = sgx_now_ms() + STASH_RETRY_MS;
    }
}

static void count_gap(sgx_consumer_t *c, sgx_part_t *p, int64_t offset)
{
    if (p->next_expected >= 0 && offset > p->next_expected) {
        SGX_ADD(c->stats->offset_gaps, (uint64_t)(offset - p->next_expected));
        SGX_WARN("consumer", "%s[%d]: offsets %lld..%lld were skipped by the broker",
                 p->topic, (int)p->partition, (long long)p->next_expected,
                 (long long)offset - 1);
    }
    p->next_expected = offset + 1;
}

static void handle_message(sgx_consumer_t *c, rd_kafka_message_t *m)
{
    sgx_part_t *p = sgx_consumer_part(c, rd_kafka_topic_name(m->rkt), m->partition, false);
    if (!p || !p->assigned) {
        return; /* a straggler from a revoked assignment: its new owner consumes it */
    }
    if (sgx_offsets_track(p->offsets, m->offset) != SGX_OK) {
        /* Offsets went backwards (log truncation on the broker): skip what we already
         * track; its acknowledgement is still pending under the earlier offset. */
        SGX_WARN("consumer", "%s[%d]: offset %lld is not after the last one; skipped",
                 p->topic, (int)p->partition, (long long)m->offset);
        return;
    }
    count_gap(c, p, m->offset);
    sgx_span_check(c, p);
    bool too_large = m->len > c->cfg->max_record_bytes;
    size_t vlen = too_large ? 0 : m->len;
    sgx_record_t *rec = sgx_malloc(sizeof *rec + m->key_len + vlen);
    memset(rec, 0, sizeof *rec);
    atomic_init(&rec->pending, 1);
    rec->part = p;
    rec->generation = p->generation;
    rec->offset = m->offset;
    rec->key_len = (uint32_t)m->key_len;
    rec->value_len = (uint32_t)vlen;
    if (m->key_len) {
        memcpy(rec->data, m->key, m->key_len);
    }
    if (vlen) {
        memcpy(rec->data + m->key_len, m->payload, vlen);
    }
    p->inflight++;
    SGX_INC(c->stats->consumed);
    atomic_fetch_add_explicit(&c->stats->inflight, 1, memory_order_relaxed);
    if (too_large) {
        dead_letter(c, rec, SGX_ERR_TOO_LARGE, false);
        return;
    }
    bool was_empty = c->stash_len == 0;
    route_or_stash(c, rec);
    if (was_empty && c->stash_len > 0 && !c->stash[c->stash_head]->decoded) {
        c->stash_retry_at = sgx_now_ms() + STASH_RETRY_MS;
        SGX_WARN("consumer", "schema registry unreachable: intake paused, retrying");
    }
}

#define STASH_PAUSE 8192
#define HOLD_MAX_MS 1000

/* Backpressure in two steps. A short backlog is absorbed by not polling for a moment: the
 * records librdkafka prefetched stay queued (bounded by queued.max.messages.kbytes) and flow the
 * instant we poll again. Pausing partitions is kept for a backlog that lasts (an outage) or a
 * registry that cannot be reached: a paused partition discards its prefetched records and,
 * once resumed, can take up to a second (librdkafka's fetch backoff) to deliver again. The hold
 * is bounded well under max.poll.interval.ms, since rebalance callbacks wait for the next poll. */
static void backpressure(sgx_consumer_t *c)
{
    int64_t inflight = atomic_load(&c->stats->inflight);
    int64_t high = (int64_t)c->cfg->max_inflight_events;
    int64_t now = sgx_now_ms();
    bool stuck = c->stash_len > 0 && !c->stash[c->stash_head]->decoded;
    bool full = inflight >= high;
    if (full && !c->paused && !c->holding) {
        c->holding = true;
        c->hold_since = now;
    }
    if (c->holding && inflight <= high / 4 * 3) {
        c->holding = false;
    }
    SGX_SET(c->stats->holding, c->holding);
    bool want = stuck || c->stash_len >= STASH_PAUSE ||
                (c->holding && now - c->hold_since > HOLD_MAX_MS) || (c->paused && full);
    if (want && !c->paused) {
        c->holding = false;
        sgx_consumer_set_paused(c, true);
    } else if (!want && c->paused && inflight <= high / 4 * 3) {
        sgx_consumer_set_paused(c, false);
    }
}

static void poll_burst(sgx_consumer_t *c)
{
    if ((c->stash_len > 0 || c->holding) && !c->paused) {
        sgx_idle(0); /* a ring is full or the in-flight bound reached: catch up for a moment */
        return;
    }
    size_t span_paused = c->span_paused;
    for (int i = 0; i < POLL_BURST; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, i == 0 ? 5 : 0);
        if (!m) {
            return;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            /* nothing to do */
        } else if (m->err) {
            SGX_WARN("consumer", "consumer error: %s", rd_kafka_message_errstr(m));
        } else {
            handle_message(c, m);
        }
        rd_kafka_message_destroy(m);
        if (c->paused || c->stash_len > 0 || c->span_paused > span_paused) {
            return; /* a partition just paused: let librdkafka drop what it prefetched */
        }
    }
}

/* Graceful end: stop intake, let in-flight records finish within the grace period, store
 * and commit what is acknowledged. */
static void drain(sgx_consumer_t *c)
{
    int64_t deadline = sgx_now_ms() + c->cfg->shutdown_grace_ms;
    sgx_consumer_drop_stash(c, true);
    sgx_consumer_set_paused(c, true);
    atomic_store(c->flush_now, true);
    while (atomic_load(&c->stats->inflight) > 0 && sgx_now_ms() < deadline &&
           atomic_load(&c->state) != SGX_ABORT) {
        sgx_consumer_tick(c);
        sgx_consumer_process_done(c);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 1);
        if (m) {
            rd_kafka_message_destroy(m); /* paused: anything left is dropped, not tracked */
        }
    }
    sgx_consumer_process_done(c);
    sgx_consumer_store_offsets(c, true);
    int64_t left = atomic_load(&c->stats->inflight);
    if (left > 0) {
        SGX_WARN("consumer", "grace period over with %lld records unacknowledged; they will "
                 "be consumed again after restart", (long long)left);
    }
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        SGX_WARN("consumer", "final commit failed: %s", rd_kafka_err2str(err));
    } else {
        sgx_kstats_committed_all(c);
    }
    rd_kafka_consumer_close(c->rk);
}

static void *poll_main(void *arg)
{
    sgx_consumer_t *c = arg;
    pthread_setname_np(pthread_self(), "poll"); /* top -H and /proc split CPU by role */
    while (atomic_load(&c->state) == SGX_RUN) {
        SGX_SET(c->stats->beat_poll, sgx_now_ms());
        sgx_consumer_tick(c);
        sgx_consumer_process_done(c);
        sgx_consumer_store_offsets(c, false);
        sync_dlq_blocks(c);
        retry_stash(c);
        backpressure(c);
        poll_burst(c);
    }
    if (atomic_load(&c->state) == SGX_DRAIN) {
        drain(c);
    }
    return NULL;
}

void sgx_consumer_defaults(rd_kafka_conf_t *conf, const sgx_config_t *cfg)
{
    static const char *const defaults[][2] = {
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"auto.offset.reset", "earliest"},
        /* librdkafka 2.0 backs a partition's fetcher off for a second whenever its prefetch
         * queue holds queued.min.messages (100,000 by default); a consumer as fast as ours hits
         * that constantly, and it cut throughput by a third in the benchmark. The queue stays
         * bounded in bytes by queued.max.messages.kbytes. */
        {"queued.min.messages", "1000000"},
        /* The prefetch bound, in bytes of payload, of the one consumer queue (a high-level
         * consumer's partition queues forward to it; rd_kafka_q_size follows the forward). Its
         * 64 MiB default let a backlog hold ~550 MB of RSS. But it must hold about a second of
         * data: librdkafka 2.0 stops fetching while the queue is over it and looks again only
         * at the broker thread's next wakeup, up to a second later (rd_kafka_broker_consumer_serve
         * waits until abs_timeout when no partition is fetchable; librdkafka 2.2 added
         * fetch.queue.backoff.ms for this). At 4096 KiB intake stalled about half of every
         * second: 160 K events/s on the real-broker benchmark, 306 K at 16384 KiB (peak RSS
         * 216 MB with max_inflight_events 100000; bench/peers, README "Memory"). */
        {"queued.max.messages.kbytes", "16384"},
        /* An acknowledgement reaches the group within a quarter second (librdkafka's default
         * is 5 s): at 1000 ms the committed offsets trailed the committable ones by a whole
         * second of a 350 K events/s drain, a third of the in-process bench's run. The timer
         * only sends partitions whose stored offset moved since the last commit, so a quiet
         * consumer sends nothing: at most 4 OffsetCommits a second, no commit storm. The
         * commit also wakes the coordinator's broker thread early from the prefetch stall
         * above (on a one-broker cluster that is every partition's). */
        {"auto.commit.interval.ms", "250"},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        if (!sgx_config_kafka(cfg, defaults[i][0])) {
            rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], NULL, 0);
        }
    }
}

sgx_err_t sgx_consumer_open(sgx_consumer_t *c, char *errbuf)
{
    rd_kafka_conf_t *conf = sgx_kafka_conf(c->cfg, false, errbuf);
    if (!conf) {
        return SGX_ERR_CONFIG;
    }
    sgx_consumer_defaults(conf, c->cfg);
    /* The commit rule: librdkafka stores nothing by itself; we store acknowledged offsets. */
    rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", NULL, 0);
    rd_kafka_conf_set_rebalance_cb(conf, sgx_consumer_rebalance);
    sgx_kstats_install(conf, c->cfg);
    rd_kafka_conf_set_opaque(conf, c);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, SGX_ERRBUF_SIZE);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        return SGX_ERR_KAFKA;
    }
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new((int)c->cfg->ntopics);
    for (size_t i = 0; i < c->cfg->ntopics; i++) {
        rd_kafka_topic_partition_list_add(topics, c->cfg->topics[i], RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "subscribe failed: %s", rd_kafka_err2str(err));
        return SGX_ERR_KAFKA;
    }
    return SGX_OK;
}

sgx_err_t sgx_consumer_start(sgx_consumer_t *c)
{
    if (pthread_create(&c->thread, NULL, poll_main, c) != 0) {
        return SGX_ERR_UNAVAILABLE;
    }
    c->running = true;
    return SGX_OK;
}

void sgx_consumer_join(sgx_consumer_t *c)
{
    if (c->running) {
        pthread_join(c->thread, NULL);
        c->running = false;
    }
}
