#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end test of `orchestrate lava --submit` against a real LAVA server
# on this machine (Debian 12, LAVA 2023.01), without systemd. Run as root
# (make test-lava).
#
#  1. installs what is missing with apt-get --no-install-recommends:
#     postgresql, lava-server, lava-dispatcher, lavacli (no Apache, no
#     lava-publisher, no lava-coordinator: nothing here needs them);
#  2. starts, by hand and in the background, every service on 127.0.0.1
#     only: PostgreSQL (pg_ctlcluster, unless it already runs), the LAVA
#     database (postinst.py --db on first use, else migrations), gunicorn
#     serving lava_server.wsgi, lava-scheduler and one lava-worker pointed
#     at that gunicorn (the commands of /lib/systemd/system/lava-*.service);
#  3. creates, once, the admin user and its API token, the qemu device type,
#     the worker and a qemu device (dictionary written before `devices add`),
#     and marks jobs left unfinished by an earlier, interrupted run Canceled;
#  4. serves out/ (beside this script) on 127.0.0.1 with python3 -m
#     http.server, where the LAVA jobs fetch the kernel and initramfs from;
#  5. builds each board's kernel if out/ lacks it or it is stale
#     (orchestrate build), then runs `npx orchestrate lava --board <b> --kernel <k> --artifacts-url …
#     --submit …` for qemu-x86_64 and qemu-arm64 (LAVA_TOKEN exported; after
#     any other orchestrate holding out/'s lock has ended): each submits its
#     jobs, follows them and prints the results table;
#  6. always stops what it started (trap on exit, error and Ctrl-C): the
#     worker with its lava-run and QEMU processes, the scheduler, gunicorn,
#     the HTTP server, and PostgreSQL if it started it.
# The guests have no network (the jobs use `netdevice: none`): nothing
# leaves QEMU. Exits non-zero if a step or any orchestrate run failed.
#
# Logs: out/lava-test/ (this script's services and the orchestrate runs),
# /var/log/lava-server/, /var/log/lava-dispatcher/, and per job
# /var/lib/lava-server/default/media/job-output/<y>/<m>/<d>/<id>/output.yaml
# (the job log, kept), /var/lib/lava/dispatcher/worker/tmp/<id>/ (lava-run's
# stdout/stderr) and /var/lib/lava/dispatcher/tmp/<id>/ (the downloads; both
# removed when the job ends). On a failure the script lists them with LAVA's
# error lines.
#
# Knobs (environment):
#   LAVA_TEST_BOARDS          boards to run (default "qemu-x86_64 qemu-arm64";
#                             empty: set up, check the API, stop)
#   LAVA_TEST_KERNEL          --kernel filter (default 6.1)
#   LAVA_TEST_PORT            gunicorn's port on 127.0.0.1 (default 8000)
#   LAVA_TEST_ARTIFACTS_PORT  the HTTP server's port on 127.0.0.1 (default 8010)
#   LAVA_TEST_WAIT_FOR        a `pgrep -f` pattern: before submitting, wait
#                             (polling every 60 s) while it matches, e.g.
#                             "make test-full" to leave a timing-sensitive run alone
set -euo pipefail

# Debian's tools and interpreter (lava-server's scripts and postinst need
# /usr/bin/python3, not a python3 of pyenv or a venv earlier in PATH)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8

top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/out"	# a fresh clone has none yet: the builds below fill it
out_dir=$top/out
logs="$out_dir/lava-test"

boards=${LAVA_TEST_BOARDS-qemu-x86_64 qemu-arm64}
kernel=${LAVA_TEST_KERNEL:-6.1}
port=${LAVA_TEST_PORT:-8000}
aport=${LAVA_TEST_ARTIFACTS_PORT:-8010}
wait_for=${LAVA_TEST_WAIT_FOR:-}

server="http://127.0.0.1:$port"
artifacts="http://127.0.0.1:$aport"
worker=atemsys-lava-test
devices=(qemu01)
admin=admin
token_desc="atemsys lava-test"
pg_conf=(-o "-c listen_addresses=127.0.0.1")

