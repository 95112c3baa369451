"""docs/python.md's walk-through, run block by block: the plot it saves is made here."""

import re

from conftest import REPO


def test_the_walkthrough_runs_and_plots(tmp_path, monkeypatch):
    text = (REPO / "docs" / "python.md").read_text(encoding="utf-8")
    walk = text.split("## A walk-through", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", walk, re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    scope = {}
    for block in blocks:
        exec(compile(block, "docs/python.md", "exec"), scope)
    frame = scope["frame"]
    assert len(frame) == 5 * 20 and frame["error"].isna().all()
    assert (tmp_path / "policies.png").stat().st_size > 10_000
    assert (tmp_path / "policies.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
