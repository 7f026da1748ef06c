#!/usr/bin/env python3
"""The writer of stream_follow.sh's second part (sourced data, not a test): appends at a steady
rate to several files in DIR and rotates them, while the harness kill -9s a follow worker.

  follow_writer.py DIR LEDGER SECONDS SEED GO

It creates the files, prints "ready", waits for the file GO to exist, then writes for SECONDS.

Files: c0..c3.log are rotated by copytruncate (shutil.copyfile to cN.log.K, then truncate; the
writer writes nothing in between, so no line exists only between the copy and the truncation) at
every 1.5 s, and every generation of c3.log begins with the banner; b0.log and b1.log begin with the same banner line; z0.log and z1.log with a blank
line; r.log is rotated by rename (r.log.K) and every generation begins with that same banner.
Some lines are written in two halves with a pause between (a partial last line). Every complete
line written is logged to LEDGER as its level, or '-' (banner, blank line): the independent count.
The rotated copies stay in DIR (pattern '*.log*'). FOLLOW_WRITER_FILES=ct: the four copytruncated
files only (a defect hiding files with equal first lines then cannot mask over-counting)."""
import os
import random
import shutil
import sys
import time

d, ledger_path, seconds, seed, go = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = random.Random(seed)
BANNER = "=== dla follow test: the same banner at the top of every file and generation ===\n"
LEVELS = ["INFO", "INFO", "WARN", "ERROR", "DEBUG"]
ledger = open(ledger_path, "a")
fds = {}
n = 0


def openf(name):
    fds[name] = os.open(os.path.join(d, name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def put(name, text, level):
    os.write(fds[name], text.encode())
    ledger.write(level + "\n")


def line(name, split=False):
    global n
    n += 1
    lv = rng.choice(LEVELS)
    text = "[2026-12-02 10:00:00] [%s] %s line %d of the writer\n" % (lv, name, n)
    if split:  # a partial last line for a moment
        h = len(text) // 2
        os.write(fds[name], text[:h].encode())
        time.sleep(0.003)
        os.write(fds[name], text[h:].encode())
        ledger.write(lv + "\n")
    else:
        put(name, text, lv)


names = ["c0.log", "c1.log", "c2.log", "c3.log", "b0.log", "b1.log", "z0.log", "z1.log", "r.log"]
if os.environ.get("FOLLOW_WRITER_FILES") == "ct":
    names = names[:4]
for nm in names:
    openf(nm)
for nm in ["b0.log", "b1.log", "r.log", "c3.log"]:
    if nm in fds:
        put(nm, BANNER, "-")
for nm in ["z0.log", "z1.log"]:
    if nm in fds:
        put(nm, "\n", "-")
for nm in names:
    line(nm)
ledger.flush()
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.01)

t0 = time.time()
next_ct, ct_k, rr_k, step = 1.5, 0, 0, 0
while time.time() - t0 < seconds:
    for nm in names:
        for _ in range(3):
            line(nm)
        line(nm, split=rng.random() < 0.1)
    step += 1
    el = time.time() - t0
    if el >= next_ct:  # copytruncate every cN.log at once: the killed worker surely owns one
        ct_k += 1
        for i in range(4):
            p = os.path.join(d, "c%d.log" % i)
            shutil.copyfile(p, "%s.%d" % (p, ct_k))
            os.truncate(p, 0)
            if i == 3:
                put("c3.log", BANNER, "-")
        next_ct += 1.5
    if step % 60 == 30 and "r.log" in fds:  # rename rotation; the new generation starts with the banner again
        rr_k += 1
        os.close(fds["r.log"])
        os.rename(os.path.join(d, "r.log"), os.path.join(d, "r.log.%d" % rr_k))
        openf("r.log")
        put("r.log", BANNER, "-")
    ledger.flush()
    time.sleep(0.02)
ledger.close()
print("writer: %d numbered lines, %d copytruncates, %d renames" % (n, ct_k, rr_k), file=sys.stderr)
