#!/usr/bin/env bash
# mysql.sh — a throwaway MariaDB (MySQL protocol) on 127.0.0.1 for CI and tests.
#
#   bash scripts/mysql.sh start  [ENVFILE]   install mariadb-server if missing (apt), start it on a
#                                            free port with a temp data dir, wait until it answers,
#                                            write ENVFILE (sourceable) and print MYSQL_URL
#   bash scripts/mysql.sh stop   [ENVFILE]   stop what ENVFILE recorded (by PID), remove its temp dir
#   bash scripts/mysql.sh status [ENVFILE]   exit 0 if the recorded server answers
#
# ENVFILE defaults to ${TMPDIR:-/tmp}/mysql-<hash of $PWD>.env. It holds
#   MYSQL_URL=mysql://app:app@127.0.0.1:PORT/app  MYSQL_PORT  MYSQL_PID  MYSQL_DIR
# Idempotent: `start` again reuses a running server. `stop` only signals the PID it recorded, after
# checking that it is still our mariadbd (same data dir). The app user gets every privilege on
# *.* so tests can create throwaway databases. Settings: MYSQL_TMPDIR=/tmp (parent of the data dir).
set -euo pipefail

cmd=${1:-start}
envfile=${2:-${TMPDIR:-/tmp}/mysql-$(printf '%s' "$PWD" | cksum | cut -d' ' -f1).env}
log() { printf '[mysql] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' 2>/dev/null \
    || python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
}
pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null && [[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]]; }
find_bin() { for b in "$@"; do command -v "$b" 2>/dev/null && return 0; [[ -x /usr/sbin/$b ]] && { echo "/usr/sbin/$b"; return 0; }; done; return 1; }

load_env() {
  unset MYSQL_URL MYSQL_PORT MYSQL_PID MYSQL_DIR
  # shellcheck disable=SC1090
  [[ -f "$envfile" ]] && . "$envfile"
  return 0
}
ours() {
  [[ -n "${MYSQL_PID:-}" && -n "${MYSQL_DIR:-}" ]] && pid_alive "$MYSQL_PID" \
    && tr '\0' ' ' < "/proc/$MYSQL_PID/cmdline" 2>/dev/null | grep -q -- "--datadir=$MYSQL_DIR/data"
}
answers() { "$client" --protocol=tcp -h 127.0.0.1 -P "$MYSQL_PORT" -u app -papp -e 'SELECT 1' app >/dev/null 2>&1; }

install() {
  [[ $(id -u) == 0 ]] || die "mariadb-server is missing; install it: apt-get install -y mariadb-server"
  log "installing mariadb-server (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >&2 || log "apt-get update failed; trying install anyway"
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends mariadb-server mariadb-client >&2
}

stop() {
  load_env
  [[ -f "$envfile" ]] || { log "nothing to stop: no $envfile"; return 0; }
  if ours; then
    kill -TERM "$MYSQL_PID" 2>/dev/null || true
    for _ in $(seq 1 150); do pid_alive "$MYSQL_PID" || break; sleep 0.1; done
    pid_alive "$MYSQL_PID" && { log "mariadbd $MYSQL_PID still running"; return 1; }
    log "mariadbd $MYSQL_PID stopped"
  else
    log "mariadbd ${MYSQL_PID:-?} not running (or not ours): left alone"
  fi
  [[ -n "${MYSQL_DIR:-}" && -f "$MYSQL_DIR/.mysql-dir" ]] && rm -rf "$MYSQL_DIR"
  rm -f "$envfile"
}

start() {
  load_env
  if [[ -f "$envfile" ]] && ours; then
    log "already running (pid $MYSQL_PID); reusing $envfile"
    echo "MYSQL_URL=$MYSQL_URL"; return 0
  fi
  [[ -f "$envfile" ]] && { stop || true; load_env; }
  server=$(find_bin mariadbd mysqld) || { install; server=$(find_bin mariadbd mysqld) || die "no mariadbd after install"; }
  installer=$(find_bin mariadb-install-db mysql_install_db) || die "no mariadb-install-db"
  client=$(find_bin mariadb mysql) || die "no mariadb client"
  MYSQL_DIR=$(mktemp -d "${MYSQL_TMPDIR:-/tmp}/mysql.XXXXXX")
  chmod 755 "$MYSQL_DIR"; : > "$MYSQL_DIR/.mysql-dir"
  user=$(id -un)
  if [[ $(id -u) == 0 ]]; then user=mysql; id -u mysql >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin mysql; fi
  mkdir -p "$MYSQL_DIR/data"; chown "$user" "$MYSQL_DIR" "$MYSQL_DIR/data"
  "$installer" --no-defaults --user="$user" --datadir="$MYSQL_DIR/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$MYSQL_DIR/install.log" 2>&1 || { cat "$MYSQL_DIR/install.log" >&2; die "mariadb-install-db failed"; }
  MYSQL_PORT=$(free_port)
  # 9>&- etc.: the server must not keep our descriptors; setsid: it outlives this script.
  setsid "$server" --no-defaults --user="$user" --datadir="$MYSQL_DIR/data" --socket="$MYSQL_DIR/mysql.sock" \
    --pid-file="$MYSQL_DIR/mysql.pid" --bind-address=127.0.0.1 --port="$MYSQL_PORT" --skip-name-resolve \
    --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 --max-connections=300 \
    --log-error="$MYSQL_DIR/error.log" </dev/null >/dev/null 2>&1 9>&- &
  for _ in $(seq 1 300); do
    [[ -S "$MYSQL_DIR/mysql.sock" ]] && "$client" --no-defaults -S "$MYSQL_DIR/mysql.sock" -u root -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$client" --no-defaults -S "$MYSQL_DIR/mysql.sock" -u root -e 'SELECT 1' >/dev/null 2>&1 || { tail -20 "$MYSQL_DIR/error.log" >&2; die "mariadbd did not start"; }
  MYSQL_PID=$(cat "$MYSQL_DIR/mysql.pid")
  "$client" --no-defaults -S "$MYSQL_DIR/mysql.sock" -u root <<'SQL'
CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app';
CREATE USER 'app'@'localhost' IDENTIFIED BY 'app';
GRANT ALL PRIVILEGES ON *.* TO 'app'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'app'@'localhost' WITH GRANT OPTION;
CREATE DATABASE app CHARACTER SET utf8mb4;
SQL
  answers || die "mariadbd is up but a TCP login as app failed"
  MYSQL_URL="mysql://app:app@127.0.0.1:$MYSQL_PORT/app"
  {
    echo "# written by mysql.sh $(date -u +%FT%TZ); stop with: bash scripts/mysql.sh stop '$envfile'"
    echo "export MYSQL_URL='$MYSQL_URL' MYSQL_PORT=$MYSQL_PORT MYSQL_PID=$MYSQL_PID MYSQL_DIR='$MYSQL_DIR'"
  } > "$envfile.tmp.$$"
  mv "$envfile.tmp.$$" "$envfile"
  log "ready (pid $MYSQL_PID, port $MYSQL_PORT, dir $MYSQL_DIR)"
  echo "MYSQL_URL=$MYSQL_URL"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) load_env; client=$(find_bin mariadb mysql) || exit 1; ours && answers && { log "up: pid $MYSQL_PID port $MYSQL_PORT"; exit 0; }; log "down"; exit 1 ;;
  *) echo "usage: mysql.sh start|stop|status [ENVFILE]" >&2; exit 2 ;;
esac
