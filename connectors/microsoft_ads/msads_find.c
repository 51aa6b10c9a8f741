/* The find step's reply: GetAudiencesByIdsResponse {"Audiences":[...],"PartialErrors":[...]}
 * (campaign-management-service/getaudiencesbyids; REST SDK models/campaign/
 * get_audiences_by_ids_response.py). Each audience carries "Type" and, for a CustomerList,
 * "Id" (a string in the REST schema: models/campaign/customer_list.py id: StrictStr) and
 * "Name"; items may be null ("For each list index where an audience was not retrieved, the
 * corresponding element will be null"). A list counts as ours when its name is exactly the
 * name we would give it (sgx_msads_list_name). Several such lists (two replicas that both
 * created one): the smallest id, so every replica settles on the same list. */
#include <stdio.h>
#include <string.h>

#include "connectors/microsoft_ads/msads.h"
#include "base/mem.h"

/* "Id" as digits, string or number. @returns false when it is not a plausible list id. */
static bool list_id(const json_t *a, char *out, size_t cap)
{
    const json_t *id = json_object_get(a, "Id");
    if (json_is_integer(id) && json_integer_value(id) > 0) {
        snprintf(out, cap, "%lld", (long long)json_integer_value(id));
        return true;
    }
    const char *s = json_string_value(id);
    if (!s || !sgx_msads_digits(s, strlen(s)) || strlen(s) >= cap) {
        return false;
    }
    snprintf(out, cap, "%s", s);
    return true;
}

/* Numeric order of two digit strings without leading zeros ambiguity: longer is larger. */
static bool smaller(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? la < lb : strcmp(a, b) < 0;
}

static bool is_ours(const json_t *a, const char *name, size_t len)
{
    const char *type = json_string_value(json_object_get(a, "Type"));
    const char *n = json_string_value(json_object_get(a, "Name"));
    return type && strcmp(type, "CustomerList") == 0 && n && strlen(n) == len &&
           memcmp(n, name, len) == 0;
}

void sgx_msads_read_find(const sgx_batch_t *batch, const json_t *root,
                         sgx_classification_t *out)
{
    const json_t *audiences = json_object_get(root, "Audiences");
    if (!json_is_array(audiences) && !json_is_null(audiences)) {
        out->verdict = SGX_CLS_RETRY;
        snprintf(out->reason, sizeof out->reason, "msads_unexpected_reply step=find");
        return;
    }
    const char *name;
    size_t len = sgx_msads_list_name(batch, &name);
    char best[24] = "", id[24];
    size_t i, lists = 0;
    json_t *a;
    json_array_foreach(audiences, i, a) {
        if (json_is_object(a) && is_ours(a, name, len) && list_id(a, id, sizeof id)) {
            lists++;
            if (!best[0] || smaller(id, best)) {
                snprintf(best, sizeof best, "%s", id);
            }
        }
    }
    out->verdict = SGX_CLS_NEXT_STEP;
    out->next_step = SGX_MSADS_STEP_URL;
    out->retry_after_ms = 0;
    if (best[0]) {
        out->created_audience_id = sgx_strdup(best);
        out->audience_found = true;
        snprintf(out->reason, sizeof out->reason, "msads_list_found lists_with_name=%zu", lists);
    } else {
        out->state = sgx_strdup(SGX_MSADS_STATE_CREATE);
        snprintf(out->reason, sizeof out->reason, "msads_list_not_found: creating it");
    }
}
