/* The SOAP face of the Bulk service, for the SDK published on PyPI: bingads 13.0.30.1 calls
 * GetBulkUploadUrl and GetBulkUploadStatus through suds on
 * /Api/Advertiser/CampaignManagement/v13/BulkService.svc (its bundled WSDL,
 * bingads/v13/proxies/production/bulk_service.xml; guides/web-service-addresses), with the
 * credentials as soap:Header elements AuthenticationToken, CustomerAccountId, CustomerId,
 * DeveloperToken (bulk-service/includes/request-header). segexport itself speaks the REST
 * adapters; this endpoint exists so the official SDK can drive the emulator unmodified apart
 * from its service location. The operations share the REST handlers (msads_bulk.c): the same
 * checks, jobs and replies, only re-encoded. Replies follow the WSDL: the response element in
 * the tns namespace, its children in schema order, a TrackingId soap:Header; errors are SOAP
 * 1.1 faults (HTTP 500) with an ApiFaultDetail/AdApiFaultDetail detail. */
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "emulators/msads_priv.h"

#define TNS "https://bingads.microsoft.com/CampaignManagement/v13"

/* The text of the first element whose local name is name, prefix or not, entities decoded
 * (&amp; &lt; &gt; &quot; &apos;). @returns false when absent. */
bool sgx_emu_msads_xml_text(const char *doc, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = doc, *end = doc + len; (p = memmem(p, (size_t)(end - p), name, nl));
         p += nl) {
        const char *lt = p;
        while (lt > doc && lt[-1] != '<' && lt[-1] != ':' && lt[-1] != '/' &&
               lt[-1] != '>' && lt[-1] != ' ') {
            lt--;
        }
        if (lt != p || p == doc || (p[-1] != '<' && p[-1] != ':')) {
            continue;
        }
        const char *open = p - 1;
        while (open > doc && *open != '<') {
            open--;
        }
        if (*open != '<' || open[1] == '/' || p + nl >= end) {
            continue;
        }
        const char *gt = memchr(p + nl, '>', (size_t)(end - (p + nl)));
        if (!gt || (p[nl] != '>' && p[nl] != ' ' && p[nl] != '/')) {
            continue;
        }
        if (gt[-1] == '/') { /* <x/> */
            out[0] = '\0';
            return true;
        }
        size_t o = 0;
        for (const char *t = gt + 1; t < end && *t != '<' && o + 1 < cap; t++) {
            static const struct {
                const char *ent, ch;
            } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'},
                        {"&apos;", '\''}};
            char c = *t;
            for (size_t k = 0; k < 5; k++) {
                size_t el = strlen(ents[k].ent);
                if ((size_t)(end - t) >= el && memcmp(t, ents[k].ent, el) == 0) {
                    c = ents[k].ch;
                    t += el - 1;
                    break;
                }
            }
            out[o++] = c;
        }
        out[o] = '\0';
        return true;
    }
    return false;
}

void sgx_emu_msads_xml_escape(sgx_buf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sgx_buf_puts(b, "&amp;"); break;
        case '<': sgx_buf_puts(b, "&lt;"); break;
        case '>': sgx_buf_puts(b, "&gt;"); break;
        default: sgx_buf_putc(b, *s);
        }
    }
}

void sgx_emu_msads_soap_open(sgx_buf_t *b)
{
    sgx_buf_puts(b, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                    "<s:Header><h:TrackingId xmlns:h=\"" TNS "\">emu-tracking</h:TrackingId>"
                    "</s:Header><s:Body>");
}

static void element(sgx_buf_t *b, const char *name, const json_t *v)
{
    if (!v || json_is_null(v)) {
        sgx_buf_puts(b, "<");
        sgx_buf_puts(b, name);
        sgx_buf_puts(b, " i:nil=\"true\"/>");
        return;
    }
    char num[32];
    const char *text = json_is_string(v) ? json_string_value(v) : num;
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
    sgx_buf_puts(b, "<");
    sgx_buf_puts(b, name);
    sgx_buf_puts(b, ">");
    sgx_emu_msads_xml_escape(b, text);
    sgx_buf_puts(b, "</");
    sgx_buf_puts(b, name);
    sgx_buf_puts(b, ">");
}

