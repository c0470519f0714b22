"""A built image runs as a container: its CMD, ENV, WORKDIR, USER and files are used."""
import pytest

from engine.types import ContainerSpec
from tests.fixtures.build import build, make_context

pytestmark = pytest.mark.root


def test_built_image_runs(ceng, build_ctx):
    make_context(build_ctx, {
        "Dockerfile": "FROM busybox AS gen\nRUN echo generated > /gen.txt\n"
                      "FROM busybox\nENV WHO=builder\nWORKDIR /app\n"
                      "COPY --from=gen /gen.txt .\nCOPY run.sh .\nUSER app\n"
                      'ENTRYPOINT ["/bin/sh", "run.sh"]\nCMD ["default-arg"]\n',
        "run.sh": 'echo "$WHO $(id -u) $(pwd) $1 $(cat gen.txt)"\n'})
    info, _ = build(ceng, build_ctx, tags=("runme:1",))
    ctr = ceng.containers.create(ContainerSpec(image="runme:1", network_mode="none"))
    ceng.containers.start(ctr.id)
    assert ceng.containers.wait(ctr.id, timeout=30) == 0
    out = "".join(data.decode() for stream, _ts, data in ceng.containers.logs(ctr.id)
                  if stream == "stdout")
    assert out == "builder 1000 /app default-arg generated\n"
    assert ceng.containers.inspect(ctr.id).image_id == info.id
