# Sourced by scripts/test.sh: makes sure a PostgreSQL server answers for the
# tests that claim PostgreSQL. Uses $HASHWATCH_TEST_POSTGRES when set, else
# the local server on 127.0.0.1:5432, else starts a throwaway server from
# Debian's packages (installing them if needed) in a temporary directory and
# stops it when the calling script exits. HASHWATCH_THROWAWAY_PG=1 forces the
# throwaway server.

pg_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_start_throwaway() {
    local bin dir port=55432 as=()
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$bin" ]; then
        echo "installing PostgreSQL from Debian's packages for the tests ..." >&2
        local sudo=()
        [ "$(id -u)" -eq 0 ] || sudo=(sudo)
        export DEBIAN_FRONTEND=noninteractive
        "${sudo[@]}" apt-get install -y -q postgresql >/dev/null \
            || { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q postgresql >/dev/null; }
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    while pg_answers "$port"; do port=$((port + 1)); done
    dir=$(mktemp -d /tmp/hashwatch-pg.XXXXXX)
    # PostgreSQL refuses to run as root.
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
        || { cat "$dir/server.log" >&2; return 1; }
    HASHWATCH_PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop)
    HASHWATCH_PG_DIR=$dir
    trap 'pg_stop_throwaway' EXIT
    export HASHWATCH_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
    echo "started a throwaway PostgreSQL on 127.0.0.1:$port" >&2
}

pg_stop_throwaway() {
    "${HASHWATCH_PG_STOP[@]}" >/dev/null 2>&1
    rm -rf "$HASHWATCH_PG_DIR"
}

if [ -z "${HASHWATCH_TEST_POSTGRES:-}" ]; then
    if [ "${HASHWATCH_THROWAWAY_PG:-}" = 1 ] || ! pg_answers 5432; then
        pg_start_throwaway
    fi
fi