/* A successful REST reply re-encoded as the WSDL's response element. */
static void soap_success(const char *op, const json_t *reply, sgx_buf_t *b)
{
    static const char *const url_fields[] = {"RequestId", "UploadUrl", NULL};
    static const char *const status_fields[] = {"Errors", "PercentComplete", "RequestStatus",
                                                "ResultFileUrl", NULL};
    const char *const *fields = strcmp(op, "GetBulkUploadUrl") == 0 ? url_fields : status_fields;
    sgx_emu_msads_soap_open(b);
    sgx_buf_puts(b, "<");
    sgx_buf_puts(b, op);
    sgx_buf_puts(b, "Response xmlns=\"" TNS "\" "
                    "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">");
    for (size_t i = 0; fields[i]; i++) {
        element(b, fields[i], json_object_get(reply, fields[i]));
    }
    sgx_buf_puts(b, "</");
    sgx_buf_puts(b, op);
    sgx_buf_puts(b, "Response></s:Body></s:Envelope>");
}

/* An error reply {"Code","ErrorCode","Message"} as a SOAP fault: authentication errors (105,
 * 109) carry AdApiFaultDetail (https://adapi.microsoft.com), the others ApiFaultDetail with
 * OperationErrors, as the WSDL's fault messages declare. */
void sgx_emu_msads_soap_fault(const json_t *reply, sgx_buf_t *b)
{
    long long code = json_integer_value(json_object_get(reply, "Code"));
    const char *name = json_string_value(json_object_get(reply, "ErrorCode"));
    const char *msg = json_string_value(json_object_get(reply, "Message"));
    char num[32];
    snprintf(num, sizeof num, "%lld", code);
    sgx_emu_msads_soap_open(b);
    sgx_buf_puts(b, "<s:Fault><faultcode>s:Server</faultcode><faultstring>Invalid client data. "
                    "Check the SOAP fault details for more information.</faultstring><detail>");
    bool auth = code == 105 || code == 109;
    sgx_buf_puts(b, auth ? "<AdApiFaultDetail xmlns=\"https://adapi.microsoft.com\">"
                           "<TrackingId>emu-tracking</TrackingId><Errors><AdApiError>"
                         : "<ApiFaultDetail xmlns=\"" TNS "\"><TrackingId>emu-tracking"
                           "</TrackingId><BatchErrors/><OperationErrors><OperationError>");
    sgx_buf_puts(b, "<Code>");
    sgx_buf_puts(b, num);
    sgx_buf_puts(b, "</Code><Details/><ErrorCode>");
    sgx_emu_msads_xml_escape(b, name ? name : "");
    sgx_buf_puts(b, "</ErrorCode><Message>");
    sgx_emu_msads_xml_escape(b, msg ? msg : "");
    sgx_buf_puts(b, "</Message>");
    sgx_buf_puts(b, auth ? "</AdApiError></Errors></AdApiFaultDetail>"
                         : "</OperationError></OperationErrors></ApiFaultDetail>");
    sgx_buf_puts(b, "</detail></s:Fault></s:Body></s:Envelope>");
}

void sgx_emu_msads_soap_locked(sgx_emu_msads_t *e, const sgx_emu_body_t *body,
                               msads_reply_t *r)
{
    const char *doc = body->buf.data ? body->buf.data : "";
    size_t len = body->buf.len;
    char tok[2048] = "", dev[256] = "", cust[64] = "", acct[64] = "", v1[256] = "", v2[64] = "";
    const char *op = strstr(doc, "GetBulkUploadUrlRequest")      ? "GetBulkUploadUrl"
                     : strstr(doc, "GetBulkUploadStatusRequest") ? "GetBulkUploadStatus"
                                                                 : NULL;
    bool has_tok = sgx_emu_msads_xml_text(doc, len, "AuthenticationToken", tok, sizeof tok);
    bool has_dev = sgx_emu_msads_xml_text(doc, len, "DeveloperToken", dev, sizeof dev);
    bool has_cust = sgx_emu_msads_xml_text(doc, len, "CustomerId", cust, sizeof cust);
    bool has_acct = sgx_emu_msads_xml_text(doc, len, "CustomerAccountId", acct, sizeof acct);
    json_t *req = NULL;
    if (!op) {
        sgx_emu_msads_error(r, 500, 100, "NullRequest", "no GetBulkUploadUrl or "
                            "GetBulkUploadStatus request in the SOAP body");
    } else if (strcmp(op, "GetBulkUploadUrl") == 0) {
        e->stats.url_requests++;
        req = json_object();
        if (sgx_emu_msads_xml_text(doc, len, "AccountId", v1, sizeof v1)) {
            json_object_set_new(req, "AccountId", json_string(v1)); /* xs:long as text */
        }
        if (sgx_emu_msads_xml_text(doc, len, "ResponseMode", v2, sizeof v2)) {
            json_object_set_new(req, "ResponseMode", json_string(v2));
        }
    } else {
        e->stats.status_requests++;
        req = json_object();
        if (sgx_emu_msads_xml_text(doc, len, "RequestId", v1, sizeof v1)) {
            json_object_set_new(req, "RequestId", json_string(v1));
        }
    }
    if (req && !sgx_emu_msads_api_faults_locked(e, r) &&
        sgx_emu_msads_check_creds_locked(e, has_tok ? tok : NULL, has_dev ? dev : NULL,
                                         has_cust ? cust : NULL, has_acct ? acct : NULL, false,
                                         r)) {
        if (strcmp(op, "GetBulkUploadUrl") == 0) {
            sgx_emu_msads_upload_url_locked(e, req, r);
        } else {
            sgx_emu_msads_upload_status_locked(e, req, r);
        }
    }
    json_decref(req);
    sgx_emu_msads_soap_encode(r, op, soap_success);
}

void sgx_emu_msads_soap_encode(msads_reply_t *r, const char *op, sgx_emu_msads_soap_body_fn fn)
{
    if (!json_is_object(r->json)) {
        return; /* an injected 5xx: plain text, as a gateway would send */
    }
    sgx_buf_reset(&r->csv);
    if (r->status == 200) {
        fn(op, r->json, &r->csv);
    } else {
        sgx_emu_msads_soap_fault(r->json, &r->csv);
        r->status = 500;
    }
    json_decref(r->json);
    r->json = NULL;
    r->ctype = "text/xml; charset=utf-8";
}
