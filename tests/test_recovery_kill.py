"""Crash recovery end to end: the real app (tests/recovery_driver.py runs run_app)
makes an edit, is killed with SIGKILL 5 s later, and on a restart with the same
per-user folders offers the copy; Recover brings the edit back exactly. Every wait
has a timeout, so a missing dialog fails the test instead of hanging it."""
from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bpstudio.io import load
from bpstudio.paths import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).with_name("recovery_driver.py")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def isolated_env(tmp_path: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("XDG_RUNTIME_DIR", None)
    return env


def wait_for_line(proc: subprocess.Popen, wanted: str, timeout: float) -> str:
    """Read the child's stdout until a line equals `wanted`; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    seen = []
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = proc.stdout.readline()
            if not line:                       # the child ended
                break
            seen.append(line.strip())
            if line.strip() == wanted:
                return line
    raise AssertionError(f"no {wanted!r} from the app within {timeout} s; it said {seen}")


def test_sigkill_five_seconds_after_an_edit_then_recover(tmp_path):
    graph_file = tmp_path / "lecture" / "expression.json"
    graph_file.parent.mkdir()
    shutil.copy(EXAMPLES / "expression.json", graph_file)
    env = isolated_env(tmp_path)
    app = subprocess.Popen([sys.executable, str(DRIVER), "edit", str(graph_file)], env=env,
                           cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
    try:
        wait_for_line(app, "EDITED", timeout=60)
        time.sleep(5.0)
        app.send_signal(signal.SIGKILL)
        assert app.wait(timeout=30) == -signal.SIGKILL
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        app.stdout.close()
    copies = list((tmp_path / "data").glob("**/recovery/*.map.json"))
    assert len(copies) == 1, copies
    assert json.loads(copies[0].read_text())["pid"] == app.pid

    again = subprocess.run([sys.executable, str(DRIVER), "recover", str(graph_file)], env=env,
                           cwd=tmp_path / "lecture", capture_output=True, text=True, timeout=90)
    lines = [ln for ln in again.stdout.splitlines() if ln.startswith("{")]
    assert again.returncode == 0 and lines, (again.stdout, again.stderr[-2000:])
    state = json.loads(lines[-1])
    assert state["offered"] == [{"name": "expression.json", "original": str(graph_file),
                                 "pid": app.pid}]
    assert state["a"] == 2.75 and state["note"] == "a was 2.0 in the file"
    assert state["cursor"] == 3 and state["modified"] is True
    assert state["path"] == str(graph_file) and state["dialog_open"] is False
    assert load(graph_file).by_label("a").value == 2.0        # the file itself untouched
