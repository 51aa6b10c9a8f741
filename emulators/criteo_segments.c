/* The Criteo emulator's API versions, segment creation and segment search. Creation:
 *   POST /{version}/marketing-solutions/audience-segments/create
 * AudienceSegmentBulkCreateInputV1 {"data":[{"type","attributes":{"advertiserId","name",
 * "contactList":{}}}]} -> AudienceSegmentIdEntityV1ListResponse {"data":[{"id","type"}]}
 * (AudienceApi.create_audience_segments, SDK 2026.7). Search:
 *   POST /{version}/marketing-solutions/audience-segments/search?limit=&offset=
 * as AudienceApi.search_audience_segments documents it (criteo-api-marketingsolutions-sdk
 * 2026.7, docs/AudienceApi.md): body AudienceSegmentSearchInputV1 {"data":{"type","attributes":
 * {"advertiserIds":[],"audienceSegmentIds":[],"audienceSegmentTypes":[]}}}, every part
 * optional, present filters AND'ed; limit 0..100 (default 50) and offset (default 0) in the
 * query; the reply AudienceSegmentEntityV1AudienceSegmentSearchMetadataV1ListResponse
 * {"data":[AudienceSegmentEntityV1Resource],"meta":{"totalItems","limit","offset"}}. There is
 * no name filter. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulators/criteo_priv.h"

/* AudienceSegmentSearchEntityV1.audience_segment_types allowed values (SDK 2026.7). */
static const char *const seg_types[] = {"Unknown", "InMarket", "Prospecting", "ContactList",
                                        "Location", "Behavioral", "Retargeting", "Lookalike",
                                        NULL};

sgx_emu_crt_ver_t sgx_emu_crt_version(const sgx_emu_criteo_t *e, const char *v)
{
    bool dated = strlen(v) == 7 && v[4] == '-' && strspn(v, "0123456789-") == 7 &&
                 strchr(v, '-') == v + 4;
    if (!dated) {
        return SGX_EMU_CRT_V_NONE; /* not a version path at all: route-not-found */
    }
    return json_object_get(e->versions, v) ? SGX_EMU_CRT_V_SERVED : SGX_EMU_CRT_V_GONE;
}

/* A query integer in [lo, hi], def when absent. */
static bool query_int(struct MHD_Connection *conn, const char *name, long def, long lo, long hi,
                      long *out)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
    char *end = NULL;
    if (!v) {
        *out = def;
        return true;
    }
    *out = strtol(v, &end, 10);
    return *v && !*end && *out >= lo && *out <= hi;
}

/* A filter: absent/null, or an array of strings (each of allowed when given). */
static bool filter_ok(json_t *f, const char *const *allowed)
{
    size_t i, k;
    json_t *v;
    if (!f || json_is_null(f)) {
        return true;
    }
    if (!json_is_array(f)) {
        return false;
    }
    json_array_foreach(f, i, v) {
        if (!json_is_string(v)) {
            return false;
        }
        for (k = 0; allowed && allowed[k] && strcmp(allowed[k], json_string_value(v)); k++) {
        }
        if (allowed && !allowed[k]) {
            return false;
        }
    }
    return true;
}

static bool in_filter(json_t *f, const char *value)
{
    size_t i;
    json_t *v;
    if (!json_is_array(f)) {
        return true; /* no filter */
    }
    json_array_foreach(f, i, v) {
        if (value && strcmp(json_string_value(v), value) == 0) {
            return true;
        }
    }
    return false;
}

/* Every emulated segment is a contact list. @locks_required e->mu. */
static json_t *entity_locked(sgx_emu_criteo_t *e, const char *id, const char *stamp)
{
    json_t *name = json_object_get(e->names, id);
    json_t *adv = json_object_get(e->advertisers, id);
    json_t *attrs = json_pack("{s:O?, s:O?, s:s, s:s, s:s, s:{s:b}}", "name", name,
                              "advertiserId", adv, "type", "ContactList", "createdAt", stamp,
                              "updatedAt", stamp, "contactList", "isReadOnly", 0);
    return json_pack("{s:s, s:s, s:o}", "id", id, "type", "AudienceSegment", "attributes",
                     attrs);
}

/* The matching segments, in creation order. @locks_required e->mu. */
static json_t *matches_locked(sgx_emu_criteo_t *e, json_t *attrs, long limit, long offset,
                              long *total)
{
    json_t *ids = json_object_get(attrs, "audienceSegmentIds");
    json_t *advs = json_object_get(attrs, "advertiserIds");
    json_t *types = json_object_get(attrs, "audienceSegmentTypes");
    json_t *out = json_array();
    const char *id;
    json_t *set;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    *total = 0;
    json_object_foreach(e->audiences, id, set) {
        if (!in_filter(ids, id) || !in_filter(types, "ContactList") ||
            !in_filter(advs, json_string_value(json_object_get(e->advertisers, id)))) {
            continue;
        }
        if (*total >= offset && (long)json_array_size(out) < limit) {
            json_array_append_new(out, entity_locked(e, id, stamp));
        }
        ++*total;
    }
    return out;
}

