"""The image commands through the real CLI entry point (docker-compatible output)."""
import json

import pytest

from compose.cli.main import run


@pytest.fixture
def cli(engine_dirs, capsys):
    root, runroot = engine_dirs

    def invoke(*args, input_bytes=None):
        code = run(["--root", str(root), "--runroot", str(runroot), *args])
        out, err = capsys.readouterr()
        return code, out, err
    return invoke


def test_import_ls_inspect_tag_rm(cli, busybox_layer):
    code, out, _ = cli("image", "import", "-c", 'CMD ["sh"]', str(busybox_layer), "busybox")
    assert code == 0 and out.startswith("sha256:")
    image_id = out.strip()
    code, out, _ = cli("image", "ls")
    header, row = out.splitlines()
    assert header.split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert row.split()[:3] == ["busybox", "latest", image_id[7:19]]
    assert cli("image", "tag", "busybox", "localhost:5000/bb:1")[0] == 0
    code, out, _ = cli("image", "ls", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert {(r["Repository"], r["Tag"]) for r in rows} == {("busybox", "latest"), ("localhost:5000/bb", "1")}
    code, out, _ = cli("image", "ls", "-q")
    assert out.split() == [image_id[7:19]]
    code, out, _ = cli("image", "inspect", "busybox")
    obj = json.loads(out)[0]
    assert obj["Id"] == image_id and obj["Config"]["Cmd"] == ["sh"]
    assert sorted(obj["RepoTags"]) == ["busybox:latest", "localhost:5000/bb:1"]
    code, out, _ = cli("image", "inspect", "-f", "{{.Config.Cmd}} {{.Os}}", "busybox")
    assert out == "[sh] linux\n"
    code, out, err = cli("image", "inspect", "nope")
    assert code == 1 and out.strip() == "[]" and "No such image: nope" in err
    code, out, _ = cli("image", "rm", "localhost:5000/bb:1", "busybox")
    assert out.splitlines() == ["Untagged: localhost:5000/bb:1", "Untagged: busybox:latest",
                                f"Deleted: {image_id}"]
    code, _, err = cli("image", "rm", "busybox")
    assert code == 1 and "No such image: busybox:latest" in err


def test_bad_reference_is_one_clear_line(cli):
    code, out, err = cli("image", "tag", "busybox", "Not/Valid")
    assert code == 1 and err.strip().count("\n") == 0 and "must be lowercase" in err


def test_save_load_history_prune(cli, busybox_layer, tmp_path):
    cli("image", "import", "-m", "my import", str(busybox_layer), "bb:1")
    code, out, _ = cli("image", "history", "bb:1")
    assert code == 0 and "my import" in out and out.splitlines()[0].split()[:2] == ["IMAGE", "CREATED"]
    archive = tmp_path / "a.tar"
    assert cli("image", "save", "-o", str(archive), "bb:1")[0] == 0
    assert cli("image", "rm", "bb:1")[0] == 0
    code, out, _ = cli("image", "load", "-i", str(archive))
    assert out.strip() == "Loaded image: bb:1"
    cli("image", "import", str(busybox_layer))                  # dangling
    code, out, _ = cli("image", "ls", "--filter", "dangling=true", "--format", "{{.Repository}}:{{.Tag}}")
    assert out.strip() == "<none>:<none>"
    code, out, _ = cli("image", "prune", "-f")
    assert out.startswith("Deleted Images:") and "Total reclaimed space:" in out
    code, out, _ = cli("image", "ls", "--format", "{{.Repository}}")
    assert out.split() == ["bb"]


def test_pull_push_cli(cli, busybox_layer, registry):
    ref = f"{registry.host}/cli/bb"
    cli("image", "import", str(busybox_layer), f"{ref}:7")
    code, out, err = cli("--progress", "plain", "image", "push", f"{ref}:7")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"The push refers to repository [{ref}]"
    assert lines[-1].startswith("7: digest: sha256:") and lines[-1].split()[-2] == "size:"
    assert any(line.endswith(": Pushed") for line in lines[1:-1])
    digest = out.split("digest: ")[1].split()[0]
    assert cli("image", "rm", f"{ref}:7")[0] == 0
    code, out, err = cli("--progress", "plain", "image", "pull", f"{ref}:7")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "7: Pulling from cli/bb"
    assert lines[-3:] == [f"Digest: {digest}", f"Status: Downloaded newer image for {ref}:7", f"{ref}:7"]
    assert any(line.endswith(": Pull complete") for line in lines[1:-3])
    code, out, _ = cli("image", "pull", "-q", f"{ref}:7")
    assert out.strip() == f"{ref}:7"
    code, out, err = cli("image", "pull", f"{ref}:missing")
    assert code == 1 and "manifest for" in err and "not found" in err
