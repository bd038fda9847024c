# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""A Python program marked with opscope.py: requests that compute, sleep, and one in
four of which fail; a second thread serves some of them (a queue), marked with exec.

    sudo opscope record -o out -- python3 example.py 100
"""
import queue
import sys
import threading
import time

import opscope

COMPUTE = opscope.kind("py.compute")
SLEEP = opscope.kind("py.sleep")
QUEUED = opscope.kind("py.queued")


def serve(q):
    while True:
        item = q.get()
        if item is None:
            return
        handle, done = item
        with opscope.exec(handle):
            time.sleep(0.001)
        done.set()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    q = queue.Queue()
    worker = threading.Thread(target=serve, args=(q,), name="py-worker")
    worker.start()
    failed = total = 0
    for i in range(n):
        try:
            with opscope.op(COMPUTE):
                total += sum(j * j for j in range(2000))
                if i % 4 == 3:
                    raise ValueError("one in four fails")
        except ValueError:
            failed += 1
        with opscope.op(SLEEP):
            time.sleep(0.002)
        o = opscope.op(QUEUED).begin()
        done = threading.Event()
        q.put((o.handle, done))
        done.wait()
        o.end()
    q.put(None)
    worker.join()
    print(f"{n} requests, {failed} failed, total {total}")


if __name__ == "__main__":
    main()
