/* The criteo connector descriptor. */
#ifndef SGX_CONNECTOR_CRITEO_H
#define SGX_CONNECTOR_CRITEO_H

#include "connectors/connector.h"

extern const sgx_connector_def_t sgx_connector_criteo;

#endif
