"""ISOLATION.md, row by row, observed from INSIDE real containers.

Two containers run one probe script each (default settings; the restricted D-R settings)
and every test checks one row of the bar against what the container itself saw.
"""
from __future__ import annotations

import os

import pytest

from engine.types import Resources

from tests.fixtures.containers import run_ctr

pytestmark = pytest.mark.root

PROBE = r"""
say() { echo "$1=$2"; }
say pid1 "$(tr '\0' ' ' < /proc/1/cmdline)"
say shell_pid "$$"
say pids "$(ls -d /proc/[0-9]* | sed 's#/proc/##' | tr '\n' ' ')"
say pid2_comm "$(cat /proc/2/comm 2>/dev/null)"
for ns in mnt uts ipc pid net cgroup user; do
  say "ns_$ns" "$(readlink /proc/self/ns/$ns)"
done
grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status | sed 's/:[[:space:]]*/=/'
say uid_map "$(cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')"
say ids "$(id -u):$(id -g):$(grep ^Groups /proc/self/status | cut -f2)"
say hostname "$(hostname)"
say etc_hostname "$(cat /etc/hostname)"
say env_hostname "$HOSTNAME"
hostname "$(hostname)" 2>/dev/null; say sethostname $?
say envkeys "$(env | cut -d= -f1 | sort | tr '\n' ',')"
unshare -U true 2>/dev/null; say unshare_U $?
unshare -m true 2>/dev/null; say unshare_m $?
unshare -n true 2>/dev/null; say unshare_n $?
chroot / true 2>/dev/null; say chroot $?
dmesg >/dev/null 2>&1; say dmesg $?
mkdir -p /tmp/mnt; mount -t tmpfs none /tmp/mnt 2>/dev/null; say mount $?
umount /proc/keys 2>/dev/null; say umount_masked $?
date -s "$(date '+%Y-%m-%d %H:%M:%S')" 2>&1 | grep -q "can't set date"; say date_refused $?
ip link set lo mtu 65536 2>/dev/null; say ip_mtu $?
say dev "$(ls /dev | tr '\n' ' ')"
touch /rootwrite 2>/dev/null; say write_root $?
touch /tmp/x 2>/dev/null; say write_tmp $?
touch /dev/shm/x 2>/dev/null; say write_shm $?
touch /dev/x 2>/dev/null; say write_dev $?
echo core > /proc/sys/kernel/core_pattern 2>/dev/null; say core_pattern $?
say proc_keys_bytes "$(wc -c < /proc/keys)"
say interrupts_readable "$(test -r /proc/interrupts && head -c1 /proc/interrupts >/dev/null && echo yes)"
say cgroup_dirs "$(ls /sys/fs/cgroup | tr '\n' ' ')"
say devices_list "$(tr '\n' ',' < /sys/fs/cgroup/devices/devices.list)"
mknod /tmp/n c 1 3 2>/dev/null && echo hi > /tmp/n; say mknod_null $?
mknod /tmp/disk b $DISK 2>/dev/null; say mknod_disk $?
head -c 512 /tmp/disk >/dev/null 2>&1; say read_disk $?
say engine_sockets "$(ls /run/docker.sock /var/run/docker.sock /run/pycompose 2>/dev/null)"
say block_names "$(ls /sys/dev/block | head -1)"
while read -r _ _ _ root mnt opts rest; do
  case "$mnt" in /|/proc|/sys|/dev|/dev/shm|/dev/pts|/dev/mqueue|/sys/fs/cgroup|/proc/sys|/proc/bus|/proc/fs|/proc/irq|/proc/keys|/proc/acpi|/sys/firmware)
    say "mnt_$mnt" "$opts $(echo "$rest" | sed 's/^.*- //')";;
  esac
done < /proc/self/mountinfo
grep ' / / ' /proc/self/mountinfo | grep -o 'master:[0-9]*\|shared:[0-9]*' | head -1 | sed 's/^/propagation=/'
for f in memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes pids/pids.max cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us; do
  say "cg_$f" "$(cat /sys/fs/cgroup/$f 2>/dev/null)"
done
say shm_size "$(df -k /dev/shm | tail -1 | tr -s ' ' | cut -d' ' -f2)"
"""


