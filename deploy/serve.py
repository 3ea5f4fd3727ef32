"""Serve a lecture hall from one machine: N replicas of the app behind HAProxy.

    python3 dev.py serve --replicas 4 --port 8501

One Streamlit process is one Python interpreter (one GIL) running every session's reruns, so a few hundred
students opening the same link at once need several processes. Each replica is a plain
``streamlit run app.py`` on a free port of 127.0.0.1; HAProxy listens on ``--port`` and

- keeps each browser on its replica with a cookie it inserts (a session's WebSocket lives in one process, and
  a whole classroom can sit behind one NAT address, so the client address is no key),
- passes WebSocket upgrades through (``timeout tunnel`` for the long-lived connection),
- checks every replica's ``/_stcore/health`` each second and takes one that fails twice out of rotation,
- sends a browser whose replica died to another one (``option redispatch``); every setting of a page lives
  in its URL, so the reconnected page reruns on the new replica and shows the same view.

A replica that dies is restarted on its port. Ctrl-C (SIGINT) or SIGTERM stops HAProxy and every replica:
each runs in its own process group and is stopped by its process id.

The proxy's configuration is ``deploy/haproxy.cfg.template``, filled in by :func:`render_config`.
Only the standard library is used here; the replicas run with this interpreter (the project's venv).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / "haproxy.cfg.template"

APP = "app.py"
APP_PORT = 8501  #: Streamlit's own default, the port of one replica in the Dockerfile and the manifests
HEALTH_PATH = "/_stcore/health"
COOKIE = "LABSRV"  #: the stickiness cookie HAProxy inserts: its value names the replica (r1, r2, ...)
CHECK_INTERVAL = "1s"  #: with fall 2, a dead replica leaves rotation within about 2 s
START_TIMEOUT = 60.0  #: seconds for a replica to answer its health check
MAX_RESTARTS = 5  #: per replica; a replica that keeps dying is left down


def streamlit_command(port: int, address: str = "127.0.0.1", script: str = APP) -> list[str]:
    """The command line of one replica (the Dockerfile and the manifests run the same ``streamlit run app.py``)."""
    return [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.address", address,
            "--server.headless", "true", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def render_config(port: int, replica_ports: list[int], *, bind: str = "127.0.0.1",
                  stats_socket: str = "/tmp/lab-haproxy.sock", template: Path = TEMPLATE) -> str:
    """The HAProxy configuration for one machine: one ``server`` line per replica (cookie ``r<i>``)."""
    servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check cookie r{i}" for i, p in enumerate(replica_ports, 1))
    return _fill(template, port=port, bind=bind, stats_socket=stats_socket, cookie_options="", servers=servers)


#: Compose: up to this many replicas of the service ``app``, found by Docker's DNS (scale with --scale app=N)
COMPOSE_MAX_REPLICAS = 16


def render_compose_config(template: Path = TEMPLATE) -> str:
    """The HAProxy configuration for ``deploy/compose.yaml``: the replicas are the addresses of the service
    ``app`` in Docker's DNS, each with a cookie derived from its address (``dynamic``)."""
    servers = "\n".join([
        "    dynamic-cookie-key optimizer-lab",
        f"    server-template r 1-{COMPOSE_MAX_REPLICAS} app:{APP_PORT} check resolvers docker init-addr none",
        "",
        "resolvers docker",
        "    nameserver dns 127.0.0.11:53",
        "    hold valid 5s",
    ])
    return _fill(template, port=APP_PORT, bind="*", stats_socket="/tmp/haproxy.sock", cookie_options=" dynamic",
                 servers=servers)


def _fill(template: Path, **values) -> str:
    text = string.Template(template.read_text()).substitute(
        cookie=COOKIE, health_path=HEALTH_PATH, check_interval=CHECK_INTERVAL, **values)
    return text.rstrip("\n") + "\n"


def healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def stop_group(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """SIGTERM to the process group led by ``proc`` (started with ``start_new_session``), SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=grace)


@dataclass
class Replica:
    name: str  #: the value of the stickiness cookie that routes to it
    port: int
    proc: subprocess.Popen | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Hall:
    """N replicas and HAProxy, started by :meth:`start` and stopped by :meth:`stop` (or as a context manager).

    ``env`` is added to every replica's environment; ``quiet`` sends the replicas' and the proxy's output to
    /dev/null (tests, benchmarks); ``script`` is the app each replica runs (a benchmark's reference page)."""

    replicas: int = 2
    port: int = 0  #: 0: a free port
    bind: str = "127.0.0.1"
    quiet: bool = False
    env: dict[str, str] = field(default_factory=dict)
    script: str = APP
    members: list[Replica] = field(default_factory=list)
    proxy: subprocess.Popen | None = None
    workdir: Path | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "") else self.bind
        return f"http://{host}:{self.port}"

    @property
    def stats_socket(self) -> Path:
        return self.workdir / "haproxy.sock"

    def start(self) -> "Hall":
        haproxy = shutil.which("haproxy")
        if haproxy is None:
            raise RuntimeError("haproxy is not installed (Debian: apt-get install haproxy)")
        if self.replicas < 1:
            raise ValueError("at least one replica")
        self.port = self.port or free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="lab-hall-"))
        # replicas share one cookie secret, so what one signs (the XSRF cookie) another accepts
        self.env = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32), **self.env}
        self.members = [Replica(f"r{i}", free_port()) for i in range(1, self.replicas + 1)]
        try:
            for r in self.members:
                self._launch(r)
            deadline = time.monotonic() + START_TIMEOUT
            for r in self.members:
                while not healthy(r.url):
                    if r.proc.poll() is not None:
                        raise RuntimeError(f"replica {r.name} exited with status {r.proc.returncode}")
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"replica {r.name} not healthy within {START_TIMEOUT:.0f} s")
                    time.sleep(0.1)
            config = self.workdir / "haproxy.cfg"
            config.write_text(render_config(self.port, [r.port for r in self.members], bind=self.bind,
                                            stats_socket=str(self.stats_socket)))
            check = subprocess.run([haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
            if check.returncode:
                raise RuntimeError(f"haproxy rejected its configuration: {check.stderr.strip()[:400]}")
            out = subprocess.DEVNULL if self.quiet else None
            self.proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=out, stderr=out,
                                          start_new_session=True)
            deadline = time.monotonic() + 10
            while not healthy(self.url):
                if self.proxy.poll() is not None:
                    raise RuntimeError(f"haproxy exited with status {self.proxy.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError("haproxy did not answer within 10 s")
                time.sleep(0.1)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, r: Replica) -> None:
        out = subprocess.DEVNULL if self.quiet else None
        r.proc = subprocess.Popen(streamlit_command(r.port, script=self.script), cwd=ROOT, env={**os.environ, **self.env},
                                  stdout=out, stderr=out, start_new_session=True)

    def replica(self, name: str) -> Replica:
        return next(r for r in self.members if r.name == name)

    def server_states(self) -> dict[str, str]:
        """HAProxy's view of each replica (``UP``, ``DOWN``, ...), read from its stats socket."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(2)
            s.connect(str(self.stats_socket))
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return {row["svname"]: row["status"] for row in rows if row["pxname"] == "replicas"
                and row["svname"] not in ("BACKEND", "FRONTEND")}

    def supervise_once(self, log=print) -> None:
        """Restart replicas that died (at most ``MAX_RESTARTS`` each); raise if the proxy died."""
        if self.proxy is not None and self.proxy.poll() is not None:
            raise RuntimeError(f"haproxy exited with status {self.proxy.returncode}")
        for r in self.members:
            if r.proc is not None and r.proc.poll() is not None and r.restarts < MAX_RESTARTS:
                r.restarts += 1
                dead, status = r.proc.pid, r.proc.returncode
                self._launch(r)
                log(f"replica {r.name} (pid {dead}) exited with status {status}; restarted on port {r.port} "
                    f"(pid {r.proc.pid}, restart {r.restarts}/{MAX_RESTARTS})")

    def stop(self) -> None:
        stop_group(self.proxy)
        for r in self.members:
            stop_group(r.proc)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Hall":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="dev.py serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--replicas", type=int, default=2, help="app processes (default 2; about one per core)")
    p.add_argument("--port", type=int, default=APP_PORT, help=f"the proxy's port (default {APP_PORT})")
    p.add_argument("--bind", default="127.0.0.1",
                   help="the proxy's address (default 127.0.0.1; 0.0.0.0 to reach it from the room's network)")
    p.add_argument("--compose-config", action="store_true",
                   help="print the proxy's configuration for deploy/compose.yaml and exit")
    args = p.parse_args(argv)
    if not 1 <= args.replicas <= 64:
        p.error("--replicas must be 1 to 64")
    if not 1 <= args.port <= 65535:
        p.error("--port must be 1 to 65535")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.compose_config:
        print(render_compose_config(), end="")
        return 0
    hall = Hall(replicas=args.replicas, port=args.port, bind=args.bind)
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        hall.start()
    except RuntimeError as exc:
        print(f"dev.py serve: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"Serving {len(hall.members)} replicas behind HAProxy (pid {hall.proxy.pid}) at {hall.url}  "
              "(Ctrl-C stops everything)", flush=True)
        for r in hall.members:
            print(f"  {r.name}: {r.url} (pid {r.proc.pid})", flush=True)
        while not stopping:
            hall.supervise_once(log=lambda line: print(line, flush=True))
            time.sleep(0.5)
    except RuntimeError as exc:
        print(f"dev.py serve: {exc}", file=sys.stderr)
        return 1
    finally:
        print("Stopping HAProxy and the replicas ...", flush=True)
        hall.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
