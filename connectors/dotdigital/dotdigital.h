/* The dotdigital connector descriptor. */
#ifndef SGX_CONNECTOR_DOTDIGITAL_H
#define SGX_CONNECTOR_DOTDIGITAL_H

#include "connectors/connector.h"

extern const sgx_connector_def_t sgx_connector_dotdigital;

#endif
