/* Dotdigital emulator: the v2 endpoints (operations of the Dotdigital v2 swagger,
 * tests/conformance/dotdigital/dotdigital-v2-swagger.json). Error codes marked (emu) are this
 * emulator's names; the real API's exact codes for those cases are UNCONFIRMED
 * (destinations.md §4). */
#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "emulators/dotdigital_priv.h"

void sgx_emu_dd_error(dd_reply_t *r, unsigned status, const char *msg)
{
    r->status = status;
    r->json = json_pack("{s:s}", "message", msg);
}

void sgx_emu_dd_import_free(dd_import_t *im)
{
    json_decref(im->rows);
    json_decref(im->faults);
    im->rows = im->faults = NULL;
}

/* ---- endpoints ------------------------------------------------------------------------------- */

static dd_import_t *find_import(sgx_emu_dd_t *e, const char *guid)
{
    for (size_t i = 0; i < e->nimports; i++) {
        if (strcmp(e->imports[i].guid, guid) == 0) {
            return &e->imports[i];
        }
    }
    return NULL;
}

static size_t active_imports(const sgx_emu_dd_t *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nimports; i++) {
        n += !e->imports[i].done;
    }
    return n;
}

static void api_import(sgx_emu_dd_t *e, struct MHD_Connection *conn, const char *book,
                       const sgx_emu_body_t *body, dd_reply_t *r)
{
    sgx_buf_t file = {0};
    char fname[256] = "";
    dd_import_t im = {.rows = json_array(), .faults = json_array()};
    if (!sgx_emu_dd_read_upload(e, conn, body, &file, fname, sizeof fname, r)) {
        goto out;
    }
    snprintf(im.status, sizeof im.status, "Finished");
    const char *err = sgx_emu_dd_parse_csv(e, file.data ? file.data : "", file.len, &im);
    if (err) {
        sgx_emu_dd_error(r, 400, err);
        goto out;
    }
    pthread_mutex_lock(&e->mu);
    if (!json_object_get(e->books, book)) {
        sgx_emu_dd_error(r, 404, "Address book not found. ERROR_ADDRESSBOOK_NOT_FOUND");
    } else if (active_imports(e) >= (size_t)e->max_imports) {
        sgx_emu_dd_error(r, 400, "There are too many active imports. "
                                 "ERROR_IMPORT_TOOMANYACTIVEIMPORTS"); /* (emu) */
    } else {
        uint64_t n = ++e->next_guid;
        snprintf(im.guid, sizeof im.guid, "%08" PRIx64 "-0000-4000-8000-%012" PRIx64,
                 (uint64_t)0xdd000000u, n);
        snprintf(im.book, sizeof im.book, "%s", book);
        im.polls_left = e->import_steps;
        if (e->fail_next[0]) {
            snprintf(im.status, sizeof im.status, "%s", e->fail_next);
            e->fail_next[0] = '\0';
        }
        if (e->nimports == e->cap_imports) {
            e->cap_imports = e->cap_imports ? 2 * e->cap_imports : 16;
            e->imports = sgx_realloc(e->imports, e->cap_imports * sizeof *e->imports);
        }
        e->imports[e->nimports++] = im;
        im.rows = im.faults = NULL; /* moved */
        e->stats.imports++;
        size_t act = active_imports(e);
        if (act > e->stats.max_active_imports) {
            e->stats.max_active_imports = act;
        }
        r->status = 202;
        r->json = json_pack("{s:s, s:s}", "id", e->imports[e->nimports - 1].guid, "status",
                            "NotFinished");
    }
    pthread_mutex_unlock(&e->mu);
out:
    sgx_emu_dd_import_free(&im);
    sgx_buf_free(&file);
}

