#include "codecs/schema_cache.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"

#define NEG_SLOTS 256               /* direct-mapped: bounded memory under an id flood */
#define MAX_RESPONSE (4u << 20)     /* a schema larger than this is not a real one */
#define MAX_SCHEMA_FILE (4u << 20)
#define NSTR (4 + SGX_F__COUNT)

typedef struct {
    bool used;
    uint32_t id;
    sgx_err_t verdict;      /* SGX_OK or SGX_ERR_DECODE (does not compile) */
    sgx_projection_t *proj; /* owned */
} entry_t;

typedef struct {
    bool used;
    uint32_t id;
    double expires;
} neg_t;

struct sgx_schema_cache {
    char *url; /* owned, no trailing '/' */
    bool has_map;
    sgx_mapping_t map;
    char *map_str[NSTR]; /* owned copies the map points into */
    entry_t *tab;        /* owned, open addressing, cap a power of two */
    size_t n, cap;
    const entry_t *last; /* most messages carry the same id as the previous one */
    neg_t neg[NEG_SLOTS];
    CURL *curl;
    struct curl_slist *headers;
    sgx_buf_t resp;
    bool resp_overflow;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static entry_t *slot_for(entry_t *tab, size_t cap, uint32_t id)
{
    size_t i = (id * 2654435761u) & (cap - 1);
    while (tab[i].used && tab[i].id != id) {
        i = (i + 1) & (cap - 1);
    }
    return &tab[i];
}

static entry_t *entry_put(sgx_schema_cache_t *c, uint32_t id)
{
    if ((c->n + 1) * 2 > c->cap) {
        size_t cap = c->cap * 2;
        entry_t *tab = sgx_calloc(cap, sizeof *tab);
        for (size_t i = 0; i < c->cap; i++) {
            if (c->tab[i].used) {
                *slot_for(tab, cap, c->tab[i].id) = c->tab[i];
            }
        }
        sgx_free(c->tab);
        c->tab = tab;
        c->cap = cap;
    }
    entry_t *e = slot_for(c->tab, c->cap, id);
    if (!e->used) {
        *e = (entry_t){.used = true, .id = id};
        c->n++;
    }
    sgx_projection_destroy(e->proj);
    e->proj = NULL;
    c->last = NULL; /* the table may have moved */
    return e;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *cls)
{
    sgx_schema_cache_t *c = cls;
    size_t n = size * nmemb;
    if (c->resp.len + n > MAX_RESPONSE) {
        c->resp_overflow = true;
        return 0; /* aborts the transfer */
    }
    sgx_buf_append(&c->resp, data, n);
    return n;
}

static void copy_map(sgx_schema_cache_t *c, const sgx_mapping_t *map)
{
    const char *src[NSTR] = {map->profile_id, map->segment_id, map->op, map->event_time};
    memcpy(&src[4], map->fields, sizeof map->fields);
    for (int i = 0; i < NSTR; i++) {
        c->map_str[i] = src[i] ? sgx_strdup(src[i]) : NULL;
    }
    c->map.profile_id = c->map_str[0];
    c->map.segment_id = c->map_str[1];
    c->map.op = c->map_str[2];
    c->map.event_time = c->map_str[3];
    for (int f = 0; f < SGX_F__COUNT; f++) {
        c->map.fields[f] = c->map_str[4 + f];
    }
    c->has_map = true;
}

static void setup_curl(sgx_schema_cache_t *c)
{
    curl_global_init(CURL_GLOBAL_DEFAULT); /* refcounted; paired in destroy */
    c->curl = curl_easy_init();
    c->headers = curl_slist_append(
        NULL, "Accept: application/vnd.schemaregistry.v1+json, application/json");
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC); /* user:pass@ in URL */
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
}

sgx_err_t sgx_schema_cache_new(const char *registry_url, const sgx_mapping_t *map,
                               sgx_schema_cache_t **out)
{
    sgx_schema_cache_t *c = sgx_calloc(1, sizeof *c);
    c->cap = 16;
    c->tab = sgx_calloc(c->cap, sizeof *c->tab);
    if (map) {
        copy_map(c, map);
    }
    if (registry_url) {
        size_t n = strlen(registry_url);
        while (n && registry_url[n - 1] == '/') {
            n--;
        }
        c->url = sgx_strndup(registry_url, n);
        setup_curl(c);
        if (!c->curl) {
            sgx_schema_cache_destroy(c);
            return SGX_ERR_UNAVAILABLE;
        }
    }
    *out = c;
    return SGX_OK;
}

void sgx_schema_cache_set_tls(sgx_schema_cache_t *c, const sgx_http_tls_t *tls)
{
    if (c && c->curl) {
        sgx_http_tls_apply(c->curl, tls);
    }
}

void sgx_schema_cache_destroy(sgx_schema_cache_t *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->cap; i++) {
        sgx_projection_destroy(c->tab[i].proj);
    }
    sgx_free(c->tab);
    for (int i = 0; i < NSTR; i++) {
        sgx_free(c->map_str[i]);
    }
    if (c->url) {
        curl_slist_free_all(c->headers);
        curl_easy_cleanup(c->curl);
        curl_global_cleanup();
    }
    sgx_buf_free(&c->resp);
    sgx_free(c->url);
    sgx_free(c);
}

