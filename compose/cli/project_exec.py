"""exec, run, cp: commands that act inside a service's containers."""
from __future__ import annotations

import os
import sys
from typing import List, Optional

from compose.cli.ty import typer

from compose.errors import ComposeError, OperationFailed, UsageError

from . import project_common as pc

SIGPIPE_STATUS = 141            # a reader that went away: Docker Compose dies of SIGPIPE


def _env_pairs(values) -> dict:
    out = {}
    for item in values or ():
        k, sep, v = item.partition("=")
        if sep:
            out[k] = v
        elif k in os.environ:
            out[k] = os.environ[k]
    return out


def _writer(stream):
    """A callable the engine feeds bytes to (works with real fds and captured streams).

    A reader that went away (``exec ... | head -1``) ends the copying quietly, as Docker does:
    SystemExit stops the engine's output thread without a traceback (threads ignore it), the
    thread closes its pipe so the command gets SIGPIPE, and the stream now points at
    /dev/null, so the flush at interpreter exit stays quiet too. ``write.broken`` tells the
    command to exit 141, the status of Docker Compose (killed by SIGPIPE)."""
    def write(data: bytes) -> None:
        try:
            stream.buffer.write(data)
            stream.flush()
        except BrokenPipeError:
            write.broken = True
            _to_devnull(stream)
            raise SystemExit(SIGPIPE_STATUS) from None
    write.broken = False
    return write


def _to_devnull(stream) -> None:
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):     # a captured stream: nothing to redirect
        return
    os.dup2(null, fd)
    os.close(null)


def _has_input() -> bool:
    """stdin is a pipe or file with data to forward (not a terminal, not /dev/null)."""
    import stat
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode)


def _service_container(engine, name: str, service: str, index: int):
    from compose import labels as L
    found = engine.containers.list(filters=L.project_filter(name, f"{L.SERVICE}={service}",
                                                           f"{L.ONEOFF}=False"))
    for c in found:
        if L.container_number(c.labels) == index:
            return c
    raise ComposeError(f"service \"{service}\" is not running")


def exec_(ctx: typer.Context, service: str = typer.Argument(..., metavar="SERVICE"),
          command: List[str] = typer.Argument(..., metavar="COMMAND"),
          detach: bool = typer.Option(False, "-d", "--detach", help="Detached mode: Run command in the background"),
          env: Optional[List[str]] = typer.Option(None, "-e", "--env", help="Set environment variables"),
          index: int = typer.Option(1, "--index", help="Index of the container if service has multiple replicas"),
          no_tty: bool = typer.Option(False, "-T", "--no-TTY", help="Disable pseudo-TTY allocation"),
          interactive: bool = typer.Option(True, "-i", "--interactive/--no-interactive", hidden=True),
          tty: bool = typer.Option(False, "-t", "--tty", hidden=True),
          privileged: bool = typer.Option(False, "--privileged", help="Give extended privileges to the process"),
          user: Optional[str] = typer.Option(None, "-u", "--user", help="Run the command as this user"),
          workdir: Optional[str] = typer.Option(None, "-w", "--workdir", help="Path to workdir directory for this command")) -> None:
    from engine.types import ExecSpec
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, [service])
    engine = pc.engine(ctx)
    c = _service_container(engine, name, service, index)
    if pc.dry_run(ctx):
        sys.stdout.write(f"container {c.name} exec {' '.join(command)}\n")
        return
    use_tty = not no_tty and sys.stdin.isatty() and sys.stdout.isatty()
    stdin_src = sys.stdin.buffer if interactive and not detach and (use_tty or _has_input()) else None
    spec = ExecSpec(cmd=tuple(command), env=_env_pairs(env), user=user or "", working_dir=workdir or "",
                    tty=use_tty, stdin=stdin_src is not None, privileged=privileged, detach=detach)
    out, err = _writer(sys.stdout), _writer(sys.stderr)
    code = engine.containers.exec(c.id, spec, stdin=stdin_src, stdout=out, stderr=err)
    raise typer.Exit(SIGPIPE_STATUS if out.broken or err.broken else code or 0)


