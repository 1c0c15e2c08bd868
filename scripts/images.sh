#!/usr/bin/env bash
# Build the busybox-based test images (no registry needed) and import them.
#
# Usage: scripts/images.sh SOCKET
#   SOCKET: containerd gRPC socket, e.g. DIR/containerd.sock from scripts/containerd.sh
#        scripts/images.sh --archives
#   builds only, and prints the directory holding busybox.tar and pause.tar (OCI archives), for
#   runtimes that import them another way (scripts/crio.sh)
#
# Images (namespace k8s.io):
#   staticlet.local/busybox:1  /bin/busybox + applet symlinks, Env PATH=/bin, Cmd ["sh"]
#   staticlet.local/pause:1    same layer, Entrypoint ["/bin/sleep","2147483647"] (sandbox image)
#
# The OCI archives are built by hand, deterministically, and cached in
# $STATICLET_CACHE/images/<key>, keyed by the busybox binary's sha256, so reruns
# only import.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Bump when the image recipe below changes, so cached archives are rebuilt.
readonly RECIPE_VERSION=1
readonly NAMESPACE=k8s.io
readonly BUSYBOX=/bin/busybox
readonly BUSYBOX_IMAGE=staticlet.local/busybox:1
readonly PAUSE_IMAGE=staticlet.local/pause:1

(($# == 1)) || {
  echo "usage: $0 SOCKET | --archives" >&2
  exit 2
}
SOCKET="$1"

ensure_apt_packages busybox-static tar coreutils
[[ "$SOCKET" == --archives ]] || ensure_apt_packages containerd

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Deterministic tar: sorted names, fixed mtime, numeric root owner, no pax times.
det_tar() {
  local src="$1" out="$2"
  shift 2
  tar -C "$src" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --format=ustar -cf "$out" "$@"
}

# Platform of the image config, in OCI terms.
oci_arch() {
  local a
  a="$(dpkg --print-architecture)"
  case "$a" in
  amd64 | arm64 | s390x | ppc64el | riscv64 | 386) ;;
  *) die "unsupported architecture: $a" ;;
  esac
  [[ "$a" == ppc64el ]] && a=ppc64le
  echo "$a"
}

# build_layer OUT.tar : /bin/busybox, one symlink per applet, /etc/passwd+group, /tmp.
build_layer() {
  local out="$1" rootfs applet
  rootfs="$WORK/rootfs"
  mkdir -p "$rootfs"/{bin,etc,tmp,root}
  cp "$BUSYBOX" "$rootfs/bin/busybox"
  # Every applet this busybox has, as /bin/<applet> -> busybox (PATH=/bin).
  for applet in $("$BUSYBOX" --list); do
    [[ "$applet" =~ ^[A-Za-z0-9._-]+$ && "$applet" != busybox ]] || continue
    ln -s busybox "$rootfs/bin/$applet"
  done
  cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
EOF
  # Explicit modes: the builder's umask must not leak into the layer digest.
  chmod 0755 "$rootfs" "$rootfs/bin" "$rootfs/etc" "$rootfs/bin/busybox"
  chmod 0700 "$rootfs/root"
  chmod 1777 "$rootfs/tmp"
  chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"
  det_tar "$rootfs" "$out" bin etc root tmp
}

# put_blob FILE LAYOUT : store FILE as a blob; prints its digest hex.
put_blob() {
  local file="$1" layout="$2" hex
  hex="$(sha256_of "$file")"
  mkdir -p "$layout/blobs/sha256"
  cp "$file" "$layout/blobs/sha256/$hex"
  echo "$hex"
}

