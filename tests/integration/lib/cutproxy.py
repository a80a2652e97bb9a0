#!/usr/bin/env python3
"""cutproxy.py — a TCP relay for cairn's sync tests and benchmarks (python3 stdlib only).

    cutproxy.py --listen PORT --target HOST:PORT --control PORT [--cut N] [--delay-ms MS] [--bind ADDR]

Forwards every connection accepted on ADDR:PORT (default 127.0.0.1) to the target, byte for byte, and counts the bytes
in each direction. Two faults can be injected:

  cut N       a byte budget shared by all connections from the moment it is set: the relay forwards
              exactly N more bytes (both directions together), then drops the connection that would
              exceed it (both sockets shut down and closed) and closes any later connection at once,
              as a link that goes down for good at byte N would. "-" means no budget (the default).
  delay MS    every chunk is forwarded MS milliseconds after it arrived, in each direction (a delay
              line: reading is never held up, so it adds latency, not a rate limit). Two directions
              of 150 ms make a 300 ms round trip.

The control port (127.0.0.1 only) takes one command a line and answers one line:

  cut N | cut -      set the budget (counters are not touched)                      -> ok
  delay MS           set the delay for connections accepted from now on              -> ok
  reset              zero the counters and the cut flag                             -> ok
  stats              wait until no relayed connection is open, then report what was
                     relayed since the last reset                                   -> conns=C up=U down=D cut=0|1
  quit               stop the relay                                                  -> ok

"up" is client -> target, "down" is target -> client. `stats` blocks on a condition, never on a timer:
once the client has exited, its connection ends as soon as the target has closed its side too, so a
test that asks for stats after its client exits gets the whole transfer. A bash test can talk to it
with  exec 3<>/dev/tcp/127.0.0.1/$CONTROL; echo stats >&3; read -r line <&3.
"""
import argparse
import heapq
import socket
import sys
import threading
import time


class State:
    def __init__(self, cut, delay_ms):
        self.lock = threading.Condition()
        self.budget = cut  # None: unlimited
        self.delay = delay_ms / 1000.0
        self.active = 0
        self.conns = 0
        self.up = 0
        self.down = 0
        self.cut = False

    def take(self, n):
        """How many of n bytes may pass; sets the cut flag when fewer than n."""
        with self.lock:
            if self.budget is None:
                allowed = n
            else:
                allowed = min(n, self.budget)
                self.budget -= allowed
                if allowed < n:
                    self.cut = True
            return allowed

    def count(self, direction, n):
        with self.lock:
            if direction == "up":
                self.up += n
            else:
                self.down += n


def parse_cut(text):
    text = text.strip()
    if text in ("-", "", "none"):
        return None
    value = int(text)
    if value < 0:
        raise ValueError("cut must be >= 0")
    return value


