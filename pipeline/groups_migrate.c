/* Switching consumer_group_per_destination on: the new groups start where the shared group
 * committed. Kafka's admin API (ListConsumerGroupOffsets, AlterConsumerGroupOffsets) reads the
 * shared group's offsets and commits them for each new group that has none for a partition;
 * committing for a group that has no member is what AlterConsumerGroupOffsets is for
 * (KIP-396), so this runs before any group's consumer joins. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "pipeline/dlq.h"
#include "pipeline/groups.h"

#define ADMIN_TIMEOUT_MS 15000

/* Waits for the result of the admin request just sent on q. @returns owned event or NULL. */
static rd_kafka_event_t *await(rd_kafka_queue_t *q, rd_kafka_event_type_t type, char *errbuf)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, ADMIN_TIMEOUT_MS + 1000);
    if (!ev || rd_kafka_event_type(ev) != type || rd_kafka_event_error(ev)) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "consumer group offsets: %s",
                 ev ? rd_kafka_event_error_string(ev) : "no answer from the cluster");
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

/* Every partition of the configured topics that exist (explicit: listing "all" of a group is
 * not answered by every broker, librdkafka's mock cluster among them). All topics are asked
 * for, since asking a producer handle for one topic could create it. @returns owned or NULL. */
static rd_kafka_topic_partition_list_t *topic_partitions(rd_kafka_t *rk, const sgx_config_t *cfg,
                                                         char *errbuf)
{
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, ADMIN_TIMEOUT_MS);
    if (err) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cluster metadata: %s", rd_kafka_err2str(err));
        return NULL;
    }
    rd_kafka_topic_partition_list_t *out = rd_kafka_topic_partition_list_new(16);
    for (int t = 0; t < md->topic_cnt; t++) {
        for (size_t i = 0; i < cfg->ntopics; i++) {
            if (strcmp(md->topics[t].topic, cfg->topics[i]) != 0) {
                continue;
            }
            for (int p = 0; p < md->topics[t].partition_cnt; p++) {
                rd_kafka_topic_partition_list_add(out, cfg->topics[i],
                                                  md->topics[t].partitions[p].id);
            }
        }
    }
    rd_kafka_metadata_destroy(md);
    return out;
}

static rd_kafka_AdminOptions_t *admin_options(rd_kafka_t *rk)
{
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
    rd_kafka_AdminOptions_set_request_timeout(o, ADMIN_TIMEOUT_MS, NULL, 0);
    return o;
}

/* The one group's result in a List/AlterConsumerGroupOffsets result event (borrowed from ev),
 * or NULL with errbuf set when it failed. */
static const rd_kafka_group_result_t *group_result(rd_kafka_event_t *ev, const char *group,
                                                   char *errbuf)
{
    size_t n = 0;
    const rd_kafka_group_result_t **res =
        rd_kafka_event_type(ev) == RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT
            ? rd_kafka_ListConsumerGroupOffsets_result_groups(
                  rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n)
            : rd_kafka_AlterConsumerGroupOffsets_result_groups(
                  rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    const rd_kafka_error_t *e = n == 1 ? rd_kafka_group_result_error(res[0]) : NULL;
    if (n != 1 || e) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "offsets of consumer group %.80s: %s", group,
                 e ? rd_kafka_error_string(e) : "no result");
        return NULL;
    }
    return res[0];
}

/* The committed offsets of group for parts (borrowed). @returns owned list or NULL with errbuf
 * set. */
static rd_kafka_topic_partition_list_t *list_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q,
                                                     const char *group,
                                                     const rd_kafka_topic_partition_list_t *parts,
                                                     char *errbuf)
{
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, parts);
    rd_kafka_AdminOptions_t *o = admin_options(rk);
    rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = await(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, errbuf);
    const rd_kafka_group_result_t *r = ev ? group_result(ev, group, errbuf) : NULL;
    const rd_kafka_topic_partition_list_t *l = r ? rd_kafka_group_result_partitions(r) : NULL;
    rd_kafka_topic_partition_list_t *out =
        r ? (l ? rd_kafka_topic_partition_list_copy(l) : rd_kafka_topic_partition_list_new(0))
          : NULL;
    rd_kafka_event_destroy(ev);
    return out;
}

