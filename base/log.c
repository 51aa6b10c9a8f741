#include "base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* The one piece of process state besides the connector registry: set once before threads. */
static atomic_int g_level = SGX_LOG_INFO;
static atomic_int g_format = SGX_LOG_TEXT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const level_tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void sgx_log_set_level(sgx_log_level_t level)
{
    atomic_store(&g_level, (int)level);
}

void sgx_log_set_format(sgx_log_format_t format)
{
    atomic_store(&g_format, (int)format);
}

int sgx_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

int sgx_log_format_parse(const char *name)
{
    return strcmp(name, "text") == 0 ? SGX_LOG_TEXT : strcmp(name, "json") == 0 ? SGX_LOG_JSON
                                                                                : -1;
}

bool sgx_log_enabled(sgx_log_level_t level)
{
    return (int)level <= atomic_load_explicit(&g_level, memory_order_relaxed);
}

/* Bounded writer: never overruns, remembers whether anything was cut. */
typedef struct {
    char *p;
    size_t cap, len;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    size_t room = o->cap - o->len;
    size_t k = n < room ? n : room;
    memcpy(o->p + o->len, s, k);
    o->len += k;
}

static void puts_(out_t *o, const char *s)
{
    put(o, s, strlen(s));
}

/* JSON string body: quotes, backslashes and control characters escaped; bytes outside ASCII
 * become '?' (messages are ASCII by design; a stray byte must not break the line's JSON). */
static void put_json_str(out_t *o, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(o, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(o, esc, 6);
        } else {
            esc[0] = c < 0x80 ? (char)c : '?';
            put(o, esc, 1);
        }
    }
}

static void put_num(out_t *o, long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    puts_(o, num);
}

static void render_json(out_t *o, const char *ts, sgx_log_level_t level, const char *component,
                        const sgx_log_field_t *fields, size_t nfields, const char *msg)
{
    puts_(o, "{\"ts\":\"");
    puts_(o, ts);
    puts_(o, "\",\"level\":\"");
    puts_(o, level_names[level]);
    puts_(o, "\",\"component\":\"");
    put_json_str(o, component);
    puts_(o, "\",\"msg\":\"");
    put_json_str(o, msg);
    puts_(o, "\"");
    for (size_t i = 0; i < nfields; i++) {
        puts_(o, ",\"");
        put_json_str(o, fields[i].key);
        puts_(o, "\":");
        if (fields[i].str) {
            puts_(o, "\"");
            put_json_str(o, fields[i].str);
            puts_(o, "\"");
        } else {
            put_num(o, fields[i].num);
        }
    }
}

static void render_text(out_t *o, const char *ts, sgx_log_level_t level, const char *component,
                        const sgx_log_field_t *fields, size_t nfields, const char *msg)
{
    char head[160];
    snprintf(head, sizeof head, "%s %-5s [%s] ", ts, level_tags[level], component);
    puts_(o, head);
    puts_(o, msg);
    for (size_t i = 0; i < nfields; i++) {
        puts_(o, " ");
        puts_(o, fields[i].key);
        puts_(o, "=");
        if (fields[i].str) {
            puts_(o, fields[i].str);
        } else {
            put_num(o, fields[i].num);
        }
    }
}

size_t sgx_log_render(char *line, size_t cap, sgx_log_format_t format, sgx_log_level_t level,
                      const struct timespec *ts, const char *component,
                      const sgx_log_field_t *fields, size_t nfields, const char *msg)
{
    /* Room kept back for the closing of a truncated line: `"}` or `…`, and the newline. */
    enum { TAIL = 8 };
    if (cap < 64) {
        line[0] = '\0';
        return 0;
    }
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    char stamp[48];
    size_t k = strftime(stamp, sizeof stamp - 6, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + k, sizeof stamp - k, ".%03dZ", (int)((ts->tv_nsec / 1000000L) % 1000));
    out_t o = {line, cap - TAIL, 0};
    if (format == SGX_LOG_JSON) {
        render_json(&o, stamp, level, component, fields, nfields, msg);
        if (o.len == o.cap) {
            /* Cut somewhere inside: a half field is not JSON, so the line becomes a short
             * record that says so (JSON lines must parse one by one). */
            o.len = 0;
            render_json(&o, stamp, level, component, NULL, 0, "(line too long, truncated)");
        }
        o.cap = cap - 1;
        puts_(&o, "}");
    } else {
        render_text(&o, stamp, level, component, fields, nfields, msg);
        o.cap = cap - 1;
    }
    put(&o, "\n", 1);
    line[o.len] = '\0';
    return o.len;
}

static void vlog(sgx_log_level_t level, const char *component, const sgx_log_field_t *fields,
                 size_t nfields, const char *fmt, va_list ap)
{
    char msg[1024];
    char line[4096];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = sgx_log_render(line, sizeof line, (sgx_log_format_t)atomic_load(&g_format),
                              level, &ts, component, fields, nfields, msg);
    /* One write per line keeps lines from different threads whole. */
    fwrite(line, 1, n, stderr);
}

void sgx_log(sgx_log_level_t level, const char *component, const char *fmt, ...)
{
    if (!sgx_log_enabled(level)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vlog(level, component, NULL, 0, fmt, ap);
    va_end(ap);
}

void sgx_log_fields(sgx_log_level_t level, const char *component, const sgx_log_field_t *fields,
                    size_t nfields, const char *fmt, ...)
{
    if (!sgx_log_enabled(level)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vlog(level, component, fields, nfields, fmt, ap);
    va_end(ap);
}
