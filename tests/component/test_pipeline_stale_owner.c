/* A stale owner must not send (issue 10 §2). Process A (the real `segexport run`, a child of
 * this test) exports from the mock cluster to the Meta emulator; while every request of it
 * fails with 503 it holds a round of flips for a retry, and is then SIGSTOPped for longer than
 * session.timeout.ms. Pipeline B (in this process, same group) takes over after A's eviction
 * and delivers that round and a new one with flips of the same profiles. Then A gets SIGCONT:
 * its retries would re-apply the old round over B's newer ops. The audiences must stay exact
 * (they do not without the ownership checks: A's stale rows land the moment it continues).
 * A runs as a process so that it can be stopped as a whole, librdkafka's threads included. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "pipeline/dispatch_req.h"
#include "base/log.h"
#include "tests/testkit/testkit.h"

#define ROUND_EVENTS 4000
#define WAIT_MS 60000
#define STOP_MS 9000 /* > session.timeout.ms (6000) */

static char a_log[256];

/* The configuration both processes use (the real YAML parser reads it in each). */
static void write_config(const sgx_testkit_t *t, const char *path, sgx_buf_t *y)
{
    const sgx_demo_env_t *env = &t->env;
    char line[1024];
    snprintf(line, sizeof line,
             "kafka:\n  bootstrap.servers: \"%.200s\"\n  group.id: %s\n"
             "  session.timeout.ms: 6000\n  heartbeat.interval.ms: 1000\n  log_level: 3\n"
             "topics: [%s]\ndead_letter_topic: %s\n"
             "schema_registry:\n  url: http://127.0.0.1:%u\n"
             "workers: 2\nmax_inflight_events: 50000\nshutdown_grace_ms: 5000\n"
             "retry_base_ms: 50\nretry_cap_ms: 300\n"
             "destinations:\n  - name: meta\n    type: facebook\n    settings:\n"
             "      access_token: demo-access-token\n      app_secret: demo-app-secret\n"
             "      keys: EMAIL,PHONE\n      base_url: http://127.0.0.1:%u\n"
             "    limits:\n      linger_ms: 20\n    segments:\n",
             env->bootstrap, SGX_TESTKIT_GROUP, env->topic, env->dlq_topic,
             (unsigned)sgx_emu_registry_port(env->registry), (unsigned)sgx_emu_fb_port(env->fb));
    sgx_buf_puts(y, line);
    for (size_t s = 0; s < env->nsegments; s++) {
        snprintf(line, sizeof line, "      seg-%02zu: \"%s\"\n", s, env->audience_ids[s]);
        sgx_buf_puts(y, line);
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(y->data, 1, y->len, f), y->len);
    fclose(f);
}

/* The segexport binary is built next to the test executables. */
static pid_t spawn_a(const char *config)
{
    char exe[512] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    snprintf(slash + 1, sizeof exe - (size_t)(slash + 1 - exe), "segexport");
    snprintf(a_log, sizeof a_log, "%s.a.log", config);
    int fd = open(a_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(exe, "segexport", "run", "-c", config, "--log-level", "info", (char *)NULL);
        _exit(127);
    }
    close(fd);
    assert_true(pid > 0);
    return pid;
}

static bool log_has(const char *needle)
{
    char buf[1 << 16];
    FILE *f = fopen(a_log, "r");
    bool found = false;
    while (f && !found && fgets(buf, sizeof buf, f)) {
        found = strstr(buf, needle) != NULL;
    }
    if (f) {
        fclose(f);
    }
    return found;
}

static bool wait_log(const char *needle)
{
    for (int64_t start = sgx_now_ms(); sgx_now_ms() - start < WAIT_MS; usleep(50000)) {
        if (log_has(needle)) {
            return true;
        }
    }
    return false;
}

static bool wait_exact(const sgx_testkit_t *t)
{
    char report[256];
    for (int64_t start = sgx_now_ms(); sgx_now_ms() - start < WAIT_MS; usleep(200000)) {
        if (sgx_testkit_audiences(t, report, sizeof report)) {
            return true;
        }
    }
    print_message("not exact: %s\n", report);
    return false;
}

static void round_of(sgx_testkit_t *t, unsigned seed)
{
    char errbuf[SGX_ERRBUF_SIZE] = "";
    t->o.seed = seed;
    if (sgx_testkit_start_gen(t, false, errbuf)) {
        fail_msg("generator: %s", errbuf);
    }
    sgx_testkit_join_gen(t);
}

static uint64_t failed_5xx(const sgx_testkit_t *t)
{
    sgx_emu_fb_stats_t st;
    sgx_emu_fb_stats(t->env.fb, &st);
    return st.failed_5xx;
}

/* Brings up the kit and process A, lets A deliver a first round, then makes every request fail
 * with 503 while a second round is produced, and stops A (SIGSTOP) while it holds that round
 * for a retry; the fault is cleared. @returns A's pid; *stopped when it was stopped. */
