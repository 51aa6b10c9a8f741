/* Dotdigital emulator server: lifecycle, libmicrohttpd glue, auth, region, inspection endpoints
 * and the `segexport-emulator dotdigital` command. The rate limits and injected faults are in
 * dotdigital_limits.c, the v2 endpoints in dotdigital_api.c, the import file in
 * dotdigital_upload.c. */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/mem.h"
#include "emulators/dotdigital_priv.h"
#include "emulators/emu_common.h"

#define DD_DEFAULT_USER "apiuser-test@apiconnector.com"
#define DD_DEFAULT_PASSWORD "test-password"

static enum MHD_Result send_reply(struct MHD_Connection *conn, dd_reply_t *r)
{
    char *text = r->json ? json_dumps(r->json, JSON_COMPACT) : r->text;
    const char *ctype = r->json ? "application/json" : (r->ctype ? r->ctype : "text/plain");
    size_t len = text ? strlen(text) : 0;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, text ? text : (char *)"", MHD_RESPMEM_MUST_COPY);
    if (r->json) {
        free(text); /* jansson allocates with malloc */
    }
    json_decref(r->json);
    sgx_free(r->text);
    if (!resp) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    for (int i = 0; i < r->nh; i++) {
        MHD_add_response_header(resp, r->hname[i], r->hval[i]);
    }
    enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* HTTP Basic: "Basic base64(user:password)" must match exactly. */
static bool authorized(const sgx_emu_dd_t *e, struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Basic ", 6) != 0) {
        return false;
    }
    const char *b64 = h + 6;
    size_t n = strlen(b64);
    if (n == 0 || n % 4 || n > 1024) {
        return false;
    }
    unsigned char plain[1024];
    int got = EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)n);
    if (got < 0) {
        return false;
    }
    size_t len = (size_t)got - (b64[n - 1] == '=') - (b64[n - 2] == '=');
    return len == strlen(e->auth) && memcmp(plain, e->auth, len) == 0;
}

/* The account lives in one region: a Host naming another one is refused, as a client pointed
 * at the wrong regional host would be. */
static bool right_region(const sgx_emu_dd_t *e, struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    size_t n = h ? strcspn(h, ":") : 0;
    return n == strlen(e->host) && strncasecmp(h, e->host, n) == 0;
}

static enum MHD_Result serve_api(sgx_emu_dd_t *e, struct MHD_Connection *conn,
                                 const char *method, const sgx_emu_path_t *path,
                                 const sgx_emu_body_t *body)
{
    dd_reply_t r;
    memset(&r, 0, sizeof r);
    if (!authorized(e, conn)) {
        sgx_emu_dd_error(&r, 401, "Authorization has been denied for this request.");
        sgx_emu_dd_add_header(&r, "WWW-Authenticate", "%s", "Basic realm=\"apiconnector\"");
    } else if (!right_region(e, conn)) {
        /* "you cannot use an API endpoint belonging to a different region, and instead will
         * receive a 403 - Forbidden: Access is denied error"
         * (https://developer.dotdigital.com/docs/api-end-points): no ERROR_ code. */
        sgx_emu_dd_error(&r, 403, "Forbidden: Access is denied.");
    } else if (!sgx_emu_dd_limits(e, &r)) {
        sgx_emu_dd_api(e, conn, method, path, body, &r);
    }
    pthread_mutex_lock(&e->mu);
    e->stats.requests++;
    if (r.status >= 400 && r.status < 500 && r.status != 429) {
        e->stats.rejected_4xx++;
    }
    pthread_mutex_unlock(&e->mu);
    return send_reply(conn, &r);
}

json_t *sgx_emu_dd_audience(sgx_emu_dd_t *e, const char *id)
{
    pthread_mutex_lock(&e->mu);
    json_t *book = json_object_get(e->books, id);
    json_t *out = book ? json_pack("{s:s, s:I, s:o}", "id", id, "count",
                                   (json_int_t)json_object_size(book), "members",
                                   sgx_emu_sorted_keys_json(book))
                       : NULL;
    pthread_mutex_unlock(&e->mu);
    return out;
}

