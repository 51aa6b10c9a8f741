#include "config/yaml_tree.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "base/mem.h"

#define MAX_DEPTH 32

typedef struct {
    yaml_parser_t parser;
    char *errbuf;
} parse_state_t;

void sgx_yaml_free(sgx_yaml_t *node)
{
    if (!node) {
        return;
    }
    for (size_t i = 0; i < node->n; i++) {
        if (node->keys) {
            sgx_free(node->keys[i]);
        }
        sgx_yaml_free(node->items[i]);
    }
    sgx_free(node->keys);
    sgx_free(node->key_lines);
    sgx_free(node->items);
    sgx_free(node->scalar);
    sgx_free(node);
}

const sgx_yaml_t *sgx_yaml_get(const sgx_yaml_t *map, const char *key)
{
    if (!map || map->kind != SGX_YAML_MAP) {
        return NULL;
    }
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            return map->items[i];
        }
    }
    return NULL;
}

static void add_item(sgx_yaml_t *parent, char *key, int key_line, sgx_yaml_t *child)
{
    parent->items = sgx_realloc(parent->items, (parent->n + 1) * sizeof *parent->items);
    if (parent->kind == SGX_YAML_MAP) {
        parent->keys = sgx_realloc(parent->keys, (parent->n + 1) * sizeof *parent->keys);
        parent->key_lines =
            sgx_realloc(parent->key_lines, (parent->n + 1) * sizeof *parent->key_lines);
        parent->keys[parent->n] = key;
        parent->key_lines[parent->n] = key_line;
    }
    parent->items[parent->n++] = child;
}

static sgx_err_t next_event(parse_state_t *st, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&st->parser, ev)) {
        snprintf(st->errbuf, SGX_ERRBUF_SIZE, "line %zu: %s", st->parser.problem_mark.line + 1,
                 st->parser.problem ? st->parser.problem : "YAML syntax error");
        return SGX_ERR_CONFIG;
    }
    return SGX_OK;
}

static sgx_err_t parse_node(parse_state_t *st, yaml_event_t *ev, int depth, sgx_yaml_t **out);

/* YAML 1.2 requires unique keys, but libyaml does not check: refuse a repeated key rather than
 * let "first wins" (sgx_yaml_get) silently ignore what the operator wrote last. */
static sgx_err_t check_duplicate(parse_state_t *st, const sgx_yaml_t *map, const char *key,
                                 int key_line)
{
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            snprintf(st->errbuf, SGX_ERRBUF_SIZE, "line %d: duplicate key '%.64s' (first at line %d)",
                     key_line, key, map->key_lines[i]);
            return SGX_ERR_CONFIG;
        }
    }
    return SGX_OK;
}

/* Reads children until the closing event of a map or sequence. */
static sgx_err_t parse_children(parse_state_t *st, sgx_yaml_t *node, int depth)
{
    yaml_event_type_t end =
        node->kind == SGX_YAML_MAP ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    for (;;) {
        yaml_event_t ev;
        char *key = NULL;
        int key_line = 0;
        sgx_yaml_t *child = NULL;
        if (next_event(st, &ev)) {
            return SGX_ERR_CONFIG;
        }
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return SGX_OK;
        }
        if (node->kind == SGX_YAML_MAP) {
            if (ev.type != YAML_SCALAR_EVENT) {
                snprintf(st->errbuf, SGX_ERRBUF_SIZE, "line %zu: map keys must be plain text",
                         ev.start_mark.line + 1);
                yaml_event_delete(&ev);
                return SGX_ERR_CONFIG;
            }
            key = sgx_strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            key_line = (int)ev.start_mark.line + 1;
            yaml_event_delete(&ev);
            if (next_event(st, &ev)) {
                sgx_free(key);
                return SGX_ERR_CONFIG;
            }
        }
        sgx_err_t err = parse_node(st, &ev, depth + 1, &child);
        if (!err && key && (err = check_duplicate(st, node, key, key_line)) != SGX_OK) {
            sgx_yaml_free(child);
        }
        if (err) {
            sgx_free(key);
            return err;
        }
        add_item(node, key, key_line, child);
    }
}

/* Consumes ev (always deleted). */
static sgx_err_t parse_node(parse_state_t *st, yaml_event_t *ev, int depth, sgx_yaml_t **out)
{
    sgx_err_t err = SGX_OK;
    sgx_yaml_t *node = sgx_calloc(1, sizeof *node);
    node->line = (int)ev->start_mark.line + 1;
    if (depth > MAX_DEPTH) {
        snprintf(st->errbuf, SGX_ERRBUF_SIZE, "line %d: nesting too deep", node->line);
        err = SGX_ERR_CONFIG;
    } else if (ev->type == YAML_SCALAR_EVENT) {
        node->kind = SGX_YAML_SCALAR;
        node->scalar = sgx_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
    } else if (ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT) {
        node->kind = ev->type == YAML_MAPPING_START_EVENT ? SGX_YAML_MAP : SGX_YAML_SEQ;
        err = parse_children(st, node, depth);
    } else {
        snprintf(st->errbuf, SGX_ERRBUF_SIZE, "line %d: aliases are not supported", node->line);
        err = SGX_ERR_CONFIG;
    }
    yaml_event_delete(ev);
    if (err) {
        sgx_yaml_free(node);
        return err;
    }
    *out = node;
    return SGX_OK;
}

sgx_err_t sgx_yaml_parse(const char *text, size_t len, sgx_yaml_t **out, char *errbuf)
{
    parse_state_t st = {.errbuf = errbuf};
    sgx_err_t err = SGX_ERR_CONFIG;
    sgx_yaml_t *root = NULL;
    yaml_event_t ev;
    yaml_parser_initialize(&st.parser);
    yaml_parser_set_input_string(&st.parser, (const unsigned char *)text, len);
    /* STREAM-START, then DOCUMENT-START (or STREAM-END for an empty file). */
    for (;;) {
        if (next_event(&st, &ev)) {
            goto out;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            snprintf(errbuf, SGX_ERRBUF_SIZE, "the file is empty");
            goto out;
        }
        break;
    }
    err = parse_node(&st, &ev, 0, &root);
    if (!err && root->kind != SGX_YAML_MAP) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "line %d: the top level must be a map", root->line);
        err = SGX_ERR_CONFIG;
    }
out:
    yaml_parser_delete(&st.parser);
    if (err) {
        sgx_yaml_free(root);
        return err;
    }
    *out = root;
    return SGX_OK;
}
