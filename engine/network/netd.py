"""netd: one small detached helper process per engine run dir, the daemonless engine's only
long-lived network piece. It

* answers DNS at 127.0.0.11:53 (UDP + TCP) inside every registered container's network
  namespace: the CLI creates those sockets after setns() into the netns and hands them over
  with SCM_RIGHTS, so one process in the host namespace serves many namespaces;
* holds the host sockets of published ports (bound, not listening) so a port stays
  allocated: another container or a host process binding it gets EADDRINUSE;
* relays the ports published on IPv6 host addresses to the container (proxy.py);
* exits by itself once nothing is registered for a couple of seconds.

Control protocol (UNIX stream socket ``<runroot>/netd.sock``): one JSON line per connection,
fds attached to it, answered with one JSON line::

    {"op": "add", "cid": ..., "netdirs": [...], "upstreams": [...], "dns_fds": 2,
     "proxies": [null, ["172.18.0.2", 80], ...]}   + fds (DNS sockets, then port holders;
                                                     proxies: a relay target per holder)
    {"op": "release", "cid": ...}
    {"op": "ping"}

Run as ``python -m engine.network.netd <socket path>``.
"""
from __future__ import annotations

import json
import os
import selectors
import socket
import sys
import threading
import time

from . import dnsmsg
from .proxy import Listener
from .resolver import Resolver

IDLE_EXIT_SECONDS = 30.0           # lingers like a daemon between commands (one `up` after another)
UPSTREAM_TIMEOUT = 2.0


class Registration:
    def __init__(self, cid, netdirs, upstreams, dns_socks, holds):
        self.cid, self.netdirs, self.upstreams = cid, netdirs, upstreams
        self.dns_socks, self.holds = dns_socks, holds
        self.proxies: list[Listener] = []        # IPv6 published ports (proxy.py)

    def close(self):
        for p in self.proxies:
            p.close()
        for s in self.dns_socks + self.holds:
            s.close()


