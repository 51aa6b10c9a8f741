/* Verification: every emulated audience must equal, exactly, the set of profiles whose last
 * event in that segment was ENTER (and that have a usable identifier). */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "cli/demo/demo.h"

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    sgx_buf_append(arg, p, size * n);
    return size * n;
}

static json_t *fetch_audience(uint16_t port, const char *id)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/_emulator/audiences/%s", port, id);
    sgx_buf_t body = {0};
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(e);
    json_t *doc = NULL;
    if (rc == CURLE_OK && status == 200) {
        doc = json_loadb(body.data, body.len, 0, NULL);
    }
    sgx_buf_free(&body);
    return doc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compares one audience; counts what is missing and what should not be there. */
static void compare(json_t *members, char **expected, size_t nexp, size_t *missing,
                    size_t *extra)
{
    size_t i = 0, j = 0, n = json_array_size(members);
    while (i < nexp || j < n) {
        const char *got = j < n ? json_string_value(json_array_get(members, j)) : NULL;
        int c = i >= nexp ? 1 : !got ? -1 : strcmp(expected[i], got);
        if (c == 0) {
            i++;
            j++;
        } else if (c < 0) {
            (*missing)++;
            i++;
        } else {
            (*extra)++;
            j++;
        }
    }
}

static bool verify(sgx_dest_kind_t kind, uint16_t emu_port, char *const *audience_ids,
                   const sgx_demo_truth_t *t, char *report, size_t cap)
{
    char **member = sgx_calloc(t->profiles, sizeof *member);
    char **expected = sgx_calloc(t->profiles, sizeof *expected);
    char buf[256];
    for (size_t p = 0; p < t->profiles; p++) {
        member[p] = sgx_demo_member_for(kind, p, buf, sizeof buf) ? sgx_strdup(buf) : NULL;
    }
    size_t missing = 0, extra = 0, total = 0, bad_fetch = 0;
    for (size_t s = 0; s < t->segments; s++) {
        size_t n = 0;
        for (size_t p = 0; p < t->profiles; p++) {
            if (t->state[p * t->segments + s] == 1 && member[p]) {
                expected[n++] = member[p];
            }
        }
        qsort(expected, n, sizeof *expected, cmp_str);
        total += n;
        json_t *doc = fetch_audience(emu_port, audience_ids[s]);
        json_t *members = doc ? json_object_get(doc, "members") : NULL;
        if (!json_is_array(members)) {
            bad_fetch++;
            missing += n;
        } else {
            /* Members are sorted by the emulator with strcmp, as are the expected ones. */
            compare(members, expected, n, &missing, &extra);
        }
        json_decref(doc);
    }
    for (size_t p = 0; p < t->profiles; p++) {
        sgx_free(member[p]);
    }
    sgx_free(member);
    sgx_free(expected);
    snprintf(report, cap, "%zu audiences, %zu members expected, %zu missing, %zu unexpected%s",
             t->segments, total, missing, extra, bad_fetch ? ", some audiences unreadable" : "");
    return missing == 0 && extra == 0 && bad_fetch == 0;
}

bool sgx_demo_verify(uint16_t emu_port, char *const *audience_ids, const sgx_demo_truth_t *t,
                     char *report, size_t cap)
{
    return verify(SGX_DEST_FACEBOOK, emu_port, audience_ids, t, report, cap);
}

bool sgx_demo_verify_for(sgx_dest_kind_t kind, uint16_t emu_port, const sgx_demo_truth_t *t,
                         char *report, size_t cap)
{
    char **ids = sgx_calloc(t->segments, sizeof *ids);
    char id[32];
    for (size_t s = 0; s < t->segments; s++) {
        sgx_demo_audience_id(kind, s, id, sizeof id);
        ids[s] = sgx_strdup(id);
    }
    bool ok = verify(kind, emu_port, ids, t, report, cap);
    for (size_t s = 0; s < t->segments; s++) {
        sgx_free(ids[s]);
    }
    sgx_free(ids);
    return ok;
}
