#!/usr/bin/env bash
# Builds deploy/Containerfile with podman (daemonless, Debian's package) and checks the image:
# the binary loads every library in the runtime stage, `--version` and `check` run as the image's
# non-root user under the Kubernetes pod's restrictions (read-only root, no capabilities, secrets
# mounted read-only), no compiler is left in it, the binary is stripped, and the HEALTHCHECK
# command passes on a 200 from /healthz and fails on a 404 or no listener; then the service runs
# in the image: healthy by its HEALTHCHECK, not ready without a broker, exit 0 on SIGTERM.
#   container.sh SOURCE_DIR
#
# This machine reaches Debian's archive but no container registry, so the pinned base
# (debian:bookworm-*-slim) cannot be pulled: the base is built here from Debian packages with
# mmdebstrap (variant minbase, the same package set a Debian slim image starts from), imported
# with `podman import`, and passed as --build-arg BASE. Everything after FROM is the real
# Containerfile. Two properties of this sandbox (a VM without CAP_SYS_RESOURCE, cgroup v1 with
# hugetlb on the v2 hierarchy) need: explicit low RLIMIT_NOFILE/NPROC (podman's defaults for root
# raise them, which fails without CAP_SYS_RESOURCE) and runc instead of crun (crun refuses this
# hybrid cgroup layout). Both are flags here, not changes to the machine.
set -euo pipefail
src="$(cd "${1:?usage: container.sh SOURCE_DIR}" && pwd)"
cache="${SGX_CACHE:-$HOME/.cache/segexport}/container"
for tool in podman runc mmdebstrap; do
    command -v "$tool" >/dev/null || {
        echo "container: $tool not installed (scripts/install-system-deps.sh)" >&2; exit 1; }
done
mkdir -p "$cache"
# One run at a time per cache (podman's storage is shared by the runs; the runroot path is
# recorded in it, so it must stay the same from run to run).
exec 9>"$cache/lock"
flock 9
runroot="$cache/runroot"
work="$(mktemp -d /tmp/sgx-container.XXXXXX)"
tag="localhost/segexport-test:$$"
# Private storage: nothing of the machine's own podman state is read or changed.
pm() { podman --root "$cache/storage" --runroot "$runroot" --runtime runc \
              --cgroup-manager cgroupfs --events-backend none "$@"; }
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
cleanup() {
    pm rmi -f "$tag" >/dev/null 2>&1 || true
    pm image prune -f >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "container: FAIL: $*" >&2; exit 1; }

# 1. The base: Debian 12 from Debian's archive, rebuilt weekly (security updates) and cached.
base_tar="$cache/debian-bookworm-minbase-$(date -u +%G-%V).tar"
if [ ! -f "$base_tar" ]; then
    # A new base invalidates every cached layer: start the storage afresh rather than grow it.
    rm -rf "$cache"/debian-bookworm-minbase-*.tar "$cache/storage"
    echo "container: building the Debian 12 base with mmdebstrap" >&2
    mmdebstrap --quiet --variant=minbase --format=tar bookworm "$base_tar.part" \
        "deb http://deb.debian.org/debian bookworm main" \
        "deb http://deb.debian.org/debian bookworm-updates main" \
        "deb http://deb.debian.org/debian-security bookworm-security main"
    mv "$base_tar.part" "$base_tar"
fi
base="localhost/segexport-base:$(basename "$base_tar" .tar)"
pm image exists "$base" || pm import --quiet "$base_tar" "$base" >/dev/null

# 2. The image, from the real Containerfile (docker format: OCI has no HEALTHCHECK). The build
# stage is built and tagged first so that the prune at exit spares its slow package layer for
# the next run; the full build then reuses it from the layer cache.
echo "container: podman build -f deploy/Containerfile" >&2
build=(pm build --quiet --format docker --network host "${limits[@]}" --build-arg "BASE=$base"
       -f "$src/deploy/Containerfile")
"${build[@]}" --target build -t localhost/segexport-build-cache "$src" >/dev/null
"${build[@]}" -t "$tag" "$src" >/dev/null

# 3. What the image is.
user=$(pm image inspect --format '{{.Config.User}}' "$tag")
[ "$user" = "10001:10001" ] || fail "image user is '$user', want 10001:10001"
entry=$(pm image inspect --format '{{json .Config.Entrypoint}}' "$tag")
[ "$entry" = '["/usr/local/bin/segexport"]' ] || fail "entrypoint $entry"
probe=$(pm image inspect --format '{{json .Config.Healthcheck.Test}}' "$tag")
case "$probe" in *'/dev/tcp/127.0.0.1/9464'*'/healthz'*) ;; *) fail "healthcheck: $probe" ;; esac

# As the Deployment runs it: read-only root without podman's extra tmpfs mounts, no
# capabilities, no privilege escalation, no network.
pod_opts=(--no-healthcheck "${limits[@]}" --network none --read-only --read-only-tmpfs=false
          --cap-drop ALL --security-opt no-new-privileges)
run=(pm run --rm "${pod_opts[@]}")
# Every shared library resolves in the runtime stage.
pm run --rm --no-healthcheck "${limits[@]}" --network none --entrypoint ldd "$tag" \
    /usr/local/bin/segexport > "$work/ldd.txt"
! grep -q 'not found' "$work/ldd.txt" \
    || fail "missing libraries: $(grep 'not found' "$work/ldd.txt" | tr -s '\n\t' '  ')"
