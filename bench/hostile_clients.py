#!/usr/bin/env python3
"""Hostile neighbours for an HTTP benchmark: holds N connections to HOST:PORT until killed,
half of them sending a request header one line every 2 s that never ends (slowloris), half
idle after one complete request (keep-alive clients that stay). A connection the server closes
is opened again, so N stay open; the count of reopened ones is printed at the end.

    bench/hostile_clients.py 127.0.0.1 8080 500
"""
import signal
import socket
import sys
import time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)


def open_one(slow):
    s = socket.create_connection((host, port))
    if slow:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n")
    else:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
        s.recv(4096)
    return s


conns = [[open_one(i % 2 == 0), i % 2 == 0] for i in range(n)]
print(f"hostile_clients: {n} connections open", flush=True)
reopened, line = 0, 0
while not stop:
    line += 1
    for c in conns:
        try:
            if c[1]:
                c[0].sendall(f"X-Line-{line}: x\r\n".encode())
            else:
                c[0].setblocking(False)
                if c[0].recv(1) == b"":
                    raise OSError("closed")
                c[0].setblocking(True)
        except BlockingIOError:
            c[0].setblocking(True)
        except OSError:
            c[0].close()
            c[0] = open_one(c[1])
            reopened += 1
    for _ in range(20):
        if stop:
            break
        time.sleep(0.1)
print(f"hostile_clients: done, {reopened} reopened after the server closed them", flush=True)
