"""json-file logs: format, rotation, ENOSPC, a truncated last line, since/until/tail/follow."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time

import pytest

from engine.runtime import logfile
from engine.types import ContainerSpec, LogConfig

from tests.fixtures.containers import logs_text, start_ctr

pytestmark = pytest.mark.root


def test_writer_format_rotation_and_partial_lines(tmp_path):
    path = str(tmp_path / "c-json.log")
    w = logfile.JsonLogWriter(path, max_size=300, max_file=3)
    for i in range(40):
        w.write("stdout", f"line {i}\n".encode())
    w.write("stderr", b"no newline")
    w.close()
    files = logfile.log_files(path)
    assert [os.path.basename(f) for f in files] == ["c-json.log.2", "c-json.log.1", "c-json.log"]
    assert all(os.path.getsize(f) <= 300 for f in files)
    first = json.loads(open(files[-1]).readline())
    assert set(first) == {"log", "stream", "time"} and first["time"].endswith("Z")
    entries = list(logfile.read_entries(path))
    assert entries[-1][0] == "stderr" and entries[-1][2] == b"no newline"
    numbers = [int(e[2].split()[1]) for e in entries if e[0] == "stdout"]
    assert numbers == list(range(40 - len(numbers), 40))


def test_reader_tolerates_truncated_and_garbage_lines(tmp_path):
    path = str(tmp_path / "c-json.log")
    w = logfile.JsonLogWriter(path)
    w.write("stdout", b"a\nb\n")
    w.close()
    with open(path, "ab") as f:
        f.write(b'{"log":"broken\\n","stream":"stdout","ti')
    assert [e[2] for e in logfile.read_entries(path)] == [b"a\n", b"b\n"]


def test_full_disk_never_blocks_or_kills_the_container(ceng):
    info = ceng.containers.create(ContainerSpec(
        image="busybox", network_mode="none",
        command=("sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line-$i-padding-padding-padding; "
                             "i=$((i+1)); done; exit 3")))
    log_path = ceng.containers.store.log_path(info.id)
    tiny = f"/run/pycompose-test/tiny-{info.id[:8]}"
    os.makedirs(tiny)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", tiny], check=True)
    try:
        open(f"{tiny}/log", "w").close()
        open(log_path, "w").close()
        subprocess.run(["mount", "--bind", f"{tiny}/log", log_path], check=True)
        try:
            ceng.containers.start(info.id)
            assert ceng.containers.wait(info.id, timeout=30) == 3
            size = os.path.getsize(log_path)
            assert 0 < size <= 64 * 1024
            out, _ = logs_text(ceng, info.id)
            assert out.startswith("line-0-") and out.count("\n") < 3000
        finally:
            subprocess.run(["umount", log_path], check=True)
    finally:
        subprocess.run(["umount", tiny], check=True)
        os.rmdir(tiny)


def test_container_logs_rotation_tail_since_until_follow(ceng):
    script = "echo first; echo to-err >&2; sleep 1.2; i=0; while [ $i -lt 50 ]; do echo n$i; i=$((i+1)); done; sleep 0.5"
    info = start_ctr(ceng, ["sh", "-c", script],
                     log_config=LogConfig(options={"max-size": "1k", "max-file": "2"}))
    followed = []
    t = threading.Thread(target=lambda: followed.extend(ceng.containers.logs(info.id, follow=True)))
    t.start()
    assert ceng.containers.wait(info.id, timeout=20) == 0
    t.join(timeout=10)
    assert not t.is_alive()
    log_path = ceng.containers.store.log_path(info.id)
    assert os.path.exists(log_path + ".1") and not os.path.exists(log_path + ".2")
    tail = list(ceng.containers.logs(info.id, tail=3))
    assert [e[2] for e in tail] == [b"n47\n", b"n48\n", b"n49\n"]
    entries = list(ceng.containers.logs(info.id))
    assert entries[-1][2] == b"n49\n"
    mid = logfile.parse_time(entries[-1][1]) - 0.6
    assert all(logfile.parse_time(e[1]) >= mid for e in ceng.containers.logs(info.id, since=mid))
    assert [e[2] for e in ceng.containers.logs(info.id, since=mid)][-1] == b"n49\n"
    assert b"n0\n" not in [e[2] for e in ceng.containers.logs(info.id, until=mid - 0.5)]
    assert b"n49\n" in [e[2] for e in followed]


def test_first_lines_and_streams(ceng):
    info = start_ctr(ceng, ["sh", "-c", "echo out; echo err >&2"])
    ceng.containers.wait(info.id, timeout=10)
    out, err = logs_text(ceng, info.id)
    assert out == "out\n" and err == "err\n"