# Only what `run` needs: no toolchain, no headers, no package lists left behind.
pm run --rm --no-healthcheck "${limits[@]}" --network none --entrypoint /bin/bash "$tag" -c \
    'for t in cc gcc cmake make clang curl; do command -v $t && exit 1; done;
     ! ls /usr/include/librdkafka 2>/dev/null &&
     [ -z "$(ls /var/lib/apt/lists | grep -v -e lock -e partial)" ]' \
    || fail "runtime stage holds build tools, headers or apt lists"
# Stripped: no DWARF left in the shipped binary.
cid=$(pm create --no-healthcheck "$tag")
pm cp "$cid:/usr/local/bin/segexport" "$work/segexport" && pm rm "$cid" >/dev/null
! readelf -S "$work/segexport" | grep -q '\.debug_info' || fail "binary not stripped"

# 4. It runs as the pod does: --version, then `check` of the Kubernetes example's config with the
# example secrets mounted read-only and the environment the Deployment sets.
"${run[@]}" "$tag" --version > "$work/version.txt" || fail "segexport --version"
grep -q '^segexport ' "$work/version.txt" \
    || fail "--version printed: $(head -1 "$work/version.txt")"
py="$(bash "$src/tests/system/venv.sh" "$src/tests/deploy/requirements.txt")"
"$py" "$src/tests/deploy/validate.py" --extract "$src/deploy/k8s" "$work/k8s"
mapfile -t pod < "$work/k8s/podman-args"
args=$(pm image inspect --format '{{json .Config.Cmd}}' "$tag")
[ "$args" = '["run","-c","/etc/segexport/segexport.yaml"]' ] || fail "image CMD $args"
"${run[@]}" "${pod[@]}" "$tag" check -c /etc/segexport/segexport.yaml > "$work/check.txt" 2>&1 \
    || fail "segexport check in the image: $(cat "$work/check.txt")"
grep -q '^configuration OK' "$work/check.txt" || fail "check printed: $(cat "$work/check.txt")"
# and refuses a broken one in the image too (so the step above can fail).
"$py" "$src/tests/deploy/validate.py" --extract "$src/deploy/k8s" "$work/broken"
sed -i 's/^\( *\)dead_letter_topic:/\1dead_letter_topc:/' "$work/broken/config/segexport.yaml"
mapfile -t broken < "$work/broken/podman-args"
if "${run[@]}" "${broken[@]}" "$tag" check -c /etc/segexport/segexport.yaml >/dev/null 2>&1; then
    fail "check accepted a config with an unknown key"
fi

# 5. The HEALTHCHECK command itself, run with bash in a private network namespace (so port 9464
# is ours) against a server that answers 200, then 404, then nothing.
cmd=$(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); assert t[0]=="CMD"; print(t[-1])' \
      "$probe")
mkdir -p "$work/www"
unshare -n bash -c '
    ip link set lo up
    (cd "$1" && exec python3 -m http.server 9464 --bind 127.0.0.1 >/dev/null 2>&1) & pid=$!
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/9464) 2>/dev/null && break; sleep 0.1; done
    echo ok > "$1/healthz"
    bash -c "$2" || { echo "healthcheck failed on 200"; kill $pid; exit 1; }
    rm "$1/healthz"
    bash -c "$2" && { echo "healthcheck passed on 404"; kill $pid; exit 1; }
    kill $pid; wait $pid 2>/dev/null
    bash -c "$2" && { echo "healthcheck passed with no listener"; exit 1; }
    exit 0' _ "$work/www" "$cmd" 9>&- 2>/dev/null || fail "HEALTHCHECK command"

# 6. The service itself, as the pod runs it, with no broker reachable (no network): the image's
# HEALTHCHECK command passes against the real /healthz (threads alive), /readyz answers 503 (no
# broker), and SIGTERM stops it gracefully with exit 0 well within the pod's grace period.
name="sgx-test-$$"
pm run -d --name "$name" "${pod_opts[@]}" "${pod[@]}" "$tag" >/dev/null
cleanup_run() { pm rm -f "$name" >/dev/null 2>&1 || true; cleanup; }
trap cleanup_run EXIT
live=0
for _ in $(seq 60); do
    pm exec "$name" /bin/bash -c "$cmd" 2>/dev/null && { live=1; break; }
    sleep 1
done
[ $live -eq 1 ] \
    || fail "HEALTHCHECK never passed on the running service: $(pm logs "$name" 2>&1 | tail -3)"
ready=$(pm exec "$name" /bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/9464;
    printf "GET /readyz HTTP/1.0\r\n\r\n" >&3; read -r _ code _ <&3; echo "$code"')
[ "$ready" = 503 ] || fail "/readyz answered $ready without a broker, want 503"
grace=$("$py" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1]))
print(d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"])' \
    "$src/deploy/k8s/deployment.yaml")
pm stop -t "$grace" "$name" >/dev/null
code=$(pm inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || fail "after SIGTERM the service exited $code: $(pm logs "$name" 2>&1 | tail -3)"

size=$(pm image inspect --format '{{.Size}}' "$tag")
echo "container: PASS (image $((size / 1048576)) MiB, $(wc -l < "$work/ldd.txt") shared objects" \
     "resolved, $(head -1 "$work/version.txt"))"