def run(ctx: typer.Context, service: str = typer.Argument(..., metavar="SERVICE"),
        command: Optional[List[str]] = typer.Argument(None, metavar="COMMAND"),
        build: bool = typer.Option(False, "--build", help="Build image before starting container"),
        detach: bool = typer.Option(False, "-d", "--detach", help="Run container in background and print container ID"),
        entrypoint: Optional[str] = typer.Option(None, "--entrypoint", help="Override the entrypoint of the image"),
        env: Optional[List[str]] = typer.Option(None, "-e", "--env", help="Set environment variables"),
        interactive: bool = typer.Option(True, "-i", "--interactive/--no-interactive", help="Keep STDIN open even if not attached"),
        label: Optional[List[str]] = typer.Option(None, "-l", "--label", help="Add or override a label"),
        name_: Optional[str] = typer.Option(None, "--name", help="Assign a name to the container"),
        no_deps: bool = typer.Option(False, "--no-deps", help="Don't start linked services"),
        no_tty: bool = typer.Option(False, "-T", "--no-TTY", help="Disable pseudo-TTY allocation (default: auto-detected)"),
        publish: Optional[List[str]] = typer.Option(None, "-p", "--publish", help="Publish a container's port(s) to the host"),
        pull: Optional[str] = typer.Option(None, "--pull", help='Pull image before running ("always"|"missing"|"never")'),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="Don't print anything to STDOUT"),
        quiet_build: bool = typer.Option(False, "--quiet-build", help="Suppress progress output from the build process"),
        quiet_pull: bool = typer.Option(False, "--quiet-pull", help="Pull without printing progress information"),
        remove_orphans: bool = typer.Option(False, "--remove-orphans", help="Remove containers for services not defined in the Compose file"),
        rm: bool = typer.Option(False, "--rm", help="Automatically remove the container when it exits"),
        service_ports: bool = typer.Option(False, "-P", "--service-ports", help="Run command with all service's ports enabled and mapped to the host"),
        use_aliases: bool = typer.Option(False, "--use-aliases", help="Use the service's network useAliases in the network(s) the container connects to"),
        user: Optional[str] = typer.Option(None, "-u", "--user", help="Run as specified username or uid"),
        volume: Optional[List[str]] = typer.Option(None, "-v", "--volume", help="Bind mount a volume"),
        workdir: Optional[str] = typer.Option(None, "-w", "--workdir", help="Working directory inside the container")) -> None:
    import shlex
    from compose.project_ops.common import ImageOptions, ensure_images
    from compose.project_ops.run import RunOptions, create_oneoff, start_dependencies
    project = pc.load_project(ctx, [service])
    pc.check_services(project, [service])
    engine = pc.engine(ctx)
    use_tty = not no_tty and sys.stdin.isatty() and sys.stdout.isatty()
    opts = RunOptions(command=tuple(command) if command else None,
                      entrypoint=tuple(shlex.split(entrypoint)) if entrypoint is not None else None,
                      env=_env_pairs(env), labels=_env_pairs(label), name=name_ or "",
                      user=user or "", workdir=workdir or "", volumes=tuple(volume or ()),
                      publish=tuple(publish or ()), service_ports=service_ports,
                      use_aliases=use_aliases, no_deps=no_deps, tty=use_tty,
                      interactive=interactive and not detach and (use_tty or _has_input()),
                      remove_orphans=remove_orphans)
    image_opts = ImageOptions(pull=pull, build=build, quiet_pull=quiet_pull, quiet_build=quiet_build)
    if pc.dry_run(ctx):
        _print_run_plan(engine, project, service, opts)
        return
    standby = None if (detach or opts.interactive or use_tty) else _standby_shim(engine)
    try:
        render = pc.renderer(ctx)
        try:
            known = ensure_images(engine, project, [service], image_opts, render)
            start_dependencies(engine, project, service, opts, image_opts, on_event=render,
                               parallel=pc.parallel(ctx))
        finally:
            render.close()
        info = create_oneoff(engine, project, service, opts, known_images=known,
                             auto_remove=rm and standby is not None)
        if standby is not None:
            code = _run_standby(engine, info, standby, rm=rm)
            standby = None
            raise typer.Exit(code)
    finally:
        if standby is not None:
            standby.close()
    raise typer.Exit(_run_container(engine, info, detach=detach, rm=rm, quiet=quiet, tty=use_tty,
                                    interactive=opts.interactive))


def _relay_frames(standby, rm: bool):
    """Copy the shim's output frames to sys.stdout/sys.stderr until the exit code (and, with
    ``rm``, the removal); -> (exit code or None if the shim went away first, removed)."""
    code = None
    for kind, data in standby.frames():
        if kind in (1, 2):
            stream = sys.stdout if kind == 1 else sys.stderr
            try:
                stream.flush()
                stream.buffer.write(data)
                stream.buffer.flush()
            except (OSError, ValueError):
                pass
        elif kind == 3:
            code = int(data or b"0")
            if not rm:
                break
        elif kind == 4:
            return code, True
    return code, False


