/* The one Campaign Management operation segexport calls: GetAudiencesByIds, to find a Customer
 * List by name before creating one (campaign-management-service/getaudiencesbyids):
 *   REST  POST /CampaignManagement/v13/Audiences/QueryByIds, GetAudiencesByIdsRequest
 *         {"Type","ReturnAdditionalFields","AudienceIds":[string]} (REST SDK
 *         openapi_client/api/campaign_management_service_api.py, models/campaign/
 *         get_audiences_by_ids_request.py), headers as every REST call (msads.c)
 *   SOAP  POST /Api/Advertiser/CampaignManagement/v13/CampaignManagementService.svc, the
 *         GetAudiencesByIdsRequest element of the WSDL the SDK on PyPI bundles (bingads
 *         13.0.30.1 proxies/production/campaignmanagement_service.xml), credentials as
 *         soap:Header elements
 * Semantics (getaudiencesbyids): AudienceIds null or empty asks for every customer and account
 * scoped audience of the account; at most 100 ids (4852 AudienceIdsArrayExceedsLimit); Type is
 * required ("Unless otherwise noted below, all request elements are required"), a list of
 * AudienceType flags, space separated in SOAP ("<Type>RemarketingList SimilarRemarketingList
 * </Type>"), ", " separated from the REST SDK (models/campaign/audience_type.py _to_str);
 * missing or unknown: 4859 InvalidAudienceType (guides/operation-error-codes). A requested id
 * that is not retrieved is a null item plus a BatchError with its Index: 4835 InvalidAudienceId
 * (unknown), 4861 AudienceIdDoNotMatchAudienceType (a list, but not of the requested types).
 * Our choices where the docs name no code: a body that is no JSON object, or a
 * ReturnAdditionalFields value outside AudienceAdditionalField, cannot be deserialized and is
 * refused as 100 NullRequest; AudienceIds that are not strings (the REST schema's
 * List[StrictStr]) as 4835 InvalidAudienceId.
 * The emulator holds Customer Lists only: each is {"Type":"CustomerList","Id","Name",
 * "Description","ParentId","Scope":"Customer"} (audience.md: ParentId is the customer id when
 * the scope is not Account); Id and ParentId are strings in the REST schema
 * (models/campaign/customer_list.py) and xs:long in SOAP. Errors: REST replies carry the
 * ApplicationFault the REST SDK maps 400/401/403/500 to - ApiFaultDetail with OperationErrors,
 * AdApiFaultDetail with Errors for credentials (105, 109); SOAP replies a fault
 * (msads_soap.c). An injected throttle is 117 CallRateExceeded, the Campaign Management limit
 * (guides/services-protocol: "resubmit the request under the limit after waiting 60 s"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "emulators/msads_priv.h"

#define TNS "https://bingads.microsoft.com/CampaignManagement/v13"
#define MAX_IDS 100

/* AudienceType of the WSDL (AIPrompt is in the PyPI WSDL, not yet in the REST model). */
static const char *const audience_types[] = {
    "RemarketingList", "Custom", "InMarket", "Product", "SimilarRemarketingList",
    "CombinedList", "CustomerList", "ImpressionBasedRemarketingList", "CustomSegment",
    "AIPrompt", NULL};
/* AudienceAdditionalField (audienceadditionalfield.md). */
static const char *const additional_fields[] = {
    "NormalForm", "NumberRuleItem", "ImpressionBasedRemarketingList", "CampaignIdsAdGroupIds",
    "CustomSegment", NULL};

/* A flags list: every value known, at least one. *has set when want is among them. */
static bool flags_ok(const char *text, const char *const *known, const char *want, bool *has)
{
    size_t n = 0;
    *has = false;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, " ,");
        if (len) {
            bool found = false;
            for (size_t k = 0; known[k] && !found; k++) {
                found = strlen(known[k]) == len && memcmp(known[k], p, len) == 0;
            }
            if (!found) {
                return false;
            }
            *has = *has || (want && strlen(want) == len && memcmp(want, p, len) == 0);
            n++;
        }
        p += len;
        p += strspn(p, " ,");
    }
    return n > 0;
}

