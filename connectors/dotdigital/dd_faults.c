/* Dotdigital report-faults: "all records that were not successfully imported", returned as "a
 * CSV file, which is UTF-8 encoded" (GetContactImportReportFaults,
 * https://developer.dotdigital.com/reference/getcontactimportreportfaults; the v2 swagger types
 * it application/octet-stream). The reference names the reasons ('Globally Suppressed',
 * 'Invalid Email', 'Hard bounced', …) but not the columns. What the service writes, as its own
 * clients read it: dotmailer/dotmailer-magento2-extension
 * Model/Sync/Importer/ImporterReportHandler.php strips a leading UTF-8 BOM, skips one header line
 * and reads "reason,email" per line; oroinc/OroCRMDotmailerBundle's fixture
 * Tests/Functional/Model/Fixtures/importFaults.csv has the header
 * "Reason,email,firstname,…" (the reason, then the uploaded file's own columns). So: an optional
 * BOM, a header naming an e-mail column and a reason column in any case and any order, then
 * RFC 4180 records; an empty body means no faults. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "connectors/dotdigital/dotdigital.h"

/* Reads one RFC 4180 field at *p into out (unquoted); *eol is set when the record ends. */
static void csv_field(const char **p, const char *end, sgx_buf_t *out, bool *eol)
{
    const char *s = *p;
    sgx_buf_reset(out);
    *eol = false;
    if (s < end && *s == '"') {
        for (s++; s < end; s++) {
            if (*s == '"' && s + 1 < end && s[1] == '"') {
                sgx_buf_putc(out, '"');
                s++;
            } else if (*s == '"') {
                s++;
                break;
            } else {
                sgx_buf_putc(out, *s);
            }
        }
    }
    while (s < end && *s != ',' && *s != '\n' && *s != '\r') {
        sgx_buf_putc(out, *s++);
    }
    if (s < end && *s == ',') {
        s++;
    } else {
        *eol = true;
        s += s < end && *s == '\r';
        s += s < end && *s == '\n';
    }
    *p = s;
}

/* Reasons go to DLQ headers: [A-Za-z0-9_.-] only, blanks become '_' ("Hard bounced" ->
 * "Hard_bounced"), at most 48 bytes. */
static char *clean_reason(const char *s, size_t n)
{
    char *r = sgx_malloc(n < 48 ? n + 1 : 49);
    size_t k = 0;
    while (n && isspace((unsigned char)*s)) {
        s++, n--;
    }
    for (size_t i = 0; i < n && k < 48; i++) {
        char c = s[i];
        if (isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-') {
            r[k++] = c;
        } else if (c == ' ' && k && r[k - 1] != '_') {
            r[k++] = '_';
        }
    }
    while (k && r[k - 1] == '_') {
        k--;
    }
    r[k] = '\0';
    if (!k) {
        sgx_free(r);
        r = sgx_strdup("unspecified");
    }
    return r;
}

static void trim_field(sgx_buf_t *f, const char **s, size_t *n)
{
    const char *p = f->data ? f->data : "";
    size_t len = f->len;
    while (len && isspace((unsigned char)*p)) {
        p++, len--;
    }
    while (len && isspace((unsigned char)p[len - 1])) {
        len--;
    }
    *s = p;
    *n = len;
}

/* The header: which columns hold the e-mail and the reason (-1 = absent). */
static void read_header(const char **p, const char *end, sgx_buf_t *f, long *email_col,
                        long *reason_col)
{
    bool eol = false;
    *email_col = *reason_col = -1;
    for (long col = 0; *p < end && !eol; col++) {
        const char *name;
        size_t n;
        csv_field(p, end, f, &eol);
        trim_field(f, &name, &n);
        if (n == 5 && strncasecmp(name, "email", 5) == 0 && *email_col < 0) {
            *email_col = col;
        } else if (n == 6 && strncasecmp(name, "reason", 6) == 0 && *reason_col < 0) {
            *reason_col = col;
        }
    }
}

static void add_fault(sgx_dd_fault_t **out, long *n, long *cap, char *email, char *reason)
{
    for (char *c = email; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *out = sgx_realloc(*out, (size_t)*cap * sizeof **out);
    }
    (*out)[(*n)++] = (sgx_dd_fault_t){email, reason ? reason : sgx_strdup("unspecified")};
}

long sgx_dd_parse_faults(const char *body, size_t len, sgx_dd_fault_t **out)
{
    const char *p = body, *end = body + len;
    sgx_buf_t f = {0};
    long email_col, reason_col, n = 0, cap = 0;
    *out = NULL;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
    }
    while (p < end && isspace((unsigned char)*p)) {
        p++;
    }
    if (p == end) {
        return 0; /* nothing was refused */
    }
    read_header(&p, end, &f, &email_col, &reason_col);
    while (email_col >= 0 && p < end) {
        char *email = NULL, *reason = NULL;
        bool eol = false;
        for (long col = 0; p < end && !eol; col++) {
            const char *v;
            size_t vn;
            csv_field(&p, end, &f, &eol);
            trim_field(&f, &v, &vn);
            if (col == email_col && vn) {
                email = sgx_malloc(vn + 1);
                memcpy(email, v, vn);
                email[vn] = '\0';
            } else if (col == reason_col) {
                reason = clean_reason(v, vn);
            }
        }
        if (!email) {
            sgx_free(reason);
            continue; /* a blank line */
        }
        add_fault(out, &n, &cap, email, reason);
    }
    sgx_buf_free(&f);
    return email_col < 0 ? -1 : n;
}

void sgx_dd_faults_free(sgx_dd_fault_t *faults, long n)
{
    for (long i = 0; faults && i < n; i++) {
        sgx_free(faults[i].email);
        sgx_free(faults[i].reason);
    }
    sgx_free(faults);
}
