"""Free TCP ports on loopback for the processes a test starts.

A port is free when the kernel hands it out for a bind to port 0; it stays
free only until someone binds it, and the test's processes bind theirs
later. So that two calls in one test process never hand out the same port
(say the MariaDB servers' and the Warden nodes', chosen before either
starts), every port handed out is remembered and never handed out again.

Used by ensemble.py and ../mysql/mariadb.py."""

import socket

_handed_out = set()


def free_ports(count):
    """`count` distinct ports nothing listens on now, none returned before
    by this process."""
    sockets, ports = [], []
    try:
        while len(ports) < count:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)  # held until all are chosen: no repeats within one call
            port = s.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                ports.append(port)
    finally:
        for s in sockets:
            s.close()
    return ports
