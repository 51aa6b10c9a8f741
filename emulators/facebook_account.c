/* The Meta emulator's ad-account edge and query strings:
 *   POST /{v}/act_{id}/customaudiences  create a customer-file custom audience
 *   GET  /{v}/act_{id}/customaudiences  list them, with `fields` and `filtering`
 * and the query-string form a DELETE's parameters come in. Sources:
 *   [FB-acct] Ad Account Customaudiences reference (Reading: business_id, fields, filtering as a
 *     list of Filter Objects {field, operator enum, value}, reply {"data":[],"paging":{}}; Creating:
 *     name, subtype, customer_file_source, description -> {"id"}):
 *     https://developers.facebook.com/docs/marketing-api/reference/ad-account/customaudiences
 *   [FB-guide] Custom Audiences guide: POST act_{id}/customaudiences with name, subtype=CUSTOM,
 *     customer_file_source (destinations.md §1).
 *   [FB-SDK] facebook-python-business-sdk: AdAccount.create_custom_audience (POST, params in the
 *     body) and get_custom_audiences (GET, params in the query); CustomAudience.CustomerFileSource
 *     lists the three sources accepted below; FacebookSession puts access_token in every query.
 *   [FB-errfmt] Graph error-handling guide: code 100 for an invalid parameter. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "emulators/facebook_priv.h"

/* ---- query strings ---------------------------------------------------------------------- */

/* Bytes sent as themselves (RFC 3986 §2.3 unreserved); a table since a removal's whole query
 * string (up to 8000 bytes) passes through here on every DELETE. */
static const bool unreserved[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1,
    ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1};

static void put_encoded(sgx_buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    sgx_buf_reserve(b, 3 * n); /* the longest an encoding gets: every byte escaped */
    char *d = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved[c]) {
            *d++ = (char)c;
        } else if (c == ' ') {
            *d++ = '+';
        } else {
            d[0] = '%';
            d[1] = hex[c >> 4];
            d[2] = hex[c & 15];
            d += 3;
        }
    }
    b->len = (size_t)(d - b->data);
    b->data[b->len] = '\0';
}

static enum MHD_Result put_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               size_t key_size, const char *value, size_t value_size)
{
    sgx_buf_t *b = cls;
    (void)kind;
    if (b->len) {
        sgx_buf_putc(b, '&');
    }
    put_encoded(b, key, key_size);
    if (value) {
        sgx_buf_putc(b, '=');
        put_encoded(b, value, value_size);
    }
    return MHD_YES;
}

size_t sgx_emu_fb_query(struct MHD_Connection *conn, sgx_buf_t *q)
{
    sgx_buf_reset(q);
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, put_arg, q);
    return q->len;
}

/* ---- create ----------------------------------------------------------------------------- */

static bool one_of(const char *v, const char *const *allowed)
{
    for (; v && *allowed; allowed++) {
        if (strcmp(v, *allowed) == 0) {
            return true;
        }
    }
    return false;
}

void sgx_emu_fb_create(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_form_t *form,
                       const char *account, sgx_emu_fb_reply_t *r)
{
    static const char *const subtypes[] = {"CUSTOM", NULL};
    static const char *const sources[] = {"USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY",
                                          "BOTH_USER_AND_PARTNER_PROVIDED", NULL};
    if (!sgx_emu_fb_auth(e, conn, form, r)) {
        return;
    }
    const char *name = sgx_emu_form_get(form, "name", NULL);
    const char *desc = sgx_emu_form_get(form, "description", NULL);
    if (!name || !*name || !one_of(sgx_emu_form_get(form, "subtype", NULL), subtypes) ||
        !one_of(sgx_emu_form_get(form, "customer_file_source", NULL), sources)) {
        sgx_emu_fb_error(e, r, 400, 100, 0, "OAuthException",
                         "(#100) name, subtype=CUSTOM and a valid customer_file_source are "
                         "required");
        return;
    }
    char id[32];
    pthread_mutex_lock(&e->mu);
    snprintf(id, sizeof id, "%" PRIu64, UINT64_C(23850000000000000) + ++e->next_id);
    sgx_emu_fb_audience_locked(e, id, true);
    json_object_set_new(e->meta, id, json_pack("{s:s, s:s, s:s}", "name", name, "account",
                                               account, "description", desc ? desc : ""));
    pthread_mutex_unlock(&e->mu);
    r->status = 200;
    r->json = json_pack("{s:s}", "id", id);
}

