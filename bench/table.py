"""Print a results file of ``bench/run.py`` as a Markdown table (how docs/performance.md is updated).

Example::

    .venv/bin/python bench/table.py bench/results/latest.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _value(figure: dict[str, Any]) -> str:
    value = figure["value"]
    if value is None:
        return "-"
    if figure["unit"] == "fraction":
        return f"{value * 100:.1f} %"
    if figure["unit"] == "x":
        return f"{value:.2f}x"
    return f"{value:.1f} {figure['unit']}"


def _target(figure: dict[str, Any]) -> str:
    if figure["target"] is None:
        return "(info)"
    target = figure["target"]
    if figure["unit"] == "fraction":
        return f"{figure['comparator']} {target * 100:g} %"
    if figure["unit"] == "x":
        return f"{figure['comparator']} {target:g}x"
    return f"{figure['comparator']} {target:g} {figure['unit']}"


def markdown(results: dict[str, Any]) -> str:
    lines = ["| figure | value | target | result |", "|---|---:|---:|---|"]
    for figure in results["figures"]:
        lines.append(f"| `{figure['id']}` | {_value(figure)} | {_target(figure)} | {figure['status']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a JSON file written by bench/run.py")
    args = parser.parse_args(argv)
    try:
        results = json.loads(args.results.read_text(encoding="utf-8"))
        print(markdown(results))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"table.py: {args.results} is not a bench/run.py results file ({exc})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