def _host_disk() -> str:
    for name in sorted(os.listdir("/sys/dev/block")):
        major, minor = name.split(":")
        return f"{major} {minor}"
    pytest.fail("no block device on this host to test the device cgroup with")


def _probe(eng, **fields) -> dict:
    code, out, err = run_ctr(eng, ["sh", "-c", PROBE], env={"DISK": _host_disk()}, **fields)
    assert code == 0, err
    result = {}
    for line in out.decode().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            result[key] = value.strip()
    return result


@pytest.fixture(scope="module")
def probes(tmp_path_factory, busybox_layer):
    """Run the default and the restricted container once for the whole module."""
    import shutil
    import uuid
    from pathlib import Path
    from engine.api import Engine
    from tests.fixtures.containers import CGROUP_PARENT
    os.environ["PYCOMPOSE_CGROUP_PARENT"] = CGROUP_PARENT
    runroot = Path("/run/pycompose-test") / uuid.uuid4().hex[:10]
    eng = Engine(tmp_path_factory.mktemp("iso-root"), runroot)
    eng.images.import_tarball(busybox_layer, "busybox:latest", changes=['CMD ["sh"]'])
    try:
        default = _probe(eng)
        restricted = _probe(eng, read_only=True, cap_drop=("ALL",),
                            resources=Resources(memory=64 << 20, pids_limit=50,
                                                nano_cpus=500_000_000))
        yield default, restricted
    finally:
        shutil.rmtree(runroot, ignore_errors=True)


def _host_ns(kind: str) -> str:
    return os.readlink(f"/proc/self/ns/{kind}")


# ---------------------------------------------------------------- 1.1 processes, namespaces

def test_pid1_is_the_command_and_only_own_processes(probes):
    d, _ = probes
    assert d["pid1"].startswith("sh -c")
    assert d["shell_pid"] == "1"
    pids = [int(p) for p in d["pids"].split()]
    assert 1 in pids and max(pids) < 50 and len(pids) <= 6    # sh + the probe's pipeline
    assert d["pid2_comm"] != "kthreadd"


def test_five_new_namespaces_and_at_most_user_cgroup_time_shared(probes):
    d, _ = probes
    for kind in ("mnt", "uts", "ipc", "pid", "net"):
        assert d[f"ns_{kind}"] != _host_ns(kind), kind
    assert d["ns_user"] == _host_ns("user")
    assert d["uid_map"] == "0 0 4294967295"


def test_hostname_is_short_id_everywhere_and_sethostname_refused(probes):
    d, _ = probes
    assert len(d["hostname"]) == 12 and all(c in "0123456789abcdef" for c in d["hostname"])
    assert d["etc_hostname"] == d["hostname"] == d["env_hostname"]
    assert d["sethostname"] != "0"


def test_environment_has_only_path_home_hostname(probes):
    d, _ = probes
    keys = set(filter(None, d["envkeys"].split(",")))
    assert {"PATH", "HOME", "HOSTNAME"} <= keys
    assert keys <= {"PATH", "HOME", "HOSTNAME", "PWD", "SHLVL", "DISK"}


def test_uid_gid_root_by_default(probes):
    d, _ = probes
    assert d["ids"].startswith("0:0:")


# ---------------------------------------------------------------- 1.2 privileges

def test_docker_default_capabilities(probes):
    d, _ = probes
    for key in ("CapEff", "CapPrm", "CapBnd"):
        assert d[key] == "00000000a80425fb", key
    assert d["CapInh"] == "0000000000000000"
    assert d["CapAmb"] == "0000000000000000"
    assert d["NoNewPrivs"] == "0"


def test_cap_drop_all_empties_every_set(probes):
    _, r = probes
    for key in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
        assert int(r[key], 16) == 0, key


