/* Dotdigital EXIT job: its state and the verdict of each of its steps (see dotdigital.h).
 * The delete call takes contact ids only (ApiContact_DeleteContactsFromAddressBook, v2 swagger:
 * a JSON array of int32, 202 ApiBulkContactDeletion), and v2 resolves one e-mail per call
 * (ApiContact_GetContactByEmail). One call per row burns the account's allowance (flat scheme:
 * 2,000 calls an hour, https://developer.dotdigital.com/docs/error-response-types), so a batch
 * with more e-mails than the book has pages of 1,000 reads the book instead
 * (ApiContact_GetContactsInAddressBook: withFullData, select, skip; an array of ApiContact with
 * id and email). The book's size comes from ApiAddressBook.contacts (GET /v2/address-books/{id}). */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "connectors/dotdigital/dotdigital.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

sgx_err_t sgx_dd_exit_state_parse(const char *state, sgx_dd_exit_state_t *st)
{
    memset(st, 0, sizeof *st);
    st->phase = 'B';
    st->found = st->ids = "";
    if (!state) {
        return SGX_OK;
    }
    if (!state[0] || !strchr("BSTRD", state[0])) {
        return SGX_ERR_INVALID;
    }
    st->phase = state[0];
    char *end = NULL;
    unsigned long long pos = strtoull(state + 1, &end, 10);
    if (end == state + 1 || *end != ';') {
        return SGX_ERR_INVALID;
    }
    st->pos = (size_t)pos;
    st->found = end + 1;
    st->found_len = strcspn(st->found, ";");
    if (st->found[st->found_len] != ';' ||
        strspn(st->found, "0123456789abcdef") != st->found_len) {
        return SGX_ERR_INVALID;
    }
    st->ids = st->found + st->found_len + 1;
    st->ids_len = strlen(st->ids);
    if (strspn(st->ids, "0123456789,") != st->ids_len) {
        return SGX_ERR_INVALID;
    }
    for (size_t i = 0; i < st->ids_len; i++) {
        st->nids += st->ids[i] == ',';
    }
    st->nids += st->ids_len > 0;
    return SGX_OK;
}

bool sgx_dd_exit_found(const sgx_dd_exit_state_t *st, size_t i)
{
    return i / 4 < st->found_len && (hexval(st->found[i / 4]) >> (i % 4)) & 1;
}

size_t sgx_dd_exit_next_row(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch,
                            const sgx_dd_exit_state_t *st, size_t from)
{
    size_t i = sgx_dd_next_email_row(dd, batch, from);
    while (i < batch->nrows && sgx_dd_exit_found(st, i)) {
        i = sgx_dd_next_email_row(dd, batch, i + 1);
    }
    return i;
}

static void set_state(sgx_classification_t *out, char phase, size_t pos, const char *found,
                      size_t flen, const char *ids, size_t ilen)
{
    size_t n = flen + ilen + 32;
    out->state = sgx_malloc(n);
    snprintf(out->state, n, "%c%zu;%.*s;%.*s", phase, pos, (int)flen, found, (int)ilen, ids);
    out->retry_after_ms = 0;
}

/* After a lookup, a scan or a delete: resolve the next row the scan did not find, delete the ids
 * collected, or finish. st carries the found rows (the new ones, when a scan just ended). */
static void advance(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch,
                    const sgx_dd_exit_state_t *st, const char *ids, size_t ids_len, size_t nids,
                    size_t next, sgx_classification_t *out)
{
    next = sgx_dd_exit_next_row(dd, batch, st, next);
    if (next >= batch->nrows && nids == 0) {
        sgx_dd_finish(dd, batch, NULL, 0, out);
        return;
    }
    char phase = (next >= batch->nrows || nids >= SGX_DD_DELETE_CHUNK) ? 'D' : 'R';
    set_state(out, phase, next, st->found, st->found_len, ids, ids_len);
    sgx_dd_verdict(out, SGX_CLS_NEXT_STEP, false, "%s",
                   phase == 'D' ? "dd_delete_contacts" : "dd_resolve_contact");
}

static json_t *parse_json(const sgx_response_t *resp)
{
    return resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
}

static void unparsable(const sgx_response_t *resp, sgx_classification_t *out)
{
    sgx_dd_verdict(out, SGX_CLS_RETRY, false, "dd_unparsable_response status=%ld", resp->status);
}

