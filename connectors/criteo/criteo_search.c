/* Criteo segment search -> verdict: is the batch's segment already there? A search page is
 * AudienceSegmentEntityV1AudienceSegmentSearchMetadataV1ListResponse
 * (criteo-api-marketingsolutions-sdk 2026.7):
 *   {"data":[{"id","type","attributes":{"name","advertiserId","type":"ContactList",...}}],
 *    "meta":{"totalItems","limit","offset"},"errors":[],"warnings":[]}
 * The search has no name filter (AudienceSegmentSearchEntityV1: advertiserIds,
 * audienceSegmentIds, audienceSegmentTypes), so the name is matched here, page after page. The
 * first segment of that name under the advertiser wins; nothing the platform echoed (names,
 * descriptions) reaches a reason. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "connectors/criteo/criteo.h"

/* True when e is a contact-list segment of this advertiser named segment. The filters were
 * sent, but the reply is checked too: a segment of another kind cannot take contacts. */
static bool matches(const sgx_criteo_ctx_t *c, json_t *e, const char *segment)
{
    json_t *a = json_object_get(e, "attributes");
    const char *name = json_string_value(json_object_get(a, "name"));
    const char *adv = json_string_value(json_object_get(a, "advertiserId"));
    const char *type = json_string_value(json_object_get(a, "type"));
    return name && strcmp(name, segment) == 0 && (!adv || strcmp(adv, c->advertiser_id) == 0) &&
           (!type || strcmp(type, "ContactList") == 0);
}

static void next(sgx_classification_t *out, int step, const char *reason)
{
    out->verdict = SGX_CLS_NEXT_STEP;
    out->next_step = step;
    out->retry_after_ms = 0;
    snprintf(out->reason, sizeof out->reason, "%s", reason);
}

/* Decides from one parsed page. */
static void decide(const sgx_criteo_ctx_t *c, const sgx_job_t *job, json_t *root,
                   sgx_classification_t *out)
{
    json_t *data = json_object_get(root, "data");
    json_t *errors = json_object_get(root, "errors");
    json_t *total = json_object_get(json_object_get(root, "meta"), "totalItems");
    long offset = job->state ? strtol(job->state, NULL, 10) : 0;
    size_t i;
    json_t *e;
    if (json_is_array(errors) && json_array_size(errors) > 0) {
        out->verdict = SGX_CLS_REJECTED; /* errors[] on a 2xx refuse the request */
        snprintf(out->reason, sizeof out->reason, "search_error");
        return;
    }
    if (!json_is_array(data)) {
        out->verdict = SGX_CLS_RETRY;
        snprintf(out->reason, sizeof out->reason, "search_unparsable_response");
        return;
    }
    json_array_foreach(data, i, e) {
        char *id = matches(c, e, job->batch->segment) ? sgx_criteo_entity_id(e) : NULL;
        if (id) {
            next(out, SGX_CRITEO_STEP_PATCH, "segment_found");
            out->created_audience_id = id;
            out->audience_found = true;
            return;
        }
    }
    long seen = offset + (long)json_array_size(data);
    if (json_array_size(data) > 0 && json_is_integer(total) && seen < json_integer_value(total)) {
        if (seen >= SGX_CRITEO_SEARCH_MAX_OFFSET) {
            out->verdict = SGX_CLS_REJECTED; /* creating now could make a duplicate */
            snprintf(out->reason, sizeof out->reason, "segment_search_too_long");
            return;
        }
        char buf[24];
        snprintf(buf, sizeof buf, "%ld", seen);
        next(out, SGX_CRITEO_STEP_SEARCH, "segment_search_next_page");
        out->state = sgx_strdup(buf);
        return;
    }
    next(out, SGX_CRITEO_STEP_CREATE, "segment_not_found");
}

void sgx_criteo_classify_search(const sgx_criteo_ctx_t *c, const sgx_job_t *job,
                                const sgx_response_t *resp, sgx_classification_t *out)
{
    json_t *root = resp->body && resp->body_len
                       ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    if (!json_is_object(root)) {
        out->verdict = SGX_CLS_RETRY;
        snprintf(out->reason, sizeof out->reason, "search_unparsable_response status=%ld",
                 resp->status);
    } else {
        decide(c, job, root, out);
    }
    json_decref(root);
}