/* ---- read ------------------------------------------------------------------------------- */

/* The Filter Object operators [FB-acct] lists; only the name/id ones are evaluated here. */
static const char *const fb_operators[] = {
    "EQUAL", "NOT_EQUAL", "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN",
    "LESS_THAN_OR_EQUAL", "IN_RANGE", "NOT_IN_RANGE", "CONTAIN", "NOT_CONTAIN", "CONTAINS_ANY",
    "CONTAINS_ALL", "NOT_CONTAINS_ANY", "STEM_MATCH", "IN", "NOT_IN", "STARTS_WITH", "ENDS_WITH",
    "ANY", "ALL", "AFTER", "BEFORE", "ON_OR_AFTER", "ON_OR_BEFORE", "NONE", "TOP", NULL};

/* One filter against a text. @returns 1 match, 0 no match, -1 not evaluated by the emulator. */
static int filter_match(const char *op, const char *have, const char *want)
{
    size_t hn = strlen(have), wn = strlen(want);
    if (strcmp(op, "EQUAL") == 0 || strcmp(op, "NOT_EQUAL") == 0) {
        return (strcmp(have, want) == 0) == (op[0] == 'E');
    }
    if (strcmp(op, "CONTAIN") == 0 || strcmp(op, "NOT_CONTAIN") == 0) {
        return (strstr(have, want) != NULL) == (op[0] == 'C');
    }
    if (strcmp(op, "STARTS_WITH") == 0) {
        return strncmp(have, want, wn) == 0;
    }
    if (strcmp(op, "ENDS_WITH") == 0) {
        return hn >= wn && strcmp(have + hn - wn, want) == 0;
    }
    return -1;
}

/* Checks `filtering` (a JSON list of {field, operator, value}) into *out. */
static bool parse_filtering(sgx_emu_fb_t *e, const char *text, json_t **out,
                            sgx_emu_fb_reply_t *r)
{
    *out = text ? json_loads(text, 0, NULL) : json_array();
    char msg[200] = "";
    size_t i;
    json_t *f;
    if (!json_is_array(*out)) {
        snprintf(msg, sizeof msg, "(#100) param filtering must be an array.");
    }
    json_array_foreach(*out, i, f) {
        const char *op = json_string_value(json_object_get(f, "operator"));
        if (msg[0]) {
            break;
        }
        if (!json_is_string(json_object_get(f, "field")) ||
            !json_is_string(json_object_get(f, "value"))) {
            snprintf(msg, sizeof msg, "(#100) param filtering[%zu] must have the string "
                     "fields field and value", i);
        } else if (!one_of(op, fb_operators)) {
            snprintf(msg, sizeof msg, "(#100) param filtering[%zu][operator] must be one of "
                     "the Filter Object operators", i);
        }
    }
    if (msg[0]) {
        json_decref(*out);
        *out = NULL;
        sgx_emu_fb_error(e, r, 400, 100, 0, "OAuthException", msg);
        return false;
    }
    return true;
}

/* @returns 1 the audience passes every filter, 0 not, -1 a filter the emulator cannot run. */
static int passes(const char *id, json_t *meta, json_t *filters)
{
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        const char *field = json_string_value(json_object_get(f, "field"));
        const char *have = strcmp(field, "id") == 0     ? id
                           : strcmp(field, "name") == 0 ? json_string_value(
                                                              json_object_get(meta, "name"))
                                                        : NULL;
        int m = have ? filter_match(json_string_value(json_object_get(f, "operator")), have,
                                    json_string_value(json_object_get(f, "value")))
                     : -1;
        if (m != 1) {
            return m;
        }
    }
    return 1;
}