static json_t *stats_json(sgx_emu_dd_t *e)
{
    sgx_emu_dd_stats_t s;
    sgx_emu_dd_stats(e, &s);
    const sgx_emu_counter_t f[] = {
        {"requests", s.requests},         {"imports", s.imports},
        {"import_polls", s.import_polls}, {"rows_imported", s.rows_imported},
        {"rows_faulted", s.rows_faulted}, {"lookups", s.lookups},
        {"deletes", s.deletes},           {"contacts_removed", s.contacts_removed},
        {"throttled", s.throttled},       {"failed_5xx", s.failed_5xx},
        {"rejected_4xx", s.rejected_4xx}, {"max_active_imports", s.max_active_imports},
        {"book_pages", s.book_pages},     {"usage_capped", s.usage_capped}};
    return SGX_EMU_COUNTERS_JSON(f);
}

static void admin_post(sgx_emu_dd_t *e, const char *what, const json_t *req, dd_reply_t *r)
{
    const char *kind = json_string_value(json_object_get(req, "kind"));
    int count = (int)json_integer_value(json_object_get(req, "count"));
    int param = (int)json_integer_value(json_object_get(req, "param"));
    if (strcmp(what, "audiences") == 0) {
        const char *id = json_string_value(json_object_get(req, "id"));
        if (!id || !*id) {
            sgx_emu_dd_error(r, 400, "expected {\"id\":\"...\"}");
            return;
        }
        sgx_emu_dd_add_address_book(e, id);
        r->status = 200;
        r->json = json_pack("{s:s}", "id", id);
    } else if (strcmp(what, "faults") == 0 && kind && strcmp(kind, "import_failure") == 0) {
        const char *st = json_string_value(json_object_get(req, "status"));
        sgx_emu_dd_fail_next_import(e, st ? st : "Failed");
        r->status = 200;
        r->json = json_pack("{s:b}", "ok", 1);
    } else if (strcmp(what, "faults") == 0 && kind &&
               (strcmp(kind, "throttle") == 0 || strcmp(kind, "5xx") == 0)) {
        sgx_emu_dd_inject(e, strcmp(kind, "5xx") == 0 ? SGX_EMU_DD_FAULT_5XX
                                                      : SGX_EMU_DD_FAULT_THROTTLE,
                          count, param);
        r->status = 200;
        r->json = json_pack("{s:b}", "ok", 1);
    } else {
        sgx_emu_dd_error(r, 404, "no such emulator endpoint");
    }
}

static enum MHD_Result serve_admin(sgx_emu_dd_t *e, struct MHD_Connection *conn,
                                   const char *method, const sgx_emu_path_t *path,
                                   const sgx_emu_body_t *body)
{
    dd_reply_t r;
    memset(&r, 0, sizeof r);
    const char *what = path->n > 1 ? path->seg[1] : "";
    if (strcmp(method, "GET") == 0 && path->n == 3 && strcmp(what, "audiences") == 0) {
        r.json = sgx_emu_dd_audience(e, path->seg[2]);
        r.status = r.json ? 200 : 404;
        if (!r.json) {
            sgx_emu_dd_error(&r, 404, "unknown address book");
        }
    } else if (strcmp(method, "GET") == 0 && path->n == 2 && strcmp(what, "stats") == 0) {
        r.status = 200;
        r.json = stats_json(e);
    } else if (strcmp(method, "POST") == 0 && path->n == 2 && !body->overflow) {
        json_t *req = sgx_emu_body_json(body);
        if (json_is_object(req)) {
            admin_post(e, what, req, &r);
        } else {
            sgx_emu_dd_error(&r, 400, "expected a JSON object");
        }
        json_decref(req);
    } else {
        sgx_emu_dd_error(&r, 404, "no such emulator endpoint");
    }
    return send_reply(conn, &r);
}

