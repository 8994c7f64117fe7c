"""The compose stack's published port is picked out of the engine's way."""

from __future__ import annotations

import socket

from targets.kinds.compose.stack import free_port
from tests.helpers import ephemeral_range


def test_the_port_is_below_the_range_the_engine_and_the_kernel_hand_out() -> None:
    # A compose smoke failed on "Bind for 127.0.0.1:33567 failed: port is already allocated":
    # bind(0) had picked it, and the engine gave it to another container's `-p 127.0.0.1::port`
    # before compose bound it. Both take their ports from the kernel's ephemeral range.
    low, high = ephemeral_range()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        assert low <= sock.getsockname()[1] <= high  # what the old pick gave
    for _ in range(20):
        port = free_port("127.0.0.1")
        assert 1024 <= port < low
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # free, as it says
