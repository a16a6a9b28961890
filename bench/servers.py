"""Several dashboard servers behind nginx on this machine, as the deployment runs them (deploy/).

    python -m bench.servers --servers 3 [--data DIR]   # start them, print the proxy's address, wait for Ctrl-C
    python -m bench.servers --write-deploy-conf        # render deploy/nginx.conf from the template

Each server is `streamlit run app.py` on a free loopback port with a cache folder of its own (its compiled
DuckDB files, and its mirror of an S3 store), as on separate machines; all read one data store
(IMPACT_DATA_DIR). The proxy is Debian's nginx with a config rendered from deploy/nginx.conf.template into a
temporary prefix, run in the foreground as a child process. The tests (tests/test_servers.py) and the load
test (bench/load.py --servers N) start them through here. IMPACT_NGINX names another nginx binary
(default /usr/sbin/nginx).
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
DEPLOY_CONF = ROOT / "deploy" / "nginx.conf"
DEPLOY_SERVERS = ("app1:8501", "app2:8501", "app3:8501")  # the compose file's app services
DEPLOY_LISTEN = "80"
NGINX = os.environ.get("IMPACT_NGINX", "/usr/sbin/nginx")


class Answering(http.server.BaseHTTPRequestHandler):
    """An upstream that answers every GET with 200 "ok" (standing in for a healthy app server in proxy tests)."""

    def do_GET(self):  # noqa: N802 (the standard library's name)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_nginx(upstreams: list[str] | tuple[str, ...], listen: str) -> str:
    """deploy/nginx.conf.template with its upstream servers ("host:port") and listen address filled in."""
    servers = "\n".join(f"        server {address} max_fails=1 fail_timeout=10s;" for address in upstreams)
    text = TEMPLATE.read_text(encoding="utf-8")
    header = "# GENERATED from deploy/nginx.conf.template (python -m bench.servers --write-deploy-conf).\n"
    return header + text.replace("{{SERVERS}}", servers).replace("{{LISTEN}}", listen)


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout: float = 90) -> None:
    """Wait until `url`/_stcore/health answers 200 (RuntimeError after `timeout` or if `proc` ends)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process for {url} ended with code {proc.returncode}")
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not become healthy within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Terminate a child process (kill it after 15 s)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Cluster:
    """N app servers and the nginx in front of them; `url` is the proxy's address."""

    servers: list[tuple[subprocess.Popen, str]]
    proxy: subprocess.Popen
    url: str
    workdir: Path
    log: Path
    env: dict = field(default_factory=dict)

    @property
    def server_urls(self) -> list[str]:
        return [url for _, url in self.servers]

    @property
    def pids(self) -> list[int]:
        """The app servers' process ids (the proxy's aside)."""
        return [proc.pid for proc, _ in self.servers]

    def upstream(self, url: str) -> str:
        """A server's address as nginx names it in X-Impact-Upstream ("127.0.0.1:PORT")."""
        return url.removeprefix("http://")

    def close(self) -> None:
        """Stop the proxy and every server, remove the temporary folder."""
        stop(self.proxy)
        for proc, _ in self.servers:
            stop(proc)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def start_proxy(upstreams: list[str], workdir: Path) -> tuple[subprocess.Popen, str]:
    """nginx, configured from deploy/nginx.conf.template, in front of `upstreams` ("host:port"), in `workdir`/nginx;
    returns the process and its address once it answers."""
    prefix = workdir / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    # Started as root, nginx's workers run as another user (nobody or www-data): they must reach tmp/.
    for folder in (workdir, prefix, prefix / "tmp"):
        folder.chmod(0o755)
    listen = free_port()
    (prefix / "nginx.conf").write_text(render_nginx(upstreams, f"127.0.0.1:{listen}"), encoding="utf-8")
    with open(prefix / "nginx.log", "ab") as out:
        proxy = subprocess.Popen([NGINX, "-p", str(prefix), "-c", "nginx.conf", "-g", "daemon off;"],
                                 stdout=out, stderr=out)
    url = f"http://127.0.0.1:{listen}"
    try:
        wait_healthy(url, proxy, 20)
    except RuntimeError:
        stop(proxy)
        raise RuntimeError(f"nginx did not start: {(prefix / 'nginx.log').read_text()[-800:]}") from None
    return proxy, url


def start_cluster(count: int, data: str | Path, env: dict | None = None, timeout: float = 120) -> Cluster:
    """Start `count` servers on one data store (a folder or s3://bucket/prefix) and nginx in front of them."""
    if not Path(NGINX).exists():
        raise RuntimeError(f"nginx not found at {NGINX}: apt-get install -y nginx (or set IMPACT_NGINX)")
    workdir = Path(tempfile.mkdtemp(prefix="impact-cluster-"))
    log = workdir / "servers.log"
    base_env = {**os.environ, "IMPACT_DATA_DIR": str(data), **(env or {})}
    servers = []
    try:
        with open(log, "ab") as out:
            for i in range(count):
                port = free_port()
                proc = subprocess.Popen(
                    [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                     "--server.port", str(port), "--server.address", "127.0.0.1",
                     "--browser.gatherUsageStats", "false"],
                    cwd=ROOT, stdout=out, stderr=out,
                    env={**base_env, "IMPACT_CACHE_DIR": str(workdir / f"cache-{i + 1}")},
                )
                servers.append((proc, f"http://127.0.0.1:{port}"))
        for proc, url in servers:
            wait_healthy(url, proc, timeout)
        proxy, url = start_proxy([url.removeprefix("http://") for _, url in servers], workdir)
    except BaseException:
        for proc, _ in servers:
            stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Cluster(servers, proxy, url, workdir, log, base_env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=3, help="app servers behind the proxy (default 3)")
    parser.add_argument("--data", default=os.environ.get("IMPACT_DATA_DIR") or str(ROOT / "data"),
                        help="data store: a folder or s3://bucket/prefix (default IMPACT_DATA_DIR, else data/)")
    parser.add_argument("--write-deploy-conf", action="store_true", help="render deploy/nginx.conf and exit")
    args = parser.parse_args(argv)
    if args.write_deploy_conf:
        DEPLOY_CONF.write_text(render_nginx(DEPLOY_SERVERS, DEPLOY_LISTEN), encoding="utf-8")
        print(f"wrote {DEPLOY_CONF.relative_to(ROOT)}")
        return 0
    if not 1 <= args.servers <= 8:
        parser.error("--servers: 1 to 8")
    with start_cluster(args.servers, args.data) as cluster:
        print(f"{args.servers} servers ({', '.join(cluster.server_urls)}) behind {cluster.url}; Ctrl-C stops them")
        try:
            cluster.proxy.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