/* Finished: every good row joins the book (contacts created or updated). @locks_required mu */
static void apply_import(sgx_emu_dd_t *e, dd_import_t *im)
{
    json_t *book = json_object_get(e->books, im->book);
    size_t i;
    json_t *row;
    json_array_foreach(im->rows, i, row) {
        const char *email = json_string_value(json_array_get(row, 0));
        json_t *c = json_object_get(e->contacts, email);
        if (!c) {
            char id[24];
            snprintf(id, sizeof id, "%" PRId64, ++e->next_contact);
            c = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)e->next_contact, "email", email,
                          "dataFields", json_object());
            json_object_set_new(e->contacts, email, c);
            json_object_set_new(e->by_id, id, json_string(email));
            im->new_contacts++;
        } else {
            im->updated++;
        }
        json_object_update(json_object_get(c, "dataFields"), json_array_get(row, 1));
        if (book) {
            json_object_set(book, email, json_object_get(c, "id"));
        }
    }
    e->stats.rows_imported += json_array_size(im->rows);
    e->stats.rows_faulted += json_array_size(im->faults);
}

void sgx_emu_dd_finish_imports_locked(sgx_emu_dd_t *e)
{
    for (size_t i = 0; i < e->nimports; i++) {
        dd_import_t *im = &e->imports[i];
        if (!im->done) {
            im->done = true;
            if (strcmp(im->status, "Finished") == 0) {
                apply_import(e, im);
            }
        }
    }
}

/* report-faults: "a CSV file, which is UTF-8 encoded" (GetContactImportReportFaults reference;
 * swagger: application/octet-stream). Written as the vendor's own client reads it
 * (dotmailer-magento2-extension ImporterReportHandler.php: a UTF-8 BOM, a header line, then
 * "reason,email" per line) with the header of oroinc/OroCRMDotmailerBundle's fixture
 * importFaults.csv ("Reason,email,…"); reasons are the reference's ('Invalid Email', …). */
static char *faults_csv(const dd_import_t *im)
{
    sgx_buf_t csv = {0};
    size_t i;
    json_t *f;
    sgx_buf_puts(&csv, "\xEF\xBB\xBFReason,email\r\n");
    json_array_foreach(im->faults, i, f) {
        const char *em = json_string_value(json_array_get(f, 0));
        bool q = strpbrk(em, ",\"\r\n") != NULL;
        sgx_buf_puts(&csv, json_string_value(json_array_get(f, 1)));
        sgx_buf_puts(&csv, q ? ",\"" : ",");
        for (const char *c = em; *c; c++) {
            sgx_buf_puts(&csv, *c == '"' ? "\"\"" : (char[2]){*c, 0});
        }
        sgx_buf_puts(&csv, q ? "\"\r\n" : "\r\n");
    }
    return csv.data;
}

static void api_import_get(sgx_emu_dd_t *e, const char *guid, const char *what, dd_reply_t *r)
{
    pthread_mutex_lock(&e->mu);
    dd_import_t *im = find_import(e, guid);
    if (!im) {
        sgx_emu_dd_error(r, 404, "Import not found. ERROR_IMPORT_NOT_FOUND");
    } else if (!what) {
        e->stats.import_polls++;
        if (!im->done && e->stall) {
            /* a queued import makes no progress: NotFinished, nothing applied yet */
        } else if (!im->done && im->polls_left > 0) {
            im->polls_left--;
        } else if (!im->done) {
            im->done = true;
            if (strcmp(im->status, "Finished") == 0) {
                apply_import(e, im);
            }
        }
        r->status = 200;
        r->json = json_pack("{s:s, s:s}", "id", im->guid, "status",
                            im->done ? im->status : "NotFinished");
    } else if (!im->done || strcmp(im->status, "Finished") != 0) {
        sgx_emu_dd_error(r, 400, "The import has not finished. ERROR_IMPORT_REPORT_NOT_FOUND");
    } else if (strcmp(what, "report") == 0) {
        r->status = 200;
        r->json = json_pack("{s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:i}", "newContacts",
                            (json_int_t)im->new_contacts, "updatedContacts",
                            (json_int_t)im->updated, "globallySuppressed",
                            (json_int_t)im->suppressed, "invalidEntries", (json_int_t)im->invalid,
                            "duplicateEmails", (json_int_t)im->duplicates, "blocked", 0,
                            "unsubscribed", 0, "hardBounced", 0, "failures", 0);
    } else {
        r->text = faults_csv(im);
        r->ctype = "application/octet-stream";
        r->status = 200;
    }
    pthread_mutex_unlock(&e->mu);
}

