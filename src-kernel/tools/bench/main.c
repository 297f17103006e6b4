// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys-bench: runs in the guest, prints the protocol of bench.h.
 *
 *   atemsys-bench run [--quick] [--only irq,dma,ecat]
 *
 * Needs root, atemsys loaded, QEMU's edu (1234:11e8) and three e1000e
 * (8086:10d3): instance 0 unused, 1 the master's, 2 the slave simulator's,
 * 1 and 2 joined by a QEMU hub. Kernel modules for the baselines
 * (uio_pci_generic, vfio-pci, e1000e) are loaded from what the orchestrator
 * packed (lib/guest.h); a baseline whose module is missing is skipped.
 * Exit status: 0 every measurement ran, 1 one failed, 2 usage.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

static bool any_error;

/* One protocol line, written at once */
static void emit(const char *tag, const char *body)
{
	char line[8192];
	int n = snprintf(line, sizeof(line), "%s %s\n", tag, body);

	if (n >= (int)sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fflush(stdout);
	if (write(STDOUT_FILENO, line, (size_t)n) < 0)
		perror("atemsys-bench: write");
}

static void json_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

void bench_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "atemsys-bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void bench_group(const char *group, const char *title, const char *stat)
{
	char body[512], t[256];

	json_escape(t, sizeof(t), title);
	snprintf(body, sizeof(body), "{\"group\":\"%s\",\"title\":\"%s\",\"stat\":\"%s\"}",
		 group, t, stat);
	emit("ATEMSYS-BENCH-GROUP", body);
}

static int row_head(char *buf, size_t len, const char *group,
		    const char *variant, const char *label)
{
	char l[256];

	json_escape(l, sizeof(l), label);
	return snprintf(buf, len, "{\"group\":\"%s\",\"variant\":\"%s\",\"label\":\"%s\"",
			group, variant, l);
}

void bench_row(const char *group, const char *variant, const char *label,
	       const char *baseline, struct samples *s, const char *extra)
{
	struct sample_stats st;
	char body[7168];
	size_t n;
	FILE *f;

	n = (size_t)row_head(body, sizeof(body), group, variant, label);
	f = fmemopen(body + n, sizeof(body) - n, "w");
	if (!f)
		return;
	if (baseline)
		fprintf(f, ",\"baseline\":\"%s\"", baseline);
	samples_stats(s, &st);
	fputc(',', f);
	sample_stats_json(f, &st);
	if (extra && *extra)
		fprintf(f, ",%s", extra);
	fputc('}', f);
	fclose(f);
	emit("ATEMSYS-BENCH", body);
	bench_note("%s/%s: n %zu, median %.1f us, p99 %.1f us, max %.1f us",
		   group, variant, st.n, st.p50, st.p99, st.max);
}

void bench_skip(const char *group, const char *variant, const char *label,
		const char *reason)
{
	char body[1024], r[512];
	size_t n;

	n = (size_t)row_head(body, sizeof(body), group, variant, label);
	json_escape(r, sizeof(r), reason);
	snprintf(body + n, sizeof(body) - n, ",\"skipped\":\"%s\"}", r);
	emit("ATEMSYS-BENCH", body);
	bench_note("%s/%s: skipped: %s", group, variant, reason);
}

void bench_error(const char *group, const char *variant, const char *label,
		 const char *fmt, ...)
{
	char body[1024], msg[512], r[600];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = (size_t)row_head(body, sizeof(body), group, variant, label);
	json_escape(r, sizeof(r), msg);
	snprintf(body + n, sizeof(body) - n, ",\"error\":\"%s\"}", r);
	emit("ATEMSYS-BENCH", body);
	bench_note("%s/%s: FAILED: %s", group, variant, msg);
	any_error = true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: atemsys-bench run [--quick] [--only irq,dma,ecat]\n"
		"  --quick   few samples: a functional check, not a measurement\n"
		"  --only    these groups (default all)\n"
		"Prints ATEMSYS-BENCH protocol lines (see bench.h); exit status\n"
		"0 all ran, 1 a measurement failed, 2 usage.\n");
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .irq_n = 2000, .rtt_n = 2000, .cycle_n = 5000,
				.dma_n = 200 };
	const char *only = "irq,dma,ecat";
	struct utsname u;
	char body[512];
	int a;

	if (argc < 2 || strcmp(argv[1], "run")) {
		usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--quick")) {
			o = (struct bench_opts){ .quick = true, .irq_n = 100,
						 .rtt_n = 100, .cycle_n = 200,
						 .dma_n = 20 };
		} else if (!strcmp(argv[a], "--only") && a + 1 < argc) {
			only = argv[++a];
		} else {
			usage(stderr);
			return 2;
		}
	}

	uname(&u);
	snprintf(body, sizeof(body),
		 "{\"format\":1,\"kernel\":\"%s\",\"machine\":\"%s\",\"cpus\":%ld,\"quick\":%s}",
		 u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
		 o.quick ? "true" : "false");
	emit("ATEMSYS-BENCH-BEGIN", body);
	if (strstr(only, "irq"))
		bench_irq(&o);
	if (strstr(only, "dma"))
		bench_dma(&o);
	if (strstr(only, "ecat"))
		bench_ecat(&o);
	emit("ATEMSYS-BENCH-END", any_error ? "{\"ok\":false}" : "{\"ok\":true}");
	return any_error ? 1 : 0;
}