def _standby_shim(engine):
    """A container shim started now, so its interpreter start-up overlaps the dependencies,
    the one-off container's creation and its preparation (the real engine only)."""
    layout = getattr(engine, "layout", None)
    if layout is None:
        return None
    try:
        from engine.runtime.launch import StandbyShim
        return StandbyShim(layout)
    except (ImportError, OSError):
        return None


def _run_standby(engine, info, standby, *, rm: bool) -> int:
    """Foreground, non-interactive one-off: relay the standby shim's output frames; with
    ``rm`` the shim removes the container itself (auto-remove) and says so."""
    from engine.errors import EngineError
    from .container_cmd.runfast import _forward_signals, _remove_quietly, _settled_code
    try:
        try:
            engine.containers.start(info.id, standby=standby)
        except EngineError as e:
            if rm:
                _remove_quietly(engine, info.id)
            raise OperationFailed(str(e)) from e
        _forward_signals(standby.report.get("pid", 0))
        code, removed = _relay_frames(standby, rm)
    finally:
        standby.close()
    if code is None:                        # the shim died: take the record from the store
        code = _settled_code(engine, info.id)
    if rm and not removed:
        _remove_quietly(engine, info.id)    # the shim could not do it
    return code


def cp(ctx: typer.Context, src: str = typer.Argument(...), dest: str = typer.Argument(...),
       index: int = typer.Option(1, "--index", help="Index of the container if service has multiple replicas"),
       archive: bool = typer.Option(False, "-a", "--archive", help="Archive mode (copy all uid/gid information)"),
       follow_link: bool = typer.Option(False, "-L", "--follow-link", help="Always follow symbol link in SRC_PATH"),
       all_: bool = typer.Option(False, "--all", hidden=True)) -> None:
    project, name = pc.load_project_or_name(ctx)
    engine = pc.engine(ctx)
    if ":" in src and not src.startswith(("/", ".")):
        service, path = src.split(":", 1)
        c = _service_container(engine, name, service, index)
        engine.containers.copy_from(c.id, path, dest)
    elif ":" in dest and not dest.startswith(("/", ".")):
        service, path = dest.split(":", 1)
        c = _service_container(engine, name, service, index)
        engine.containers.copy_to(c.id, src, path)
    else:
        raise UsageError("copying between services is not supported: one of SRC or DEST must be SERVICE:PATH")


def register(root: typer.Typer, groups: dict) -> None:
    root.command("exec", help="Execute a command in a running container", context_settings={"allow_interspersed_args": False})(exec_)
    root.command("run", help="Run a one-off command on a service", context_settings={"allow_interspersed_args": False})(run)
    root.command("cp", help="Copy files/folders between a service container and the local filesystem")(cp)


def _print_run_plan(engine, project, service: str, opts) -> None:
    """--dry-run: the dependencies' plan, then the one-off container that would be made."""
    from compose import naming
    from compose.observe import observe
    from compose.reconcile import UpOptions, dependency_closure, plan_up
    deps = tuple(d for d in dependency_closure(project, [service]) if d != service)
    if deps and not opts.no_deps:
        pc.print_plan(plan_up(project, observe(engine, project), UpOptions(services=deps, ignore_orphans=True)))
    name = opts.name or naming.oneoff_name(project.name, service, "x" * 12)
    sys.stdout.write(f"container {name:<28} create     one-off\n")


def _run_container(engine, info, *, detach, rm, quiet, tty, interactive) -> int:
    """Start the one-off container and stream its output; returns its exit code."""
    from engine.errors import EngineError
    attach = getattr(engine.containers, "attach", None)
    try:
        if detach:
            engine.containers.start(info.id)
            if not quiet:
                sys.stdout.write(info.name + "\n")
            return 0
        engine.containers.start(info.id)
        if attach is not None and interactive:
            return attach(info.id, stdin=sys.stdin.buffer, stdout=_writer(sys.stdout),
                          stderr=_writer(sys.stderr))
        for stream, _ts, data in engine.containers.logs(info.id, follow=True):
            out = sys.stderr.buffer if stream == "stderr" else sys.stdout.buffer
            out.write(data)
            out.flush()
        return engine.containers.wait(info.id, "not-running", None)
    except EngineError as e:
        raise OperationFailed(str(e)) from e
    finally:
        if rm and not detach:
            try:
                engine.containers.remove(info.id, force=True, volumes=True)
            except EngineError:
                pass
