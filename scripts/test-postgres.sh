#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests: initdb in a temporary folder,
# listening on 127.0.0.1 on a free port, trust auth for local connections.
# No system service. Prints the admin URL; the tests create their own
# databases on it (ASSETMAP_TEST_POSTGRES).
#
#   url=$(scripts/test-postgres.sh start DIR)   # DIR is created
#   scripts/test-postgres.sh stop DIR
set -euo pipefail
cmd="${1:?start or stop}"
dir="${2:?a folder for the cluster}"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
[ -x "$PGBIN/initdb" ] || PGBIN="$(dirname "$(command -v initdb)")"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$PGBIN/initdb" -D "$dir/data" -U assetmap --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = on
synchronous_commit = on
CONF
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null
    echo "postgres://assetmap@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