/* ApiContact (v2 swagger): id, email, optInType, emailType, dataFields [{key, value}] or null,
 * status. @locks_required mu */
static json_t *contact_json(json_t *c, bool full)
{
    json_t *fields = full ? json_array() : json_null();
    const char *name;
    json_t *v;
    json_object_foreach(full ? json_object_get(c, "dataFields") : NULL, name, v) {
        json_array_append_new(fields, json_pack("{s:s, s:O}", "key", name, "value", v));
    }
    return json_pack("{s:O, s:O, s:s, s:s, s:s, s:o}", "id", json_object_get(c, "id"), "email",
                     json_object_get(c, "email"), "optInType", "Unknown", "emailType", "Html",
                     "status", "Subscribed", "dataFields", fields);
}

static void api_contact(sgx_emu_dd_t *e, const char *key, dd_reply_t *r)
{
    char k[512];
    sgx_emu_dd_trim_copy(key, k, sizeof k);
    for (char *c = k; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    pthread_mutex_lock(&e->mu);
    e->stats.lookups++;
    const char *email = strspn(k, "0123456789") == strlen(k)
                            ? json_string_value(json_object_get(e->by_id, k))
                            : k;
    json_t *c = email ? json_object_get(e->contacts, email) : NULL;
    if (!c) {
        sgx_emu_dd_error(r, 404, "Contact not found. ERROR_CONTACT_NOT_FOUND");
    } else {
        r->status = 200;
        r->json = contact_json(c, true);
    }
    pthread_mutex_unlock(&e->mu);
}

/* A query parameter as an int32 (absent: def). @returns false when it is not one. */
static bool query_int(struct MHD_Connection *conn, const char *name, long def, long *out)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
    char *end = NULL;
    *out = v ? strtol(v, &end, 10) : def;
    return !v || (*v && !*end && *out >= 0 && *out <= INT32_MAX);
}

/* GET /v2/address-books/{addressBookId}/contacts (ApiContact_GetContactsInAddressBook, v2
 * swagger: withFullData boolean default false, select int32 default 1000, skip int32 default 0,
 * an array of ApiContact). The contacts come in the order they joined the book. A select above
 * 1,000 is refused: the reference's maximum per page is UNCONFIRMED (emu). */
static void api_book_contacts(sgx_emu_dd_t *e, struct MHD_Connection *conn, const char *book_id,
                              dd_reply_t *r)
{
    const char *full = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "withFullData");
    long select, skip;
    bool with_full = full && strcasecmp(full, "true") == 0;
    if (!query_int(conn, "select", 1000, &select) || !query_int(conn, "skip", 0, &skip) ||
        select < 1 || select > 1000 || (full && !with_full && strcasecmp(full, "false") != 0)) {
        sgx_emu_dd_error(r, 400, "A parameter is not valid. ERROR_PARAMETER_INVALID");
        return;
    }
    pthread_mutex_lock(&e->mu);
    e->stats.book_pages++;
    json_t *book = json_object_get(e->books, book_id);
    if (!book) {
        sgx_emu_dd_error(r, 404, "Address book not found. ERROR_ADDRESSBOOK_NOT_FOUND");
    } else {
        const char *email;
        json_t *id;
        long at = 0;
        r->status = 200;
        r->json = json_array();
        json_object_foreach(book, email, id) {
            json_t *c = json_object_get(e->contacts, email);
            if (c && at++ >= skip && (long)json_array_size(r->json) < select) {
                json_array_append_new(r->json, contact_json(c, with_full));
            }
        }
    }
    pthread_mutex_unlock(&e->mu);
}