def test_seccomp_filter_installed(probes):
    d, r = probes
    assert d["Seccomp"] == "2" and d["Seccomp_filters"] == "1"
    assert r["Seccomp"] == "2"


def test_refused_operations(probes):
    d, _ = probes
    for key in ("unshare_U", "unshare_m", "unshare_n", "dmesg", "mount", "umount_masked",
                "ip_mtu"):
        assert d[key] != "0", key
    assert d["date_refused"] == "0"


def test_chroot_follows_capabilities(probes):
    d, r = probes
    assert d["chroot"] == "0"
    assert r["chroot"] != "0"


# ---------------------------------------------------------------- 1.3 filesystems, devices

def test_root_overlay_rw_by_default_ro_with_read_only(probes):
    d, r = probes
    assert d["mnt_/"].split()[1] == "overlay" and d["mnt_/"].startswith("rw")
    assert d["write_root"] == "0"
    assert r["write_root"] != "0"
    assert r["write_tmp"] != "0"
    assert r["write_shm"] == "0" and r["write_dev"] == "0"


def test_root_propagation_not_shared(probes):
    d, _ = probes
    assert not d.get("propagation", "").startswith("shared")


def test_proc_sys_and_readonly_paths(probes):
    d, _ = probes
    proc_opts = d["mnt_/proc"].split()[0].split(",")
    assert {"nosuid", "nodev", "noexec"} <= set(proc_opts)
    for path in ("/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"):
        if f"mnt_{path}" in d:
            assert d[f"mnt_{path}"].startswith("ro"), path
    assert "mnt_/proc/sys" in d
    assert d["core_pattern"] != "0"
    assert d["mnt_/sys"].startswith("ro")


def test_masked_paths(probes):
    d, _ = probes
    assert d["proc_keys_bytes"] == "0"
    if "mnt_/proc/acpi" in d:
        assert d["mnt_/proc/acpi"].startswith("ro")
    assert d["interrupts_readable"] == "yes"


def test_dev_is_small_tmpfs_with_exactly_the_oci_devices(probes):
    d, _ = probes
    assert d["dev"].split() == sorted("fd full mqueue null ptmx pts random shm stderr stdin "
                                      "stdout tty urandom zero".split())
    assert "nosuid" in d["mnt_/dev"].split()[0] and "tmpfs" in d["mnt_/dev"]
    assert "size=65536k" in d["mnt_/dev"]
    shm_opts = d["mnt_/dev/shm"].split()[0].split(",")
    assert {"nosuid", "nodev", "noexec"} <= set(shm_opts)
    assert int(d["shm_size"]) <= 65536


def test_cgroup_fs_read_only_own_cgroup_and_device_allow_list(probes):
    d, _ = probes
    assert d["mnt_/sys/fs/cgroup"].startswith("ro")
    assert "memory" in d["cgroup_dirs"].split()
    rules = set(filter(None, d["devices_list"].split(",")))
    docker = {"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
              "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"}
    assert rules <= docker and rules


def test_mknod_follows_cap_and_host_disk_open_fails(probes):
    d, r = probes
    assert d["mknod_null"] == "0"
    assert d["mknod_disk"] == "0"          # CAP_MKNOD allows the node ...
    assert d["read_disk"] != "0"           # ... the device cgroup refuses opening it
    assert r["mknod_null"] != "0"


def test_no_engine_sockets(probes):
    d, _ = probes
    assert d["engine_sockets"] == ""


# ---------------------------------------------------------------- limits (D-R)

def test_limits_exact_from_inside(probes):
    _, r = probes
    assert r["cg_memory/memory.limit_in_bytes"] == "67108864"
    assert r["cg_memory/memory.memsw.limit_in_bytes"] in ("134217728", "")
    assert r["cg_pids/pids.max"] == "50"
    assert r["cg_cpu/cpu.cfs_quota_us"] == "50000"
    assert r["cg_cpu/cpu.cfs_period_us"] == "100000"