class Netd:
    def __init__(self, sock_path: str, listen_fd: int | None = None) -> None:
        self.sock_path = sock_path
        self.sel = selectors.DefaultSelector()
        self.regs: dict[str, Registration] = {}
        self.resolver = Resolver()
        self.lock = threading.Lock()
        self.last_change = time.monotonic()
        if listen_fd is not None:                 # bound and listening by the starter
            self.listener = socket.socket(fileno=listen_fd)
        else:
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                os.unlink(sock_path)
            except FileNotFoundError:
                pass
            self.listener.bind(sock_path)
            self.listener.listen(128)
        self.sel.register(self.listener, selectors.EVENT_READ, ("control", None))

    # ------------------------------------------------------------------ main loop
    def serve(self) -> None:
        while True:
            for key, _ in self.sel.select(timeout=0.5):
                kind, reg = key.data
                try:
                    if kind == "control":
                        self._control()
                    elif kind == "udp":
                        self._udp(key.fileobj, reg)
                    elif kind == "proxy":
                        reg.on_ready()
                    elif kind == "tcp":
                        conn, _ = key.fileobj.accept()
                        threading.Thread(target=self._tcp_conn, args=(conn, reg), daemon=True).start()
                except OSError:
                    continue
            if not os.path.exists(self.sock_path):     # run dir removed: the engine is gone
                self._shutdown()
                return
            if not self.regs and time.monotonic() - self.last_change > IDLE_EXIT_SECONDS:
                self._shutdown()
                return

    def _shutdown(self) -> None:
        try:
            os.unlink(self.sock_path)               # unlink first: a newcomer spawns a fresh netd
        except FileNotFoundError:
            pass
        self.listener.close()
        for cid in list(self.regs):
            self._release(cid)

    def _control(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(5)
            data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 64)
            while not data.endswith(b"\n"):
                more = conn.recv(65536)
                if not more:
                    break
                data += more
            try:
                reply = self._handle(json.loads(data), fds)
            except Exception as e:                     # noqa: BLE001 - reported to the client
                for fd in fds:
                    os.close(fd)
                reply = {"ok": False, "error": str(e)}
            conn.sendall(json.dumps(reply).encode() + b"\n")

    def _handle(self, msg: dict, fds: list[int]) -> dict:
        op = msg.get("op")
        if op == "ping":
            return {"ok": True, "pid": os.getpid(), "registered": sorted(self.regs)}
        if op == "release":
            self._release(msg["cid"])
            return {"ok": True}
        if op == "update":
            reg = self.regs.get(msg["cid"])
            if reg:
                reg.netdirs = list(msg.get("netdirs", []))
            return {"ok": True, "known": reg is not None}
        if op == "add":
            self._release(msg["cid"])
            n_dns = int(msg.get("dns_fds", 0))
            socks = [socket.socket(fileno=fd) for fd in fds]
            reg = Registration(msg["cid"], msg.get("netdirs", []), msg.get("upstreams", []),
                               socks[:n_dns], socks[n_dns:])
            for s in reg.dns_socks:
                kind = "udp" if s.type == socket.SOCK_DGRAM else "tcp"
                s.setblocking(False)
                self.sel.register(s, selectors.EVENT_READ, (kind, reg))
            targets = msg.get("proxies") or []
            for s, target in zip(reg.holds, targets if len(targets) == len(reg.holds) else []):
                if target:
                    reg.proxies.append(Listener(s, target))
                    self.sel.register(s, selectors.EVENT_READ, ("proxy", reg.proxies[-1]))
            self.regs[reg.cid] = reg
            self.last_change = time.monotonic()
            return {"ok": True}
        return {"ok": False, "error": f"unknown op {op!r}"}

    def _release(self, cid: str) -> None:
        reg = self.regs.pop(cid, None)
        if reg:
            for s in reg.dns_socks + [p.sock for p in reg.proxies]:
                self.sel.unregister(s)
            reg.close()
            self.last_change = time.monotonic()

    # ------------------------------------------------------------------ DNS
    def _udp(self, sock, reg) -> None:
        data, addr = sock.recvfrom(4096)
        reply = self._answer(data, reg)
        if reply is not None:
            sock.sendto(reply, addr)
        elif reg.upstreams:
            threading.Thread(target=self._forward_udp, args=(sock, data, addr, reg.upstreams),
                             daemon=True).start()

    def _answer(self, data: bytes, reg) -> bytes | None:
        """A local answer, or None when the query must go to the upstream servers."""
        try:
            q = dnsmsg.parse_query(data)
        except dnsmsg.DNSFormatError:
            return dnsmsg.formerr(data)
        with self.lock:
            if q.qtype == dnsmsg.TYPE_PTR:
                ip = dnsmsg.reverse_name_to_ip(q.name)
                names = self.resolver.reverse(reg.netdirs, ip) if ip else []
                if names:
                    return dnsmsg.answer_ptr(q, names)
            elif self.resolver.known(reg.netdirs, q.name):
                if q.qtype in (dnsmsg.TYPE_A, dnsmsg.TYPE_ANY):
                    return dnsmsg.answer_a(q, self.resolver.lookup(reg.netdirs, q.name))
                if q.qtype == dnsmsg.TYPE_AAAA:
                    return dnsmsg.answer_a(q, self.resolver.lookup(reg.netdirs, q.name, "names6"))
                return dnsmsg.answer_a(q, [])               # known name, no such record type
            internal = self.resolver.is_internal_only(reg.netdirs)
        if internal or not reg.upstreams:
            return dnsmsg.answer_error(q, dnsmsg.RCODE_SERVFAIL if not internal
                                       else dnsmsg.RCODE_NXDOMAIN)
        return None

    def _forward_udp(self, sock, data, addr, upstreams) -> None:
        for server in upstreams:
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
                    up.settimeout(UPSTREAM_TIMEOUT)
                    up.sendto(data, (server, 53))
                    reply = up.recv(65535)
                sock.sendto(reply, addr)
                return
            except OSError:
                continue
        try:
            sock.sendto(dnsmsg.answer_error(dnsmsg.parse_query(data), dnsmsg.RCODE_SERVFAIL), addr)
        except (OSError, dnsmsg.DNSFormatError):
            pass

    def _tcp_conn(self, conn, reg) -> None:
        with conn:
            conn.settimeout(10)
            try:
                while True:
                    head = _recv_exact(conn, 2)
                    if not head:
                        return
                    data = _recv_exact(conn, int.from_bytes(head, "big"))
                    reply = self._answer(data, reg) or self._forward_tcp(data, reg.upstreams)
                    if reply is None:
                        return
                    conn.sendall(len(reply).to_bytes(2, "big") + reply)
            except OSError:
                return

    def _forward_tcp(self, data, upstreams) -> bytes | None:
        for server in upstreams:
            try:
                with socket.create_connection((server, 53), timeout=UPSTREAM_TIMEOUT) as up:
                    up.sendall(len(data).to_bytes(2, "big") + data)
                    head = _recv_exact(up, 2)
                    return _recv_exact(up, int.from_bytes(head, "big"))
            except OSError:
                continue
        return None


def _recv_exact(conn, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return b""
        buf += chunk
    return buf


def main(argv: list[str]) -> int:
    """argv: SOCKET [--listen-fd N] [--first JSON --fds N,N...] (see netd_client._spawn)."""
    opts = dict(zip(argv[1::2], argv[2::2]))
    listen_fd = int(opts["--listen-fd"]) if "--listen-fd" in opts else None
    netd = Netd(argv[0], listen_fd)
    if "--first" in opts:
        fds = [int(fd) for fd in opts.get("--fds", "").split(",") if fd]
        netd._handle(json.loads(opts["--first"]), fds)
    netd.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