static bool digits(const char *s)
{
    return s && *s && strlen(s) < 20 && strspn(s, "0123456789") == strlen(s);
}

/* Error replies as msads.c makes them: {"Code","ErrorCode","Message"} until encoded. */
static void fail(msads_reply_t *r, int code, const char *name, const char *msg)
{
    sgx_emu_msads_error(r, 400, code, name, msg);
}

static json_t *list_json(sgx_emu_msads_t *e, const char *id)
{
    return json_pack("{s:s, s:s, s:O?, s:n, s:s, s:s}", "Type", "CustomerList", "Id", id,
                     "Name", json_object_get(e->names, id), "Description", "ParentId",
                     e->customer, "Scope", "Customer");
}

static void batch_error(json_t *errors, size_t index, int code, const char *name)
{
    json_array_append_new(errors, json_pack("{s:i, s:s, s:I, s:s, s:s}", "Code", code,
                                            "ErrorCode", name, "Index", (json_int_t)index,
                                            "Message", name, "Type", "BatchError"));
}

/* The operation on extracted fields. @param ids NULL for all, else an array of id strings. */
static void get_audiences_locked(sgx_emu_msads_t *e, const char *type, const char *extra,
                                 const json_t *ids, msads_reply_t *r)
{
    bool lists = false, unused;
    if (!type || !flags_ok(type, audience_types, "CustomerList", &lists)) {
        fail(r, 4859, "InvalidAudienceType", "Type is required: AudienceType values");
        return;
    }
    if (extra && *extra && !flags_ok(extra, additional_fields, NULL, &unused)) {
        fail(r, 100, "NullRequest", "ReturnAdditionalFields: unknown AudienceAdditionalField");
        return;
    }
    if (json_array_size(ids) > MAX_IDS) {
        fail(r, 4852, "AudienceIdsArrayExceedsLimit", "at most 100 AudienceIds");
        return;
    }
    json_t *out = json_array(), *errors = json_array();
    const char *id;
    json_t *v;
    size_t i;
    if (json_array_size(ids) == 0 && lists) {
        json_object_foreach(e->lists, id, v) {
            json_array_append_new(out, list_json(e, id));
        }
    }
    json_array_foreach(ids, i, v) {
        id = json_string_value(v);
        bool known = digits(id) && json_object_get(e->lists, id);
        json_array_append_new(out, known && lists ? list_json(e, id) : json_null());
        if (!known) {
            batch_error(errors, i, 4835, "InvalidAudienceId");
        } else if (!lists) {
            batch_error(errors, i, 4861, "AudienceIdDoNotMatchAudienceType");
        }
    }
    r->status = 200;
    json_decref(r->json);
    r->json = json_pack("{s:o, s:o}", "Audiences", out, "PartialErrors", errors);
}

/* The injected throttle (4204, the Bulk service's) as Campaign Management says it. */
static void campaign_throttle(msads_reply_t *r)
{
    if (json_integer_value(json_object_get(r->json, "Code")) == 4204) {
        json_object_set_new(r->json, "Code", json_integer(117));
        json_object_set_new(r->json, "ErrorCode", json_string("CallRateExceeded"));
        json_object_set_new(r->json, "Message", json_string("You have exceeded the number of "
                                                            "calls that you are allowed to "
                                                            "make in a minute."));
    }
}

/* {"Code","ErrorCode","Message"} -> the REST ApplicationFault. */
static void rest_fault(msads_reply_t *r)
{
    json_t *err = r->json;
    long long code = json_integer_value(json_object_get(err, "Code"));
    json_object_del(err, "TrackingId");
    bool auth = code == 105 || code == 109;
    r->json = auth ? json_pack("{s:s, s:s, s:[O]}", "TrackingId", "emu-tracking", "Type",
                               "AdApiFaultDetail", "Errors", err)
                   : json_pack("{s:s, s:s, s:[], s:[O]}", "TrackingId", "emu-tracking", "Type",
                               "ApiFaultDetail", "BatchErrors", "OperationErrors", err);
    json_decref(err);
}

