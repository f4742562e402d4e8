"""Smoke test of the benchmark suite (``make bench`` = ``bench/run.py``).

Runs ``bench/run.py --quick`` in a subprocess with a tiny workload and checks the JSON it writes:
every figure is there, each with a value, a target and a ``met`` verdict consistent with
them. It never asserts on speed: the quick run's numbers mean nothing, and the machine is shared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO

RUN = REPO / "bench" / "run.py"

#: Every judged figure (and the informational ones beside them), with its target.
EXPECTED_TARGETS = {
    "di-sign-vs-raw": ("<=", 8.0),
    "di-verify-vs-raw": ("<=", 8.0),
    "di-sign-speedup-vs-stock": (">=", 3.0),
    "di-verify-speedup-vs-stock": (">=", 3.0),
    "jwt-verify-vs-raw": ("<=", 2.5),
    "warm-checks-overhead": ("<", 0.10),
    "service-throughput": (">=", 0.6),
    "service-p99-vs-median": ("<", 10.0),
    "batch-scaling": (">=", 0.7),
    "batch-memory-100k": ("<", 300.0),
}
INFORMATIONAL = {"di-sign-batch-vs-raw", "pyld-normalize-vs-raw", "batch-scaling-disk", "batch-ceiling"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    completed = subprocess.run([sys.executable, str(RUN), "--quick", "--out", str(out)], cwd=REPO,
                               capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed, json.loads(out.read_text(encoding="utf-8"))


def _met(value: float, comparator: str, target: float) -> bool:
    return {"<=": value <= target, "<": value < target, ">=": value >= target}[comparator]


def test_every_figure_is_reported_with_value_target_and_met(
        quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    _, results = quick_run
    figures = {f["id"]: f for f in results["figures"]}
    assert set(EXPECTED_TARGETS) | INFORMATIONAL == set(figures)
    for figure in figures.values():
        assert {"value", "target", "met", "status", "unit", "comparator", "note"} <= set(figure)


def test_targets_are_the_issue_targets_not_relaxed(
        quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    _, results = quick_run
    figures = {f["id"]: f for f in results["figures"]}
    for figure_id, (comparator, target) in EXPECTED_TARGETS.items():
        assert (figures[figure_id]["comparator"], figures[figure_id]["target"]) == (comparator, target), figure_id
    for figure_id in INFORMATIONAL:
        assert figures[figure_id]["target"] is None and figures[figure_id]["met"] is None


def test_met_agrees_with_value_and_target_so_a_miss_cannot_be_reported_as_pass(
        quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    _, results = quick_run
    for figure in results["figures"]:
        if figure["status"] in ("PASS", "FAIL"):
            assert isinstance(figure["value"], int | float)
            assert figure["met"] is _met(figure["value"], figure["comparator"], figure["target"]), figure["id"]
            assert figure["status"] == ("PASS" if figure["met"] else "FAIL")
        elif figure["status"] == "INFO":
            assert isinstance(figure["value"], int | float) and figure["met"] is None
        else:  # NOT MEASURED / ERROR: no made-up number, and a reason
            assert figure["value"] is None and figure["note"], figure["id"]


def test_quick_run_measures_everything_but_the_large_batch(
        quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    _, results = quick_run
    assert results["quick"] is True
    by_status = {f["id"]: f["status"] for f in results["figures"]}
    assert by_status["batch-memory-100k"] == "NOT MEASURED"
    broken = {fid: f["note"] for fid, f in ((f["id"], f) for f in results["figures"]) if f["status"] == "ERROR"}
    assert not broken, broken


def test_printed_table_names_every_figure_with_its_verdict(
        quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    completed, results = quick_run
    lines = completed.stdout.splitlines()
    for figure in results["figures"]:
        line = next((x for x in lines if x.startswith(figure["id"] + " ")), None)
        assert line is not None, figure["id"]
        assert figure["status"] in line


def test_results_record_the_machine_they_were_measured_on(
        quick_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    _, results = quick_run
    assert results["machine"]["cpus"] >= 1 and results["machine"]["pyld"]


def test_unknown_group_is_refused_with_one_line(tmp_path: Path) -> None:
    completed = subprocess.run([sys.executable, str(RUN), "--only", "nope", "--out", str(tmp_path / "x.json")],
                               cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2
    assert "unknown group(s): nope" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "x.json").exists()


def test_a_broken_batch_measurement_reports_both_batch_figures_as_errors(tmp_path: Path) -> None:
    # a batch that breaks (here: its measurement raises) is an ERROR with the reason for the judged figure
    # and for the ceiling beside it: neither goes missing, neither gets a made-up number
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import fig_batch; from common import Plan\n"
        "def broken(*args, **kwargs): raise RuntimeError('batch_child.py exited with 1')\n"
        "fig_batch._batch_ratio = broken\n"
        "figures = fig_batch.batch_figures(Plan.smoke(), __import__('pathlib').Path(sys.argv[2]))\n"
        "print(json.dumps([f.to_json() for f in figures]))\n")
    completed = subprocess.run([sys.executable, "-c", code, str(REPO / "bench"), str(tmp_path)], cwd=REPO,
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    figures = {f["id"]: f for f in json.loads(completed.stdout.strip().splitlines()[-1])}
    for figure_id in ("batch-scaling", "batch-ceiling"):
        assert figures[figure_id]["status"] == "ERROR" and figures[figure_id]["value"] is None
        assert "batch_child.py exited with 1" in figures[figure_id]["note"]
