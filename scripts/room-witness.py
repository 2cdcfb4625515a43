#!/usr/bin/env python3
"""A witness in a chat room, written from docs/PROTOCOL.md alone: logs in (registering the
account first if it does not exist), stays in the default room and waits for a line.

    room-witness.py HOST:PORT LOGIN PASSWORD --expect-from ana --expect-text 'hello'

Exits 0 when a `message` event from that login with that text arrives, 1 on timeout or a
refusal. --say TEXT says a line once in the room (before waiting); --reply TEXT answers the
expected line (and prints `replied`); --linger SECONDS stays that long before leaving. Prints `ready` on standard output once it is in the room, so a script can start the
speaker after it. TLS by default (the certificate is accepted as is: this checks that the line
arrives, not who the server is); --plain for a server started with --no-tls.

Needs the msgpack module (Debian: python3-msgpack).
"""

import argparse
import socket
import ssl
import struct
import sys
import time

import msgpack


def send(sock, msg):
    body = msgpack.packb(msg)
    sock.sendall(struct.pack(">I", len(body)) + body)


def recv(sock):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            buf += chunk
        return buf

    (n,) = struct.unpack(">I", exact(4))
    return msgpack.unpackb(exact(n), raw=False)


def reply(sock, request_id):
    """The reply to request_id; events read meanwhile are dropped (nothing said yet matters)."""
    while True:
        frame = recv(sock)
        if frame.get("re") == request_id:
            return frame


def linger(sock, seconds):
    """Stays in the room for a while, reading (and dropping) what arrives."""
    until = time.monotonic() + seconds
    sock.settimeout(0.5)
    while time.monotonic() < until:
        try:
            recv(sock)
        except (socket.timeout, TimeoutError):
            pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("addr")
    parser.add_argument("login")
    parser.add_argument("password")
    parser.add_argument("--expect-from", required=True)
    parser.add_argument("--expect-text", required=True)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--plain", action="store_true")
    parser.add_argument("--say", help="a line to say once in the room")
    parser.add_argument("--reply", help="a line to say when the expected one arrives")
    parser.add_argument("--linger", type=float, default=0.0,
                        help="seconds to stay in the room after the expected line (and reply)")
    args = parser.parse_args()

    host, port = args.addr.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=30)
    if not args.plain:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=host)

    send(sock, {"id": 1, "type": "hello", "version": 1, "client": "room-witness/1"})
    welcome = reply(sock, 1)
    if welcome["type"] != "welcome":
        sys.exit(f"hello refused: {welcome}")
    send(sock, {"id": 2, "type": "register", "first_names": "Room", "last_names": "Witness",
                "login": args.login, "password": args.password, "age": 30,
                "gender": "prefer_not_to_say"})
    registered = reply(sock, 2)
    if registered["type"] != "registered" and registered.get("code") != "login_taken":
        sys.exit(f"register refused: {registered}")
    send(sock, {"id": 3, "type": "login", "login": args.login, "password": args.password})
    logged_in = reply(sock, 3)
    if logged_in["type"] != "logged_in":
        sys.exit(f"login refused: {logged_in}")
    print(f"ready: {args.login} in {welcome['default_room']} on {args.addr} "
          f"({welcome['server']})", flush=True)

    next_id = 4
    if args.say:
        send(sock, {"id": next_id, "type": "say", "text": args.say})
        next_id += 1

    # The server pings after 90 s of silence; answering keeps the witness in the room.
    deadline = time.monotonic() + args.timeout
    sock.settimeout(1.0)
    while time.monotonic() < deadline:
        try:
            frame = recv(sock)
        except (socket.timeout, TimeoutError):
            continue
        kind = frame.get("type")
        if kind == "ping" and "re" not in frame:
            send(sock, {"id": next_id, "type": "ping"})
            next_id += 1
        elif kind == "message":
            print(f"seen: [{frame['room']}] {frame['from']}: {frame['text']}", flush=True)
            if frame["from"] == args.expect_from and frame["text"] == args.expect_text:
                if args.reply:
                    send(sock, {"id": next_id, "type": "say", "text": args.reply})
                    next_id += 1
                    # Our own line comes back to us once the room has it.
                    sock.settimeout(30)
                    while recv(sock).get("text") != args.reply:
                        pass
                    print(f"replied: {args.reply}", flush=True)
                linger(sock, args.linger)
                send(sock, {"id": next_id, "type": "exit"})
                return 0
        elif kind == "goodbye":
            sys.exit(f"the server said goodbye: {frame}")
    print(f"no line {args.expect_text!r} from {args.expect_from} within {args.timeout:.0f} s",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
