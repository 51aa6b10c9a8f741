#include "emulators/registry.h"

#include <arpa/inet.h>
#include <avro.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"

#define CTYPE "application/vnd.schemaregistry.v1+json"
#define MAX_BODY (1u << 20)

typedef struct {
    char *text;  /* owned: as first registered */
    char *canon; /* owned: compact, sorted-keys JSON, the identity of the schema */
} schema_t;

typedef struct {
    char *name;    /* owned */
    uint32_t *ids; /* owned: version v is ids[v - 1] */
    size_t n;
} subject_t;

struct sgx_emu_registry {
    struct MHD_Daemon *daemon;
    pthread_mutex_t mu; /* guards schemas and subjects */
    schema_t *schemas;  /* id = index + 1 */
    size_t nschemas;
    subject_t *subjects;
    size_t nsubjects;
    atomic_size_t requests;
};

typedef struct {
    sgx_buf_t body;
    int overflow;
} conn_t;

static char *canonical(const char *json)
{
    json_t *j = json_loads(json, JSON_DECODE_ANY, NULL);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return s;
}

static subject_t *find_subject(sgx_emu_registry_t *r, const char *name, int create)
{
    for (size_t i = 0; i < r->nsubjects; i++) {
        if (strcmp(r->subjects[i].name, name) == 0) {
            return &r->subjects[i];
        }
    }
    if (!create) {
        return NULL;
    }
    r->subjects = sgx_realloc(r->subjects, (r->nsubjects + 1) * sizeof *r->subjects);
    r->subjects[r->nsubjects] = (subject_t){sgx_strdup(name), NULL, 0};
    return &r->subjects[r->nsubjects++];
}

/* Id of an already registered schema, or 0. Caller holds mu. */
static uint32_t find_schema(const sgx_emu_registry_t *r, const char *canon)
{
    for (size_t i = 0; i < r->nschemas; i++) {
        if (strcmp(r->schemas[i].canon, canon) == 0) {
            return (uint32_t)(i + 1);
        }
    }
    return 0;
}

sgx_err_t sgx_emu_registry_register(sgx_emu_registry_t *r, const char *subject,
                                    const char *schema_json, uint32_t *id)
{
    avro_schema_t s = NULL;
    char *canon = canonical(schema_json);
    if (!canon || avro_schema_from_json_length(schema_json, strlen(schema_json), &s)) {
        free(canon);
        return SGX_ERR_DECODE;
    }
    avro_schema_decref(s);
    pthread_mutex_lock(&r->mu);
    uint32_t found = find_schema(r, canon);
    if (!found) {
        r->schemas = sgx_realloc(r->schemas, (r->nschemas + 1) * sizeof *r->schemas);
        r->schemas[r->nschemas++] = (schema_t){sgx_strdup(schema_json), canon};
        found = (uint32_t)r->nschemas;
        canon = NULL;
    }
    subject_t *sub = find_subject(r, subject, 1);
    size_t v = 0;
    while (v < sub->n && sub->ids[v] != found) {
        v++;
    }
    if (v == sub->n) {
        sub->ids = sgx_realloc(sub->ids, (sub->n + 1) * sizeof *sub->ids);
        sub->ids[sub->n++] = found;
    }
    pthread_mutex_unlock(&r->mu);
    free(canon);
    *id = found;
    return SGX_OK;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(body);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CTYPE);
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, int code,
                                   const char *msg)
{
    return reply(conn, status, json_pack("{s:i, s:s}", "error_code", code, "message", msg));
}

static json_t *subject_version(const sgx_emu_registry_t *r, const subject_t *sub, size_t v)
{
    uint32_t id = sub->ids[v];
    return json_pack("{s:s, s:i, s:i, s:s}", "subject", sub->name, "id", (int)id, "version",
                     (int)(v + 1), "schema", r->schemas[id - 1].text);
}

/* POST /subjects/{s}/versions (register) and POST /subjects/{s} (lookup). */
static enum MHD_Result post_subject(sgx_emu_registry_t *r, struct MHD_Connection *conn,
                                    const char *subject, int do_register, const conn_t *cc)
{
    json_t *req = json_loadb(cc->body.data ? cc->body.data : "", cc->body.len, 0, NULL);
    const char *schema = json_string_value(json_object_get(req, "schema"));
    const char *type = json_string_value(json_object_get(req, "schemaType"));
    enum MHD_Result rc;
    uint32_t id;
    if (!schema || (type && strcmp(type, "AVRO") != 0)) {
        rc = reply_error(conn, 422, 42201, "Invalid schema");
    } else if (do_register) {
        rc = sgx_emu_registry_register(r, subject, schema, &id)
                 ? reply_error(conn, 422, 42201, "Invalid schema")
                 : reply(conn, 200, json_pack("{s:i}", "id", (int)id));
    } else {
        char *canon = canonical(schema);
        pthread_mutex_lock(&r->mu);
        const subject_t *sub = find_subject(r, subject, 0);
        id = canon ? find_schema(r, canon) : 0;
        size_t v = 0;
        while (sub && v < sub->n && sub->ids[v] != id) {
            v++;
        }
        json_t *body = (sub && v < sub->n) ? subject_version(r, sub, v) : NULL;
        pthread_mutex_unlock(&r->mu);
        free(canon);
        rc = body ? reply(conn, 200, body)
             : sub ? reply_error(conn, 404, 40403, "Schema not found")
                   : reply_error(conn, 404, 40401, "Subject not found");
    }
    json_decref(req);
    return rc;
}