sgx_err_t sgx_schema_cache_add_json(sgx_schema_cache_t *c, uint32_t id, const char *json,
                                    size_t len, char *errbuf)
{
    sgx_projection_t *p;
    sgx_err_t err = sgx_projection_new(json, len, c->has_map ? &c->map : NULL, &p, errbuf);
    if (err) {
        return err;
    }
    entry_t *e = entry_put(c, id);
    e->proj = p;
    e->verdict = SGX_OK;
    c->neg[id % NEG_SLOTS].used = false;
    return SGX_OK;
}

sgx_err_t sgx_schema_cache_add_file(sgx_schema_cache_t *c, uint32_t id, const char *path,
                                    char *errbuf)
{
    sgx_buf_t text = {0};
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errbuf ? errbuf : chunk, SGX_ERRBUF_SIZE, "cannot open schema file");
        return SGX_ERR_IO;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len <= MAX_SCHEMA_FILE) {
        sgx_buf_append(&text, chunk, n);
    }
    bool bad = ferror(f) || text.len > MAX_SCHEMA_FILE;
    fclose(f);
    sgx_err_t err = SGX_ERR_IO;
    if (bad && errbuf) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot read schema file (or larger than 4 MiB)");
    } else if (!bad) {
        err = sgx_schema_cache_add_json(c, id, text.data ? text.data : "", text.len, errbuf);
    }
    sgx_buf_free(&text);
    return err;
}

/* Parses a 200 body {"schema": "...", "schemaType"?} into an owned schema string. */
static sgx_err_t parse_reply(sgx_schema_cache_t *c, char **schema)
{
    json_t *j = json_loadb(c->resp.data ? c->resp.data : "", c->resp.len, 0, NULL);
    const char *s = json_string_value(json_object_get(j, "schema"));
    const char *type = json_string_value(json_object_get(j, "schemaType"));
    sgx_err_t err = SGX_ERR_DECODE;
    if (s && (!type || strcmp(type, "AVRO") == 0)) {
        *schema = sgx_strdup(s);
        err = SGX_OK;
    }
    json_decref(j);
    return err;
}

static sgx_err_t fetch(sgx_schema_cache_t *c, uint32_t id, char **schema)
{
    char *url = sgx_malloc(strlen(c->url) + 32);
    sprintf(url, "%s/schemas/ids/%u", c->url, (unsigned)id);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    sgx_buf_reset(&c->resp);
    c->resp_overflow = false;
    CURLcode rc = curl_easy_perform(c->curl);
    sgx_free(url);
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
        json_t *j = json_loadb(c->resp.data ? c->resp.data : "", c->resp.len, 0, NULL);
        json_int_t code = json_integer_value(json_object_get(j, "error_code"));
        json_decref(j);
        if (rc == CURLE_OK && status == 404 && code == 40403) {
            return SGX_ERR_UNKNOWN_SCHEMA;
        }
        /* Never log the URL: it may carry credentials. */
        SGX_WARN("schema_cache", "registry lookup of schema id %u failed: %s (HTTP %ld)",
                 (unsigned)id, rc != CURLE_OK ? curl_easy_strerror(rc) : "bad status", status);
        return SGX_ERR_UNAVAILABLE;
    }
    sgx_err_t err = parse_reply(c, schema);
    if (err) {
        SGX_WARN("schema_cache", "registry schema id %u is not an Avro schema", (unsigned)id);
    }
    return err;
}

static sgx_err_t verdict(const entry_t *e, const sgx_projection_t **out)
{
    *out = e->proj;
    return e->verdict;
}

sgx_err_t sgx_schema_cache_get(sgx_schema_cache_t *c, uint32_t id, const sgx_projection_t **out)
{
    if (c->last && c->last->id == id) {
        return verdict(c->last, out);
    }
    entry_t *e = slot_for(c->tab, c->cap, id);
    if (e->used) {
        c->last = e;
        return verdict(e, out);
    }
    neg_t *neg = &c->neg[id % NEG_SLOTS];
    if (!c->url || (neg->used && neg->id == id && now_s() < neg->expires)) {
        return SGX_ERR_UNKNOWN_SCHEMA;
    }
    char *schema = NULL;
    sgx_err_t err = fetch(c, id, &schema);
    if (err == SGX_ERR_UNKNOWN_SCHEMA) {
        *neg = (neg_t){true, id, now_s() + SGX_SCHEMA_CACHE_NEGATIVE_TTL_S};
    }
    if (err && err != SGX_ERR_DECODE) {
        return err;
    }
    char errbuf[SGX_ERRBUF_SIZE] = "";
    sgx_projection_t *p = NULL;
    sgx_err_t perr = err ? err : sgx_projection_new(schema, strlen(schema),
                                                    c->has_map ? &c->map : NULL, &p, errbuf);
    if (perr && !err) {
        SGX_WARN("schema_cache", "schema id %u rejected: %s", (unsigned)id, errbuf);
    }
    sgx_free(schema);
    e = entry_put(c, id);
    e->proj = p;
    e->verdict = p ? SGX_OK : perr == SGX_ERR_MISSING_FIELD ? perr : SGX_ERR_DECODE;
    c->last = e;
    return verdict(e, out);
}
