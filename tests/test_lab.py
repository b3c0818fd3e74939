# `make lab` (scripts/lab.py): the class works in a git-ignored copy of notebooks/, never in
# the committed files; every link in the copy resolves inside the copy; a copy is completed,
# never overwritten; `make lab-reset` keeps the old copy; a busy port is handled before a URL
# is printed; and a real JupyterLab started the way `make lab` starts it runs a kernel without
# ipykernel's "running over TCP without encryption" warning.
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
LAB = REPO / "scripts" / "lab.py"
sys.path.insert(0, str(LAB.parent))
import lab  # noqa: E402  (scripts/lab.py, standard library only)

LINK = re.compile(r"\]\(([^)\s]+)\)")
READY_TIMEOUT = 90.0


def links(notebook: Path) -> list[str]:
    """Relative links in a notebook's markdown cells (web links and anchors left out)."""
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            found += [target.split("#")[0] for target in LINK.findall(cell.source)
                      if not re.match(r"[a-z]+:", target) and not target.startswith("#")]
    return found


def test_copy_holds_the_whole_course_and_every_link_resolves_inside_it(tmp_path):
    copy = tmp_path / "my-notebooks"
    added = lab.copy(copy)
    assert sorted(added) == lab.course_files() and (copy / "00-start-here.ipynb").exists()
    assert (copy / "solutions" / "05-mx-lookups.py").exists()  # %run solutions/... works in the copy
    checked = 0
    for notebook in sorted(copy.glob("*.ipynb")):
        for target in links(notebook):
            resolved = (notebook.parent / target).resolve()
            assert resolved.is_relative_to(copy.resolve()), (
                f"{notebook.name} links {target}, outside the copy: a 404 under make lab")
            assert resolved.exists(), f"{notebook.name} links {target}, which is not in the copy"
            checked += 1
    assert checked >= 20  # the index's table, every course-index link, the solutions


def test_a_second_run_completes_the_copy_and_never_overwrites_work(tmp_path):
    copy = tmp_path / "my-notebooks"
    lab.copy(copy)
    mine = copy / "03-data.ipynb"
    mine.write_text(mine.read_text() + "\n", encoding="utf-8")  # a student's saved work
    work = mine.read_text()
    (copy / "04-state-machine.ipynb").unlink()
    assert lab.copy(copy) == [Path("04-state-machine.ipynb")]
    assert mine.read_text() == work


def test_reset_keeps_the_old_copy_and_makes_a_fresh_one(tmp_path):
    copy = tmp_path / "my-notebooks"
    lab.copy(copy)
    (copy / "answers.txt").write_text("last year's class", encoding="utf-8")
    moved = lab.reset(copy)
    assert moved is not None and (moved / "answers.txt").read_text() == "last year's class"
    assert not (copy / "answers.txt").exists() and (copy / "00-start-here.ipynb").exists()


def test_git_ignores_the_working_copies():
    for path in ("my-notebooks/00-start-here.ipynb", "my-notebooks-20260101-080000/01-greeting.ipynb"):
        done = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO)
        assert done.returncode == 0, f"git does not ignore {path}"


def test_makefile_serves_the_copy_not_notebooks():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/lab.py serve $(LAB_DIR)" in recipe and "root_dir=notebooks" not in recipe
    assert "\nlab-reset:" in makefile and "LAB_DIR := my-notebooks" in makefile


