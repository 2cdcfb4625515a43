"""irctest controller for chat-server's IRC gateway.

irctest (https://github.com/progval/irctest) is an IRC conformance suite run by pytest; a
*controller* tells it how to start the server under test and how to make accounts. This one
starts the real ``chat-server`` binary for each test:

    chat-server --bind 127.0.0.1:0 --irc-bind 127.0.0.1:<irctest's port> --data-dir <temp dir>
                --no-tls --bcrypt-cost 4 --allow-weak-bcrypt --irc-guests
                --irc-server-name My.Little.Server <generous limits>

reads the native port from the ``listening on ADDR`` line it prints on standard output, and
makes accounts (``registerUser``) with the native protocol's ``hello`` and ``register`` requests
(docs/PROTOCOL.md), since IRC has no command for it here. IRC clients log in with SASL PLAIN or
``PASS login:password``; clients without credentials (most of irctest) come in as guests (``--irc-guests``).

Run it from an irctest checkout (its ``conftest.py`` must be the one pytest loads), or with
``scripts/irctest/run.sh`` (README.md beside this file)::

    cd irctest
    python3 -m venv venv && venv/bin/pip install -r /path/to/chat/scripts/irctest/requirements.txt
    PYTHONPATH=/path/to/chat/scripts/irctest venv/bin/pytest --controller chat_server \\
        -p chat_server -m 'not implementation-specific and not deprecated' irctest/server_tests/

No server outlives its test: each is stopped in the test's teardown, or, when irctest skips
that (a test whose ``setUp`` fails after the server started: ``bot_mode`` without ``BOT``), by
this module loaded as a pytest plugin (``-p chat_server``: after every test), else when the
next server starts, and at the latest when pytest exits; on Linux a server also dies with the
process that started it. Servers listen on 127.0.0.1 only, whatever address irctest picked.

Environment:

``CHAT_SERVER_BIN``
    the server binary (default: ``target/debug/chat-server`` of this repository). It is copied
    to a temporary directory once per pytest run, so a rebuild during the run changes nothing.
``IRCTEST_DEBUG_LOGS=1``
    irctest's own switch: the server's log (standard error) is shown with the test output.

Other ``CHAT_*`` variables are removed from the server's environment, so that a developer's
settings (``CHAT_CONFIG``, ``CHAT_BIND``...) cannot change what is tested.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import sys
import time
from typing import Any, Dict, List, Optional, Set, Tuple, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import ImplementationChoice, NotImplementedByController
from irctest.specifications import Capabilities, OptionalBehaviors

try:
    import msgpack
except ImportError as e:  # pragma: no cover - a setup error, said plainly
    raise ImportError(
        "the chat-server controller needs msgpack: pip install msgpack"
    ) from e

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO / "target" / "debug" / "chat-server"

#: Seconds to wait for the server to print its ports.
START_TIMEOUT = 30.0
#: Seconds to wait for a reply of the native protocol.
REPLY_TIMEOUT = 20.0

#: Limits raised so that irctest's many clients, channels and failed logins from one address
#: are not slowed or refused; what each flag does is in ``chat-server --help``.
GENEROUS_LIMITS = [
    "--max-connections-per-ip", "0",
    "--flood-per-second", "0",
    "--max-rooms", "10000",
    "--max-rooms-per-user", "1000",
    "--registrations-per-ip", "100000",
    "--login-free-failures", "100000",
]  # fmt: skip


#: Every server this process started and has not seen stop, oldest first.
_STARTED: List[subprocess.Popen] = []


def stop_servers() -> None:
    """Stops every server still running (their tests are over), and waits for each."""
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


atexit.register(stop_servers)


def pytest_runtest_teardown(item: Any, nextitem: Any) -> None:
    """With ``-p chat_server``: no server outlives its test, even one whose teardown irctest
    skipped (unittest skips ``tearDown`` when ``setUp`` fails after the server started)."""
    stop_servers()


def _die_with_parent() -> None:
    """In the child, before exec: its own session (so that irctest can signal its group), and
    on Linux SIGTERM when the process that started it dies."""
    os.setsid()
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@functools.lru_cache(maxsize=None)
def server_binary() -> Path:
    """The server binary, copied once per run to a directory removed at exit."""
    source = Path(os.environ.get("CHAT_SERVER_BIN", DEFAULT_BIN))
    if not source.is_file():
        raise FileNotFoundError(
            f"no chat-server binary at {source}: build it (cargo build -p chat-server) "
            "or set CHAT_SERVER_BIN"
        )
    where = Path(tempfile.mkdtemp(prefix="irctest-chat-bin-"))
    atexit.register(shutil.rmtree, where, ignore_errors=True)
    copy = where / "chat-server"
    shutil.copy2(source, copy)
    return copy


def server_environment() -> Dict[str, str]:
    """This process's environment without ``CHAT_*`` settings."""
    return {k: v for (k, v) in os.environ.items() if not k.startswith("CHAT_")}


