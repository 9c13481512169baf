"""Faults leave nothing behind and nothing runs that another user could have written
(issue 15): killed reports, stale staging folders, planted cache files, the Dask cluster."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from model import cache_safety


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_chart_workers_die_with_a_killed_parent(tmp_path):
    """A pool like the report's: once the parent is killed, its workers end too."""
    script = (
        "import os, sys, time\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from multiprocessing import get_context\n"
        "from reports.rendering import die_with_parent\n"
        "with ProcessPoolExecutor(2, mp_context=get_context('fork'),"
        " initializer=die_with_parent, initargs=(os.getpid(),)) as pool:\n"
        "    list(pool.map(time.sleep, [0, 0]))\n"
        "    print('ready', flush=True)\n"
        "    pool.submit(time.sleep, 600).result()\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parent.parent, text=True)
    assert parent.stdout.readline().strip() == "ready"
    workers = _children(parent.pid)
    assert workers, "the pool started no worker"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)


def test_the_next_report_clears_stale_staging_folders(tmp_path):
    from reports.build import clear_stale_staging

    out = tmp_path / "rep"
    dead = tmp_path / ".rep.999999999.abc.tmp"      # a pid that cannot exist
    legacy = tmp_path / ".rep.k3j4h5.tmp"           # written before names held the pid
    mine = tmp_path / f".rep.{os.getpid()}.xyz.tmp"  # a report still running
    other = tmp_path / ".report2.999999999.abc.tmp"  # another report's folder
    for folder in (dead, legacy, mine, other):
        (folder / "charts").mkdir(parents=True)
    removed = clear_stale_staging(out)
    assert sorted(removed) == sorted([dead, legacy])
    assert mine.is_dir() and other.is_dir()


def test_a_planted_cache_file_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("QDSIM_CACHE", str(tmp_path / "cache"))
    root = cache_safety.cache_root()
    assert root == tmp_path / "cache" and (root.stat().st_mode & 0o777) == 0o700
    cached = root / "ensemble-x.json"
    cache_safety.write_trusted(cached, b'{"code": "ok"}')
    assert cache_safety.read_trusted(cached) == b'{"code": "ok"}'
    cached.write_bytes(b'{"code": "__import__(\'os\').system(\'echo pwned\')"}')
    assert cache_safety.read_trusted(cached) is None  # content changed
    digest = hashlib.sha256(cached.read_bytes()).hexdigest()
    (root / "ensemble-x.json.sha256").write_text(digest)
    assert cache_safety.read_trusted(cached) is not None
    os.chmod(cached, 0o666)  # writable by others: not trusted whatever its digest
    assert cache_safety.read_trusted(cached) is None
    os.chmod(cached, 0o644)
    os.chmod(root, 0o777)
    assert cache_safety.read_trusted(cached) is None
    assert cache_safety.cache_root() != root  # a private temporary folder instead


def test_the_ensemble_cache_only_trusts_its_own_files(tmp_path, monkeypatch):
    from model import MODEL_PATH, ensemble
    from model.pysd_engine import file_sha256

    monkeypatch.setenv("QDSIM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(ensemble, "_specifications", {})
    digest = file_sha256(MODEL_PATH)
    cache_file = ensemble._cache_file(digest)
    assert cache_file.parent == tmp_path / "cache"
    spec = ensemble._load_specification(MODEL_PATH, digest, True)
    assert cache_safety.read_trusted(cache_file) is not None
    planted = cache_file.read_text().replace(spec.source_sha256, "planted", 1)
    cache_file.write_text(planted)
    ensemble._specifications.clear()
    again = ensemble._load_specification(MODEL_PATH, digest, True)
    assert again.source_sha256 == spec.source_sha256  # parsed afresh, not the planted one


def test_pysd_translates_into_the_private_cache_not_the_work_tree(tmp_path, monkeypatch,
                                                                  repo_root):
    from model.pysd_engine import translated_model_path

    monkeypatch.setenv("QDSIM_CACHE", str(tmp_path / "cache"))
    translated = translated_model_path()
    assert (tmp_path / "cache") in translated.parents
    assert not (repo_root / "model" / "qingdao.py").exists()
    translated.write_text(translated.read_text() + "\nraise SystemExit('planted')\n")
    again = translated_model_path()  # the changed file is translated again
    assert "planted" not in again.read_text()


@pytest.mark.slow
def test_the_local_dask_cluster_refuses_clients_without_its_credentials():
    import dask
    from distributed import Client

    from cli import _dask_client

    before = dask.config.get("scheduler", None)
    with _dask_client(1, None) as client:
        # the client is passed on explicitly: no process-wide default scheduler to leak
        assert dask.config.get("scheduler", None) == before
        address = client.scheduler.address
        assert address.startswith("tls://")
        assert client.submit(sum, [1, 2]).result() == 3
        with pytest.raises((OSError, TypeError, ValueError)):
            Client(address.replace("tls://", "tcp://"), timeout="3s", set_as_default=False)
        with pytest.raises((OSError, TypeError, ValueError)):
            Client(address, timeout="3s", set_as_default=False)
    # a refused client left as the global default once made later in-process dask
    # computations fail with "no Client active" (CI, test order dependent)
    assert dask.config.get("scheduler", None) == before
