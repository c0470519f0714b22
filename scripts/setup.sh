#!/usr/bin/env bash
# One command for a newcomer on a fresh Debian machine (as root):
#   installs the system packages and pycompose, builds the examples' base image from
#   Debian's busybox-static, and brings up the example web app on the bundled engine.
#
#   sudo bash scripts/setup.sh            # then: pycompose -f examples/webapp/compose.yaml ps
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "pycompose's engine needs root (namespaces, mounts, cgroups): run with sudo" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    busybox-static docker-registry iproute2 iptables zstd ca-certificates openssl util-linux \
    git openssh-client >/dev/null
python3 -m pip install -q --disable-pip-version-check '.[test]'
sh examples/make-base-image.sh
pycompose -f examples/webapp/compose.yaml up -d --wait
pycompose -f examples/webapp/compose.yaml ps
