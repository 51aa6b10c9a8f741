/* The demo's other destinations: Microsoft Advertising, Criteo and Dotdigital emulators, one
 * audience per segment each, and their configuration entries. */
#include <stdio.h>

#include "base/mem.h"
#include "cli/demo/demo_env.h"

#define DD_USER "apiuser-demo@apiconnector.com"
#define DD_PASS "demo-password"
#define CRT_ID "demo-client"
#define CRT_SECRET "demo-secret"

static bool wants(const sgx_demo_env_t *env, sgx_dest_kind_t k)
{
    return env->dests & (1u << k);
}

static sgx_err_t start_emulators(sgx_demo_env_t *env)
{
    sgx_emu_msads_opts_t mo = {.terms_accepted = true, .polls_before_done = 1};
    sgx_emu_criteo_opts_t co = {.client_id = CRT_ID, .client_secret = CRT_SECRET};
    sgx_emu_dd_opts_t dopt = {.api_user = DD_USER, .api_password = DD_PASS, .import_steps = 1};
    if (wants(env, SGX_DEST_MICROSOFT_ADS) && sgx_emu_msads_start(&mo, &env->msads)) {
        return SGX_ERR_UNAVAILABLE;
    }
    if (wants(env, SGX_DEST_CRITEO) && sgx_emu_criteo_start(&co, &env->criteo)) {
        return SGX_ERR_UNAVAILABLE;
    }
    if (wants(env, SGX_DEST_DOTDIGITAL) && sgx_emu_dd_start(&dopt, &env->dd)) {
        return SGX_ERR_UNAVAILABLE;
    }
    return SGX_OK;
}

sgx_err_t sgx_demo_dests_start(sgx_demo_env_t *env, char *errbuf)
{
    if (start_emulators(env)) {
        snprintf(errbuf, SGX_ERRBUF_SIZE, "cannot start a destination emulator");
        return SGX_ERR_UNAVAILABLE;
    }
    for (size_t s = 0; s < env->nsegments; s++) {
        char id[32];
        if (env->msads) {
            sgx_demo_audience_id(SGX_DEST_MICROSOFT_ADS, s, id, sizeof id);
            sgx_emu_msads_add_list(env->msads, id);
        }
        if (env->criteo) {
            sgx_demo_audience_id(SGX_DEST_CRITEO, s, id, sizeof id);
            sgx_emu_criteo_add_audience(env->criteo, id);
        }
        if (env->dd) {
            sgx_demo_audience_id(SGX_DEST_DOTDIGITAL, s, id, sizeof id);
            sgx_emu_dd_add_address_book(env->dd, id);
        }
    }
    return SGX_OK;
}

uint16_t sgx_demo_dest_port(const sgx_demo_env_t *env, sgx_dest_kind_t kind)
{
    switch (kind) {
    case SGX_DEST_FACEBOOK: return env->fb ? sgx_emu_fb_port(env->fb) : 0;
    case SGX_DEST_MICROSOFT_ADS: return env->msads ? sgx_emu_msads_port(env->msads) : 0;
    case SGX_DEST_CRITEO: return env->criteo ? sgx_emu_criteo_port(env->criteo) : 0;
    case SGX_DEST_DOTDIGITAL: return env->dd ? sgx_emu_dd_port(env->dd) : 0;
    default: return 0;
    }
}

static void segments_yaml(const sgx_demo_env_t *env, sgx_dest_kind_t kind, sgx_buf_t *y)
{
    char line[128], id[32];
    sgx_buf_puts(y, "    segments:\n");
    for (size_t s = 0; s < env->nsegments; s++) {
        sgx_demo_audience_id(kind, s, id, sizeof id);
        snprintf(line, sizeof line, "      seg-%02zu: \"%s\"\n", s, id);
        sgx_buf_puts(y, line);
    }
}

void sgx_demo_dests_yaml(const sgx_demo_env_t *env, sgx_buf_t *y)
{
    char line[1024];
    if (env->msads) {
        unsigned port = sgx_emu_msads_port(env->msads);
        snprintf(line, sizeof line,
                 "  - name: microsoft\n    type: microsoft_ads\n    settings:\n"
                 "      customer_id: \"%s\"\n      account_id: \"%s\"\n"
                 "      developer_token: %s\n      client_id: %s\n      refresh_token: %s\n"
                 "      token_url: http://127.0.0.1:%u/oauth2/v2.0/token\n"
                 "      base_url: http://127.0.0.1:%u\n      campaign_url: http://127.0.0.1:%u\n"
                 "      poll_interval_ms: 100\n    limits:\n      linger_ms: 1000\n",
                 SGX_EMU_MSADS_CUSTOMER, SGX_EMU_MSADS_ACCOUNT, SGX_EMU_MSADS_DEV_TOKEN,
                 SGX_EMU_MSADS_CLIENT, SGX_EMU_MSADS_REFRESH, port, port, port);
        sgx_buf_puts(y, line);
        segments_yaml(env, SGX_DEST_MICROSOFT_ADS, y);
    }
    if (env->criteo) {
        snprintf(line, sizeof line,
                 "  - name: criteo\n    type: criteo\n    settings:\n"
                 "      client_id: %s\n      client_secret: %s\n      advertiser_id: \"777\"\n"
                 "      base_url: http://127.0.0.1:%u/\n",
                 CRT_ID, CRT_SECRET, (unsigned)sgx_emu_criteo_port(env->criteo));
        sgx_buf_puts(y, line);
        segments_yaml(env, SGX_DEST_CRITEO, y);
    }
    if (env->dd) {
        snprintf(line, sizeof line,
                 "  - name: dotdigital\n    type: dotdigital\n    settings:\n"
                 "      api_user: %s\n      api_password: %s\n      region: r1\n"
                 "      base_url: http://127.0.0.1:%u/\n      fields: EMAIL\n"
                 "      poll_interval_ms: 50\n",
                 DD_USER, DD_PASS, (unsigned)sgx_emu_dd_port(env->dd));
        sgx_buf_puts(y, line);
        segments_yaml(env, SGX_DEST_DOTDIGITAL, y);
    }
}

void sgx_demo_dests_stop(sgx_demo_env_t *env)
{
    sgx_emu_msads_stop(env->msads);
    sgx_emu_criteo_stop(env->criteo);
    sgx_emu_dd_stop(env->dd);
    env->msads = NULL;
    env->criteo = NULL;
    env->dd = NULL;
}
