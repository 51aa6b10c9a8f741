#include "codecs/schema_canonical.h"

#include "segment_membership_avsc.h"

const char *sgx_schema_canonical(void)
{
    return sgx_avsc_text;
}
