#!/usr/bin/env bash
# The services keyward's tests use, on this machine:
#   - PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (the machine's own, started if down)
#   - a Redis Cluster of three masters on 127.0.0.1:7001-7003 (redis-server, cluster mode)
#   - PgBouncer in transaction pool mode on 127.0.0.1:6432, in front of that PostgreSQL
#
# Usage: scripts/services.sh start|stop|status
#   start   starts whatever is not running (running it twice is fine), then prints the
#           environment the tests read: eval "$(scripts/services.sh start)"
#   stop    stops the cluster nodes and PgBouncer this script started (not the machine's
#           PostgreSQL and Redis)
#   status  says what is up, and prints the environment like start
#
# Progress goes to stderr, the environment to stdout (variables already set are printed as they
# are). Missing Debian packages (redis-server,
# pgbouncer) are installed with apt-get when the script runs as root. Settings:
#   KEYWARD_SERVICES_DIR    state directory (node configs, logs)   /tmp/keyward-services
#   KEYWARD_CLUSTER_PORTS   ports of the cluster's masters         "7001 7002 7003"
#   KEYWARD_PGBOUNCER_PORT  PgBouncer's port                       6432
set -euo pipefail

DIR="${KEYWARD_SERVICES_DIR:-/tmp/keyward-services}"
CLUSTER_PORTS="${KEYWARD_CLUSTER_PORTS:-7001 7002 7003}"
PGBOUNCER_PORT="${KEYWARD_PGBOUNCER_PORT:-6432}"
PG_PORT=5432
REDIS_PORT=6379

say() { echo "services: $*" >&2; }

wait_for() { # wait_for <seconds> <command...>: true once the command succeeds
	local seconds=$1
	shift
	for _ in $(seq 1 $((seconds * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

apt_install() { # apt_install <package>: install a Debian package (root only)
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		say "$1 is not installed, and this script can only install it as root on Debian"
		return 1
	fi
	say "installing $1"
	apt-get install -y -qq "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$1" >/dev/null; }
}

# The machine's PostgreSQL and Redis: started when down, never stopped by this script.
start_postgres() {
	if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
		say "starting PostgreSQL"
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
		wait_for 30 pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || say "PostgreSQL did not start"
	fi
}

start_redis() {
	if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
		say "starting Redis"
		mkdir -p /var/lib/redis /var/log/redis
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/ci.log
		wait_for 30 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping || say "Redis did not start"
	fi
}

node_up() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }

cluster_ok() { # every master sees a healthy cluster of all of them
	local port count
	count=$(echo "$CLUSTER_PORTS" | wc -w)
	for port in $CLUSTER_PORTS; do
		redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
		[ "$(redis-cli -h 127.0.0.1 -p "$port" cluster info | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')" = "$count" ] ||
			return 1
	done
}

# A cluster node keeps its identity and slots in nodes.conf, so restarted nodes rejoin by themselves.
# cluster-require-full-coverage no: while one master is down, the others keep serving their slots
# (keyward then answers 503 only for the keys counted on the missing one).
start_cluster() {
	command -v redis-server >/dev/null || apt_install redis-server
	local port nodes=() rejoin=1
	for port in $CLUSTER_PORTS; do
		nodes+=("127.0.0.1:$port")
		node_up "$port" && continue
		[ -s "$DIR/cluster/$port/nodes.conf" ] || rejoin=0
		say "starting Redis Cluster node $port"
		mkdir -p "$DIR/cluster/$port"
		redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
			--cluster-config-file "$DIR/cluster/$port/nodes.conf" --cluster-node-timeout 2000 \
			--cluster-require-full-coverage no --save "" --appendonly no --dir "$DIR/cluster/$port" \
			--logfile "$DIR/cluster/$port/redis.log" --pidfile "$DIR/cluster/$port/redis.pid"
		wait_for 10 node_up "$port" || { say "Redis Cluster node $port did not start"; return 1; }
	done
	cluster_ok && return 0
	# Nodes that rejoin from their nodes.conf need a moment to agree.
	[ "$rejoin" = 1 ] && wait_for 10 cluster_ok && return 0
	say "creating the Redis Cluster (${nodes[*]})"
	for port in $CLUSTER_PORTS; do
		redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null
		redis-cli -h 127.0.0.1 -p "$port" cluster reset hard >/dev/null
	done
	redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
	wait_for 30 cluster_ok || { say "the Redis Cluster did not become ready"; return 1; }
}

stop_cluster() {
	local port
	for port in $CLUSTER_PORTS; do
		if node_up "$port"; then
			say "stopping Redis Cluster node $port"
			redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
		fi
	done
}

pgbouncer_up() { pg_isready -q -h 127.0.0.1 -p "$PGBOUNCER_PORT"; }

# Transaction pooling, as managed PostgreSQL poolers run it: a server connection is lent for one
# transaction, so nothing a session sets survives into the next statement.
start_pgbouncer() {
	command -v pgbouncer >/dev/null || apt_install pgbouncer
	pgbouncer_up && return 0
	say "starting PgBouncer (transaction pooling) on $PGBOUNCER_PORT"
	local dir="$DIR/pgbouncer"
	mkdir -p "$dir"
	cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
	echo '"postgres" ""' >"$dir/userlist.txt"
	# PgBouncer refuses to run as root: as root, it runs as the postgres user.
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres "$dir"
		pgbouncer -d -u postgres "$dir/pgbouncer.ini"
	else
		pgbouncer -d "$dir/pgbouncer.ini"
	fi
	wait_for 10 pgbouncer_up || { say "PgBouncer did not start (see $dir/pgbouncer.log)"; return 1; }
}

stop_pgbouncer() {
	local pidfile="$DIR/pgbouncer/pgbouncer.pid" pid
	pid=$(cat "$pidfile" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		say "stopping PgBouncer"
		kill "$pid"
		wait_for 10 bash -c "! kill -0 $pid" || say "PgBouncer ($pid) did not stop"
	fi
}

print_env() {
	local nodes=() port
	for port in $CLUSTER_PORTS; do nodes+=("redis://127.0.0.1:$port"); done
	echo "export KEYWARD_PG_URL=${KEYWARD_PG_URL:-postgres://postgres@127.0.0.1:$PG_PORT/test}"
	echo "export KEYWARD_REDIS_URL=${KEYWARD_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}"
	local joined
	joined=$(
		IFS=,
		echo "${nodes[*]}"
	)
	echo "export KEYWARD_REDIS_CLUSTER_NODES=${KEYWARD_REDIS_CLUSTER_NODES:-$joined}"
	echo "export KEYWARD_PGBOUNCER_URL=${KEYWARD_PGBOUNCER_URL:-postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/test}"
}

status() {
	local port state
	pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && state=up || state=down
	say "PostgreSQL 127.0.0.1:$PG_PORT $state"
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && state=up || state=down
	say "Redis 127.0.0.1:$REDIS_PORT $state"
	for port in $CLUSTER_PORTS; do
		node_up "$port" && state=up || state=down
		say "Redis Cluster node 127.0.0.1:$port $state"
	done
	cluster_ok && state=ok || state='not ok'
	say "Redis Cluster $state"
	pgbouncer_up && state=up || state=down
	say "PgBouncer 127.0.0.1:$PGBOUNCER_PORT $state"
}

case "${1:-}" in
start)
	start_postgres
	start_redis
	start_cluster
	start_pgbouncer
	print_env
	;;
stop)
	stop_pgbouncer
	stop_cluster
	;;
status)
	status
	print_env
	;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