static void rest_locked(sgx_emu_msads_t *e, const sgx_emu_body_t *body, msads_reply_t *r)
{
    json_t *req = json_loadb(body->buf.data ? body->buf.data : "", body->buf.len, 0, NULL);
    const json_t *ids = json_object_get(req, "AudienceIds");
    size_t i;
    json_t *v;
    bool typed = true;
    json_array_foreach(ids, i, v) {
        typed = typed && json_is_string(v); /* REST schema: List[StrictStr] */
    }
    const json_t *extra = json_object_get(req, "ReturnAdditionalFields");
    if (!json_is_object(req)) {
        fail(r, 100, "NullRequest", "expected a JSON object");
    } else if ((ids && !json_is_null(ids) && !json_is_array(ids)) || !typed) {
        fail(r, 4835, "InvalidAudienceId", "AudienceIds: an array of id strings");
    } else if (extra && !json_is_null(extra) && !json_is_string(extra)) {
        fail(r, 100, "NullRequest", "ReturnAdditionalFields: a string");
    } else {
        get_audiences_locked(e, json_string_value(json_object_get(req, "Type")),
                             json_string_value(extra), json_is_array(ids) ? ids : NULL, r);
    }
    json_decref(req);
}

/* The <long> items of the AudienceIds element (absent or nil: NULL). */
static json_t *soap_ids(const char *doc)
{
    const char *open = strstr(doc, "AudienceIds");
    const char *close = open ? strstr(open + 11, "AudienceIds>") : NULL;
    const char *gt = open ? strchr(open, '>') : NULL;
    if (!open || !close || !gt || gt > close || gt[-1] == '/') {
        return NULL;
    }
    json_t *ids = json_array();
    for (const char *p = gt; (p = strstr(p, "long>")) && p < close; p += 5) {
        if (p[-1] == '/') {
            continue; /* a closing tag */
        }
        size_t n = strcspn(p + 5, "<");
        char *id = sgx_strndup(p + 5, n);
        json_array_append_new(ids, json_string(id));
        sgx_free(id);
    }
    return ids;
}

static void soap_audience(sgx_buf_t *b, const json_t *a)
{
    if (json_is_null(a)) {
        sgx_buf_puts(b, "<Audience i:nil=\"true\"/>");
        return;
    }
    const char *name = json_string_value(json_object_get(a, "Name"));
    sgx_buf_puts(b, "<Audience i:type=\"CustomerList\"><Description i:nil=\"true\"/><Id>");
    sgx_buf_puts(b, json_string_value(json_object_get(a, "Id")));
    sgx_buf_puts(b, "</Id>");
    if (name) {
        sgx_buf_puts(b, "<Name>");
        sgx_emu_msads_xml_escape(b, name);
        sgx_buf_puts(b, "</Name>");
    } else {
        sgx_buf_puts(b, "<Name i:nil=\"true\"/>");
    }
    sgx_buf_puts(b, "<ParentId>");
    sgx_buf_puts(b, json_string_value(json_object_get(a, "ParentId")));
    sgx_buf_puts(b, "</ParentId><Scope>Customer</Scope><Type>CustomerList</Type></Audience>");
}

/* The response element in schema order (Audiences, PartialErrors; an Audience's children in
 * the order of the Audience complexType), the derived type named by i:type. */
