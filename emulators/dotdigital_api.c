/* Dotdigital emulator: the v2 endpoints. Error codes marked (emu) are this emulator's names;
 * the real API's exact codes for those cases are UNCONFIRMED (destinations.md §4). */
#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "emulators/dotdigital_priv.h"

static const char *const known_fields[] = {"FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER",
                                           "POSTCODE"};

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

/* ---- the uploaded file ---------------------------------------------------------------------- */

/* The file of a multipart/form-data body: the first part that has a filename. */
static bool multipart_file(const char *ctype, const sgx_emu_body_t *body, const char **data,
                           size_t *len, char *fname, size_t fcap)
{
    const char *b = strstr(ctype, "boundary=");
    char delim[128];
    if (!b || !body->buf.data) {
        return false;
    }
    b += 9;
    size_t bl = *b == '"' ? strcspn(b + 1, "\"") : strcspn(b, "; \t");
    if (*b == '"') {
        b++;
    }
    if (bl == 0 || bl > 100) {
        return false;
    }
    int dl = snprintf(delim, sizeof delim, "--%.*s", (int)bl, b);
    const char *p = body->buf.data, *end = p + body->buf.len;
    while ((p = memmem(p, (size_t)(end - p), delim, (size_t)dl))) {
        p += dl;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            return false; /* the closing delimiter: no file part */
        }
        const char *hdr_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hdr_end) {
            return false;
        }
        char hdrs[1024];
        snprintf(hdrs, sizeof hdrs, "%.*s", (int)(hdr_end - p < 1023 ? hdr_end - p : 1023), p);
        const char *content = hdr_end + 4;
        char close[136];
        int cl = snprintf(close, sizeof close, "\r\n%s", delim);
        const char *cend = memmem(content, (size_t)(end - content), close, (size_t)cl);
        if (!cend) {
            return false;
        }
        const char *fn = strstr(hdrs, "filename=\"");
        if (fn) {
            fn += 10;
            snprintf(fname, fcap, "%.*s", (int)strcspn(fn, "\""), fn);
            *data = content;
            *len = (size_t)(cend - content);
            return true;
        }
        p = cend;
    }
    return false;
}

/* JSON {"fileName","data":<base64>}: decoded into out. */
static bool json_file(const sgx_emu_body_t *body, sgx_buf_t *out, char *fname, size_t fcap)
{
    json_t *root = json_loadb(body->buf.data ? body->buf.data : "", body->buf.len, 0, NULL);
    const char *name = json_string_value(json_object_get(root, "fileName"));
    const char *b64 = json_string_value(json_object_get(root, "data"));
    size_t n = b64 ? strlen(b64) : 0;
    bool ok = name && b64 && n % 4 == 0;
    if (ok && n) {
        sgx_buf_reserve(out, n);
        int got = EVP_DecodeBlock((unsigned char *)out->data, (const unsigned char *)b64, (int)n);
        ok = got >= 0;
        if (ok) {
            size_t pad = (n >= 1 && b64[n - 1] == '=') + (n >= 2 && b64[n - 2] == '=');
            out->len = (size_t)got - pad;
            out->data[out->len] = '\0';
        }
    }
    if (ok) {
        snprintf(fname, fcap, "%s", name);
    }
    json_decref(root);
    return ok;
}

/* ---- CSV ------------------------------------------------------------------------------------- */

/* One RFC 4180 record into fields (a JSON array of strings). @returns 1 ok, 0 at the end of
 * input, -1 malformed (unterminated quote, a quote inside an unquoted field, text after a
 * closing quote). */
static int csv_record(const char **pp, const char *end, json_t *fields)
{
    const char *p = *pp;
    sgx_buf_t f = {0};
    if (p >= end) {
        return 0;
    }
    for (;;) {
        sgx_buf_reset(&f);
        sgx_buf_reserve(&f, 1);
        if (p < end && *p == '"') {
            bool closed = false;
            for (p++; p < end; p++) {
                if (*p == '"' && p + 1 < end && p[1] == '"') {
                    sgx_buf_putc(&f, '"');
                    p++;
                } else if (*p == '"') {
                    p++;
                    closed = true;
                    break;
                } else {
                    sgx_buf_putc(&f, *p);
                }
            }
            if (!closed || (p < end && *p != ',' && *p != '\r' && *p != '\n')) {
                sgx_buf_free(&f);
                return -1;
            }
        } else {
            while (p < end && *p != ',' && *p != '\r' && *p != '\n') {
                if (*p == '"') {
                    sgx_buf_free(&f);
                    return -1;
                }
                sgx_buf_putc(&f, *p++);
            }
        }
        json_array_append_new(fields, json_stringn(f.data, f.len));
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        p += p < end && *p == '\r';
        p += p < end && *p == '\n';
        break;
    }
    sgx_buf_free(&f);
    *pp = p;
    return 1;
}

