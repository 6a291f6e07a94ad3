/* SPDX-License-Identifier: MIT */
/* The process_* families Prometheus client libraries export, from what a
 * hardened unit leaves visible: ProcSubset=pid hides /proc/stat (and with
 * it the boot time process start times are counted from), so the start
 * time is recorded by the process itself, CPU comes from getrusage(), memory
 * from /proc/self/statm and descriptors from /proc/self/fd. */
#include "daemon/metrics/obs.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "daemon/lib/util.h"

static atomic_llong started_ms; /* unix milliseconds, 0: not recorded */

void obs_process_started(void)
{
	struct timeval tv;
	long long zero = 0;

	gettimeofday(&tv, NULL);
	/* the first call wins: a reload does not restart the process */
	atomic_compare_exchange_strong(&started_ms, &zero,
				       (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

/* Resident and virtual size in bytes, or -1 when /proc is not there. */
static int obs_memory(unsigned long long *rss_r, unsigned long long *vsize_r)
{
	unsigned long long pages_v = 0, pages_rss = 0;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (f == NULL || page <= 0) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	n = fscanf(f, "%llu %llu", &pages_v, &pages_rss);
	fclose(f);
	if (n != 2)
		return -1;
	*rss_r = pages_rss * (unsigned long long)page;
	*vsize_r = pages_v * (unsigned long long)page;
	return 0;
}

/* Open descriptors (the directory's own aside), or -1. */
static long obs_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

/* Threads from /proc/self/status, or -1. */
static long obs_threads(void)
{
	char line[256];
	long n = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Threads:", 8) == 0) {
			uint64_t v;

			line[strcspn(line, "\n")] = '\0';
			if (parse_u64(line + 8 + strspn(line + 8, " \t"), 1000000, &v) == 0)
				n = (long)v;
			break;
		}
	}
	fclose(f);
	return n;
}

int obs_render_process(struct buf *b)
{
	struct rusage ru;
	struct rlimit rl;
	unsigned long long rss, vsize;
	long fds = obs_open_fds(), threads = obs_threads();
	long long start = atomic_load(&started_ms);
	int bad = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		bad |= buf_printf(
			b,
			"# HELP process_cpu_seconds_total User and system CPU time spent.\n"
			"# TYPE process_cpu_seconds_total counter\n"
			"process_cpu_seconds_total %.3f\n",
			(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	if (obs_memory(&rss, &vsize) == 0)
		bad |= buf_printf(b,
				  "# HELP process_resident_memory_bytes Resident memory size.\n"
				  "# TYPE process_resident_memory_bytes gauge\n"
				  "process_resident_memory_bytes %llu\n"
				  "# HELP process_virtual_memory_bytes Virtual memory size.\n"
				  "# TYPE process_virtual_memory_bytes gauge\n"
				  "process_virtual_memory_bytes %llu\n",
				  rss, vsize);
	if (fds >= 0)
		bad |= buf_printf(b,
				  "# HELP process_open_fds Open file descriptors.\n"
				  "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n",
				  fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		bad |= buf_printf(b,
				  "# HELP process_max_fds The limit on open file descriptors.\n"
				  "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n",
				  (unsigned long long)rl.rlim_cur);
	if (threads >= 0)
		bad |= buf_printf(b,
				  "# HELP process_threads Threads of the process.\n"
				  "# TYPE process_threads gauge\nprocess_threads %ld\n",
				  threads);
	if (start > 0)
		bad |= buf_printf(b,
				  "# HELP process_start_time_seconds When the process started (unix"
				  " time).\n# TYPE process_start_time_seconds gauge\n"
				  "process_start_time_seconds %.3f\n",
				  (double)start / 1000.0);
	return bad != 0 ? -1 : 0;
}
