#!/bin/sh
# Builds a local stand-in for the Dockerfile's base image (node:20-slim) when no image registry
# is reachable, so `docker build .` works unchanged: a Debian minbase root filesystem made by
# debootstrap (from a Debian mirror, which apt reaches), trimmed like debian:*-slim, plus this
# host's node and npm, a `node` user (uid 1000, as in the official image) and this host's CA
# bundle for npm (a TLS-intercepting proxy's CA must be trusted by `npm ci` in the build).
#
#   sudo scripts/docker-base-image.sh                  # tags node:20-slim
#   sudo scripts/docker-base-image.sh my-node:20       # another tag
#   docker build --network host -t switchyard:local .
#
# Needs root (debootstrap), debootstrap, docker with a running daemon, and node 20 with npm on
# the host. SUITE (default bookworm) and MIRROR (default http://deb.debian.org/debian) choose the
# Debian release and mirror.
set -eu

tag="${1:-node:20-slim}"
suite="${SUITE:-bookworm}"
mirror="${MIRROR:-http://deb.debian.org/debian}"

fail() { echo "docker-base-image: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (debootstrap needs it)"
command -v debootstrap >/dev/null || fail "debootstrap not found (apt-get install -y debootstrap)"
command -v docker >/dev/null || fail "docker not found"
docker info >/dev/null 2>&1 || fail "the docker daemon does not answer"

node_bin="$(readlink -f "$(command -v node)")" || fail "node not found"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
[ -f "$npm_dir/package.json" ] || fail "npm's package folder not found (looked at $npm_dir)"
node_version="$("$node_bin" --version)"
case "$node_version" in v20.*) ;; *) echo "docker-base-image: warning: host node is $node_version, the Dockerfile expects 20" >&2 ;; esac

work="$(mktemp -d)"
# debootstrap mounts proc and sys inside the new root while it works: unmount whatever a failed
# run left there before removing, and never let rm cross into another file system.
cleanup() {
  for m in proc sys dev/pts dev; do umount "$work/rootfs/$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
root="$work/rootfs"

echo "docker-base-image: debootstrap $suite from $mirror" >&2
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }

# What debian:*-slim leaves out: package caches and lists, documentation, manuals, translations.
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*

# node and npm where the official image has them.
install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -R "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /usr/local/bin/node --version >/dev/null || fail "node does not run in the new root (missing libraries?)"

# npm trusts the host's CA bundle (global npmrc of the /usr/local prefix); node itself keeps its own.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  mkdir -p "$root/usr/local/etc"
  echo "cafile=/etc/ssl/certs/ca-certificates.crt" >"$root/usr/local/etc/npmrc"
fi

chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

tar -C "$root" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'CMD ["node"]' \
  --message "debootstrap $suite minbase + host node $node_version" - "$tag" >/dev/null
echo "docker-base-image: built $tag (node $node_version, Debian $suite)" >&2
docker image ls "$tag"
