#include "codecs/event.h"

#include <string.h>

static const char *const field_names[SGX_F__COUNT] = {
    "email", "phone",   "first_name",  "last_name", "gender",               "date_of_birth",
    "city",  "state",   "postal_code", "country",   "mobile_advertiser_id", "external_id",
};

const char *sgx_field_name(sgx_field_t f)
{
    return ((unsigned)f < SGX_F__COUNT) ? field_names[f] : NULL;
}

int sgx_field_parse(const char *name)
{
    for (int i = 0; i < SGX_F__COUNT; i++) {
        if (strcmp(field_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}