# ---------------------------------------------------------------- the port, then a real JupyterLab
@pytest.fixture
def busy_port():
    """A port something already listens on, as when a second `make lab` is started."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        yield holder.getsockname()[1]


def lab_env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
                JUPYTER_DATA_DIR=str(tmp_path / "data"), IPYTHONDIR=str(tmp_path / "ipython"),
                JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"), PYDEVD_DISABLE_FILE_VALIDATION="1")


def test_a_busy_port_the_user_chose_fails_clearly_before_any_url(tmp_path, busy_port):
    done = subprocess.run([sys.executable, str(LAB), "serve", str(tmp_path / "copy"), "--port", str(busy_port),
                           "--fixed"], capture_output=True, text=True, timeout=60, env=lab_env(tmp_path))
    assert done.returncode == lab.EX_USAGE
    assert f"port {busy_port} is already in use" in done.stderr and f"PORT={busy_port + 1}" in done.stderr
    assert "token=" not in done.stdout + done.stderr


def test_make_lab_moves_to_a_free_port_and_its_kernels_print_no_tcp_warning(tmp_path, busy_port):
    """The JupyterLab `make lab` runs: next free port, the copy as root, a kernel that runs code, no warning."""
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(LAB), "serve", str(tmp_path / "copy"), "--port", str(busy_port)],
                                stdout=out, stderr=subprocess.STDOUT, env=lab_env(tmp_path), start_new_session=True)
    try:
        url = _printed_url(proc, log)
        port = int(re.search(r":(\d+)/", url)[1])
        assert port != busy_port and f"port {busy_port} is in use; using {port}" in log.read_text()
        token = url.split("token=")[1]
        _wait_ready(proc, port, token, log)
        assert "42" in _run_code(port, token, "print(6 * 7)")
        assert (tmp_path / "copy" / "00-start-here.ipynb").exists()
        time.sleep(1)  # let the kernel's start-up log reach ours
    finally:
        _stop(proc)
    text = log.read_text()
    assert "without encryption" not in text, text[-2000:]
    assert "[I " not in text, "make lab logs at WARN: info lines push the URL off screen"


def _printed_url(proc: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:\d+/lab/tree/00-start-here\.ipynb\?token=\w+", log.read_text())
        if found:
            return found[0]
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    raise AssertionError(f"no URL printed:\n{log.read_text()}")


def _api(port: int, token: str, path: str, body: bytes | None = None) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}?token={token}", data=body,
                                     method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def _wait_ready(proc: subprocess.Popen, port: int, token: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            _api(port, token, "/api/status")
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise AssertionError(f"JupyterLab did not answer:\n{log.read_text()}")


def _run_code(port: int, token: str, code: str) -> str:
    """Start a kernel through the server and run ``code``; return what it printed."""
    import websocket  # websocket-client, a dependency of jupyter_server

    kernel = _api(port, token, "/api/kernels", b'{"name": "python3"}')
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/api/kernels/{kernel['id']}/channels?token={token}",
                                     timeout=60)
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False}}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = json.loads(ws.recv())
            if message.get("parent_header", {}).get("msg_id") == msg_id and message["msg_type"] == "stream":
                return message["content"]["text"]
        raise AssertionError("the kernel printed nothing")
    finally:
        ws.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # any kernel left in the group we started
    except ProcessLookupError:
        pass


def test_binder_makes_the_same_copy_and_its_links_open_it(tmp_path):
    """Binder runs binder/postBuild from the repository root; every Binder link opens a notebook it made."""
    post_build = REPO / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs binder/postBuild only when it is executable"
    assert "scripts/lab.py copy my-notebooks" in post_build.read_text(encoding="utf-8")
    copy = tmp_path / "my-notebooks"
    lab.copy(copy)
    texts = [(REPO / "README.md").read_text(encoding="utf-8")]
    texts += [cell.source for path in sorted((REPO / "notebooks").glob("*.ipynb"))
              for cell in nbformat.read(path, as_version=4).cells]
    targets = [t for text in texts for t in re.findall(r"mybinder\.org/v2/gh/[^)\s]*urlpath=lab/tree/([^)\s&]+)", text)]
    assert len(targets) >= 11  # README's badge and one per notebook, notebook 00's badge
    for target in targets:
        assert target.startswith("my-notebooks/"), f"a Binder link opens {target}, not the working copy"
        assert (copy / target.removeprefix("my-notebooks/")).exists(), f"a Binder link opens {target}: no such file"