static void trim_copy(const char *s, char *out, size_t cap)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) {
        n--;
    }
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), s);
}

static bool valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at > s && !strchr(at + 1, '@') && strchr(at + 1, '.') && at[1] != '.' &&
           s[strlen(s) - 1] != '.' && !strpbrk(s, " \t,;<>\"");
}

/* Validates the header: column index per field name (Email at *email_col). 0 or an error. */
static const char *check_header(json_t *hdr, long *email_col)
{
    *email_col = -1;
    for (size_t i = 0; i < json_array_size(hdr); i++) {
        char name[64];
        trim_copy(json_string_value(json_array_get(hdr, i)), name, sizeof name);
        if (strcasecmp(name, "Email") == 0) {
            if (*email_col >= 0) {
                return "The file has two Email columns. ERROR_IMPORT_DUPLICATE_COLUMN"; /* (emu) */
            }
            *email_col = (long)i;
        }
    }
    if (*email_col < 0) {
        return "The file has no Email column. ERROR_IMPORT_NO_EMAIL_COLUMN"; /* (emu) */
    }
    for (size_t i = 0; i < json_array_size(hdr); i++) {
        char name[64];
        trim_copy(json_string_value(json_array_get(hdr, i)), name, sizeof name);
        if ((long)i == *email_col) {
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof known_fields / sizeof *known_fields; k++) {
            known = known || strcasecmp(name, known_fields[k]) == 0;
        }
        if (!known) {
            return "A column does not match any contact data field. "
                   "ERROR_DATAFIELD_NOT_FOUND"; /* (emu) */
        }
        for (size_t j = 0; j < i; j++) {
            char other[64];
            trim_copy(json_string_value(json_array_get(hdr, j)), other, sizeof other);
            if (strcasecmp(other, name) == 0) {
                return "The file has a column twice. ERROR_IMPORT_DUPLICATE_COLUMN"; /* (emu) */
            }
        }
    }
    return NULL;
}