static enum MHD_Result dd_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    sgx_emu_dd_t *e = cls;
    (void)version;
    /* base64 JSON is 4/3 of the file; the envelope adds little. */
    sgx_emu_body_t *body = sgx_emu_collect(con_cls, e->max_file / 3 * 4 + (1u << 16), upload_data, upload_data_size);
    if (!body) {
        return MHD_YES;
    }
    sgx_emu_path_t path;
    bool fits = sgx_emu_path_split(url, &path) == SGX_OK;
    enum MHD_Result ret;
    if (fits && path.n > 0 && strcmp(path.seg[0], "_emulator") == 0) {
        ret = serve_admin(e, conn, method, &path, body);
    } else {
        ret = serve_api(e, conn, method, &path, body);
    }
    sgx_emu_path_free(&path);
    return ret;
}

sgx_err_t sgx_emu_dd_start(const sgx_emu_dd_opts_t *o, sgx_emu_dd_t **out)
{
    *out = NULL;
    const char *region = o->region ? o->region : "r1";
    if (strlen(region) != 2 || region[0] != 'r' || region[1] < '1' || region[1] > '3') {
        return SGX_ERR_CONFIG;
    }
    sgx_emu_dd_t *e = sgx_calloc(1, sizeof *e);
    const char *user = o->api_user ? o->api_user : DD_DEFAULT_USER;
    const char *pw = o->api_password ? o->api_password : DD_DEFAULT_PASSWORD;
    size_t n = strlen(user) + strlen(pw) + 2;
    e->auth = sgx_malloc(n);
    snprintf(e->auth, n, "%s:%s", user, pw);
    snprintf(e->region, sizeof e->region, "%s", region);
    snprintf(e->host, sizeof e->host, "%s-api.dotdigital.com", region);
    e->import_steps = o->import_steps > 0 ? o->import_steps : 0;
    e->max_imports = o->max_concurrent_imports > 0 ? o->max_concurrent_imports : 25;
    e->max_file = o->max_file_bytes ? o->max_file_bytes : (size_t)50 << 20;
    e->rate_limit = o->rate_limit_per_min;
    e->rate_window_s = o->rate_window_s > 0 ? o->rate_window_s : 60;
    e->allowance = o->hourly_allowance > 0 ? o->hourly_allowance : 0;
    e->allowance_window_s = o->allowance_window_s > 0 ? o->allowance_window_s : 3600;
    e->calls = e->allowance ? sgx_calloc((size_t)e->allowance, sizeof *e->calls) : NULL;
    if (o->suppressed_domain && *o->suppressed_domain) {
        size_t dl = strlen(o->suppressed_domain) + 2;
        e->suppressed = sgx_malloc(dl);
        snprintf(e->suppressed, dl, "@%s", o->suppressed_domain);
        for (char *c = e->suppressed; *c; c++) {
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        }
    }
    e->books = json_object();
    e->contacts = json_object();
    e->by_id = json_object();
    pthread_mutex_init(&e->mu, NULL);
    sgx_err_t err = sgx_emu_server_start(o->listen_host, o->port, dd_access, e, &e->mhd, &e->port);
    if (err) {
        sgx_emu_dd_stop(e);
        return err;
    }
    *out = e;
    return SGX_OK;
}

uint16_t sgx_emu_dd_port(const sgx_emu_dd_t *e)
{
    return e->port;
}

void sgx_emu_dd_stop(sgx_emu_dd_t *e)
{
    if (!e) {
        return;
    }
    if (e->mhd) {
        MHD_stop_daemon(e->mhd);
    }
    for (size_t i = 0; i < e->nimports; i++) {
        sgx_emu_dd_import_free(&e->imports[i]);
    }
    sgx_free(e->imports);
    json_decref(e->books);
    json_decref(e->contacts);
    json_decref(e->by_id);
    pthread_mutex_destroy(&e->mu);
    sgx_free(e->auth);
    sgx_free(e->suppressed);
    sgx_free(e->calls);
    sgx_free(e);
}

