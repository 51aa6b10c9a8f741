/* Dotdigital emulator: the uploaded import file. An import takes "CSV or Excel" with "one column
 * called Email"; every other column maps to a contact data field (ApiContactImport_
 * ImportContactsToAddressBook, Dotdigital v2 swagger; destinations.md §4); it arrives as JSON
 * ApiFileMedia {"fileName","data":<base64>} (the swagger's only request body) or multipart/form-data
 * (https://developer.dotdigital.com/reference/bulk-import-contacts-in-address-book-with-merge-option).
 * Error codes marked (emu) are this emulator's names; the real ones are UNCONFIRMED. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "emulators/dotdigital_priv.h"

static const char *const known_fields[] = {"FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER",
                                           "POSTCODE"};

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

void sgx_emu_dd_trim_copy(const char *s, char *out, size_t cap)
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
        sgx_emu_dd_trim_copy(json_string_value(json_array_get(hdr, i)), name, sizeof name);
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
        sgx_emu_dd_trim_copy(json_string_value(json_array_get(hdr, i)), name, sizeof name);
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
            sgx_emu_dd_trim_copy(json_string_value(json_array_get(hdr, j)), other, sizeof other);
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
    sgx_emu_dd_trim_copy(json_string_value(json_array_get(rec, (size_t)email_col)), email, sizeof email);
    for (char *c = email; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    const char *raw = json_string_value(json_array_get(rec, (size_t)email_col));
    if (!valid_email(email)) {
        json_array_append_new(im->faults, json_pack("[s,s]", raw, "Invalid Email"));
        im->invalid++;
        return;
    }
    size_t el = strlen(email), sl = e->suppressed ? strlen(e->suppressed) : 0;
    if (sl && el > sl && strcmp(email + el - sl, e->suppressed) == 0) {
        json_array_append_new(im->faults, json_pack("[s,s]", raw, "Globally Suppressed"));
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
        sgx_emu_dd_trim_copy(json_string_value(json_array_get(hdr, i)), name, sizeof name);
        for (char *c = name; *c; c++) {
            *c = (char)toupper((unsigned char)*c);
        }
        sgx_emu_dd_trim_copy(json_string_value(json_array_get(rec, i)), val, sizeof val);
        if (*val) {
            json_object_set_new(fields, name, json_string(val));
        }
    }
    json_array_append_new(im->rows, json_pack("[s,o]", email, fields));
}

/* A structurally broken file is accepted and ends InvalidFileFormat, as the status enum
 * (ApiContactImportStatuses) suggests. */
const char *sgx_emu_dd_parse_csv(sgx_emu_dd_t *e, const char *data, size_t len, dd_import_t *im)
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

bool sgx_emu_dd_read_upload(sgx_emu_dd_t *e, struct MHD_Connection *conn,
                            const sgx_emu_body_t *body, sgx_buf_t *file, char *fname, size_t fcap,
                            dd_reply_t *r)
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