/* One data row into the import: a contact to apply, or a fault. */
static void add_row(sgx_emu_dd_t *e, dd_import_t *im, json_t *hdr, json_t *rec, long email_col,
                    json_t *seen)
{
    char email[512];
    trim_copy(json_string_value(json_array_get(rec, (size_t)email_col)), email, sizeof email);
    for (char *c = email; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    const char *raw = json_string_value(json_array_get(rec, (size_t)email_col));
    if (!valid_email(email)) {
        json_array_append_new(im->faults, json_pack("[s,s]", raw, "InvalidEmail"));
        im->invalid++;
        return;
    }
    size_t el = strlen(email), sl = e->suppressed ? strlen(e->suppressed) : 0;
    if (sl && el > sl && strcmp(email + el - sl, e->suppressed) == 0) {
        json_array_append_new(im->faults, json_pack("[s,s]", raw, "GloballySuppressed"));
        im->suppressed++;
        return;
    }
    if (json_object_get(seen, email)) {
        im->duplicates++;
    }
    json_object_set_new(seen, email, json_true());
    json_t *fields = json_object();
    for (size_t i = 0; i < json_array_size(hdr); i++) {
        char name[64], val[1024];
        if ((long)i == email_col) {
            continue;
        }
        trim_copy(json_string_value(json_array_get(hdr, i)), name, sizeof name);
        for (char *c = name; *c; c++) {
            *c = (char)toupper((unsigned char)*c);
        }
        trim_copy(json_string_value(json_array_get(rec, i)), val, sizeof val);
        if (*val) {
            json_object_set_new(fields, name, json_string(val));
        }
    }
    json_array_append_new(im->rows, json_pack("[s,o]", email, fields));
}

/* Parses the CSV into im. @returns an error message for a 400, or NULL (a structurally broken
 * file is accepted and ends as InvalidFileFormat, like the real status enum suggests). */
static const char *parse_csv(sgx_emu_dd_t *e, const char *data, size_t len, dd_import_t *im)
{
    const char *p = data, *end = data + len;
    json_t *hdr = json_array(), *seen = json_object();
    long email_col = -1;
    const char *err = NULL;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3; /* a UTF-8 BOM */
    }
    if (csv_record(&p, end, hdr) != 1) {
        err = "The file is empty. ERROR_IMPORT_NO_EMAIL_COLUMN"; /* (emu) */
    } else if (!(err = check_header(hdr, &email_col))) {
        for (;;) {
            json_t *rec = json_array();
            int r = csv_record(&p, end, rec);
            if (r == 1 && json_array_size(rec) == 1 &&
                !*json_string_value(json_array_get(rec, 0))) {
                json_decref(rec);
                continue; /* a blank line */
            }
            if (r == 1 && json_array_size(rec) != json_array_size(hdr)) {
                r = -1;
            }
            if (r == 1) {
                add_row(e, im, hdr, rec, email_col, seen);
            } else if (r < 0) {
                snprintf(im->status, sizeof im->status, "InvalidFileFormat");
            }
            json_decref(rec);
            if (r != 1) {
                break;
            }
        }
    }
    json_decref(hdr);
    json_decref(seen);
    return err;
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

/* Reads the file of an import request into file/fname; sets an error reply when it cannot. */
static bool read_upload(sgx_emu_dd_t *e, struct MHD_Connection *conn, const sgx_emu_body_t *body,
                        sgx_buf_t *file, char *fname, size_t fcap, dd_reply_t *r)
{
    const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const char *data = NULL;
    size_t len = 0;
    if (body->overflow) {
        sgx_emu_dd_error(r, 413, "The request is too large. ERROR_IMPORT_FILE_TOO_LARGE");
        return false;
    }
    if (ctype && strncasecmp(ctype, "multipart/form-data", 19) == 0) {
        if (!multipart_file(ctype, body, &data, &len, fname, fcap)) {
            sgx_emu_dd_error(r, 400, "No file in the multipart body. ERROR_FILE_NOT_FOUND");
            return false;
        }
        sgx_buf_append(file, data ? data : "", len);
    } else if (ctype && strncasecmp(ctype, "application/json", 16) == 0) {
        if (!json_file(body, file, fname, fcap)) {
            sgx_emu_dd_error(r, 400, "Expected {\"fileName\",\"data\":<base64>}. "
                                     "ERROR_INVALID_FILE_MEDIA"); /* (emu) */
            return false;
        }
    } else {
        sgx_emu_dd_error(r, 415, "Send multipart/form-data or JSON. ERROR_UNSUPPORTED_MEDIA_TYPE");
        return false;
    }
    size_t fl = strlen(fname);
    if (fl < 4 || strcasecmp(fname + fl - 4, ".csv") != 0) {
        sgx_emu_dd_error(r, 400, "Only CSV files are accepted here. ERROR_IMPORT_FILE_TYPE");
        return false;
    }
    if (file->len > e->max_file) {
        sgx_emu_dd_error(r, 400, "The file is over the size limit (50 MB). ERROR_IMPORT_FILE_TOO_LARGE");
        return false;
    }
    return true;
}

static void api_import(sgx_emu_dd_t *e, struct MHD_Connection *conn, const char *book,
                       const sgx_emu_body_t *body, dd_reply_t *r)
{
    sgx_buf_t file = {0};
    char fname[256] = "";
    dd_import_t im = {.rows = json_array(), .faults = json_array()};
    if (!read_upload(e, conn, body, &file, fname, sizeof fname, r)) {
        goto out;
    }
    snprintf(im.status, sizeof im.status, "Finished");
    const char *err = parse_csv(e, file.data ? file.data : "", file.len, &im);
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
        sgx_buf_t csv = {0};
        sgx_buf_puts(&csv, "Email,Reason\r\n");
        size_t i;
        json_t *f;
        json_array_foreach(im->faults, i, f) {
            const char *em = json_string_value(json_array_get(f, 0));
            bool q = strpbrk(em, ",\"\r\n") != NULL;
            sgx_buf_puts(&csv, q ? "\"" : "");
            for (const char *c = em; *c; c++) {
                sgx_buf_puts(&csv, *c == '"' ? "\"\"" : (char[2]){*c, 0});
            }
            sgx_buf_puts(&csv, q ? "\"," : ",");
            sgx_buf_puts(&csv, json_string_value(json_array_get(f, 1)));
            sgx_buf_puts(&csv, "\r\n");
        }
        r->status = 200;
        r->text = csv.data;
        r->ctype = "text/csv";
    }
    pthread_mutex_unlock(&e->mu);
}

static void api_contact(sgx_emu_dd_t *e, const char *key, dd_reply_t *r)
{
    char k[512];
    trim_copy(key, k, sizeof k);
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
        json_t *fields = json_array();
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(c, "dataFields"), name, v) {
            json_array_append_new(fields, json_pack("{s:s, s:O}", "key", name, "value", v));
        }
        r->status = 200;
        r->json = json_pack("{s:O, s:O, s:s, s:s, s:s, s:o}", "id", json_object_get(c, "id"),
                            "email", json_object_get(c, "email"), "optInType", "Unknown",
                            "emailType", "Html", "status", "Subscribed", "dataFields", fields);
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