say() { printf 'lava-test: %s\n' "$*"; }
die() { say "ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (make test-lava as root, or sudo $0)"
mkdir -p "$logs"
rm -f "$logs"/orchestrate-*.log	# where_logs reads this run's job ids from them

# ---------------------------------------------------------------- cleanup
declare -A pids=()	# name -> pid of what this script started
order=()		# start order (stopped in reverse)
pg_started=
pg_ver= pg_name=
failed_step=
t_start=$SECONDS

# descendants <pid>: every process below pid (children first listed after their parent)
descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

# stop_tree <name> <pid>: TERM the process and everything below it (lava-run
# puts itself in its own process group, QEMU is its child), KILL after 20 s
stop_tree() {
	local name=$1 pid=$2 all p alive i
	kill -0 "$pid" 2>/dev/null || return 0
	mapfile -t all < <(echo "$pid"; descendants "$pid")
	say "stopping $name (pid ${all[*]})"
	kill -TERM "${all[@]}" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		alive=()
		for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
		[ "${#alive[@]}" -eq 0 ] && return 0
		sleep 0.5
	done
	say "$name: still running after 20 s, killing ${alive[*]}"
	kill -KILL "${alive[@]}" 2>/dev/null || true
}

where_logs() {
	say "logs:"
	say "  this run:        $logs/ (gunicorn.out, scheduler.out, worker.out, http.log, orchestrate-<board>.log)"
	say "  LAVA server:     /var/log/lava-server/ (gunicorn.log, lava-scheduler.log, django.log)"
	say "  LAVA worker:     /var/log/lava-dispatcher/lava-worker.log"
	say "  PostgreSQL:      /var/log/postgresql/"
	local id d
	for id in $(sed -n 's/.*LAVA job \([0-9][0-9]*\) submitted.*/\1/p' "$logs"/orchestrate-*.log 2>/dev/null | sort -un); do
		say "  LAVA job $id:"
		for d in /var/lib/lava/dispatcher/worker/tmp/"$id" /var/lib/lava/dispatcher/tmp/"$id"; do
			[ -d "$d" ] && say "                   $d/"
		done
		d=$(find /var/lib/lava-server/default/media/job-output -type d -name "$id" -printf '%T@ %p\n' 2>/dev/null |
			sort -rn | head -n 1 | cut -d' ' -f2-)
		[ -n "$d" ] || continue
		say "                   $d/output.yaml (the job log), its errors:"
		# LAVA's own verdict: error/exception lines, monitor warnings, QEMU's complaints
		grep -E '"lvl": "(error|exception)"|"lvl": "warning", "msg": "err:|"msg": "qemu-system-[a-z0-9_]+: ' "$d/output.yaml" |
			sed -E 's/^- \{"dt": "[^"]*", //; s/^/lava-test:                     /' | cut -c1-300 | head -n 8
	done
}

cleanup() {
	local rc=$? i name
	trap - EXIT INT TERM
	set +e
	for ((i = ${#order[@]} - 1; i >= 0; i--)); do
		name=${order[$i]}
		[ -n "${pids[$name]:-}" ] || continue
		stop_tree "$name" "${pids[$name]}"
		unset "pids[$name]"
	done
	if [ -n "$pg_started" ]; then
		say "stopping PostgreSQL $pg_ver/$pg_name"
		pg_ctlcluster "$pg_ver" "$pg_name" stop -m fast
	fi
	if [ "$rc" -ne 0 ]; then
		[ -z "$failed_step" ] || say "FAILED: $failed_step"
		where_logs
	fi
	say "done in $((SECONDS - t_start)) s, exit $rc"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# track <name> <pid>: cleanup stops it (and what runs below it)
track() {
	pids[$1]=$2
	order+=("$1")
}

# start_bg <name> <log> <command…>: in the background, in its own session
# (Ctrl-C reaches this script, which stops it in order)
start_bg() {
	local name=$1 log=$2
	shift 2
	setsid "$@" >"$log" 2>&1 </dev/null &
	track "$name" $!
}

port_free() {
	/usr/bin/python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

# wait_http <what> <url> <seconds> <pid>: until the URL answers 200
wait_http() {
	local what=$1 url=$2 n=$3 pid=$4 i
	for ((i = 0; i < n; i++)); do
		curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || die "$what exited (see its log in $logs/)"
		sleep 1
	done
	die "$what does not answer $url after $n s"
}

manage() { lava-server manage "$@"; }

# nap <seconds>: a sleep that a signal ends at once (the trap runs, cleanup
# stops the sleep too)
nap() {
	sleep "$1" &
	track nap $!
	wait "${pids[nap]}" || true
	unset 'pids[nap]'
}

# out_holder: "<pid> <command>" of the live orchestrate holding out/'s lock
# (core/outlock.ts: orchestrate lava refuses to start while one does), else nothing
out_holder() {
	/usr/bin/python3 - "$out_dir/.orchestrate.lock" <<-'EOF'
		import json, os, sys
		try:
		    h = json.load(open(sys.argv[1]))
		    os.kill(h["pid"], 0)
		    print(h["pid"], h.get("command", "?"))
		except Exception:
		    pass
	EOF
}

# ---------------------------------------------------------------- 1. packages
need=()
missing() {	# missing <pkg…>: those not installed
	local p
	for p in "$@"; do
		dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || echo "$p"
	done
}
apt_install() {
	say "installing $*"
	DEBIAN_FRONTEND=noninteractive apt-get -qq -y -o DPkg::Lock::Timeout=600 --no-install-recommends install "$@" >>"$logs/install.log" 2>&1 ||
		{ tail -n 30 "$logs/install.log" >&2; die "apt-get install $* failed (log: $logs/install.log)"; }
}
failed_step="install packages"
pg_new=
mapfile -t need < <(missing postgresql)
if [ "${#need[@]}" -gt 0 ]; then
	apt_install "${need[@]}"
	pg_new=1	# its postinst may have started the new cluster (init script)
fi

# ---------------------------------------------------------------- 2. PostgreSQL
failed_step="start PostgreSQL"
# the cluster on 5432, where lava-server's database settings point
read -r pg_ver pg_name pg_status < <(pg_lsclusters -h | awk '$3 == 5432 { print $1, $2, $4; exit }') ||
	die "no PostgreSQL cluster on port 5432 (pg_lsclusters); create one: pg_createcluster --start 15 main"
if [ "$pg_status" = online ] && [ -n "$pg_new" ]; then
	# started by the package just installed: ours, and restarted on 127.0.0.1 only
	say "restarting the new PostgreSQL $pg_ver/$pg_name on 127.0.0.1:5432"
	pg_ctlcluster "$pg_ver" "$pg_name" stop -m fast
	pg_ctlcluster "${pg_conf[@]}" "$pg_ver" "$pg_name" start
	pg_started=1
elif [ "$pg_status" = online ]; then
	say "PostgreSQL $pg_ver/$pg_name already running: using it (and leaving it running)"
else
	say "starting PostgreSQL $pg_ver/$pg_name on 127.0.0.1:5432"
	pg_ctlcluster "${pg_conf[@]}" "$pg_ver" "$pg_name" start
	pg_started=1
fi
for ((i = 0; i < 30; i++)); do
	pg_isready -q -h 127.0.0.1 -p 5432 && break
	sleep 1
done
pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL does not answer on 127.0.0.1:5432"

# lava-server after PostgreSQL runs: its postinst then creates the database
failed_step="install packages"
mapfile -t need < <(missing lava-server lava-dispatcher lavacli)
[ "${#need[@]}" -eq 0 ] || apt_install "${need[@]}"
[ -x /usr/bin/gunicorn3 ] || [ -x /usr/bin/gunicorn ] || die "no gunicorn3 after installing lava-server"
gunicorn=/usr/bin/gunicorn3
[ -x "$gunicorn" ] || gunicorn=/usr/bin/gunicorn

# ---------------------------------------------------------------- database
failed_step="LAVA database"
db_there=$(runuser -u postgres -- psql -p 5432 -tAc "SELECT 1 FROM pg_database WHERE datname = 'lavaserver'" 2>/dev/null || true)
if [ ! -f /etc/lava-server/settings.d/00-database.yaml ] || [ "$db_there" != 1 ]; then
	say "creating the LAVA database (postinst.py --config --db --fixup)"
	/usr/bin/python3 /usr/share/lava-server/postinst.py --config --db --fixup >"$logs/postinst.log" 2>&1 ||
		{ tail -n 30 "$logs/postinst.log" >&2; die "postinst.py --db failed (log: $logs/postinst.log)"; }
else
	say "LAVA database: applying migrations"
	runuser -u lavaserver -- lava-server manage migrate --noinput >"$logs/migrate.log" 2>&1 ||
		{ tail -n 30 "$logs/migrate.log" >&2; die "migrate failed (log: $logs/migrate.log)"; }
fi

# ---------------------------------------------------------------- 3. LAVA objects
failed_step="LAVA users, device type, worker and devices"
if ! manage users details "$admin" >/dev/null 2>&1; then
	say "creating user $admin (superuser)"
	manage users add "$admin" --superuser --staff --email admin@localhost \
		--passwd "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >/dev/null
fi
token=$(manage tokens list --user "$admin" --csv | tr -d '\r' | awk -F, -v d="$token_desc" 'NR > 1 && $3 == d { print $2; exit }')
if [ -z "$token" ]; then
	say "creating an API token for $admin"
	token=$(manage tokens add --user "$admin" --description "$token_desc" | tail -n 1)
fi
[ -n "$token" ] || die "no API token for $admin"

if ! manage device-types details qemu >/dev/null 2>&1; then
	say "adding device type qemu"
	manage device-types add qemu
fi
if ! manage workers details "$worker" >/dev/null 2>&1; then
	say "adding worker $worker"
	manage workers add "$worker" --description "orchestrate lava test (scripts/lava-test.sh)" >/dev/null
fi
worker_token=$(manage workers details "$worker" | sed -n 's/^token *: *//p')
[ -n "$worker_token" ] || die "no token for worker $worker"

devdir=/etc/lava-server/dispatcher-config/devices
mkdir -p "$devdir"
for d in "${devices[@]}"; do
	# the dictionary first: a device without one goes Bad at once
	printf '%s\n' "{% extends 'qemu.jinja2' %}" >"$devdir/$d.jinja2"
	chown lavaserver:lavaserver "$devdir/$d.jinja2"
	if manage devices details "$d" >/dev/null 2>&1; then
		manage devices update "$d" --worker "$worker" --health GOOD
	else
		say "adding device $d (qemu) on $worker"
		manage devices add --device-type qemu --worker "$worker" "$d"
	fi
done
# The worker Active (`workers update --health` fails in 2023.01: it calls
# go_health_active() without its user), and jobs an interrupted earlier run
# left queued or running Canceled, so the scheduler does not start them again
LAVA_TEST_WORKER=$worker manage shell -c '
import os
from django.contrib.auth.models import User
from lava_scheduler_app.models import TestJob, Worker
w = Worker.objects.get(hostname=os.environ["LAVA_TEST_WORKER"])
if w.health != Worker.HEALTH_ACTIVE:
    print("lava-test: worker %s was %s: now Active" % (w.hostname, w.get_health_display()))
    w.go_health_active(User.objects.get(username="'"$admin"'"), "lava-test.sh")
    w.save()
for j in TestJob.objects.exclude(state=TestJob.STATE_FINISHED):
    print("lava-test: job %d left %s by an earlier run: canceled" % (j.id, j.get_state_display()))
    j.go_state_finished(TestJob.HEALTH_CANCELED)
    j.save()
'

# ---------------------------------------------------------------- services
failed_step="start the LAVA services"
port_free "$port" || die "127.0.0.1:$port is in use (LAVA_TEST_PORT=<free port>)"
port_free "$aport" || die "127.0.0.1:$aport is in use (LAVA_TEST_ARTIFACTS_PORT=<free port>)"

say "starting gunicorn (lava_server.wsgi) on $server"
start_bg gunicorn "$logs/gunicorn.out" "$gunicorn" lava_server.wsgi \
	--log-level INFO --log-file /var/log/lava-server/gunicorn.log \
	-u lavaserver -g lavaserver --worker-class eventlet --workers 2 \
	--bind "127.0.0.1:$port" --timeout 120
wait_http gunicorn "$server/api/v0.2/" 90 "${pids[gunicorn]}"

say "starting lava-scheduler"
start_bg scheduler "$logs/scheduler.out" lava-server manage lava-scheduler \
	--level INFO --log-file /var/log/lava-server/lava-scheduler.log

say "starting lava-worker $worker -> $server/"
rm -f /var/lib/lava/dispatcher/worker/token	# a stale one from another database
start_bg worker "$logs/worker.out" lava-worker --level DEBUG --url "$server/" \
	--token "$worker_token" --name "$worker"

say "serving $out_dir on $artifacts"
start_bg http "$logs/http.log" /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$out_dir" "$aport"
wait_http "the HTTP server" "$artifacts/" 30 "${pids[http]}"

# the worker online (it pings every 20 s), the device Idle and Good
failed_step="worker online"
for ((i = 0; i < 90; i++)); do
	state=$(curl -fsS --max-time 5 -H "Authorization: Token $token" "$server/api/v0.2/workers/$worker/" 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; w=json.load(sys.stdin); print(w.get("state"), w.get("health"))' 2>/dev/null || true)
	[ "$state" = "Online Active" ] && break
	for n in "${!pids[@]}"; do kill -0 "${pids[$n]}" 2>/dev/null || die "$n exited (see $logs/)"; done
	sleep 2
done
[ "$state" = "Online Active" ] || die "worker $worker not online after 180 s (state: ${state:-?})"
say "worker $worker online; devices: ${devices[*]}"
failed_step=

# ---------------------------------------------------------------- 5. the jobs
if [ -n "$wait_for" ]; then
	while pgrep -f "$wait_for" >/dev/null; do
		say "waiting for \"$wait_for\" to end before booting anything ($(date -u +%H:%M) UTC)"
		nap 60
	done
fi

export LAVA_TOKEN=$token
rc=0
results=()
for b in $boards; do
	while holder=$(out_holder) && [ -n "$holder" ]; do
		say "out/ is in use by orchestrate ${holder#* } (pid ${holder%% *}): waiting ($(date -u +%H:%M) UTC)"
		nap 30
	done
	# the jobs fetch what out/ has: build it first (seconds when up to date)
	say "orchestrate build --board $b --kernel $kernel (log: $logs/build-$b.log)"
	if ! (cd "$top" && npx orchestrate build --board "$b" --kernel "$kernel") >"$logs/build-$b.log" 2>&1; then
		tail -n 20 "$logs/build-$b.log" | sed 's/^/   | /'
		results+=("$b: build failed")
		rc=1
		continue
	fi
	say "orchestrate lava --board $b --kernel $kernel --artifacts-url $artifacts --submit $server"
	# in the background, so a signal to this script stops it at once (cleanup)
	log="$logs/orchestrate-$b.log"
	: >"$log"	# there before tail follows it
	start_bg orchestrate-"$b" "$log" sh -c 'cd "$1" && shift && exec npx orchestrate "$@"' sh "$top" \
		lava --board "$b" --kernel "$kernel" --artifacts-url "$artifacts" --submit "$server"
	tail -n +1 -f --pid="${pids[orchestrate-$b]}" "$log" &
	track "tail-$b" $!
	brc=0
	wait "${pids[orchestrate-$b]}" || brc=$?
	wait "${pids[tail-$b]}" || true
	unset "pids[orchestrate-$b]" "pids[tail-$b]"
	results+=("$b: exit $brc")
	[ "$brc" -eq 0 ] || rc=1
done

for r in "${results[@]}"; do say "$r"; done
[ "$rc" -eq 0 ] || failed_step="orchestrate lava ($(IFS=,; echo "${results[*]}" | sed 's/,/; /g'))"
[ -n "$boards" ] || say "no boards (LAVA_TEST_BOARDS empty): server, worker and API checked, nothing submitted"
exit "$rc"
