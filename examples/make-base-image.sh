#!/bin/sh
# Build the examples' base image `busybox:latest` on a machine with no registry access.
#
# It makes a tiny root filesystem from Debian's busybox-static (/usr/bin/busybox + one
# symlink per applet + /etc/passwd,group) and imports it into the pycompose engine with
# `pycompose image import` (the equivalent of `docker import`).
#
#   apt-get install busybox-static      # once
#   sh examples/make-base-image.sh      # then: cd examples/webapp && pycompose up -d
set -eu
BUSYBOX=${BUSYBOX:-/usr/bin/busybox}
PYCOMPOSE=${PYCOMPOSE:-pycompose}
[ -x "$BUSYBOX" ] || { echo "busybox-static is missing: apt-get install busybox-static" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/sbin" "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/etc" \
         "$rootfs/tmp" "$rootfs/root" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/var/www" \
         "$rootfs/run" "$rootfs/home/app"
chmod 1777 "$rootfs/tmp"
cp "$BUSYBOX" "$rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list-full); do
    [ "$applet" = "bin/busybox" ] && continue
    dir=$(dirname "$applet")
    mkdir -p "$rootfs/$dir"
    [ -e "$rootfs/$applet" ] || ln -s /bin/busybox "$rootfs/$applet"
done
cat > "$rootfs/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
PW
cat > "$rootfs/etc/group" <<'GR'
root:x:0:
app:x:1000:
nogroup:x:65534:
GR
tar -C "$rootfs" -cf "$work/rootfs.tar" .
$PYCOMPOSE image import --change 'CMD ["sh"]' "$work/rootfs.tar" busybox:latest
echo "busybox:latest is ready"