def recv_now(sock):
    """recv, acknowledging at once: a relay must not add the 40 ms delayed ACK that makes the sender's
    Nagle wait (the endpoints it relays for would not see it on a direct link)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    except (AttributeError, OSError):
        pass
    return sock.recv(65536)


def drop(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass


class Relay:
    """One client connection and its target connection."""

    def __init__(self, state, client, target_addr):
        self.state = state
        self.client = client
        self.target_addr = target_addr
        self.dropped = threading.Event()

    def run(self):
        st = self.state
        try:
            with st.lock:
                exhausted = st.budget == 0
            if exhausted:
                with st.lock:
                    st.cut = True
                drop(self.client)
                return
            try:
                target = socket.create_connection(self.target_addr)
            except OSError as e:
                print(f"cutproxy: cannot reach {self.target_addr}: {e}", file=sys.stderr, flush=True)
                drop(self.client)
                return
            for s in (self.client, target):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.target = target
            delay = st.delay
            pumps = [threading.Thread(target=self.pump, args=(self.client, target, "up", delay), daemon=True),
                     threading.Thread(target=self.pump, args=(target, self.client, "down", delay), daemon=True)]
            for p in pumps:
                p.start()
            for p in pumps:
                p.join()
            drop(self.client, target)
        finally:
            with st.lock:
                st.active -= 1
                st.lock.notify_all()

    def cut_now(self):
        if not self.dropped.is_set():
            self.dropped.set()
            drop(self.client, self.target)

    def pump(self, src, dst, direction, delay):
        if delay > 0:
            self.pump_delayed(src, dst, direction, delay)
            return
        while True:
            try:
                data = recv_now(src)
            except OSError:
                data = b""
            if not data or self.dropped.is_set():
                break
            if not self.forward(dst, data, direction):
                return
        try:
            dst.shutdown(socket.SHUT_WR)  # pass the half-close on
        except OSError:
            pass

    def forward(self, dst, data, direction):
        """Sends what the budget allows; False once the connection is cut or broken."""
        allowed = self.state.take(len(data))
        try:
            if allowed:
                dst.sendall(data[:allowed])
                self.state.count(direction, allowed)
        except OSError:
            self.cut_now()
            return False
        if allowed < len(data):
            self.cut_now()
            return False
        return True

    def pump_delayed(self, src, dst, direction, delay):
        """A delay line: a reader stamps chunks, this thread sends each one `delay` after its arrival."""
        line = []
        cond = threading.Condition()
        seq = [0]

        def reader():
            while True:
                try:
                    data = recv_now(src)
                except OSError:
                    data = b""
                with cond:
                    seq[0] += 1
                    heapq.heappush(line, (time.monotonic() + delay, seq[0], data))
                    cond.notify()
                if not data:
                    return

        threading.Thread(target=reader, daemon=True).start()
        while True:
            with cond:
                while not line:
                    cond.wait()
                due, _, data = line[0]
                wait = due - time.monotonic()
                if wait > 0:
                    cond.wait(wait)  # emulated latency, not synchronisation
                    continue
                heapq.heappop(line)
            if not data or self.dropped.is_set():
                break
            if not self.forward(dst, data, direction):
                return
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve_data(state, listener, target_addr):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        with state.lock:
            state.active += 1
            state.conns += 1
        threading.Thread(target=Relay(state, client, target_addr).run, daemon=True).start()


def serve_control_client(state, conn, stop):
    f = conn.makefile("rw", encoding="ascii", newline="\n")
    try:
        for line in f:
            words = line.split()
            if not words:
                continue
            cmd, args = words[0], words[1:]
            try:
                if cmd == "cut":
                    value = parse_cut(args[0] if args else "-")
                    with state.lock:
                        state.budget = value
                    reply = "ok"
                elif cmd == "delay":
                    with state.lock:
                        state.delay = float(args[0]) / 1000.0
                    reply = "ok"
                elif cmd == "reset":
                    with state.lock:
                        state.conns = state.up = state.down = 0
                        state.cut = False
                    reply = "ok"
                elif cmd == "stats":
                    with state.lock:
                        while state.active:
                            state.lock.wait()
                        reply = f"conns={state.conns} up={state.up} down={state.down} cut={int(state.cut)}"
                elif cmd == "quit":
                    f.write("ok\n")
                    f.flush()
                    stop.set()
                    return
                else:
                    reply = f"error unknown command {cmd!r}"
            except (ValueError, IndexError) as e:
                reply = f"error {e}"
            f.write(reply + "\n")
            f.flush()
    except OSError:
        pass
    finally:
        try:
            f.close()
        except OSError:
            pass
        conn.close()


def serve_control(state, listener, stop):
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve_control_client, args=(state, conn, stop), daemon=True).start()


def listen(port, addr="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    return s


def main():
    ap = argparse.ArgumentParser(description="TCP relay that can cut connections and delay chunks")
    ap.add_argument("--listen", type=int, required=True, help="port to accept clients on")
    ap.add_argument("--bind", default="127.0.0.1", help="address to accept clients on (the control port "
                    "is always on 127.0.0.1)")
    ap.add_argument("--target", required=True, help="HOST:PORT to forward to")
    ap.add_argument("--control", type=int, required=True, help="control port on 127.0.0.1")
    ap.add_argument("--cut", default="-", help="initial byte budget ('-': none)")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="per-chunk delay, each direction")
    a = ap.parse_args()
    host, _, port = a.target.rpartition(":")
    state = State(parse_cut(a.cut), a.delay_ms)
    stop = threading.Event()
    # The control port listens first: once the data port accepts, both are ready.
    ctl = listen(a.control)
    data = listen(a.listen, a.bind)
    threading.Thread(target=serve_control, args=(state, ctl, stop), daemon=True).start()
    threading.Thread(target=serve_data, args=(state, data, (host, int(port))), daemon=True).start()
    stop.wait()
    drop(data, ctl)


if __name__ == "__main__":
    main()
