# Shared shell helpers for scripts/build, scripts/test and scripts/demo (sourced, not run).
# Everything here runs as root on Debian 12; test clusters run as the postgres user.

PG_MAJOR=${PG_MAJOR:-15}
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
# What each part needs to build, and what the tests and the demo need besides.
PACKAGES_EXTENSION=(make g++ postgresql-server-dev-$PG_MAJOR libcctz-dev)
PACKAGES_SIDECAR=(cmake g++ make pkg-config libpq-dev zlib1g-dev libisal-dev libcctz-dev
                  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libssl-dev)
PACKAGES_TEST=(git gzip pigz python3 nodejs libgtest-dev postgresql-$PG_MAJOR
               postgresql-client-$PG_MAJOR postgresql-$PG_MAJOR-cron curl util-linux procps
               iproute2 python3-prometheus-client python3-yaml docker-compose
               clang libclang-rt-14-dev)
PACKAGES=("${PACKAGES_EXTENSION[@]}" "${PACKAGES_SIDECAR[@]}" "${PACKAGES_TEST[@]}")

log() { printf '==> %s\n' "$*" >&2; }

# Installs whichever of PACKAGES (and the extra names given) is missing: apt-get update once,
# only when something is missing.
ensure_packages() { install_missing "${PACKAGES[@]}" "$@"; }
# ensure_packages_of ARRAY_NAME: the same for one of the PACKAGES_* lists.
ensure_packages_of() { local -n list=$1; install_missing "${list[@]}"; }

install_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# A TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}

as_postgres() { runuser -u postgres -- "$@"; }

# start_cluster DIR PORT [extra postgres -c settings...]: initdb as postgres in DIR/data, start
# on 127.0.0.1:PORT with immich_maint preloaded (PRELOAD= overrides the library list), sockets
# in DIR, log in DIR/server.log. If another process takes PORT first, it retries on another free
# port and leaves it in the caller's $port.
start_cluster() {
  local dir=$1; port=$2; shift 2
  mkdir -p "$dir" && chmod 755 "$dir" && chown postgres: "$dir"
  as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  local attempt
  for attempt in 1 2 3 4 5; do
    pg_ctl_start "$dir" "$port" "$@" && return 0
    # another process took the port between free_port and the bind: take another one
    grep -q 'Address already in use' "$dir/server.log" || break
    port=$(free_port)
  done
  cat "$dir/server.log" >&2
  return 1
}

pg_ctl_start() {  # DIR PORT [settings...]
  local dir=$1 at=$2 setting; shift 2
  local opts="-c listen_addresses=127.0.0.1 -p $at -k $dir -c fsync=off"
  opts+=" -c shared_preload_libraries=${PRELOAD-immich_maint}"
  for setting in "$@"; do opts+=" -c $setting"; done
  rm -f "$dir/server.log"  # each attempt logs afresh
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null
}

stop_cluster() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 \
    || as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}