static bool has_offset(const rd_kafka_topic_partition_list_t *l, const char *topic, int32_t p)
{
    const rd_kafka_topic_partition_t *e =
        rd_kafka_topic_partition_list_find((rd_kafka_topic_partition_list_t *)l, topic, p);
    return e && e->offset >= 0;
}

static sgx_err_t alter_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group,
                               const rd_kafka_topic_partition_list_t *parts, char *errbuf)
{
    rd_kafka_AlterConsumerGroupOffsets_t *req =
        rd_kafka_AlterConsumerGroupOffsets_new(group, parts);
    rd_kafka_AdminOptions_t *o = admin_options(rk);
    rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = await(q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, errbuf);
    const rd_kafka_group_result_t *r = ev ? group_result(ev, group, errbuf) : NULL;
    const rd_kafka_topic_partition_list_t *l = r ? rd_kafka_group_result_partitions(r) : NULL;
    sgx_err_t err = r ? SGX_OK : SGX_ERR_KAFKA;
    for (int i = 0; l && i < l->cnt; i++) {
        if (l->elems[i].err) {
            snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot commit the shared group's offsets for "
                     "%.80s: %s", group, rd_kafka_err2str(l->elems[i].err));
            err = SGX_ERR_KAFKA;
        }
    }
    rd_kafka_event_destroy(ev);
    return err;
}

/* One group: the shared group's offsets for the partitions it has none for. */
static sgx_err_t migrate_one(rd_kafka_t *rk, rd_kafka_queue_t *q,
                             const rd_kafka_topic_partition_list_t *old, const char *group,
                             char *errbuf)
{
    rd_kafka_topic_partition_list_t *mine = list_offsets(rk, q, group, old, errbuf);
    if (!mine) {
        return SGX_ERR_KAFKA;
    }
    rd_kafka_topic_partition_list_t *take = rd_kafka_topic_partition_list_new(old->cnt);
    for (int i = 0; i < old->cnt; i++) {
        const rd_kafka_topic_partition_t *e = &old->elems[i];
        if (e->offset >= 0 && !has_offset(mine, e->topic, e->partition)) {
            rd_kafka_topic_partition_list_add(take, e->topic, e->partition)->offset = e->offset;
        }
    }
    sgx_err_t err = SGX_OK;
    if (take->cnt > 0) {
        err = alter_offsets(rk, q, group, take, errbuf);
        if (!err) {
            SGX_INFO("groups", "consumer group %s starts at the shared group's offsets of %d "
                               "partition(s)", group, take->cnt);
        }
    }
    rd_kafka_topic_partition_list_destroy(take);
    rd_kafka_topic_partition_list_destroy(mine);
    return err;
}

sgx_err_t sgx_groups_migrate(const sgx_config_t *cfg, const sgx_groups_t *g, char *errbuf)
{
    rd_kafka_conf_t *conf = sgx_kafka_conf(cfg, true, errbuf);
    if (!conf) {
        return SGX_ERR_CONFIG;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, SGX_ERRBUF_SIZE);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return SGX_ERR_KAFKA;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    sgx_err_t err = SGX_ERR_KAFKA;
    rd_kafka_topic_partition_list_t *parts = topic_partitions(rk, cfg, errbuf);
    rd_kafka_topic_partition_list_t *old =
        parts && parts->cnt > 0
            ? list_offsets(rk, q, sgx_config_kafka(cfg, "group.id"), parts, errbuf)
            : NULL;
    if (parts && parts->cnt == 0) {
        err = SGX_OK; /* no topic yet: nothing was committed anywhere */
    }
    if (parts) {
        rd_kafka_topic_partition_list_destroy(parts);
    }
    if (old) {
        err = SGX_OK;
        for (size_t i = 0; !err && i < sgx_groups_count(g); i++) {
            err = migrate_one(rk, q, old,
                              sgx_config_kafka(sgx_groups_config(g, i), "group.id"), errbuf);
        }
        rd_kafka_topic_partition_list_destroy(old);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return err;
}
