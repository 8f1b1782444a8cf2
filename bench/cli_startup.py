"""CLI start-up time: `vigil --help` (target: under 0.5 s) and a few other commands, each a fresh
process, measured in alternating rounds beside the floor any Typer CLI pays (`python -c "import typer"`)
and a bare interpreter, so a noisy machine moves them all alike.

Run with `make bench-cli`; the table replaces the "CLI start-up" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- cli startup -->", "<!-- end cli startup -->"
PYTHON = sys.executable
VIGIL = str(Path(sys.executable).with_name("vigil"))


def measure(rounds: int) -> tuple[list[tuple[str, float, float]], str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/cli.db"
        env = {**os.environ, "VIGIL_DATABASE_URL": url, "VIGIL_AUDIT_KEY_FILE": f"{tmp}/audit.key"}
        subprocess.run([VIGIL, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([VIGIL, "user", "create", "--email", "a@example.org", "--role", "admin"], env=env,
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run(
            [VIGIL, "incident", "create", "--title", "bench"], env=env, check=True, capture_output=True
        )
        cases = {
            "python -c pass (interpreter floor)": [PYTHON, "-c", "pass"],
            'python -c "import typer" (any Typer CLI)': [PYTHON, "-c", "import typer"],
            "vigil --version": [VIGIL, "--version"],
            "vigil --help": [VIGIL, "--help"],
            "vigil incident --help": [VIGIL, "incident", "--help"],
            "vigil incident list (SQLite, 1 incident)": [VIGIL, "incident", "list"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):  # alternate: every case once per round
            for name, argv in cases.items():
                started = time.perf_counter()
                subprocess.run(argv, env=env, check=True, capture_output=True)
                times[name].append(time.perf_counter() - started)
    rows = [(name, statistics.median(t) * 1000, max(t) * 1000) for name, t in times.items()]
    return rows, f"{rounds} alternating rounds"


def render(rows: list[tuple[str, float, float]], how: str, command: str) -> str:
    floor = dict((name, median) for name, median, _ in rows)['python -c "import typer" (any Typer CLI)']
    lines = [
        BEGIN,
        "## CLI start-up",
        "",
        f"Produced by `{command}` on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}: each command a fresh process, {how}, wall-clock time. Target: "
        "`vigil --help` under 500 ms. The root imports Typer and the domains' declarations only; a "
        "command's module loads when it runs.",
        "",
        "| command | median, ms | slowest, ms | × `import typer` |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{name}` | {median:.0f} | {worst:.0f} | {median / floor:.2f} |" for name, median, worst in rows
    ]
    return "\n".join([*lines, "", END])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    rows, how = measure(args.rounds)
    section = render(rows, how, f"make bench-cli  # python -m bench.cli_startup --rounds {args.rounds}")
    print(section)
    text = OUT.read_text()
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END) :]
    else:
        marker = "<!-- end of make bench output -->"
        text = text.replace(marker, f"{marker}\n\n{section}", 1)
    OUT.write_text(text)


if __name__ == "__main__":
    main()
