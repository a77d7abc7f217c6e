"""examples/tour.sh, run as a new user would: in its own database, twice, with the same story."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def steady(text: str) -> str:
    """The output without what the clock changes: times of day, measured durations."""
    text = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?", "<time>", text)
    # Occupancy and adherence rows: hours and shares of the seconds the tour took (80.0 prints as 80),
    # right-aligned, so their padding moves with the figure's width too.
    text = re.sub(r"^(?:marie|\(total\)) .*$", lambda m: re.sub(r" +", " ", re.sub(r"\d+(\.\d+)?", "#", m.group(0))),
                  text, flags=re.M)
    return re.sub(r"\b\d+\.\d+\b|\b\d+[mh]\b", "#", text)


def run_tour(home: Path, db: Path) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent  # the ccctl of the Python running the tests
    env = {**os.environ, "HOME": str(home), "CCCTL_TOUR_DB": str(db),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("CCCTL_DATABASE_URL", "CCCTL_TENANT", "CCCTL_AGENT", "XDG_DATA_HOME"):
        env.pop(name, None)
    return subprocess.run(["bash", str(ROOT / "examples" / "tour.sh")], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="the tour is a bash script")
def test_the_tour_tells_the_same_day_twice_in_its_own_database(tmp_path):
    db = tmp_path / "tour" / "tour.db"
    first, second = run_tour(tmp_path, db), run_tour(tmp_path, db)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    # It starts afresh: nothing piles up (the clock moved on between the runs).
    assert steady(first.stdout) == steady(second.stdout)
    out = first.stdout
    assert f"The tour runs in its own database: {db}" in out and f"CCCTL_DATABASE_URL=sqlite:///{db}" in out
    assert not (tmp_path / ".local" / "share" / "ccctl" / "ccctl.db").exists()  # the default one is untouched
    for shown in ("annulations-remboursements", "[sms dry run]", "Jean-Luc Moreau", "remboursement",
                  "closed item", "monthly fee", "wrote ", "lunch", "occupancy_pct", "adherence_pct"):
        assert shown in out + first.stderr, shown
    assert (db.parent / "kpi.html").exists()
    commands = [line[2:] for line in out.splitlines() if line.startswith("$ ")]
    assert "ccctl customer find '06 12 34 56 78' -t voyages-lumiere --format table" in commands  # copyable
