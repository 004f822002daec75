"""Real server processes for the scale-out tests: the app (``python app.py``), a Chroma server, PostgreSQL.

Each is started on a free local port with its output in a log file (a pipe nobody reads would fill up
and block the server), waited for until it answers, and stopped at the end of the test.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def wait_for_url(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail early, with the log, if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:g} s:\n{_tail(log)}")


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def subprocess_env(**tutor: str | Path | None) -> dict[str, str]:
    """This process's environment (already offline, telemetry off) plus ``TUTOR_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"})
    env.update({f"TUTOR_{k.upper()}": str(v) for k, v in tutor.items() if v is not None})
    return env


@dataclass
class AppProcess:
    """``python app.py`` on a free port (:func:`start_app`); ready once its page loads."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def log_text(self) -> str:
        return _tail(self.log, 1_000_000)

    def wait_ready(self, timeout: float = 300) -> AppProcess:
        wait_for_url(self.url, self.process, self.log, timeout)
        return self

    def stop(self) -> None:
        stop(self.process)


def start_app(log: Path, **tutor: str | Path | None) -> AppProcess:
    """Start the real app in its own process with ``TUTOR_*`` settings from ``tutor`` (does not wait)."""
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(port)], cwd=REPO,
                                   stdout=sink, stderr=subprocess.STDOUT, env=subprocess_env(**tutor))
    return AppProcess(process, f"http://127.0.0.1:{port}/", log)


@contextmanager
def app_process(log: Path, timeout: float = 300, **tutor: str | Path | None) -> Iterator[AppProcess]:
    """The real app in its own process, ready; stopped at the end."""
    app = start_app(log, **tutor)
    try:
        yield app.wait_ready(timeout)
    finally:
        app.stop()


@contextmanager
def chroma_server(folder: Path, log: Path, timeout: float = 90) -> Iterator[str]:
    """``chroma run`` on a free port; yields its URL."""
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen([str(CHROMA), "run", "--path", str(folder), "--host", "127.0.0.1",
                                    "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT,
                                   env=subprocess_env())
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{url}/api/v2/heartbeat", process, log, timeout)
        yield url
    finally:
        stop(process)


def postgres_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (newest version), or ``None`` if not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run the command as the ``postgres`` user."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        raise RuntimeError("running as root and runuser is missing: cannot start PostgreSQL as `postgres`")
    return [runuser, "-u", "postgres", "--", *command]


def _run_pg(command: list[str], log: Path, timeout: float) -> None:
    try:
        subprocess.run(_as_postgres(command), check=True, capture_output=True, timeout=timeout)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{' '.join(command)} failed: {exc.stderr.decode(errors='replace')}\n{_tail(log)}") from exc


@contextmanager
def postgres_server(timeout: float = 60) -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free local port with a ``mwalimu`` database; yields its URL.

    The cluster lives in a fresh folder under the system temp dir (readable by the ``postgres`` user,
    which pytest's private tmp folders are not) and is deleted afterwards.
    """
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="mwalimu-pg-"))
    data, log, port = root / "data", root / "server.log", free_port()
    started = False
    try:
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chmod(root, 0o755)
            os.chown(root, user.pw_uid, user.pw_gid)
        _run_pg([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                 "--no-sync"], log, timeout)
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run_pg([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t",
                 str(int(timeout)), "start"], log, timeout + 10)
        started = True
        _run_pg([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "mwalimu"],
                log, timeout)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/mwalimu"
    finally:
        if started:
            subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, timeout=timeout, check=False)
        shutil.rmtree(root, ignore_errors=True)
