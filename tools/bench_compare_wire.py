"""The little of ZooKeeper's client protocol that tools/bench_compare.py
needs besides `warden bench`: four-letter words, one session on one server
(connect, getData, close), and filling an ensemble with many znodes that stay
after the client leaves (`warden bench` deletes what it created when it
ends). Standard library only; speaks to ZooKeeper and Warden alike."""

import socket
import struct
import threading
import time

OP_CREATE, OP_GET_DATA, OP_CLOSE = 1, 4, -11
ERR_OK, ERR_NODE_EXISTS = 0, -110
PERMS_ALL = 31


def four_letter_word(port, word, timeout=2.0):
    """The server's answer to a four-letter word, or None if it does not answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(word.encode())
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
            return reply.decode(errors="replace")
    except OSError:
        return None


def mntr_fields(port, timeout=2.0):
    """`mntr` as a dict of its key\tvalue lines (values as text); empty when
    the server does not answer."""
    fields = {}
    for line in (four_letter_word(port, "mntr", timeout) or "").splitlines():
        key, sep, value = line.partition("\t")
        if sep:
            fields[key] = value
    return fields


def srvr_fields(port, timeout=2.0):
    """`srvr` as a dict ("Mode", "Node count", "Zookeeper version", ...);
    empty when the server does not answer or is not serving."""
    fields = {}
    for line in (four_letter_word(port, "srvr", timeout) or "").splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def pack_string(value):
    encoded = value.encode() if isinstance(value, str) else value
    return struct.pack(">i", len(encoded)) + encoded


OPEN_ACL = struct.pack(">ii", 1, PERMS_ALL) + pack_string("world") + pack_string("anyone")


def create_body(path, data):
    return pack_string(path) + pack_string(data) + OPEN_ACL + struct.pack(">i", 0)


class Session:
    """One session on one server, requests answered in order. Raises
    ConnectionError (or OSError) when the server refuses or drops it, as a
    server that is not serving yet does."""

    def __init__(self, port, timeout_ms=30000, socket_timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=socket_timeout)
        self.reader = self.sock.makefile("rb")
        body = struct.pack(">iqiq", 0, 0, timeout_ms, 0) + pack_string(b"\0" * 16)
        self.sock.sendall(struct.pack(">i", len(body)) + body)
        reply = self._frame()
        if len(reply) < 16:
            raise ConnectionError("short connect reply")
        self.session_id = struct.unpack(">q", reply[8:16])[0]
        self.xid = 0

    def _frame(self):
        head = self.reader.read(4)
        if len(head) < 4:
            raise ConnectionError("closed by the server")
        length = struct.unpack(">i", head)[0]
        frame = self.reader.read(length)
        if len(frame) < length:
            raise ConnectionError("closed by the server")
        return frame

    def send(self, opcode, body):
        self.xid += 1
        frame = struct.pack(">ii", self.xid, opcode) + body
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)

    def reply(self):
        """(err, body) of the next reply; notifications (xid -1) are skipped."""
        while True:
            frame = self._frame()
            xid, _zxid, err = struct.unpack(">iqi", frame[:16])
            if xid != -1:
                return err, frame[16:]

    def get_data(self, path):
        self.send(OP_GET_DATA, pack_string(path) + b"\0")
        err, body = self.reply()
        if err != ERR_OK:
            raise RuntimeError(f"getData {path}: error {err}")
        length = struct.unpack(">i", body[:4])[0]
        return body[4:4 + max(length, 0)]

    def create_many(self, bodies, window):
        """Sends each create body with up to `window` in flight; the number
        of errors other than "node exists"."""
        errors = 0
        outstanding = 0
        for body in bodies:
            if outstanding >= window:
                err, _ = self.reply()
                outstanding -= 1
                errors += err not in (ERR_OK, ERR_NODE_EXISTS)
            self.send(OP_CREATE, body)
            outstanding += 1
        while outstanding:
            err, _ = self.reply()
            outstanding -= 1
            errors += err not in (ERR_OK, ERR_NODE_EXISTS)
        return errors

    def close(self):
        try:
            self.send(OP_CLOSE, b"")
            self.reply()
        except (OSError, ConnectionError):
            pass
        finally:
            self.reader.close()
            self.sock.close()


def try_read(port, path, timeout=2.0):
    """True if a fresh session on this one server can read `path`."""
    try:
        session = Session(port, socket_timeout=timeout)
    except (OSError, ConnectionError):
        return False
    try:
        session.get_data(path)
        return True
    except (OSError, ConnectionError, RuntimeError):
        return False
    finally:
        session.close()


FILL_ROOT = "/bench-fill"
FILL_PER_PARENT = 1000


def fill_path(i):
    """The i-th znode the fill creates: 1,000 children per parent."""
    return f"{FILL_ROOT}/p{i // FILL_PER_PARENT}/n{i % FILL_PER_PARENT}"


def fill(ports, count, value_bytes, connections=8, window=64):
    """Creates `count` znodes of `value_bytes` under FILL_ROOT (plus their
    parents), spread over `connections` sessions on `ports`, `window`
    requests in flight each. Returns (seconds, errors)."""
    value = b"x" * value_bytes
    parents = (count + FILL_PER_PARENT - 1) // FILL_PER_PARENT
    started = time.monotonic()
    first = Session(ports[0])
    errors = first.create_many([create_body(FILL_ROOT, b"")], 1)
    errors += first.create_many(
        (create_body(f"{FILL_ROOT}/p{j}", b"") for j in range(parents)), window)
    first.close()
    failures = []

    def worker(k):
        try:
            session = Session(ports[k % len(ports)])
            try:
                bodies = (create_body(fill_path(i), value) for i in range(k, count, connections))
                failures.append(session.create_many(bodies, window))
            finally:
                session.close()
        except (OSError, ConnectionError) as error:
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for failure in failures:
        if isinstance(failure, Exception):
            raise RuntimeError(f"fill: a session failed: {failure}")
        errors += failure
    return time.monotonic() - started, errors
