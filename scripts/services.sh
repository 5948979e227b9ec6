#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, user postgres, trust auth) and Redis (127.0.0.1:6379)
# are up for the tests: starts them when installed but stopped, installs them from Debian's
# packages when missing (needs root), and fails with a clear message otherwise.
set -euo pipefail

PGHOST_=127.0.0.1
PGPORT_=5432
REDIS_PORT_=6379

log() { printf '[services] %s\n' "$*"; }

pg_ready() { pg_isready -h "$PGHOST_" -p "$PGPORT_" -q 2>/dev/null; }
redis_ready() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT_" ping 2>/dev/null | grep -q PONG; }

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    log "need root to install $* (apt-get); run: sudo apt-get install -y $*"; exit 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_ready; then log "postgres is up"; return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing postgresql"; apt_install postgresql postgresql-client
  fi
  local ver; ver=$(ls /etc/postgresql | sort -V | tail -1)
  local conf="/etc/postgresql/$ver/main"
  # Trust auth on loopback for the test user, as the tests and README assume.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf/pg_hba.conf"
  fi
  log "starting postgresql $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster --skip-systemctl-redirect "$ver" main restart
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { log "postgres did not come up on $PGHOST_:$PGPORT_"; exit 1; }
  log "postgres is up"
}

ensure_redis() {
  if command -v redis-cli >/dev/null && redis_ready; then log "redis is up"; return; fi
  if ! command -v redis-server >/dev/null; then log "installing redis"; apt_install redis-server; fi
  mkdir -p /var/lib/redis /var/log/redis
  log "starting redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT_" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/switchyard.log
  for _ in $(seq 1 30); do redis_ready && break; sleep 0.5; done
  redis_ready || { log "redis did not come up on 127.0.0.1:$REDIS_PORT_"; exit 1; }
  log "redis is up"
}

ensure_postgres
ensure_redis
