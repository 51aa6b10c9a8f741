/* Per-thread CPU time of this process from /proc/self/task, so the pipeline stage can say
 * which thread a run spent its time in. Pipeline threads are unnamed; bench_pipeline.c tells
 * them apart by when they appeared. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_e2e.h"

static int read_task(int tid, sgx_bench_task_t *t)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    /* pid (comm) state ... : comm may hold spaces, so parse around the last ')'. */
    char *open = strchr(line, '('), *close = strrchr(line, ')');
    if (!open || !close || close < open) {
        return -1;
    }
    snprintf(t->comm, sizeof t->comm, "%.*s", (int)(close - open - 1), open + 1);
    unsigned long long utime = 0, stime = 0;
    /* After ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime(14) stime(15). */
    if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
               &stime) != 2) {
        return -1;
    }
    t->tid = tid;
    t->cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

static int cmp_tid(const void *a, const void *b)
{
    const sgx_bench_task_t *x = a, *y = b;
    return (x->tid > y->tid) - (x->tid < y->tid);
}

size_t sgx_bench_tasks(sgx_bench_task_t *out, size_t cap)
{
    DIR *dir = opendir("/proc/self/task");
    size_t n = 0;
    if (!dir) {
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < cap) {
        int tid = atoi(e->d_name);
        if (tid > 0 && read_task(tid, &out[n]) == 0) {
            n++;
        }
    }
    closedir(dir);
    qsort(out, n, sizeof *out, cmp_tid);
    return n;
}

const sgx_bench_task_t *sgx_bench_task_find(const sgx_bench_task_t *v, size_t n, int tid)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].tid == tid) {
            return &v[i];
        }
    }
    return NULL;
}

int sgx_bench_machine_cpu(double *busy_s, double *idle_s)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) {
        return -1;
    }
    /* cpu  user nice system idle iowait irq softirq steal */
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8) {
        return -1;
    }
    double tick = (double)sysconf(_SC_CLK_TCK);
    *idle_s = (double)(v[3] + v[4]) / tick;
    *busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / tick;
    return 0;
}