class NativeClient:
    """Just enough of the native protocol (docs/PROTOCOL.md) to make accounts."""

    def __init__(self, address: Tuple[str, int]):
        self.sock = socket.create_connection(address, timeout=REPLY_TIMEOUT)
        self.next_id = 1

    def close(self) -> None:
        self.sock.close()

    def _exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("the server closed the native connection")
            buf += chunk
        return buf

    def request(self, **fields: Any) -> Dict[str, Any]:
        """Sends a request and returns its reply, passing over events."""
        request_id = self.next_id
        self.next_id += 1
        body = msgpack.packb({"id": request_id, **fields})
        self.sock.sendall(struct.pack(">I", len(body)) + body)
        while True:
            (length,) = struct.unpack(">I", self._exact(4))
            frame = msgpack.unpackb(self._exact(length))
            if frame.get("re") == request_id:
                return frame
            if frame.get("type") == "goodbye":
                raise ConnectionError(f"the server said goodbye: {frame}")


class ChatServerController(BaseServerController, DirectoryBasedController):
    software_name = "chat-server"
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}
    supports_sts = False
    _port_wait_interval = 0.02

    # What the server offers in CAP LS (chat-server/src/protocols/irc/caps.rs); draft/chathistory and
    # sasl are offered too but have no entry in irctest's list.
    capabilities = frozenset(
        (
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.MESSAGE_TAGS,
            Capabilities.SERVER_TIME,
        )
    )

    optional_behaviors = frozenset((OptionalBehaviors.CAP_REQ_MINUS,))

    # Tokens the server sends in 005 (IrcSession::isupport in chat-server/src/protocols/irc/welcome.rs).
    isupport = {
        "CASEMAPPING": "ascii",
        "CHANTYPES": "#",
        "PREFIX": "(ov)@+",
        "CHANMODES": "bq,,,mnt",
        "UTF8ONLY": None,
    }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.native_address: Optional[Tuple[str, int]] = None
        self.log_path: Optional[Path] = None

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if password is not None:
            raise NotImplementedByController(
                "server password (chat-server's PASS is an account's password)"
            )
        if ssl:
            raise NotImplementedByController("TLS")
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        assert self.proc is None
        # Servers of earlier tests still running had their teardown skipped.
        stop_servers()
        self.hostname = hostname
        self.port = port
        self.create_config()
        assert self.directory
        data_dir = self.directory / "data"
        data_dir.mkdir()

        command = [
            str(server_binary()),
            "--bind", "127.0.0.1:0",
            # irctest picks a port free on every address; listening on loopback is enough.
            "--irc-bind", f"127.0.0.1:{port}",
            "--data-dir", str(data_dir),
            "--no-tls",
            "--bcrypt-cost", "4",
            "--allow-weak-bcrypt",
            "--irc-guests",
            # The name irctest's own controllers give their servers, which its tests expect.
            "--irc-server-name", "My.Little.Server",
            *GENEROUS_LIMITS,
        ]  # fmt: skip

        env = server_environment()
        env.setdefault("RUST_LOG", "info" if self.debug_mode else "warn")
        self.log_path = self.directory / "stdout.log"
        with self.log_path.open("wb") as stdout:
            self.proc = self.execute(
                command,
                proc_name="chat-server",
                stdout=stdout,
                stderr=None if self.debug_mode else subprocess.DEVNULL,
                env=env,
                preexec_fn=_die_with_parent,
            )
        _STARTED.append(self.proc)
        try:
            self.native_address = self._wait_for_native_port()
        except BaseException:
            # unittest skips tearDown when setUp fails: clean up here.
            self.kill()
            self.directory = None
            raise

    def _wait_for_native_port(self) -> Tuple[str, int]:
        """Waits for the server's ``listening on HOST:PORT`` line."""
        assert self.log_path
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            text = self.log_path.read_text(errors="replace")
            found = re.search(r"^listening on (\S+):(\d+)$", text, re.MULTILINE)
            if found:
                return (found.group(1).strip("[]"), int(found.group(2)))
            assert self.proc
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"chat-server exited ({self.proc.returncode}) before listening; "
                    f"its output:\n{text}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"chat-server did not say where it listens; its output:\n{text}"
                )
            time.sleep(0.02)

    def wait_for_services(self) -> None:
        # Accounts are part of the server: nothing else to start or wait for.
        pass

    def registerUser(
        self,
        case: Any,
        username: str,
        password: Optional[str] = None,
    ) -> None:
        """Makes an account over the native protocol (``hello``, then ``register``)."""
        assert password is not None, "chat-server accounts need a password"
        assert self.native_address, "the server is not running"
        client = NativeClient(self.native_address)
        try:
            welcome = client.request(
                type="hello", version=1, client="irctest-controller"
            )
            if welcome.get("type") != "welcome":
                raise AssertionError(f"hello was answered with {welcome}")
            reply = client.request(
                type="register",
                first_names="Irc",
                last_names="Test",
                login=username,
                password=password,
                age=30,
                gender="prefer_not_to_say",
            )
            client.request(type="exit")
        finally:
            client.close()
        if reply.get("type") == "registered":
            return
        if reply.get("code") == "invalid" and reply.get("field") in ("login", "password"):
            # The account rules (docs/PROTOCOL.md, "Field rules") refuse what the test chose:
            # logins are 3-32 of A-Z a-z 0-9 . _ - and passwords 8-71 bytes.
            raise ImplementationChoice(
                f"chat-server refuses the {reply['field']} of account {username!r} "
                f"({len(password.encode())}-byte password): {reply.get('message')}"
            )
        raise AssertionError(f"registering {username!r} failed: {reply}")


def get_irctest_controller_class() -> Type[ChatServerController]:
    return ChatServerController