void sgx_emu_crt_search(sgx_emu_criteo_t *e, struct MHD_Connection *conn, const char *inst,
                        const sgx_emu_body_t *body, sgx_emu_crt_reply_t *r)
{
    long limit, offset, total;
    if (!query_int(conn, "limit", 50, 0, 100, &limit) ||
        !query_int(conn, "offset", 0, 0, 1L << 30, &offset)) {
        sgx_emu_crt_error(e, r, 400, "validation", "invalid-paging", inst,
                          "limit must be 0..100 and offset a non-negative integer");
        return;
    }
    json_t *root = sgx_emu_crt_load_json(e, conn, body, inst, r);
    if (!root) {
        return;
    }
    json_t *data = json_object_get(root, "data");
    json_t *attrs = json_object_get(data, "attributes");
    if ((data && !json_is_object(data) && !json_is_null(data)) ||
        (attrs && !json_is_object(attrs) && !json_is_null(attrs)) ||
        !filter_ok(json_object_get(attrs, "advertiserIds"), NULL) ||
        !filter_ok(json_object_get(attrs, "audienceSegmentIds"), NULL) ||
        !filter_ok(json_object_get(attrs, "audienceSegmentTypes"), seg_types)) {
        json_decref(root);
        sgx_emu_crt_error(e, r, 400, "validation", "invalid-search-filters", inst,
                          "filters are arrays of strings; audienceSegmentTypes of Unknown, "
                          "InMarket, Prospecting, ContactList, Location, Behavioral, "
                          "Retargeting, Lookalike");
        return;
    }
    pthread_mutex_lock(&e->mu);
    json_t *page = matches_locked(e, attrs, limit, offset, &total);
    e->stats.search_requests++;
    pthread_mutex_unlock(&e->mu);
    json_decref(root);
    r->status = 200;
    r->json = json_pack("{s:o, s:{s:I, s:I, s:I}, s:[], s:[]}", "data", page, "meta",
                        "totalItems", (json_int_t)total, "limit", (json_int_t)limit, "offset",
                        (json_int_t)offset, "errors", "warnings");
}

/* ---- segment creation ---------------------------------------------------------------------- */

void sgx_emu_crt_create_locked(sgx_emu_criteo_t *e, const char *advertiser, const char *name,
                               char *out, size_t cap)
{
    snprintf(out, cap, "%" PRIu64, UINT64_C(9000000) + ++e->next_id);
    sgx_emu_crt_audience_locked(e, out, true);
    json_object_set_new(e->names, out, json_string(name));
    json_object_set_new(e->advertisers, out, json_string(advertiser));
}

void sgx_emu_crt_create(sgx_emu_criteo_t *e, struct MHD_Connection *conn, const char *inst,
                       const sgx_emu_body_t *body, sgx_emu_crt_reply_t *r)
{
    json_t *root = sgx_emu_crt_load_json(e, conn, body, inst, r);
    if (!root) {
        return;
    }
    json_t *data = json_object_get(root, "data");
    json_t *out = json_array();
    size_t i;
    json_t *ent;
    bool ok = json_is_array(data) && json_array_size(data) > 0;
    json_array_foreach(data, i, ent) {
        json_t *attrs = json_object_get(ent, "attributes");
        const char *type = json_string_value(json_object_get(ent, "type"));
        const char *adv = json_string_value(json_object_get(attrs, "advertiserId"));
        const char *name = json_string_value(json_object_get(attrs, "name"));
        ok = ok && type && strcmp(type, "AudienceSegment") == 0 && adv && *adv && name &&
             *name && json_is_object(json_object_get(attrs, "contactList"));
    }
    if (!ok) {
        json_decref(out);
        json_decref(root);
        sgx_emu_crt_error(e, r, 400, "validation", "invalid-segment",
                  inst, "data must be [{type:AudienceSegment, attributes:{advertiserId, name, "
                        "contactList:{}}}]");
        return;
    }
    pthread_mutex_lock(&e->mu);
    json_array_foreach(data, i, ent) {
        char id[32];
        json_t *attrs = json_object_get(ent, "attributes");
        sgx_emu_crt_create_locked(e, json_string_value(json_object_get(attrs, "advertiserId")),
                                  json_string_value(json_object_get(attrs, "name")), id,
                                  sizeof id);
        e->stats.create_requests++;
        json_array_append_new(out, json_pack("{s:s, s:s}", "id", id, "type", "AudienceSegment"));
    }
    pthread_mutex_unlock(&e->mu);
    json_decref(root);
    r->status = 200;
    r->json = json_pack("{s:o, s:[], s:[]}", "data", out, "errors", "warnings");
}