# build_image NAME CONFIG_FRAGMENT OUT.tar : one-layer OCI archive for NAME.
# CONFIG_FRAGMENT is the JSON body of the image config's "config" object.
build_image() {
  local name="$1" fragment="$2" out="$3"
  local layout="$WORK/layout-${name//[^a-z0-9]/_}"
  local layer_hex layer_size config_hex config_size manifest_hex manifest_size arch
  arch="$(oci_arch)"
  mkdir -p "$layout"

  layer_hex="$(put_blob "$WORK/layer.tar" "$layout")"
  layer_size="$(stat -c %s "$WORK/layer.tar")"

  # Uncompressed layer: its digest is also its diff_id.
  printf '%s' "{\"architecture\":\"$arch\",\"os\":\"linux\",\"config\":{$fragment},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$layer_hex\"]},\"history\":[{\"created_by\":\"staticlet scripts/images.sh\"}]}" >"$WORK/config.json"
  config_hex="$(put_blob "$WORK/config.json" "$layout")"
  config_size="$(stat -c %s "$WORK/config.json")"

  printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config_hex\",\"size\":$config_size},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$layer_hex\",\"size\":$layer_size}]}" >"$WORK/manifest.json"
  manifest_hex="$(put_blob "$WORK/manifest.json" "$layout")"
  manifest_size="$(stat -c %s "$WORK/manifest.json")"

  # io.containerd.image.name is what `ctr images import` names the image after;
  # ref.name carries the tag, as the OCI layout spec suggests.
  printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest_hex\",\"size\":$manifest_size,\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"},\"annotations\":{\"io.containerd.image.name\":\"$name\",\"org.opencontainers.image.ref.name\":\"${name##*:}\"}}]}" >"$layout/index.json"
  printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"

  find "$layout" -type d -exec chmod 0755 {} +
  find "$layout" -type f -exec chmod 0644 {} +
  det_tar "$layout" "$out" oci-layout index.json blobs
}

# ---------------------------------------------------------------- build (cached)

[[ -x "$BUSYBOX" ]] || die "$BUSYBOX not found (package busybox-static)"
key="$(printf 'recipe=%s busybox=%s arch=%s' "$RECIPE_VERSION" "$(sha256_of "$BUSYBOX")" "$(oci_arch)" |
  sha256sum | cut -c1-16)"
cache="$STATICLET_CACHE/images/$key"
mkdir -p "$STATICLET_CACHE/images"

# flock: parallel callers (several test files) must not build into the same dir.
exec 9>"$STATICLET_CACHE/images/.lock"
flock -w 300 9 || die "timed out waiting for $STATICLET_CACHE/images/.lock"

if [[ ! -f "$cache/busybox.tar" || ! -f "$cache/pause.tar" ]]; then
  log "building images into $cache"
  WORK="$(mktemp -d "$STATICLET_CACHE/images/.build.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  build_layer "$WORK/layer.tar"
  build_image "$BUSYBOX_IMAGE" '"Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/"' "$WORK/busybox.tar"
  build_image "$PAUSE_IMAGE" '"Env":["PATH=/bin"],"Entrypoint":["/bin/sleep","2147483647"],"WorkingDir":"/"' "$WORK/pause.tar"
  rm -rf "$cache"
  mkdir -p "$WORK/out"
  mv "$WORK/busybox.tar" "$WORK/pause.tar" "$WORK/out/"
  # Rename last, so a half-built cache entry is never visible.
  mv "$WORK/out" "$cache"
fi
flock -u 9
if [[ "$SOCKET" == --archives ]]; then
  echo "$cache"
  exit 0
fi

# ---------------------------------------------------------------- import

# The ctr of the instance's own version when scripts/containerd.sh made it (DIR/bin/ctr for 2.x).
ctr=ctr
[[ -x "$(dirname "$SOCKET")/bin/ctr" ]] && ctr="$(dirname "$SOCKET")/bin/ctr"
timeout 10 "$ctr" -a "$SOCKET" version >/dev/null 2>&1 || die "containerd does not answer on $SOCKET"
present="$("$ctr" -a "$SOCKET" -n "$NAMESPACE" images ls -q)"
for pair in "$BUSYBOX_IMAGE:busybox.tar" "$PAUSE_IMAGE:pause.tar"; do
  name="${pair%:*}"
  file="$cache/${pair##*:}"
  if grep -qxF -- "$name" <<<"$present"; then
    log "already imported: $name"
    continue
  fi
  log "importing $name"
  "$ctr" -a "$SOCKET" -n "$NAMESPACE" images import "$file" >&2
  "$ctr" -a "$SOCKET" -n "$NAMESPACE" images ls -q | grep -qxF -- "$name" ||
    die "import of $file did not create $name"
done
