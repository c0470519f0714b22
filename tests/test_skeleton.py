"""The package skeleton: the CLI starts, the schemas ship, errors render without tracebacks."""
import subprocess
import sys


def test_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "compose", "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "pycompose" in out.stdout


def test_unknown_command_is_a_usage_error():
    out = subprocess.run([sys.executable, "-m", "compose", "no-such-command"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_busybox_rootfs_fixture(busybox_rootfs):
    assert (busybox_rootfs / "bin/sh").is_symlink()
    assert (busybox_rootfs / "etc/passwd").read_text().startswith("root:")