static enum MHD_Result get_subjects(sgx_emu_registry_t *r, struct MHD_Connection *conn,
                                    const char *subject, const char *what)
{
    pthread_mutex_lock(&r->mu);
    json_t *body = NULL;
    const subject_t *sub = subject ? find_subject(r, subject, 0) : NULL;
    if (!subject) {
        body = json_array();
        for (size_t i = 0; i < r->nsubjects; i++) {
            json_array_append_new(body, json_string(r->subjects[i].name));
        }
    } else if (sub && sub->n && strcmp(what, "latest") == 0) {
        body = subject_version(r, sub, sub->n - 1);
    } else if (sub && strcmp(what, "versions") == 0) {
        body = json_array();
        for (size_t v = 0; v < sub->n; v++) {
            json_array_append_new(body, json_integer((json_int_t)v + 1));
        }
    }
    pthread_mutex_unlock(&r->mu);
    return body ? reply(conn, 200, body) : reply_error(conn, 404, 40401, "Subject not found");
}

static enum MHD_Result get_schema(sgx_emu_registry_t *r, struct MHD_Connection *conn,
                                  const char *id_text)
{
    char *end;
    unsigned long id = strtoul(id_text, &end, 10);
    json_t *body = NULL;
    pthread_mutex_lock(&r->mu);
    if (*end == '\0' && id >= 1 && id <= r->nschemas) {
        body = json_pack("{s:s}", "schema", r->schemas[id - 1].text);
    }
    pthread_mutex_unlock(&r->mu);
    return body ? reply(conn, 200, body) : reply_error(conn, 404, 40403, "Schema not found");
}

static enum MHD_Result route(sgx_emu_registry_t *r, struct MHD_Connection *conn,
                             const char *method, const char *url, const conn_t *cc)
{
    char path[512], *seg[5] = {0};
    int n = 0;
    snprintf(path, sizeof path, "%s", url);
    for (char *save = NULL, *t = strtok_r(path, "/", &save); t && n < 5;
         t = strtok_r(NULL, "/", &save)) {
        seg[n++] = t;
    }
    int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (get && n == 3 && strcmp(seg[0], "schemas") == 0 && strcmp(seg[1], "ids") == 0) {
        return get_schema(r, conn, seg[2]);
    }
    if (n >= 1 && strcmp(seg[0], "subjects") == 0) {
        if (get && n == 1) {
            return get_subjects(r, conn, NULL, NULL);
        }
        if (get && n == 3 && strcmp(seg[2], "versions") == 0) {
            return get_subjects(r, conn, seg[1], "versions");
        }
        if (get && n == 4 && strcmp(seg[2], "versions") == 0) {
            return get_subjects(r, conn, seg[1], seg[3]);
        }
        if (post && (n == 2 || (n == 3 && strcmp(seg[2], "versions") == 0))) {
            return post_subject(r, conn, seg[1], n == 3, cc);
        }
    }
    return reply_error(conn, 404, 404, "HTTP 404 Not Found");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)version;
    sgx_emu_registry_t *r = cls;
    conn_t *cc = *con_cls;
    if (!cc) { /* first call: headers only */
        *con_cls = sgx_calloc(1, sizeof(conn_t));
        return MHD_YES;
    }
    if (*upload_size) {
        if (cc->body.len + *upload_size > MAX_BODY) {
            cc->overflow = 1;
        } else {
            sgx_buf_append(&cc->body, upload, *upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&r->requests, 1);
    if (cc->overflow) {
        return reply_error(conn, 413, 413, "Request too large");
    }
    return route(r, conn, method, url, cc);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)conn, (void)code;
    conn_t *cc = *con_cls;
    if (cc) {
        sgx_buf_free(&cc->body);
        sgx_free(cc);
        *con_cls = NULL;
    }
}

sgx_err_t sgx_emu_registry_start(const char *host, uint16_t port, sgx_emu_registry_t **out)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host ? host : "127.0.0.1", &addr.sin_addr) != 1) {
        return SGX_ERR_INVALID;
    }
    sgx_emu_registry_t *r = sgx_calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, port, NULL, NULL, handler, r,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!r->daemon) {
        sgx_emu_registry_stop(r);
        return SGX_ERR_IO;
    }
    *out = r;
    return SGX_OK;
}

uint16_t sgx_emu_registry_port(const sgx_emu_registry_t *r)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

size_t sgx_emu_registry_requests(const sgx_emu_registry_t *r)
{
    return atomic_load(&((sgx_emu_registry_t *)r)->requests);
}

void sgx_emu_registry_stop(sgx_emu_registry_t *r)
{
    if (!r) {
        return;
    }
    if (r->daemon) {
        MHD_stop_daemon(r->daemon);
    }
    for (size_t i = 0; i < r->nschemas; i++) {
        free(r->schemas[i].text);
        free(r->schemas[i].canon);
    }
    for (size_t i = 0; i < r->nsubjects; i++) {
        free(r->subjects[i].name);
        free(r->subjects[i].ids);
    }
    free(r->schemas);
    free(r->subjects);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
