"""deploy/: what a department would run beyond one machine cannot run here (no Docker, no cluster), so these
tests read it: the Dockerfile, the Compose file and the Kubernetes manifests parse, and the command, the port and
the health path in each agree with the app's and with ``python3 dev.py serve`` (deploy/serve.py). HAProxy's own
checker validates both renderings of the proxy's template."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from deploy import serve

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
                "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
#: what the app needs at run time: the router, every part it imports, the pages' files, their assets, its theme
APP_FILES = {"app.py", "pages", "ui", "viz", "optim", "surfaces", "nets", "assets", ".streamlit"}


def dockerfile(path: Path = DEPLOY / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, continuation lines joined; a syntax error raises."""
    out, pending = [], ""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if line.endswith("\\"):
            continue
        word, _, args = pending.partition(" ")
        if word.upper() not in INSTRUCTIONS or word != word.upper() or not args.strip():
            raise ValueError(f"line {number}: not an instruction: {pending[:60]!r}")
        out.append((word, args.strip()))
        pending = ""
    if pending:
        raise ValueError("the file ends inside a continued line")
    return out


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def test_the_dockerfile_parses_and_a_broken_one_does_not(tmp_path):
    steps = dockerfile()
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.1[1-9]-slim", steps[0][1])
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11-slim\nRUNN echo\n")
    with pytest.raises(ValueError, match="line 2"):
        dockerfile(bad)
    bad.write_text("FROM python:3.11-slim\nRUN echo \\\n")
    with pytest.raises(ValueError, match="ends inside"):
        dockerfile(bad)


def test_the_image_runs_the_app_as_a_non_root_user_with_the_health_check():
    steps = dockerfile()
    kinds = [k for k, _ in steps]
    args = dict(steps)  # the last of each kind
    # the same command as a replica of `dev.py serve`, listening on every address of the container
    assert exec_form(args["CMD"])[1:] == serve.streamlit_command(serve.APP_PORT, "0.0.0.0")[1:]
    assert exec_form(args["CMD"])[:4] == ["python", "-m", "streamlit", "run"] and serve.APP == "app.py"
    assert args["EXPOSE"] == str(serve.APP_PORT)
    user = args["USER"]
    assert user not in ("root", "0") and kinds.index("USER") < kinds.index("CMD")
    assert f"useradd --create-home --uid 10001 {user}" in " ".join(a for k, a in steps if k == "RUN")
    health = args["HEALTHCHECK"]
    assert f"http://127.0.0.1:{serve.APP_PORT}{serve.HEALTH_PATH}" in health and "--interval=" in health
    copied = {shlex.split(a)[0].rstrip("/") for k, a in steps if k == "COPY"}
    assert APP_FILES <= copied, APP_FILES - copied
    assert all((ROOT / c).exists() for c in copied)


def test_the_image_installs_exactly_the_runtime_dependencies(tmp_path):
    """Run the Dockerfile's own dependency step (its python -c) on pyproject.toml: the app's dependencies and
    none of the test or benchmark extras."""
    run = next(a for k, a in dockerfile() if k == "RUN" and "pyproject.toml" in a)
    words = shlex.split(run.split(">")[0])
    assert words[:2] == ["python", "-c"]
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    out = subprocess.run([sys.executable, "-c", words[2]], cwd=tmp_path, capture_output=True, text=True, check=True)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert out.stdout.split() == project["dependencies"]
    assert "pip install -r /tmp/requirements.txt" in run


def test_compose_runs_the_proxy_in_front_of_the_replicas():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    app, proxy = compose["services"]["app"], compose["services"]["proxy"]
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert app["expose"] == [str(serve.APP_PORT)] and "ports" not in app  # replicas only behind the proxy
    assert app["deploy"]["replicas"] >= 2
    check = " ".join(app["healthcheck"]["test"])
    assert f"http://127.0.0.1:{serve.APP_PORT}{serve.HEALTH_PATH}" in check
    assert "STREAMLIT_SERVER_COOKIE_SECRET" in app["environment"]
    assert re.fullmatch(r"haproxy:2\.\d+", proxy["image"])
    assert proxy["ports"] == [f"{serve.APP_PORT}:{serve.APP_PORT}"]
    source, target = proxy["volumes"][0].split(":")[:2]
    assert target == "/usr/local/etc/haproxy/haproxy.cfg"
    # the mounted configuration is the template rendered for Compose, not a hand-edited copy
    assert (DEPLOY / source).read_text() == serve.render_compose_config()