/* A scan costs 1 + pages calls, plus one lookup per row it does not find (rows that are not
 * members, or were missed because the book changed under the skip paging). So it is taken only
 * when it is clearly cheaper: pages * DD_SCAN_FACTOR <= e-mails. Rows of non-members then cost at
 * most 1/DD_SCAN_FACTOR more calls than one lookup each; rows of members cost pages + deletes. */
#define DD_SCAN_FACTOR 4

/* B: the book's size decides between a scan (ceil(size/1000) pages) and one lookup per e-mail. */
static void book_size(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch,
                      const sgx_dd_exit_state_t *st, const sgx_response_t *resp,
                      sgx_classification_t *out)
{
    json_t *root = parse_json(resp);
    json_t *n = json_object_get(root, "contacts");
    if (!json_is_integer(n) || json_integer_value(n) < 0) {
        unparsable(resp, out);
    } else if (json_integer_value(n) == 0) {
        sgx_dd_finish(dd, batch, NULL, 0, out); /* an empty book: every row is already absent */
    } else {
        size_t emails = 0;
        for (size_t i = sgx_dd_next_email_row(dd, batch, 0); i < batch->nrows;
             i = sgx_dd_next_email_row(dd, batch, i + 1)) {
            emails++;
        }
        size_t pages = ((size_t)json_integer_value(n) + SGX_DD_PAGE - 1) / SGX_DD_PAGE;
        if (pages * DD_SCAN_FACTOR <= emails) {
            set_state(out, 'S', 0, "", 0, "", 0);
            sgx_dd_verdict(out, SGX_CLS_NEXT_STEP, false, "dd_scan_address_book pages=%zu",
                           pages);
        } else {
            advance(dd, batch, st, "", 0, 0, 0, out);
        }
    }
    json_decref(root);
}

/* The rows still to match, sorted by e-mail, to look a page's contacts up in. */
typedef struct {
    const char *email;
    size_t len;
    size_t row;
} dd_key_t;