void sgx_emu_dd_add_address_book(sgx_emu_dd_t *e, const char *id)
{
    pthread_mutex_lock(&e->mu);
    if (!json_object_get(e->books, id)) {
        json_object_set_new(e->books, id, json_object());
    }
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_dd_inject(sgx_emu_dd_t *e, sgx_emu_dd_fault_kind_t kind, int count, int param)
{
    pthread_mutex_lock(&e->mu);
    e->fault_kind = kind;
    e->fault_count = count;
    e->fault_param = param;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_dd_stall_imports(sgx_emu_dd_t *e, bool stall)
{
    pthread_mutex_lock(&e->mu);
    if (e->stall && !stall) {
        sgx_emu_dd_finish_imports_locked(e);
    }
    e->stall = stall;
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_dd_fail_next_import(sgx_emu_dd_t *e, const char *status)
{
    pthread_mutex_lock(&e->mu);
    snprintf(e->fail_next, sizeof e->fail_next, "%s", status);
    pthread_mutex_unlock(&e->mu);
}

void sgx_emu_dd_stats(sgx_emu_dd_t *e, sgx_emu_dd_stats_t *out)
{
    pthread_mutex_lock(&e->mu);
    *out = e->stats;
    pthread_mutex_unlock(&e->mu);
}

/* ---- segexport-emulator dotdigital ------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: segexport-emulator dotdigital --listen HOST:PORT [--api-user U] "
                    "[--api-password P] [--region r1|r2|r3] [--address-books id1,id2] "
                    "[--import-steps N] [--rate-limit N] [--rate-window S] [--hourly-allowance N] "
                    "[--allowance-window S] "
                    "[--suppressed-domain D]\n");
}

static void add_book_cb(void *e, const char *id)
{
    sgx_emu_dd_add_address_book(e, id);
}

int sgx_emu_dotdigital_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},       {"api-user", required_argument, NULL, 'u'},
        {"api-password", required_argument, NULL, 'p'}, {"region", required_argument, NULL, 'r'},
        {"address-books", required_argument, NULL, 'a'},
        {"import-steps", required_argument, NULL, 's'}, {"rate-limit", required_argument, NULL, 'L'},
        {"suppressed-domain", required_argument, NULL, 'd'},
        {"hourly-allowance", required_argument, NULL, 'H'},
        {"rate-window", required_argument, NULL, 'w'},
        {"allowance-window", required_argument, NULL, 'W'}, {NULL, 0, NULL, 0}};
    sgx_emu_dd_opts_t o = {.import_steps = 1};
    char host[64] = "127.0.0.1";
    const char *books = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (sgx_emu_parse_listen(optarg, host, sizeof host, &o.port)) {
                usage();
                return 2;
            }
            break;
        case 'u': o.api_user = optarg; break;
        case 'p': o.api_password = optarg; break;
        case 'r': o.region = optarg; break;
        case 'a': books = optarg; break;
        case 's': o.import_steps = atoi(optarg); break;
        case 'L': o.rate_limit_per_min = atoi(optarg); break;
        case 'd': o.suppressed_domain = optarg; break;
        case 'H': o.hourly_allowance = atoi(optarg); break;
        case 'w': o.rate_window_s = atoi(optarg); break;
        case 'W': o.allowance_window_s = atoi(optarg); break;
        default: usage(); return 2;
        }
    }
    o.listen_host = host;
    sigset_t set;
    sgx_emu_block_signals(&set);
    sgx_emu_dd_t *e = NULL;
    sgx_err_t err = sgx_emu_dd_start(&o, &e);
    if (err) {
        fprintf(stderr, "segexport-emulator: cannot start dotdigital on %s:%u: %s\n", host,
                o.port, sgx_err_str(err));
        return 1;
    }
    sgx_emu_for_each_csv(books, add_book_cb, e);
    sgx_emu_serve_until_signal(host, sgx_emu_dd_port(e), &set);
    sgx_emu_dd_stop(e);
    return 0;
}
