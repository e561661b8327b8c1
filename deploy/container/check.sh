#!/usr/bin/env bash
# CI: build the image from the repository's Dockerfile (Containerfile links to it) and run it,
# on a machine where no image registry is reachable and no Docker engine runs.
#
#  1. A stand-in for debian:bookworm-slim: `debootstrap --variant=minbase bookworm` from Debian's
#     package mirror, slimmed as the official image is (dpkg path excludes, no package lists),
#     committed with buildah under that name. It is kept between runs in $CACHE (its storage)
#     and made again when it is older than $BASE_MAX_AGE_DAYS.
#  2. `buildah build --pull=never --isolation chroot --format docker` (the Docker format keeps
#     the HEALTHCHECK; the OCI format drops it), with layers cached in the same storage.
#  3. The image's own checks: user, volume, port, healthcheck, no compiler and no pip inside.
#  4. podman runs it and a lead is read over HTTP from outside the container:
#     - SQLite: `-p` to port 8000, KOMMODORE_DEMO=1, the image's healthcheck, then a second
#       container on the same /data volume that still takes the first one's token;
#     - PostgreSQL: a database made for the test (dropped afterwards), Redis and a shared
#       signing key, the environment compose.yaml gives kommodore, on the host's network
#       (the CI's PostgreSQL and Redis listen on 127.0.0.1 only).
#  5. compose.yaml parsed, and its kommodore environment compared with the one used in 4.
#
# Needs root. Installs what it lacks from Debian's packages. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE=${KOMMODORE_CI_CONTAINER_CACHE:-/var/cache/kommodore-ci/container}
STORAGE_DRIVER=${KOMMODORE_CI_STORAGE_DRIVER:-overlay}
BASE_MAX_AGE_DAYS=${KOMMODORE_CI_BASE_MAX_AGE_DAYS:-7}
BASE=debian:bookworm-slim
IMAGE=localhost/kommodore:ci
BUILDER_IMAGE=localhost/kommodore-builder:ci
PG_URL_BASE=${KOMMODORE_CI_POSTGRES:-postgresql://postgres@127.0.0.1:5432}
REDIS_URL=${KOMMODORE_CI_REDIS_URL:-redis://127.0.0.1:6379/0}
RUN_ID=$$
SQLITE_NAME=kommodore-ci-sqlite-$RUN_ID
SQLITE_VOLUME=kommodore-ci-data-$RUN_ID
PG_NAME=kommodore-ci-postgres-$RUN_ID
PG_DB=kommodore_container_ci_$RUN_ID

started=$SECONDS
phase_started=$SECONDS
timings=()
say() { echo "container-check: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
phase_done() {
  timings+=("$1 $((SECONDS - phase_started))s")
  say "$1 took $((SECONDS - phase_started))s"
  phase_started=$SECONDS
}

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, buildah and podman as root)"

# ---- tools ------------------------------------------------------------------------------
need=()
for tool in debootstrap:debootstrap buildah:buildah podman:podman runc:runc \
  psql:postgresql-client redis-cli:redis-tools curl:curl openssl:openssl; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
/usr/bin/python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
if [ "${#need[@]}" -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
buildah --version >&2
podman --version >&2

# One container storage for buildah and podman, kept between runs (the base and the layers).
mkdir -p "$CACHE" /run/kommodore-ci
cat >"$CACHE/storage.conf" <<EOF
[storage]
driver = "$STORAGE_DRIVER"
graphroot = "$CACHE/storage-$STORAGE_DRIVER"
runroot = "/run/kommodore-ci/storage-$STORAGE_DRIVER"
EOF
export CONTAINERS_STORAGE_CONF=$CACHE/storage.conf
phase_done tools

cleanup() {
  set +e
  podman rm -f -v -t 2 "$SQLITE_NAME" "$SQLITE_NAME-again" "$PG_NAME" >/dev/null 2>&1
  podman volume rm -f "$SQLITE_VOLUME" >/dev/null 2>&1
  psql "$PG_URL_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
  [ -n "${rootfs:-}" ] && rm -rf "$rootfs"
}
trap cleanup EXIT

# ---- 1. the base -----------------------------------------------------------------------
stamp=$CACHE/base-$STORAGE_DRIVER.stamp
if buildah inspect --type image "localhost/$BASE" >/dev/null 2>&1 && [ -f "$stamp" ] &&
  [ -z "$(find "$stamp" -mtime "+$BASE_MAX_AGE_DAYS")" ]; then
  say "base $BASE: cached stand-in from $(cat "$stamp")"
  base_state=cached
else
  say "base $BASE: making a stand-in with debootstrap --variant=minbase bookworm"
  rootfs=$(mktemp -d /var/tmp/kommodore-base.XXXXXX)
  # Debian's default mirror unless KOMMODORE_CI_DEBIAN_MIRROR names another.
  # shellcheck disable=SC2086
  debootstrap --variant=minbase bookworm "$rootfs" ${KOMMODORE_CI_DEBIAN_MIRROR:-} \
    >"$CACHE/debootstrap.log" 2>&1 || { tail -20 "$CACHE/debootstrap.log" >&2; fail debootstrap; }
  # As the official slim image: no documentation, manuals or translations installed, now or by
  # later apt-get installs; apt cleans its caches; no package lists left behind.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'APT::AutoRemove::SuggestsImportant "false";' \
    >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  # The host's Debian sources (with updates and security, as the official image has) if it has
  # them in that form; else the sources.list debootstrap wrote.
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources"
    rm -f "$rootfs/etc/apt/sources.list"
  fi
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{groff,info,linda,lintian,locale,man}/* \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/* "$rootfs"/tmp/* \
    "$rootfs"/root/.bash_history
  : >"$rootfs/etc/machine-id"
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  tar -C "$rootfs" --numeric-owner --xattrs -cf - . | tar -C "$mnt" --numeric-owner --xattrs -xpf -
  buildah umount "$ctr" >/dev/null
  buildah config --os linux --arch "$(dpkg --print-architecture)" --cmd bash \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  buildah commit --quiet --format docker "$ctr" "localhost/$BASE" >/dev/null
  buildah tag "localhost/$BASE" "docker.io/library/$BASE"
  buildah rm "$ctr" >/dev/null
  rm -rf "$rootfs"
  rootfs=
  date -u +%FT%TZ >"$stamp"
  base_state=built
fi
base_size=$(podman image inspect --format '{{.Size}}' "localhost/$BASE")
phase_done "base ($base_state)"

# ---- 2. the image ----------------------------------------------------------------------
# The builder stage is tagged too, so that pruning old images keeps its cached dependency layer.
build=(buildah build --pull=never --isolation chroot --format docker --layers --quiet)
# pip in the builder trusts what this machine trusts (its egress may re-sign TLS); the bundle is
# mounted for the RUN steps only and reaches no layer.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  build+=(-v /etc/ssl/certs/ca-certificates.crt:/run/build-ca.crt:ro
    --build-arg BUILD_CA_BUNDLE=/run/build-ca.crt)
fi
"${build[@]}" --target builder -t "$BUILDER_IMAGE" . >/dev/null
# No -f: podman and buildah find Containerfile (the link) as they would for a user.
"${build[@]}" -t "$IMAGE" . >/dev/null
podman image prune -f >/dev/null
podman volume prune -f >/dev/null  # this storage's own: anonymous /data volumes of past runs
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
phase_done build

# How podman runs containers on this machine (a VM whose cgroups are v1 with a v2 hierarchy
# beside them, where even root may not raise its resource limits):
#  - runc, not podman's default crun: crun 1.8 stops with "cgroups in hybrid mode not
#    supported, drop all controllers from cgroupv2";
#  - limits at or below this shell's: podman's defaults for root raise RLIMIT_NOFILE and
#    RLIMIT_NPROC, and setrlimit answers "operation not permitted" (seen with NPROC at 65536,
#    fine at 4096).
# Podman's healthcheck timers need systemd, which this machine does not run: podman logs an
# error about the timer and runs the container; `podman healthcheck run` runs the check.
podman_run=(podman run --runtime runc --ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)"
  --ulimit nproc=4096:4096)
# Podman's complaint about the healthcheck timer, left out of the log (said once here).
quiet_timers() { grep -v 'unable to get systemd connection' >&2 || true; }

# ---- 3. what the image is --------------------------------------------------------------
podman image inspect "$IMAGE" --format json >"$CACHE/image.json"
/usr/bin/python3 - "$CACHE/image.json" <<'EOF' >&2 || fail "image config"
import json
import sys

image = json.load(open(sys.argv[1]))[0]
cfg = image["Config"]
hc = image.get("Healthcheck") or cfg.get("Healthcheck") or {}
problems = []
if cfg.get("User") != "10001:10001":
    problems.append("User " + repr(cfg.get("User")))
if "8000/tcp" not in (cfg.get("ExposedPorts") or {}):
    problems.append("8000 not exposed")
if "/data" not in (cfg.get("Volumes") or {}):
    problems.append("no /data volume")
if "KOMMODORE_DATA_DIR=/data" not in cfg.get("Env", []):
    problems.append("no KOMMODORE_DATA_DIR=/data")
if "/healthz" not in " ".join(hc.get("Test") or []):
    problems.append("healthcheck " + repr(hc))
if cfg.get("Entrypoint") != ["/usr/local/bin/kommodore-entrypoint"]:
    problems.append("entrypoint " + repr(cfg.get("Entrypoint")))
if problems:
    sys.exit("image config: " + "; ".join(problems))
print("image config: user 10001:10001, VOLUME /data, EXPOSE 8000, HEALTHCHECK", hc["Test"])
EOF
# shellcheck disable=SC2016  # expanded by the container's shell
"${podman_run[@]}" --rm --network none --entrypoint /bin/sh "$IMAGE" -c '
  for tool in gcc cc c++ make pip pip3 python3-config; do
    if command -v "$tool" >/dev/null; then echo "found $tool"; exit 1; fi
  done
  if ls /opt/kommodore/bin | grep -q "^pip"; then echo "pip in the venv"; exit 1; fi
  if [ -n "$(ls -A /var/lib/apt/lists 2>/dev/null)" ]; then echo "package lists"; exit 1; fi
  if [ -d /root/.cache ]; then echo "/root/.cache"; exit 1; fi
  test "$(id -u)" = 10001
  echo "no compiler, no pip, no package lists; runs as $(id -un) ($(id -u))"
' 2> >(quiet_timers) >&2 || fail "the final stage holds build tools, or a cache, or runs as root"
phase_done inspect

# ---- 4. run it -------------------------------------------------------------------------
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits for the container's /healthz on $1 (a base URL) and for the demo's token in its log.
await_demo() {
  local name=$1 base=$2 deadline=$((SECONDS + 180))
  until curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; do
    if [ "$(podman inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
      podman logs "$name" >&2 || true
      fail "$name stopped before it answered"
    fi
    [ "$SECONDS" -lt "$deadline" ] || { podman logs "$name" >&2; fail "$name: no /healthz"; }
    sleep 0.5
  done
  token=$(podman logs "$name" 2>/dev/null | sed -n 's/^TOKEN=//p' | tail -1)
  lead=$(podman logs "$name" 2>/dev/null | sed -n 's#.*/api/v4/leads/\([0-9]*\).*#\1#p' | tail -1)
  if [ -z "$token" ] || [ -z "$lead" ]; then
    podman logs "$name" >&2
    fail "$name: no token or lead in its log"
  fi
}

# GET /api/v4/leads/{id} from outside the container; checks the answer is that lead.
read_lead() {
  local base=$1 token=$2 lead=$3 body
  body=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v4/leads/$lead?with=contacts") ||
    fail "GET $base/api/v4/leads/$lead"
  /usr/bin/python3 - "$lead" "$body" <<'EOF' >&2 || fail "the lead's body"
import json
import sys

lead = json.loads(sys.argv[2])
assert lead["id"] == int(sys.argv[1]) and lead["name"], lead
print("read lead %d (%r, price %s) over HTTP" % (lead["id"], lead["name"], lead["price"]))
EOF
}

# SQLite, as the README's one-line trial runs it: port 8000 published, KOMMODORE_DEMO=1.
port=$(free_port)
base_url=http://127.0.0.1:$port
podman volume create "$SQLITE_VOLUME" >/dev/null
"${podman_run[@]}" -d --name "$SQLITE_NAME" -p "127.0.0.1:$port:8000" -v "$SQLITE_VOLUME:/data" \
  -e KOMMODORE_DEMO=1 "$IMAGE" >/dev/null 2> >(quiet_timers)
await_demo "$SQLITE_NAME" "$base_url"
read_lead "$base_url" "$token" "$lead"
podman healthcheck run "$SQLITE_NAME" >&2 || fail "the image's HEALTHCHECK"
say "HEALTHCHECK: healthy"
podman exec "$SQLITE_NAME" ls -A /data >&2
# The volume keeps the data and the signing key: a new container takes the old token.
podman rm -f -t 5 "$SQLITE_NAME" >/dev/null 2> >(quiet_timers)
"${podman_run[@]}" -d --name "$SQLITE_NAME-again" -p "127.0.0.1:$port:8000" -v "$SQLITE_VOLUME:/data" \
  "$IMAGE" >/dev/null 2> >(quiet_timers)
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null "$base_url/healthz" 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || { podman logs "$SQLITE_NAME-again" >&2; fail "restart"; }
  sleep 0.5
done
read_lead "$base_url" "$token" "$lead"
say "a new container on the same volume took the first one's token"
podman rm -f -t 5 "$SQLITE_NAME-again" >/dev/null 2> >(quiet_timers)
phase_done "run on SQLite"

# PostgreSQL and Redis, the environment compose.yaml gives kommodore. The CI's servers listen
# on 127.0.0.1 only, so the container shares the host's network and serves on a free port.
psql "$PG_URL_BASE/postgres" -qc "CREATE DATABASE $PG_DB" || fail "CREATE DATABASE $PG_DB"
port=$(free_port)
base_url=http://127.0.0.1:$port
pem=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null)
ci_env=(
  KOMMODORE_DATABASE_URL="$PG_URL_BASE/$PG_DB"
  KOMMODORE_REDIS_URL="$REDIS_URL"
  KOMMODORE_JWT_PRIVATE_KEY="$pem"
  KOMMODORE_DEMO=1
)
env_args=()
for kv in "${ci_env[@]}"; do env_args+=(-e "$kv"); done
"${podman_run[@]}" -d --name "$PG_NAME" --network host "${env_args[@]}" \
  "$IMAGE" serve --host 127.0.0.1 --port "$port" >/dev/null 2> >(quiet_timers)
await_demo "$PG_NAME" "$base_url"
read_lead "$base_url" "$token" "$lead"
leads_in_pg=$(psql "$PG_URL_BASE/$PG_DB" -tAc "SELECT count(*) FROM leads WHERE id = $lead")
[ "$leads_in_pg" = 1 ] || fail "lead $lead is not in PostgreSQL database $PG_DB"
say "lead $lead is a row of PostgreSQL database $PG_DB"
[ -z "$(podman exec "$PG_NAME" ls -A /data)" ] ||
  fail "/data is not empty on PostgreSQL with the key from the environment"
# The rate limiter's counters went to Redis (a window key lives 2 s after the request).
counted=
for _ in 1 2 3; do
  read_lead "$base_url" "$token" "$lead" 2>/dev/null
  if [ -n "$(redis-cli -u "$REDIS_URL" --scan --pattern 'kommodore:rl:*' | head -1)" ]; then
    counted=yes
    break
  fi
done
[ -n "$counted" ] || fail "no rate-limit counter in Redis"
say "rate-limit counters in Redis"
podman rm -f -v -t 5 "$PG_NAME" >/dev/null 2> >(quiet_timers)
psql "$PG_URL_BASE/postgres" -qc "DROP DATABASE $PG_DB WITH (FORCE)"
phase_done "run on PostgreSQL"

# ---- 5. compose.yaml -------------------------------------------------------------------
# No engine here runs compose; its syntax and its kommodore environment are checked instead.
ci_keys=$(for kv in "${ci_env[@]}"; do echo "${kv%%=*}"; done | sort | tr '\n' ' ')
/usr/bin/python3 - "$ci_keys" <<'EOF' >&2 || fail compose.yaml
import sys
import yaml

doc = yaml.safe_load(open("compose.yaml"))
services = doc["services"]
assert set(services) == {"kommodore", "postgres", "redis"}, set(services)
k = services["kommodore"]
assert k["build"] in (".", {"context": "."}), k["build"]
env = k["environment"]
keys = sorted(env) if isinstance(env, dict) else sorted(e.split("=", 1)[0] for e in env)
assert " ".join(keys) == sys.argv[1].strip(), f"compose {keys} != CI {sys.argv[1].split()}"
assert any(str(p).endswith(":8000") or str(p).endswith(":8000/tcp") for p in k["ports"])
assert any(str(v).split(":")[1] == "/data" for v in k["volumes"]), k["volumes"]
assert set(k["depends_on"]) == {"postgres", "redis"}, k["depends_on"]
print("compose.yaml: kommodore, postgres, redis; kommodore's environment is", " ".join(keys))
EOF
phase_done compose

say "image $IMAGE: $((size / 1000000)) MB ($size bytes, uncompressed); the base stand-in $((base_size / 1000000)) MB"
say "timings: ${timings[*]}; total $((SECONDS - started))s"
echo "container check: passed (base $base_state, total $((SECONDS - started))s)"