static void soap_success(const char *op, const json_t *reply, sgx_buf_t *b)
{
    (void)op; /* only GetAudiencesByIds */
    sgx_emu_msads_soap_open(b);
    sgx_buf_puts(b, "<GetAudiencesByIdsResponse xmlns=\"" TNS "\" "
                    "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><Audiences>");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(reply, "Audiences"), i, a) {
        soap_audience(b, a);
    }
    sgx_buf_puts(b, "</Audiences><PartialErrors>");
    json_array_foreach(json_object_get(reply, "PartialErrors"), i, a) {
        char num[64];
        snprintf(num, sizeof num, "<Code>%lld</Code><Details i:nil=\"true\"/><ErrorCode>",
                 (long long)json_integer_value(json_object_get(a, "Code")));
        sgx_buf_puts(b, "<BatchError>");
        sgx_buf_puts(b, num);
        sgx_buf_puts(b, json_string_value(json_object_get(a, "ErrorCode")));
        snprintf(num, sizeof num, "</ErrorCode><FieldPath i:nil=\"true\"/><Index>%lld</Index>",
                 (long long)json_integer_value(json_object_get(a, "Index")));
        sgx_buf_puts(b, num);
        sgx_buf_puts(b, "<Message>");
        sgx_buf_puts(b, json_string_value(json_object_get(a, "Message")));
        sgx_buf_puts(b, "</Message><Type>BatchError</Type></BatchError>");
    }
    sgx_buf_puts(b, "</PartialErrors></GetAudiencesByIdsResponse></s:Body></s:Envelope>");
}

static void soap_locked(sgx_emu_msads_t *e, const sgx_emu_body_t *body, msads_reply_t *r)
{
    const char *doc = body->buf.data ? body->buf.data : "";
    char type[512], extra[512];
    bool has_type = sgx_emu_msads_xml_text(doc, body->buf.len, "Type", type, sizeof type);
    bool has_extra = sgx_emu_msads_xml_text(doc, body->buf.len, "ReturnAdditionalFields",
                                            extra, sizeof extra);
    if (!strstr(doc, "GetAudiencesByIdsRequest")) {
        fail(r, 100, "NullRequest", "no GetAudiencesByIdsRequest in the SOAP body");
        return;
    }
    json_t *ids = soap_ids(doc);
    get_audiences_locked(e, has_type ? type : NULL, has_extra ? extra : NULL, ids, r);
    json_decref(ids);
}

static bool soap_creds_locked(sgx_emu_msads_t *e, const sgx_emu_body_t *body, msads_reply_t *r)
{
    const char *doc = body->buf.data ? body->buf.data : "";
    size_t len = body->buf.len;
    char tok[2048], dev[256], cust[64], acct[64];
    bool t = sgx_emu_msads_xml_text(doc, len, "AuthenticationToken", tok, sizeof tok);
    bool d = sgx_emu_msads_xml_text(doc, len, "DeveloperToken", dev, sizeof dev);
    bool c = sgx_emu_msads_xml_text(doc, len, "CustomerId", cust, sizeof cust);
    bool a = sgx_emu_msads_xml_text(doc, len, "CustomerAccountId", acct, sizeof acct);
    return sgx_emu_msads_check_creds_locked(e, t ? tok : NULL, d ? dev : NULL, c ? cust : NULL,
                                            a ? acct : NULL, false, r);
}

void sgx_emu_msads_campaign_locked(sgx_emu_msads_t *e, struct MHD_Connection *conn, bool json,
                                   const sgx_emu_body_t *body, msads_reply_t *r)
{
    e->stats.audience_queries++;
    if (sgx_emu_msads_api_faults_locked(e, r) && !json_is_object(r->json)) {
        return; /* an injected 5xx: plain text, as a gateway would send */
    }
    if (!r->json) {
        bool creds = json ? sgx_emu_msads_check_headers_locked(e, conn, false, r)
                          : soap_creds_locked(e, body, r);
        if (creds && json) {
            rest_locked(e, body, r);
        } else if (creds) {
            soap_locked(e, body, r);
        }
    }
    if (r->status != 200) {
        campaign_throttle(r);
    }
    if (json) {
        if (r->status != 200) {
            rest_fault(r);
        }
        return;
    }
    sgx_emu_msads_soap_encode(r, "GetAudiencesByIds", soap_success);
}
