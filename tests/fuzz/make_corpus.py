#!/usr/bin/env python3
"""Writes the seed inputs of the libFuzzer targets into tests/fuzz/corpus/.

Each target starts from a few valid inputs built here byte for byte (jute
records as a ZooKeeper 3.8 client or server sends them, Warden peer frames,
zoo.cfg files), laid out as that target reads its input (see the comment at
the top of each tests/fuzz/fuzz_*.cc). Run it again after changing a
target's input layout; tests/fuzz/run.sh only reads the files.
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- jute: big-endian, buffers and vectors prefixed by an int32 ---------------


def i32(v):
    return struct.pack(">i", v)


def i64(v):
    return struct.pack(">q", v)


def boolean(v):
    return b"\x01" if v else b"\x00"


def buf(v):
    if isinstance(v, str):
        v = v.encode()
    return i32(len(v)) + v


def vec(items, encode):
    return i32(len(items)) + b"".join(encode(item) for item in items)


def acl(perms, scheme, ident):
    return i32(perms) + buf(scheme) + buf(ident)


OPEN_ACL = [(31, "world", "anyone")]


def acl_list(entries):
    return vec(entries, lambda e: acl(*e))


def stat(czxid=0x100000002, mzxid=0x100000002, data_length=5, num_children=0):
    return (i64(czxid) + i64(mzxid) + i64(1700000000000) + i64(1700000000000) + i32(0) +
            i32(0) + i32(0) + i64(0) + i32(data_length) + i32(num_children) + i64(czxid))


def frame(payload):
    return i32(len(payload)) + payload


# Op codes (store/request.h).
CREATE, DELETE, EXISTS, GET_DATA, SET_DATA, GET_ACL = 1, 2, 3, 4, 5, 6
GET_CHILDREN, SYNC, PING, GET_CHILDREN2, CHECK, MULTI = 8, 9, 11, 12, 13, 14
CREATE2, CREATE_TTL, MULTI_READ, AUTH, SET_WATCHES = 15, 21, 22, 100, 101
SET_WATCHES2, ADD_WATCH, WHO_AM_I, CLOSE_SESSION, ERROR = 105, 106, 107, -11, -1


def connect_request(read_only=False):
    return (i32(0) + i64(0) + i32(30000) + i64(0) + buf(b"\0" * 16) + boolean(read_only))


def request(xid, op, body=b""):
    return i32(xid) + i32(op) + body


def multi_header(op, done=False, err=-1):
    return i32(op) + boolean(done) + i32(err)


MULTI_END = multi_header(-1, True, -1)


def create_body(path, data, mode=0):
    return buf(path) + buf(data) + acl_list(OPEN_ACL) + i32(mode)


def client_requests():
    """Request frames a session sends after its handshake."""
    return [
        request(1, CREATE, create_body("/app", b"hello")),
        request(2, CREATE2, create_body("/app/lock-", b"", mode=3)),
        request(3, GET_DATA, buf("/app") + boolean(True)),
        request(4, SET_DATA, buf("/app") + buf(b"world") + i32(0)),
        request(5, GET_CHILDREN2, buf("/app") + boolean(False)),
        request(6, EXISTS, buf("/missing") + boolean(True)),
        request(7, MULTI,
                multi_header(CREATE) + create_body("/app/a", b"1") + multi_header(CHECK) +
                buf("/app") + i32(1) + multi_header(DELETE) + buf("/app/a") + i32(-1) +
                MULTI_END),
        request(8, MULTI_READ,
                multi_header(GET_DATA) + buf("/app") + boolean(False) +
                multi_header(GET_CHILDREN) + buf("/app") + boolean(False) + MULTI_END),
        request(9, CREATE_TTL, create_body("/ttl", b"x", mode=5) + i64(60000)),
        request(10, GET_ACL, buf("/app")),
        request(11, SYNC, buf("/app")),
        request(12, ADD_WATCH, buf("/app") + i32(1)),
        request(13, WHO_AM_I),
        request(-4, AUTH, i32(0) + buf("digest") + buf(b"user:secret")),
        request(-8, SET_WATCHES,
                i64(0x100000005) + vec(["/app"], buf) + vec([], buf) + vec(["/"], buf)),
        request(-8, SET_WATCHES2,
                i64(0x100000005) + vec(["/a"], buf) + vec([], buf) + vec([], buf) +
                vec(["/p"], buf) + vec(["/r"], buf)),
        request(-2, PING),
        request(14, DELETE, buf("/app") + i32(-1)),
        request(15, CLOSE_SESSION),
    ]


def client_frames_input(flags, pieces, stream):
    assert len(pieces) == flags & 7
    return bytes([flags]) + bytes(pieces) + stream


def client_frames_seeds():
    requests = client_requests()
    session = frame(connect_request()) + b"".join(frame(r) for r in requests)
    return {
        # All at once, ZooKeeper's length limit.
        "session_whole": client_frames_input(0, [], session),
        # One byte at a time.
        "session_byte_by_byte": client_frames_input(1, [1], session),
        # Pieces of 3 and 250 bytes, cutting frames anywhere.
        "session_pieces": client_frames_input(2, [3, 250], session),
        # A 3.2-era client: no readOnly byte in its ConnectRequest.
        "connect_without_read_only": client_frames_input(0, [], frame(connect_request()[:-1]) +
                                                         frame(requests[0])),
        # A four-letter word where the length would be.
        "four_letter_word": client_frames_input(0, [], b"ruok"),
        # A 64-byte limit (choice 2) and a frame over it: "Len error".
        "frame_over_limit": client_frames_input(2 << 3, [], frame(connect_request()) +
                                                frame(request(1, CREATE,
                                                              create_body("/big", b"x" * 100)))),
    }


def reply_header(xid, zxid=0x100000003, err=0):
    return i32(xid) + i64(zxid) + i32(err)


def replies_seeds():
    return {
        "connect_response": i32(0) + i32(30000) + i64(0x1000001a2b3c4d) + buf(b"\x07" * 16) +
        boolean(False),
        "create": reply_header(1) + buf("/app"),
        "create2": reply_header(2) + buf("/app/lock-0000000001") + stat(),
        "get_data": reply_header(3) + buf(b"hello") + stat(),
        "get_children2": reply_header(5) + vec(["a", "b"], buf) + stat(num_children=2),
        "get_acl": reply_header(10) + acl_list(OPEN_ACL + [(1, "digest", "u:h")]) + stat(),
        "no_node": reply_header(6, err=-101),
        "notification": reply_header(-1, -1) + i32(3) + i32(3) + buf("/app"),
        "multi": reply_header(7) + multi_header(CREATE, False, 0) + buf("/app/a") +
        multi_header(CHECK, False, 0) + multi_header(DELETE, False, 0) + MULTI_END,
        "multi_failed": reply_header(7) + multi_header(ERROR, False, 0) + i32(0) +
        multi_header(ERROR, False, -101) + i32(-101) + MULTI_END,
        "multi_read": reply_header(8) + multi_header(GET_DATA, False, 0) + buf(b"v") + stat() +
        multi_header(GET_CHILDREN, False, 0) + vec(["c"], buf) + MULTI_END,
        "who_am_i": reply_header(13) + vec([("ip", "127.0.0.1")], lambda c: buf(c[0]) + buf(c[1])),
        "ping": reply_header(-2, -1),
    }


# ---- Warden peer frames: little-endian, [length u32][crc32c u32][payload] ------


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def le_bytes(v):
    return struct.pack("<I", len(v)) + v


# consensus::MessageType values.
PRE_VOTE, VOTE_RESPONSE, APPEND, APPEND_RESPONSE, HEARTBEAT = 0, 3, 4, 5, 6
SNAPSHOT, FORWARD_PROPOSALS, READ_INDEX_RESPONSE = 8, 9, 11


def peer_message(type_, from_=1, to=2, epoch=3, last_index=0, last_zxid=0, reject=False,
                 prev_index=0, prev_zxid=0, commit_index=0, match_index=0, hint_index=0,
                 hint_zxid=0, context=0, snapshot=(0, 0, b""), snapshot_offset=0,
                 last_chunk=False, entries=(), proposals=()):
    out = struct.pack("<BBIIIQQB", 1, type_, from_, to, epoch, last_index, last_zxid, reject)
    out += struct.pack("<QQQQQQQ", prev_index, prev_zxid, commit_index, match_index, hint_index,
                       hint_zxid, context)
    out += struct.pack("<QQ", snapshot[0], snapshot[1]) + le_bytes(snapshot[2])
    out += struct.pack("<QB", snapshot_offset, last_chunk)
    out += struct.pack("<I", len(entries))
    for index, zxid, entry_type, data in entries:
        out += struct.pack("<QQB", index, zxid, entry_type) + le_bytes(data)
    out += struct.pack("<I", len(proposals))
    for proposal in proposals:
        out += le_bytes(proposal)
    return out


def peer_frame(payload):
    return struct.pack("<II", len(payload), crc32c(payload)) + payload


def peer_messages():
    zxid = 0x300000001
    return [
        peer_message(PRE_VOTE, epoch=4, last_index=7, last_zxid=zxid),
        peer_message(VOTE_RESPONSE, reject=True),
        peer_message(APPEND, prev_index=6, prev_zxid=zxid - 1, commit_index=6,
                     entries=[(7, zxid, 1, b"create /a"), (8, zxid + 1, 0, b"")]),
        peer_message(APPEND_RESPONSE, match_index=8),
        peer_message(HEARTBEAT, commit_index=8, context=42),
        peer_message(SNAPSHOT, snapshot=(100, 0x200000010, b"chunk of a tree image"),
                     snapshot_offset=4096, last_chunk=True),
        peer_message(FORWARD_PROPOSALS, proposals=[b"setData /a", b""]),
        peer_message(READ_INDEX_RESPONSE, commit_index=9, context=42),
    ]


def peer_frames_seeds():
    messages = peer_messages()
    stream = b"".join(peer_frame(m) for m in messages)
    # Choice bit 0 set: payloads for the target to frame, each after its
    # 2-byte little-endian length.
    payloads = b"".join(struct.pack("<H", len(m)) + m for m in messages)
    return {
        "stream_whole": bytes([0]) + stream,
        "stream_pieces": bytes([2, 5, 64]) + stream,
        "stream_byte_by_byte": bytes([1, 1]) + stream[:300],
        "stream_bad_checksum": bytes([0]) + stream[:20] + b"\xff" + stream[21:200],
        "payloads": bytes([1 << 3]) + payloads,
        "payloads_pieces": bytes([(1 << 3) | 1, 7]) + payloads,
    }


# ---- zoo.cfg: the file, then NUL, myid, then NUL, the dynamic file -------------

STANDALONE = b"""# A single server, as in ZooKeeper's getting-started guide.
tickTime=2000
dataDir=/var/lib/zookeeper
clientPort=2181
"""

ENSEMBLE = b"""tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zookeeper
clientPort=2181
maxClientCnxns=60
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
4lw.commands.whitelist=srvr, ruok, conf, mntr
server.1=zk1.example.com:2888:3888
server.2=zk2.example.com:2888:3888;2181
server.3=[2001:db8::3]:2888:3888:participant;0.0.0.0:2181
server.4=zk4.example.com:2888:3888:observer
warden.clusterId=12345
warden.compactEveryEntries=50000
"""

DYNAMIC_MAIN = b"""tickTime=2000
initLimit=5
syncLimit=2
dataDir = /data/zk
dynamicConfigFile=/data/zk/zoo.cfg.dynamic.100000000
standaloneEnabled : false
reconfigEnabled true
snapCount=100000
"""

DYNAMIC_FILE = b"""server.1=10.0.0.1:2888:3888:participant;2181
server.2=10.0.0.2:2888:3888:participant;2181
server.3=10.0.0.3:2888:3888:participant;2181
"""

ESCAPES = b"""! Properties syntax: continuations, escapes, separators.
tick\\u0054ime = 3000
dataDir /tmp/zk\\
    /data
clientPortAddress=127.0.0.1
clientPort:2182
unknownKey=1
minSessionTimeout=4000
maxSessionTimeout=40000
"""


def zoo_config_seeds():
    return {
        "standalone": STANDALONE,
        "ensemble_myid": ENSEMBLE + b"\0" + b"2\n",
        "dynamic": DYNAMIC_MAIN + b"\0" + b"3\n" + b"\0" + DYNAMIC_FILE,
        "escapes": ESCAPES,
    }


def main():
    corpus = os.path.join(HERE, "corpus")
    seeds = {
        "fuzz_client_frames": client_frames_seeds(),
        "fuzz_replies": replies_seeds(),
        "fuzz_peer_frames": peer_frames_seeds(),
        "fuzz_zoo_config": zoo_config_seeds(),
    }
    for target, files in seeds.items():
        directory = os.path.join(corpus, target)
        os.makedirs(directory, exist_ok=True)
        for name, data in files.items():
            assert len(data) <= 4096, (target, name)
            with open(os.path.join(directory, name), "wb") as out:
                out.write(data)
    print(f"wrote {sum(len(f) for f in seeds.values())} seeds under {corpus}", file=sys.stderr)


if __name__ == "__main__":
    main()
