/* libFuzzer target: Confluent frame parse + projection decode, against the canonical schema and
 * a schema full of nested arrays, maps, unions and a recursive record. Any crash, overread,
 * UB or leak is a bug; errors are expected. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/avro_projection.h"
#include "codecs/wire.h"

static const char CANONICAL[] =
    "{\"type\":\"record\",\"name\":\"SegmentMembership\",\"namespace\":\"io.segexport\","
    "\"fields\":[{\"name\":\"profile_id\",\"type\":\"string\"},"
    "{\"name\":\"segment_id\",\"type\":\"string\"},"
    "{\"name\":\"op\",\"type\":{\"type\":\"enum\",\"name\":\"Op\",\"symbols\":[\"ENTER\","
    "\"EXIT\"]}},"
    "{\"name\":\"event_time\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"email\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"phone\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"first_name\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"date_of_birth\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":"
    "\"date\"}]},"
    "{\"name\":\"external_id\",\"type\":[\"null\",\"string\"]}]}";

static const char NESTED[] =
    "{\"type\":\"record\",\"name\":\"N\",\"fields\":["
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"map\",\"values\":"
    "[\"null\",\"int\",{\"type\":\"array\",\"items\":\"string\"}]}}},"
    "{\"name\":\"profile_id\",\"type\":[\"string\",\"null\"]},"
    "{\"name\":\"r\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"T\",\"fields\":["
    "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}},"
    "{\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"x\",\"type\":\"bytes\"},{\"name\":\"z\",\"type\":\"float\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"P\",\"Q\"]}},"
    "{\"name\":\"next\",\"type\":[\"null\",\"T\"]}]}]},"
    "{\"name\":\"segment_id\",\"type\":\"string\"},"
    "{\"name\":\"contact\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"C\",\"fields\":["
    "{\"name\":\"email\",\"type\":[\"null\",\"string\"]}]}]},"
    "{\"name\":\"op\",\"type\":\"string\"},"
    "{\"name\":\"nul\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}]}";

static sgx_projection_t *canonical, *nested;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    sgx_mapping_t map = {0};
    map.fields[SGX_F_EMAIL] = "contact.email";
    if (sgx_projection_new(CANONICAL, strlen(CANONICAL), NULL, &canonical, NULL) ||
        sgx_projection_new(NESTED, strlen(NESTED), &map, &nested, NULL)) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t id;
    size_t off;
    sgx_decoded_t d;
    if (sgx_wire_parse(data, size, &id, &off) != SGX_OK) {
        return 0;
    }
    /* the schema id's low bit picks the schema, as a registry lookup would */
    const sgx_projection_t *p = (id & 1) ? nested : canonical;
    if (sgx_projection_decode(p, data + off, size - off, &d) == SGX_OK) {
        /* every slice must lie inside the body */
        const sgx_slice_t *s[2] = {&d.profile_id, &d.segment_id};
        for (int i = 0; i < 2; i++) {
            if ((size_t)s[i]->off + s[i]->len > size - off) {
                abort();
            }
        }
        for (int f = 0; f < SGX_F__COUNT; f++) {
            if (sgx_decoded_has(&d, (sgx_field_t)f) && d.fields[f].off != SGX_SLICE_DOB_TEXT &&
                (size_t)d.fields[f].off + d.fields[f].len > size - off) {
                abort();
            }
        }
    }
    return 0;
}
