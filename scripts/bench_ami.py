#!/usr/bin/env python3
"""The AMI ingest benchmark's Python side (see scripts/bench-ami.sh).

  bench_ami.py burst OUT [EVENTS]   write a recorded burst: the AMI transcripts in
                                    tests/fixtures/ami repeated with fresh Uniqueids/Linkedids
  bench_ami.py peer BURST [RUNS]    parse + dispatch it with panoramisk (a real asyncio AMI
                                    library): AMIProtocol.data_received in 16 KiB reads, events
                                    dispatched by its Manager to a handler that groups legs by
                                    Linkedid for extension 201, as screenpop's tracker does
Prints one JSON line per run of `peer`, like the Rust side.
"""
import glob
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures", "ami")


def burst(out, want):
    blocks = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.ami"))):
        text = "\n".join(l for l in open(path).read().split("\n") if not l.startswith("#"))
        blocks.append(text)
    one_round = "\n".join(blocks)
    per_round = one_round.count("Event: ")
    rounds = max(1, -(-want // per_round))
    with open(out, "w", newline="") as f:
        f.write("Asterisk Call Manager/5.0.1\r\n")
        for k in range(rounds):
            text = one_round.replace("1700000", str(2000000 + k))
            f.write(text.replace("\n", "\r\n"))
    print(json.dumps({"burst": out, "events": rounds * per_round, "rounds": rounds}))


class Tracker:
    """Legs grouped by Linkedid for one extension: ring once, answer once, end once."""

    def __init__(self, ext):
        self.ext = ext
        self.channels = {}
        self.calls = {}
        self.produced = 0

    def ours(self, name):
        tech, _, rest = name.partition("/")
        return tech != "Local" and rest.rpartition("-")[0] == self.ext

    def upsert(self, m, p=""):
        uid = m.get(p + "Uniqueid")
        if not uid:
            return None
        name = m.get(p + "Channel", "")
        linked = m.get(p + "Linkedid", uid)
        ours = self.ours(name)
        self.channels[uid] = (name, linked, ours, m.get(p + "CallerIDNum"), m.get(p + "CallerIDName"))
        if ours:
            call = self.calls.setdefault(linked, {"legs": set(), "rang": False, "up": False, "out": uid == linked})
            call["legs"].add(uid)
        return uid

    def call_of(self, uid):
        c = self.channels.get(uid)
        return self.calls.get(c[1]) if c else None

    def ring(self, call):
        if call and not call["rang"]:
            call["rang"] = True
            self.produced += 1

    def answer(self, call):
        if call and not call["up"]:
            self.ring(call)
            call["up"] = True
            self.produced += 1

    def end(self, linked):
        call = self.calls.pop(linked, None)
        if call and call["rang"]:
            self.produced += 1

    def handle(self, m):
        e = m.get("Event")
        if e in ("Newchannel", "NewCallerid", "CoreShowChannel"):
            uid = self.upsert(m)
            if e == "CoreShowChannel" and m.get("ChannelState") in ("5", "6"):
                self.ring(self.call_of(uid))
        elif e == "Newstate":
            uid = self.upsert(m)
            call = self.call_of(uid)
            if call and not call["out"]:
                if m.get("ChannelState") == "5":
                    self.ring(call)
                elif m.get("ChannelState") == "6":
                    self.answer(call)
        elif e in ("DialBegin", "DialEnd"):
            src, dest = self.upsert(m), self.upsert(m, "Dest")
            for uid in (dest, src):
                call = self.call_of(uid)
                if call and self.channels[uid][2]:
                    if e == "DialBegin":
                        self.ring(call)
                    elif m.get("DialStatus") == "ANSWER":
                        self.answer(call)
                    break
            else:
                if e == "DialEnd" and m.get("DialStatus") == "ANSWER" and dest in self.channels:
                    self.end(self.channels[dest][1])
        elif e == "BridgeEnter":
            uid = self.upsert(m)
            if uid and self.channels[uid][2]:
                self.answer(self.call_of(uid))
        elif e == "Hangup":
            c = self.channels.pop(m.get("Uniqueid"), None)
            if c:
                call = self.calls.get(c[1])
                if call and c[2]:
                    call["legs"].discard(m.get("Uniqueid"))
                    if not call["legs"] and (call["up"] or m.get("Cause") == "26"):
                        self.end(c[1])
                elif call and m.get("Uniqueid") == c[1]:
                    self.end(c[1])


def peer(path, runs):
    import asyncio
    from panoramisk.ami_protocol import AMIProtocol
    from panoramisk.manager import Manager

    data = open(path, "rb").read()
    rates, events = [], 0
    for _ in range(runs):
        loop = asyncio.new_event_loop()
        manager = Manager(loop=loop)
        tracker = Tracker("201")
        count = [0]

        def on_event(_manager, message):
            count[0] += 1
            tracker.handle(message)

        manager.register_event("*", on_event)
        protocol = AMIProtocol()
        protocol.connection_made(None)
        protocol.factory = manager
        protocol.encoding = "utf-8"
        started = time.perf_counter()
        for i in range(0, len(data), 16 * 1024):
            protocol.data_received(data[i:i + 16 * 1024])
        elapsed = time.perf_counter() - started
        events = count[0]
        rates.append(events / elapsed)
        loop.close()
    rates.sort()
    print(json.dumps({"impl": "panoramisk 1.4 (Python %d.%d)" % sys.version_info[:2], "events": events,
                      "call_events": tracker.produced, "best_per_s": round(rates[-1]),
                      "median_per_s": round(rates[len(rates) // 2]), "runs": runs}))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "burst":
        burst(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 100_000)
    elif len(sys.argv) >= 3 and sys.argv[1] == "peer":
        peer(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    else:
        sys.exit(__doc__)