void sgx_emu_fb_no_field(sgx_emu_fb_t *e, sgx_emu_fb_reply_t *r, const char *field)
{
    char msg[160];
    snprintf(msg, sizeof msg, "(#100) Tried accessing nonexisting field (%.40s) on node type "
             "(CustomAudience)", field);
    sgx_emu_fb_error(e, r, 400, 100, 0, "OAuthException", msg);
}

/* The node as `fields` asks for it; NULL (after an error reply) for a field it does not know. */
static json_t *node(sgx_emu_fb_t *e, const char *id, json_t *meta, const char *fields,
                    sgx_emu_fb_reply_t *r)
{
    json_t *n = json_pack("{s:s}", "id", id);
    char list[256], *save = NULL;
    snprintf(list, sizeof list, "%s", fields ? fields : "id");
    for (char *f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        if (strcmp(f, "name") == 0 || strcmp(f, "description") == 0) {
            json_object_set(n, f, json_object_get(meta, f));
        } else if (strcmp(f, "id") != 0) {
            json_decref(n);
            sgx_emu_fb_no_field(e, r, f);
            return NULL;
        }
    }
    return n;
}

static bool list_matches(sgx_emu_fb_t *e, const char *account, json_t *filters,
                         const char *fields, json_t *data, sgx_emu_fb_reply_t *r)
{
    const char *id;
    json_t *meta;
    bool ok = true;
    pthread_mutex_lock(&e->mu);
    json_object_foreach(e->meta, id, meta) {
        const char *acct = json_string_value(json_object_get(meta, "account"));
        int m = acct && strcmp(acct, account) == 0 ? passes(id, meta, filters) : 0;
        json_t *n = m == 1 ? node(e, id, meta, fields, r) : NULL;
        if (m < 0 || (m == 1 && !n)) {
            if (m < 0) {
                sgx_emu_fb_error(e, r, 400, 100, 0, "OAuthException",
                                 "(#100) this emulator filters custom audiences by id or name "
                                 "only");
            }
            ok = false;
            break;
        }
        if (n) {
            json_array_append_new(data, n);
        }
    }
    pthread_mutex_unlock(&e->mu);
    return ok;
}

void sgx_emu_fb_search(sgx_emu_fb_t *e, struct MHD_Connection *conn, const sgx_emu_form_t *query,
                       const char *account, sgx_emu_fb_reply_t *r)
{
    json_t *filters = NULL;
    if (!sgx_emu_fb_auth(e, conn, query, r) ||
        !parse_filtering(e, sgx_emu_form_get(query, "filtering", NULL), &filters, r)) {
        return;
    }
    json_t *data = json_array();
    if (!list_matches(e, account, filters, sgx_emu_form_get(query, "fields", NULL), data, r)) {
        json_decref(data);
        json_decref(filters);
        return;
    }
    json_decref(filters);
    r->status = 200;
    /* Graph pages with cursors; one page holds everything here, so paging is only shaped. */
    r->json = json_array_size(data)
                  ? json_pack("{s:o, s:{s:{s:s, s:s}}}", "data", data, "paging", "cursors",
                              "before", "MAZDZD", "after", "MAZDZD")
                  : json_pack("{s:o}", "data", data);
}

bool sgx_emu_fb_find_audience(sgx_emu_fb_t *e, const char *name, char *out, size_t cap)
{
    const char *id;
    json_t *meta;
    bool found = false;
    pthread_mutex_lock(&e->mu);
    json_object_foreach(e->meta, id, meta) {
        if (!found && strcmp(json_string_value(json_object_get(meta, "name")), name) == 0) {
            snprintf(out, cap, "%s", id);
            found = true;
        }
    }
    pthread_mutex_unlock(&e->mu);
    return found;
}
