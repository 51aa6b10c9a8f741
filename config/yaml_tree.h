/* A small document tree built from libyaml events, so config.c can look values up by path
 * instead of driving a streaming parser. Configuration files are tiny; simplicity wins. */
#ifndef SGX_YAML_TREE_H
#define SGX_YAML_TREE_H

#include <stddef.h>

#include "base/err.h"

typedef enum { SGX_YAML_SCALAR, SGX_YAML_MAP, SGX_YAML_SEQ } sgx_yaml_kind_t;

typedef struct sgx_yaml {
    sgx_yaml_kind_t kind;
    char *scalar;             /* SCALAR: owned text */
    size_t n;                 /* MAP: pairs; SEQ: items */
    char **keys;              /* MAP: owned keys */
    int *key_lines;           /* MAP: 1-based line of each key */
    struct sgx_yaml **items;  /* MAP values / SEQ items, owned */
    int line;                 /* 1-based, for error messages */
} sgx_yaml_t;

/**
 * @brief Parses YAML text (one document). Aliases and tags are refused: config stays literal.
 * @param out owned on success; free with sgx_yaml_free.
 * @param errbuf receives "line N: what" on failure.
 */
sgx_err_t sgx_yaml_parse(const char *text, size_t len, sgx_yaml_t **out, char *errbuf);

/** @brief Frees a tree. NULL-safe. */
void sgx_yaml_free(sgx_yaml_t *node);

/** @returns the value under key in a MAP node (borrowed), or NULL. */
const sgx_yaml_t *sgx_yaml_get(const sgx_yaml_t *map, const char *key);

#endif
