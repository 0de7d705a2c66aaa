"""A bare ZooKeeper client over one socket, for what kazoo 2.8 cannot do:
addWatch and removeWatches, syncing a given connection, and reconnecting a
session by hand with its own setWatches. Used by the integration tests."""

import queue
import socket
import struct
import threading

# ZooKeeper's EventType codes (watch notifications).
NODE_CREATED, NODE_DELETED, NODE_DATA_CHANGED, NODE_CHILDREN_CHANGED = 1, 2, 3, 4
# AddWatchMode, and WatcherType for removeWatches.
ADD_WATCH_PERSISTENT, ADD_WATCH_PERSISTENT_RECURSIVE = 0, 1
WATCHER_ANY = 3  # ZooKeeper 3.8 has no Persistent watcher types (3.9); "any" removes one
# Error codes.
OK, NO_NODE, NO_WATCHER = 0, -101, -121

OP_EXISTS, OP_GET_DATA, OP_SYNC, OP_REMOVE_WATCHES = 3, 4, 9, 18
OP_SET_WATCHES, OP_ADD_WATCH, OP_CLOSE = 101, 106, -11
SET_WATCHES_XID = -8


def pack_string(value):
    encoded = value.encode()
    return struct.pack(">i", len(encoded)) + encoded


def pack_strings(values):
    return struct.pack(">i", len(values)) + b"".join(pack_string(v) for v in values)


class RawSession:
    """One connection. A reader thread sorts the frames into replies (xid,
    err) and watch notifications (type, path), and keeps the last zxid seen.
    Give `session` and `password` to reconnect an existing session."""

    def __init__(self, port, session=0, password=b"\0" * 16, last_zxid=0, timeout_ms=20000):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        body = (struct.pack(">iqiq", 0, last_zxid, timeout_ms, session)
                + struct.pack(">i", len(password)) + password)
        self.sock.sendall(struct.pack(">i", len(body)) + body)
        response = self._frame()
        self.timeout_ms, self.session, length = struct.unpack(">iqi", response[4:20])
        self.password = response[20:20 + length]
        self.last_zxid = last_zxid
        self.replies = queue.Queue()
        self.events = queue.Queue()
        self.xid = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _exactly(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed by the server")
            data += chunk
        return data

    def _frame(self):
        return self._exactly(struct.unpack(">i", self._exactly(4))[0])

    def _read(self):
        try:
            while True:
                frame = self._frame()
                xid, zxid, err = struct.unpack(">iqi", frame[:16])
                if xid == -1:
                    event_type, _state, length = struct.unpack(">iii", frame[16:28])
                    self.events.put((event_type, frame[28:28 + length].decode()))
                    continue
                if zxid > 0:
                    self.last_zxid = max(self.last_zxid, zxid)
                self.replies.put((xid, err))
        except (OSError, ConnectionError):
            pass

    def send(self, xid, opcode, body):
        frame = struct.pack(">ii", xid, opcode) + body
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        got, err = self.replies.get(timeout=10)
        assert got == xid, (got, xid)
        return err

    def call(self, opcode, body):
        """Sends one request and returns its reply's error code."""
        self.xid += 1
        return self.send(self.xid, opcode, body)

    def add_watch(self, path, mode):
        return self.call(OP_ADD_WATCH, pack_string(path) + struct.pack(">i", mode))

    def remove_watches(self, path, watcher_type):
        return self.call(OP_REMOVE_WATCHES, pack_string(path) + struct.pack(">i", watcher_type))

    def get_data(self, path, watch):
        return self.call(OP_GET_DATA, pack_string(path) + struct.pack(">?", watch))

    def exists(self, path, watch):
        return self.call(OP_EXISTS, pack_string(path) + struct.pack(">?", watch))

    def sync(self, path):
        """Once answered, the events of every write acknowledged before it
        have been received: a node sends them before later replies."""
        return self.call(OP_SYNC, pack_string(path))

    def set_watches(self, relative_zxid, data=(), exist=(), child=()):
        """What a client sends after reconnecting, to re-arm its watches."""
        body = (struct.pack(">q", relative_zxid) + pack_strings(list(data))
                + pack_strings(list(exist)) + pack_strings(list(child)))
        return self.send(SET_WATCHES_XID, OP_SET_WATCHES, body)

    def next_events(self, count, seconds=10):
        return [self.events.get(timeout=seconds) for _ in range(count)]

    def close(self):
        """Ends the session (closeSession) and the connection."""
        try:
            self.call(OP_CLOSE, b"")
        except Exception:
            pass
        self.sock.close()