def test_the_proxy_configuration_for_one_machine():
    text = serve.render_config(8000, [9001, 9002], stats_socket="/tmp/x.sock")
    assert "bind 127.0.0.1:8000" in text
    assert re.findall(r"server (r\d) 127\.0\.0\.1:(\d+) check cookie (r\d)", text) == [
        ("r1", "9001", "r1"), ("r2", "9002", "r2")]
    assert f"cookie {serve.COOKIE} insert indirect nocache httponly\n" in text
    assert f"http-check send meth GET uri {serve.HEALTH_PATH}" in text
    for directive in ("option redispatch", "timeout tunnel 1h", "balance leastconn", "fall 2 rise 2"):
        assert directive in text
    assert "$" not in text


@pytest.mark.parametrize("which", ["one machine", "compose"])
def test_haproxy_accepts_both_renderings(which, tmp_path):
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy must be installed in CI (.ci/run installs it)")
        pytest.skip("haproxy is not installed (Debian: apt-get install haproxy)")
    text = (serve.render_config(8000, [9001, 9002], stats_socket=str(tmp_path / "s.sock")) if which == "one machine"
            else serve.render_compose_config())
    (tmp_path / "haproxy.cfg").write_text(text)
    check = subprocess.run([haproxy, "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "[WARNING]" not in check.stderr, check.stderr


def manifests() -> dict[str, dict]:
    docs = [d for p in sorted((DEPLOY / "k8s").glob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]
    return {d["kind"]: d for d in docs}


def test_the_kubernetes_manifests_agree_with_the_image_and_each_other():
    k = manifests()
    assert set(k) == {"Deployment", "Service", "Ingress"}
    deployment, service, ingress = k["Deployment"], k["Service"], k["Ingress"]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    assert "command" not in container and "args" not in container  # the image's CMD: streamlit run app.py
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": serve.APP_PORT}
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == serve.HEALTH_PATH and ports[get["port"]] == serve.APP_PORT, probe
    assert container["readinessProbe"]["periodSeconds"] * container["readinessProbe"]["failureThreshold"] <= 10
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["securityContext"]["runAsUser"] != 0
    assert deployment["spec"]["replicas"] >= 2
    env = {e["name"] for e in container["env"]}
    assert "STREAMLIT_SERVER_COOKIE_SECRET" in env

    (svc_port,) = service["spec"]["ports"]
    assert svc_port["targetPort"] == "http"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"] and backend["port"]["name"] == svc_port["name"]
    notes = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "affinity"] == "cookie" and notes[prefix + "session-cookie-name"] == serve.COOKIE
    assert int(notes[prefix + "proxy-read-timeout"]) >= 3600 and int(notes[prefix + "proxy-send-timeout"]) >= 3600


def test_serve_refuses_bad_arguments(capsys):
    for argv in (["--replicas", "0"], ["--replicas", "x"], ["--port", "70000"]):
        with pytest.raises(SystemExit) as exc:
            serve.parse_args(argv)
        assert exc.value.code == 2
    assert "--replicas" in capsys.readouterr().err
    args = serve.parse_args(["--replicas", "3", "--port", "9000"])
    assert (args.replicas, args.port, args.bind) == (3, 9000, "127.0.0.1")


def test_a_dead_replica_is_restarted_and_ctrl_c_stops_everything():
    """``dev.py serve`` (deploy/serve.py, which dev.py becomes) with one replica: it serves through the proxy,
    restarts the replica when it dies, and SIGINT stops HAProxy and the replica by their process ids, then exits
    0."""
    import signal
    import time

    haproxy = shutil.which("haproxy")
    if haproxy is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy must be installed in CI (.ci/run installs it)")
        pytest.skip("haproxy is not installed (Debian: apt-get install haproxy)")
    port = serve.free_port()
    proc = subprocess.Popen([sys.executable, str(DEPLOY / "serve.py"), "--replicas", "1", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        lines, deadline = [], time.monotonic() + 60
        while not any(re.search(r"r1: .*\(pid \d+\)", line) for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, lines
            lines.append(proc.stdout.readline())
        assert serve.healthy(f"http://127.0.0.1:{port}")
        text = "".join(lines)
        pids = [int(re.search(r"HAProxy \(pid (\d+)\)", text).group(1)),
                int(re.search(r"r1: .*\(pid (\d+)\)", text).group(1))]
        assert all(os.getpgid(pid) == pid for pid in pids)  # each leads a process group of its own
        # a replica that dies is restarted on its port, and the proxy serves again
        os.killpg(pids[1], signal.SIGKILL)
        while not (m := re.search(r"replica r1 .* restarted on port .*\(pid (\d+)", lines[-1])):
            assert time.monotonic() < deadline and proc.poll() is None, lines
            lines.append(proc.stdout.readline())
        pids.append(int(m.group(1)))
        while not serve.healthy(f"http://127.0.0.1:{port}"):
            assert time.monotonic() < deadline, "the restarted replica did not come back"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        assert not serve.healthy(f"http://127.0.0.1:{port}", timeout=0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
