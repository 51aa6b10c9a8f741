/* A destination at run time: its config, connector and connector context. Built before
 * threads start and read-only afterwards (the connector ctx is only read by pure callbacks). */
#ifndef SGX_DEST_H
#define SGX_DEST_H

#include "config/config.h"

typedef struct {
    const sgx_dest_config_t *cfg;    /* borrowed */
    const sgx_connector_def_t *def;  /* borrowed, static */
    void *ctx;                       /* owned, freed with def->destroy */
    const sgx_key_t *keys;           /* borrowed from ctx */
    size_t nkeys;
    uint32_t plain_keys;             /* bit per sgx_key_t the connector wants as text */
} sgx_dest_t;

#endif
