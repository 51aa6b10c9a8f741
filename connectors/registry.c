#include "connectors/registry.h"

#include <string.h>

#include "connectors/criteo/criteo.h"
#include "connectors/dotdigital/dotdigital.h"
#include "connectors/facebook/fb.h"
#include "connectors/microsoft_ads/msads.h"

static const sgx_connector_def_t *const connectors[] = {
    &sgx_connector_facebook,
    &sgx_connector_microsoft_ads,
    &sgx_connector_criteo,
    &sgx_connector_dotdigital,
};

const sgx_connector_def_t *sgx_registry_at(size_t i)
{
    return i < sizeof connectors / sizeof connectors[0] ? connectors[i] : NULL;
}

const sgx_connector_def_t *sgx_registry_find(const char *name)
{
    for (size_t i = 0; sgx_registry_at(i); i++) {
        if (strcmp(connectors[i]->name, name) == 0) {
            return connectors[i];
        }
    }
    return NULL;
}