static pid_t stop_a_holding_a_round(sgx_testkit_t *t, char *path, sgx_buf_t *yaml,
                                    int64_t *stopped)
{
    sgx_demo_opts_t o = {.events = ROUND_EVENTS, .profiles = 800, .segments = 4,
                         .partitions = 4, .seed = 1};
    char errbuf[SGX_ERRBUF_SIZE] = "";
    if (sgx_testkit_up(t, &o, NULL, errbuf)) {
        sgx_testkit_down(t);
        fail_msg("setup: %s", errbuf);
    }
    int tmp = mkstemp(path);
    assert_true(tmp >= 0);
    close(tmp);
    write_config(t, path, yaml);
    pid_t a = spawn_a(path);
    assert_true(wait_log("assigned 4 partition(s)"));

    round_of(t, 1); /* A delivers it: A works */
    assert_true(wait_exact(t));

    uint64_t before = failed_5xx(t);
    sgx_emu_fb_inject(t->env.fb, SGX_EMU_FAULT_5XX, 1000000, 503, 0);
    round_of(t, 2); /* A holds it for a retry */
    for (int64_t s = sgx_now_ms(); failed_5xx(t) < before + 6 && sgx_now_ms() - s < WAIT_MS;) {
        usleep(20000);
    }
    assert_true(failed_5xx(t) >= before + 6);
    usleep(300000);
    assert_int_equal(kill(a, SIGSTOP), 0);
    *stopped = sgx_now_ms();
    sgx_emu_fb_inject(t->env.fb, SGX_EMU_FAULT_5XX, 0, 503, 0);
    return a;
}

/* SIGTERM to A, then everything down. @returns true when A exited 0. */
static bool stop_all(sgx_testkit_t *t, pid_t a, const char *path, sgx_buf_t *yaml)
{
    kill(a, SIGTERM);
    int status = 0;
    waitpid(a, &status, 0);
    sgx_testkit_down(t);
    sgx_buf_free(yaml);
    unlink(path);
    unlink(a_log);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_stopped_owner_sends_nothing_after_losing(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    sgx_testkit_t t;
    char errbuf[SGX_ERRBUF_SIZE] = "";
    char path[] = "/tmp/sgx-stale-owner-XXXXXX";
    sgx_buf_t yaml = {0};
    int64_t stopped = 0;
    pid_t a = stop_a_holding_a_round(&t, path, &yaml, &stopped);

    /* B takes over once A is evicted, delivers round 2 and a newer round of the same pairs. */
    sgx_config_free(t.env.cfg);
    t.env.cfg = NULL;
    assert_int_equal(sgx_config_parse(yaml.data, yaml.len, &t.env.cfg, errbuf), SGX_OK);
    assert_int_equal(sgx_testkit_start_pipeline(&t, errbuf), SGX_OK);
    assert_true(wait_exact(&t));
    round_of(&t, 3);
    assert_true(wait_exact(&t));
    while (sgx_now_ms() - stopped < STOP_MS) {
        usleep(50000);
    }

    assert_int_equal(kill(a, SIGCONT), 0);
    bool lost = wait_log("lost 4 partition(s)");
    sleep(3); /* A's retries would be due at once: backoff cap 300 ms */
    char report[256];
    bool exact = sgx_testkit_audiences(&t, report, sizeof report);
    print_message("after A continued: %s\n", report);
    bool clean_exit = stop_all(&t, a, path, &yaml);
    assert_true(lost);
    assert_true(exact);
    assert_true(clean_exit);
}

/* A pause longer than the gate's limit (4 s: session 6 s - heartbeat 1 s - 1 s) but short
 * enough to keep the membership: A stops sending, proves membership with a commit, and then
 * delivers the round it held itself. */
static void test_short_pause_resumes_after_proof(void **state)
{
    (void)state;
    sgx_log_set_level(SGX_LOG_ERROR);
    sgx_testkit_t t;
    char path[] = "/tmp/sgx-stale-owner-XXXXXX";
    sgx_buf_t yaml = {0};
    int64_t stopped = 0;
    pid_t a = stop_a_holding_a_round(&t, path, &yaml, &stopped);
    while (sgx_now_ms() - stopped < 4600) {
        usleep(20000);
    }
    assert_int_equal(kill(a, SIGCONT), 0);
    bool confirmed = wait_log("group membership confirmed");
    bool exact = wait_exact(&t);
    bool gated = log_has("no contact with the group for");
    bool lost = log_has("lost 4 partition(s)");
    bool clean_exit = stop_all(&t, a, path, &yaml);
    assert_true(gated);
    assert_true(confirmed);
    assert_false(lost);
    assert_true(exact);
    assert_true(clean_exit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stopped_owner_sends_nothing_after_losing),
        cmocka_unit_test(test_short_pause_resumes_after_proof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
