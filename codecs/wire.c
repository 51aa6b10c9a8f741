#include "codecs/wire.h"

sgx_err_t sgx_wire_parse(const uint8_t *buf, size_t len, uint32_t *schema_id, size_t *body_off)
{
    if (len < SGX_WIRE_HEADER_LEN || !buf) {
        return SGX_ERR_TRUNCATED;
    }
    if (buf[0] != 0) {
        return SGX_ERR_BAD_MAGIC;
    }
    *schema_id = ((uint32_t)buf[1] << 24) | ((uint32_t)buf[2] << 16) | ((uint32_t)buf[3] << 8) |
                 (uint32_t)buf[4];
    *body_off = SGX_WIRE_HEADER_LEN;
    return SGX_OK;
}

void sgx_wire_header(uint32_t schema_id, uint8_t out[SGX_WIRE_HEADER_LEN])
{
    out[0] = 0;
    out[1] = (uint8_t)(schema_id >> 24);
    out[2] = (uint8_t)(schema_id >> 16);
    out[3] = (uint8_t)(schema_id >> 8);
    out[4] = (uint8_t)schema_id;
}