static void api_delete(sgx_emu_dd_t *e, const char *book_id, const sgx_emu_body_t *body,
                       dd_reply_t *r)
{
    json_t *ids = json_loadb(body->buf.data ? body->buf.data : "", body->buf.len, 0, NULL);
    bool ok = json_is_array(ids);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        ok = ok && json_is_integer(v) && json_integer_value(v) > 0;
    }
    pthread_mutex_lock(&e->mu);
    json_t *book = json_object_get(e->books, book_id);
    if (!book) {
        sgx_emu_dd_error(r, 404, "Address book not found. ERROR_ADDRESSBOOK_NOT_FOUND");
    } else if (!ok) {
        sgx_emu_dd_error(r, 400, "Expected a JSON array of contact ids. "
                                 "ERROR_INVALID_REQUEST"); /* (emu) */
    } else {
        json_array_foreach(ids, i, v) {
            char id[24];
            snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            const char *email = json_string_value(json_object_get(e->by_id, id));
            if (email && json_object_get(book, email)) {
                json_object_del(book, email);
                e->stats.contacts_removed++;
            }
        }
        e->stats.deletes++;
        char guid[40];
        snprintf(guid, sizeof guid, "%08x-0000-4000-9000-%012" PRIx64, 0xde1e7e00u,
                 ++e->next_guid);
        r->status = 202;
        r->json = json_pack("{s:s, s:s}", "id", guid, "status", "Completed");
    }
    pthread_mutex_unlock(&e->mu);
    json_decref(ids);
}

/* GET /v2/address-books/{id}: the book (GetAddressBookById, Dotdigital v2 swagger [DD-swag]:
 * ApiAddressBook id, name, visibility, contacts); 404 ERROR_ADDRESSBOOK_NOT_FOUND. */
static void api_book(sgx_emu_dd_t *e, const char *book_id, dd_reply_t *r)
{
    pthread_mutex_lock(&e->mu);
    json_t *book = json_object_get(e->books, book_id);
    if (!book) {
        sgx_emu_dd_error(r, 404, "Address book not found. ERROR_ADDRESSBOOK_NOT_FOUND");
    } else {
        r->status = 200;
        r->json = json_pack("{s:I, s:s+, s:s, s:I}", "id", (json_int_t)strtoll(book_id, NULL, 10),
                            "name", "Address book ", book_id, "visibility", "Private", "contacts",
                            (json_int_t)json_object_size(book));
    }
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_dd_api(sgx_emu_dd_t *e, struct MHD_Connection *conn, const char *method,
                    const sgx_emu_path_t *path, const sgx_emu_body_t *body, dd_reply_t *r)
{
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    const char *const *s = path->seg;
    size_t n = path->n;
    if (n < 2 || strcmp(s[0], "v2") != 0) {
        sgx_emu_dd_error(r, 404, "No such resource. ERROR_RESOURCE_NOT_FOUND");
    } else if (post && n == 5 && strcmp(s[1], "address-books") == 0 &&
               strcmp(s[3], "contacts") == 0 && strcmp(s[4], "import") == 0) {
        api_import(e, conn, s[2], body, r);
    } else if (get && n == 4 && strcmp(s[1], "address-books") == 0 &&
               strcmp(s[3], "contacts") == 0) {
        api_book_contacts(e, conn, s[2], r);
    } else if (post && n == 5 && strcmp(s[1], "address-books") == 0 &&
               strcmp(s[3], "contacts") == 0 && strcmp(s[4], "delete") == 0) {
        api_delete(e, s[2], body, r);
    } else if (get && (n == 4 || n == 5) && strcmp(s[1], "contacts") == 0 &&
               strcmp(s[2], "import") == 0 &&
               (n == 4 || strcmp(s[4], "report") == 0 || strcmp(s[4], "report-faults") == 0)) {
        api_import_get(e, s[3], n == 5 ? s[4] : NULL, r);
    } else if (get && n == 3 && strcmp(s[1], "address-books") == 0) {
        api_book(e, s[2], r);
    } else if (get && n == 3 && strcmp(s[1], "contacts") == 0) {
        api_contact(e, s[2], r);
    } else {
        sgx_emu_dd_error(r, 404, "No such resource. ERROR_RESOURCE_NOT_FOUND");
    }
}
