"""netd's userland proxy for ports published on IPv6 host addresses (see ports.py).

A ``Listener`` wraps one holder socket handed to netd (IPv6, IPV6_V6ONLY; TCP ones already
listening). netd's selector calls ``on_ready()`` when it is readable:

* TCP/SCTP: accept, then a thread connects to the container (its IPv4 address) and relays
  both directions until either side closes;
* UDP: each client address gets its own socket connected to the container; a thread sends
  the replies back from the published address and drops the flow after
  ``UDP_IDLE_SECONDS`` without traffic (docker-proxy's conntrack timeout).

``close()`` (container released) closes the listener and every relay it started.
"""
from __future__ import annotations

import select
import socket
import threading

UDP_IDLE_SECONDS = 90.0
CONNECT_TIMEOUT = 5.0
BUFSIZE = 65536


class Listener:
    def __init__(self, sock: socket.socket, target) -> None:
        self.sock, self.target = sock, (str(target[0]), int(target[1]))
        self.stream = sock.type == socket.SOCK_STREAM
        self.lock = threading.Lock()
        self.relays: set[socket.socket] = set()
        self.flows: dict = {}                       # UDP: client address -> upstream socket
        self.closed = False
        sock.setblocking(False)
        if self.stream:
            sock.listen(128)                        # no-op when the CLI already listens

    def on_ready(self) -> None:
        if self.stream:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            threading.Thread(target=self._relay_stream, args=(conn,), daemon=True).start()
        else:
            self._udp_datagram()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            relays, self.relays = list(self.relays), set()
            self.flows = {}
        self.sock.close()
        for s in relays:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _track(self, *socks) -> bool:
        with self.lock:
            if self.closed:
                return False
            self.relays.update(socks)
            return True

    def _untrack(self, *socks) -> None:
        with self.lock:
            self.relays.difference_update(socks)
        for s in socks:
            s.close()

    # ------------------------------------------------------------------ TCP / SCTP
    def _relay_stream(self, conn: socket.socket) -> None:
        conn.setblocking(True)
        proto = conn.proto if conn.proto == 132 else 0
        up = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
        if not self._track(conn, up):
            conn.close()
            up.close()
            return
        try:
            up.settimeout(CONNECT_TIMEOUT)
            up.connect(self.target)
            up.settimeout(None)
            _pump(conn, up)
        except OSError:
            pass
        finally:
            self._untrack(conn, up)

    # ------------------------------------------------------------------ UDP
    def _udp_datagram(self) -> None:
        try:
            data, client = self.sock.recvfrom(BUFSIZE)
        except (BlockingIOError, InterruptedError):
            return
        with self.lock:
            up = self.flows.get(client)
        if up is None:
            up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                up.connect(self.target)
            except OSError:
                up.close()
                return
            if not self._track(up):
                up.close()
                return
            with self.lock:
                self.flows[client] = up
            threading.Thread(target=self._udp_replies, args=(up, client), daemon=True).start()
        try:
            up.send(data)
        except OSError:
            pass

    def _udp_replies(self, up: socket.socket, client) -> None:
        up.settimeout(UDP_IDLE_SECONDS)
        try:
            while True:
                try:
                    data = up.recv(BUFSIZE)
                except ConnectionRefusedError:      # nothing listening yet: keep the flow
                    continue
                if self.closed:
                    break
                self.sock.sendto(data, client)
        except OSError:                             # idle timeout, or closed
            pass
        finally:
            with self.lock:
                if self.flows.get(client) is up:
                    del self.flows[client]
            self._untrack(up)


def _pump(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until both directions are done (half-close passed on). poll, not
    select: netd may hold more than 1024 fds."""
    peer = {a.fileno(): (a, b), b.fileno(): (b, a)}
    poller = select.poll()
    for fd in peer:
        poller.register(fd, select.POLLIN)
    while peer:
        for fd, _event in poller.poll():
            src, dst = peer[fd]
            data = src.recv(BUFSIZE)
            if data:
                dst.sendall(data)
                continue
            poller.unregister(fd)
            del peer[fd]
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
