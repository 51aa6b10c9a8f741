/* The microsoft_ads connector descriptor. */
#ifndef SGX_CONNECTOR_MSADS_H
#define SGX_CONNECTOR_MSADS_H

#include "connectors/connector.h"

extern const sgx_connector_def_t sgx_connector_microsoft_ads;

#endif
