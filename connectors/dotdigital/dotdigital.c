/* Scaffolding: registered so configs name it, refused at init until the connector lands. */
#include <stdio.h>

#include "connectors/dotdigital/dotdigital.h"

static sgx_err_t scaffold_init(const sgx_dest_settings_t *settings, void **ctx_out, char *errbuf)
{
    (void)settings;
    *ctx_out = NULL;
    snprintf(errbuf, SGX_ERRBUF_SIZE, "the dotdigital connector is not available yet");
    return SGX_ERR_UNSUPPORTED;
}

static const sgx_config_key_t keys[] = {{NULL, SGX_CFG_STRING, NULL, NULL}};

const sgx_connector_def_t sgx_connector_dotdigital = {
    .abi_version = SGX_CONNECTOR_ABI,
    .name = "dotdigital",
    .description = "not available yet",
    .kind = SGX_DEST_FACEBOOK,
    .config_keys = keys,
    .init = scaffold_init,
};
