#!/usr/bin/env python3
"""WAN delay for one site's network namespace, in user space through NFQUEUE.

Why not `tc netem`: kernels built without sch_netem (this machine's among them) cannot load it, and
they usually still have NFQUEUE. iptables in the site's namespace sends every packet crossing its
WAN interface to queue N; this daemon holds each one for the one-way delay and then accepts it, in
arrival order (so jitter never reorders a TCP stream). Loss and partitions stay in iptables (DROP
rules before the queue), so this process only ever delays.

Pure standard library: the nfnetlink_queue protocol is spoken over a raw netlink socket.
Usage: link-delay.py QUEUE_NUM DELAY_MS [JITTER_MS]; prints "ready" once bound.
"""
import collections
import os
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NLMSG_ERROR = 2
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQA_CFG_MASK = 4
NFQA_CFG_FLAGS = 5
NFQA_CFG_F_GSO = 1 << 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1
SO_RCVBUFFORCE = 33


def attr(kind, data):
    raw = struct.pack("=HH", 4 + len(data), kind) + data
    return raw + b"\0" * (-len(raw) % 4)


class Queue:
    def __init__(self, num):
        self.num = num
        self.seq = 0
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((0, 0))

    def message(self, msg_type, flags, attrs):
        self.seq += 1
        body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(self.num)) + b"".join(attrs)
        kind = (NFNL_SUBSYS_QUEUE << 8) | msg_type
        return struct.pack("=IHHII", 16 + len(body), kind, flags, self.seq, 0) + body

    def configure(self, attrs):
        self.sock.send(self.message(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, attrs))
        reply = self.sock.recv(65536)
        _, kind, _, _, _ = struct.unpack_from("=IHHII", reply)
        if kind == NLMSG_ERROR:
            (err,) = struct.unpack_from("=i", reply, 16)
            if err != 0:
                raise OSError(-err, os.strerror(-err))

    def bind(self):
        self.configure([attr(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0, 0))])
        # metadata only: the packet id is all a verdict needs
        self.configure([attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))])
        self.configure([attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", 65536))])
        # large (GSO) packets are queued whole instead of segmented first: fewer packets to hold
        gso = struct.pack("!I", NFQA_CFG_F_GSO)
        self.configure([attr(NFQA_CFG_FLAGS, gso), attr(NFQA_CFG_MASK, gso)])

    def packet_ids(self, data):
        offset = 0
        while offset + 16 <= len(data):
            length, kind, _, _, _ = struct.unpack_from("=IHHII", data, offset)
            if length < 16:
                return
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                pos, end = offset + 20, offset + length
                while pos + 4 <= end:
                    alen, akind = struct.unpack_from("=HH", data, pos)
                    if alen < 4:
                        break
                    if akind & 0x7FFF == NFQA_PACKET_HDR:
                        yield struct.unpack_from("!I", data, pos + 4)[0]
                        break
                    pos += (alen + 3) & ~3
            offset += (length + 3) & ~3

    def accept(self, ids):
        msgs = [
            self.message(NFQNL_MSG_VERDICT, NLM_F_REQUEST, [attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, i))])
            for i in ids
        ]
        for start in range(0, len(msgs), 1024):
            self.sock.send(b"".join(msgs[start : start + 1024]))


def main():
    num, delay_ms = int(sys.argv[1]), float(sys.argv[2])
    jitter_ms = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    queue = Queue(num)
    queue.bind()
    # one write, whatever PYTHONUNBUFFERED says: the parent stops reading at the first line
    os.write(1, b"ready\n")
    os.close(1)
    held = collections.deque()  # (release time, packet id), release times never decrease
    last_release = 0.0
    queue.sock.setblocking(False)
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
        readable, _, _ = select.select([queue.sock], [], [], timeout)
        if readable:
            while True:
                try:
                    data = queue.sock.recv(1 << 20)
                except BlockingIOError:
                    break
                except OSError:  # ENOBUFS: the kernel dropped what did not fit, as a full link would
                    break
                now = time.monotonic()
                for packet_id in queue.packet_ids(data):
                    wait = delay_ms + (random.uniform(-jitter_ms, jitter_ms) if jitter_ms else 0.0)
                    last_release = max(last_release, now + max(0.0, wait) / 1000.0)
                    held.append((last_release, packet_id))
        now = time.monotonic()
        due = []
        while held and held[0][0] <= now:
            due.append(held.popleft()[1])
        if due:
            queue.accept(due)


if __name__ == "__main__":
    main()