static int cmp_key(const void *a, const void *b)
{
    const dd_key_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->email, y->email, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static dd_key_t *unfound_keys(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch,
                              const sgx_dd_exit_state_t *st, size_t *nkeys)
{
    dd_key_t *keys = sgx_malloc((batch->nrows + 1) * sizeof *keys);
    size_t n = 0;
    for (size_t i = sgx_dd_exit_next_row(dd, batch, st, 0); i < batch->nrows;
         i = sgx_dd_exit_next_row(dd, batch, st, i + 1)) {
        keys[n].email = sgx_dd_row_email(dd, batch->rows[i], &keys[n].len);
        keys[n++].row = i;
    }
    qsort(keys, n, sizeof *keys, cmp_key);
    *nkeys = n;
    return keys;
}

/* Marks every row with the contact's e-mail as found; @returns true when one was. */
static bool match_contact(json_t *c, dd_key_t *keys, size_t nkeys, char *found)
{
    const char *email = json_string_value(json_object_get(c, "email"));
    char low[SGX_NORM_MAX + 1];
    size_t n = email ? strlen(email) : 0;
    if (!n || n > SGX_NORM_MAX) {
        return false;
    }
    for (size_t i = 0; i <= n; i++) {
        low[i] = (char)tolower((unsigned char)email[i]);
    }
    dd_key_t probe = {.email = low, .len = n};
    dd_key_t *k = bsearch(&probe, keys, nkeys, sizeof *keys, cmp_key);
    if (!k) {
        return false;
    }
    while (k > keys && cmp_key(k - 1, &probe) == 0) {
        k--;
    }
    for (; k < keys + nkeys && cmp_key(k, &probe) == 0; k++) {
        int d = hexval(found[k->row / 4]) | 1 << (k->row % 4);
        found[k->row / 4] = "0123456789abcdef"[d];
    }
    return true;
}

/* S: the ids of this page's contacts that are rows of the batch. */
static void scan_page(const sgx_dd_ctx_t *dd, const sgx_batch_t *batch,
                      const sgx_dd_exit_state_t *st, const sgx_response_t *resp,
                      sgx_classification_t *out)
{
    json_t *page = parse_json(resp), *c;
    if (!json_is_array(page)) {
        unparsable(resp, out);
        json_decref(page);
        return;
    }
    size_t nkeys, flen = (batch->nrows + 3) / 4, nids = st->nids, i;
    dd_key_t *keys = unfound_keys(dd, batch, st, &nkeys);
    char *found = sgx_malloc(flen + 1);
    memset(found, '0', flen);
    memcpy(found, st->found, st->found_len < flen ? st->found_len : flen);
    found[flen] = '\0';
    sgx_buf_t ids = {0};
    sgx_buf_append(&ids, st->ids, st->ids_len);
    json_array_foreach(page, i, c) {
        json_t *id = json_object_get(c, "id");
        if (json_is_integer(id) && json_integer_value(id) > 0 &&
            match_contact(c, keys, nkeys, found)) {
            char num[24];
            snprintf(num, sizeof num, "%s%" PRId64, ids.len ? "," : "",
                     (int64_t)json_integer_value(id));
            sgx_buf_puts(&ids, num);
            nids++;
        }
    }
    sgx_dd_exit_state_t now = *st;
    now.found = found;
    now.found_len = flen;
    size_t next = st->pos + json_array_size(page);
    bool done = json_array_size(page) < SGX_DD_PAGE ||
                sgx_dd_exit_next_row(dd, batch, &now, 0) >= batch->nrows;
    if (done) {
        advance(dd, batch, &now, ids.data ? ids.data : "", ids.len, nids, 0, out);
    } else {
        char phase = nids >= SGX_DD_DELETE_CHUNK ? 'T' : 'S';
        set_state(out, phase, next, found, flen, ids.data ? ids.data : "", ids.len);
        sgx_dd_verdict(out, SGX_CLS_NEXT_STEP, false, "%s",
                       phase == 'T' ? "dd_delete_contacts" : "dd_scan_address_book");
    }
    sgx_buf_free(&ids);
    sgx_free(found);
    sgx_free(keys);
    json_decref(page);
}

/* R: one e-mail's contact id; 404 means not a contact of the account, so absent everywhere. */
static void resolved(const sgx_dd_ctx_t *dd, const sgx_job_t *job, const sgx_dd_exit_state_t *st,
                     const sgx_response_t *resp, sgx_classification_t *out)
{
    size_t row = sgx_dd_exit_next_row(dd, job->batch, st, st->pos);
    if (resp->status == 404) {
        advance(dd, job->batch, st, st->ids, st->ids_len, st->nids, row + 1, out);
        return;
    }
    json_t *root = parse_json(resp);
    json_t *id = json_object_get(root, "id");
    if (!json_is_integer(id) || json_integer_value(id) <= 0) {
        unparsable(resp, out);
    } else {
        sgx_buf_t ids = {0};
        sgx_buf_append(&ids, st->ids, st->ids_len);
        char num[24];
        snprintf(num, sizeof num, "%s%" PRId64, st->ids_len ? "," : "",
                 (int64_t)json_integer_value(id));
        sgx_buf_puts(&ids, num);
        advance(dd, job->batch, st, ids.data, ids.len, st->nids + 1, row + 1, out);
        sgx_buf_free(&ids);
    }
    json_decref(root);
}

void sgx_dd_classify_exit(const sgx_dd_ctx_t *dd, const sgx_job_t *job,
                          const sgx_response_t *resp, sgx_classification_t *out)
{
    sgx_dd_exit_state_t st;
    bool ok = resp->status >= 200 && resp->status < 300;
    if (sgx_dd_exit_state_parse(job->state, &st)) {
        sgx_dd_verdict(out, SGX_CLS_REJECTED, false, "dd_bad_job_state");
    } else if (!ok && !(st.phase == 'R' && resp->status == 404)) {
        sgx_dd_classify_error(dd, resp, out);
    } else if (st.phase == 'B') {
        book_size(dd, job->batch, &st, resp, out);
    } else if (st.phase == 'S') {
        scan_page(dd, job->batch, &st, resp, out);
    } else if (st.phase == 'T') {
        /* The deleted contacts were on pages before pos: once the delete applies, what was at
         * pos is at pos - nids. Reading from there re-reads at worst, it never skips. */
        set_state(out, 'S', st.pos > st.nids ? st.pos - st.nids : 0, st.found, st.found_len, "",
                  0);
        sgx_dd_verdict(out, SGX_CLS_NEXT_STEP, false, "dd_scan_address_book");
    } else if (st.phase == 'D') {
        advance(dd, job->batch, &st, "", 0, 0, st.pos, out);
    } else {
        resolved(dd, job, &st, resp, out);
    }
}
