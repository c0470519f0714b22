"""The attach stream ends cleanly when the shim closes the socket with our stdin still unread
(the kernel then reports ECONNRESET after the last frame): `run --rm -T` with piped input into
a container that exits at once must not crash."""
import socket

from engine.runtime.ops import _recv_exact


def test_reset_after_the_last_frame_is_end_of_stream():
    ours, shim = socket.socketpair()
    try:
        ours.sendall(b"stdin the container never read")
        shim.sendall(b"xy")
        shim.close()
        assert _recv_exact(ours, 2) == b"xy"
        assert _recv_exact(ours, 8) == b""
    finally:
        ours.close()
