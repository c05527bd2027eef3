# Source this file: starts a throwaway PostgreSQL 15 cluster on a free loopback
# port and exports HEMAFLOW_TEST_POSTGRES_URL. `pg_throwaway_stop` removes it.
# initdb refuses to run as root, so the cluster runs as the `postgres` user.

pg_throwaway_start() {
    local bin=/usr/lib/postgresql/15/bin
    [ -x "$bin/initdb" ] || { echo "PostgreSQL 15 is not installed ($bin/initdb missing)" >&2; return 1; }
    PG_DIR=$(mktemp -d /tmp/hemaflow-pg.XXXXXX)
    PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    local as=""
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$PG_DIR"
        as="su postgres -s /bin/sh -c"
    else
        as="sh -c"
    fi
    $as "$bin/initdb -D $PG_DIR/data -A trust -U hemaflow -E UTF8 --no-locale" >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    $as "$bin/pg_ctl -D $PG_DIR/data -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off' -l $PG_DIR/pg.log -w start" >/dev/null \
        || { cat "$PG_DIR/pg.log" >&2; return 1; }
    export HEMAFLOW_TEST_POSTGRES_URL="postgres://hemaflow@127.0.0.1:$PG_PORT/postgres"
    export PG_DIR PG_PORT
    echo "throwaway PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DIR)"
}

pg_throwaway_stop() {
    [ -n "${PG_DIR:-}" ] || return 0
    local bin=/usr/lib/postgresql/15/bin
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$bin/pg_ctl -D $PG_DIR/data -m immediate stop" >/dev/null 2>&1
    else
        "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
    fi
    rm -rf "$PG_DIR"
    PG_DIR=""
}
