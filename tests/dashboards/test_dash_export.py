"""PNG export through kaleido + the Debian Chromium, and the single message when no browser can run."""

from __future__ import annotations

import pytest
from browser_support import needs_chromium

from dashboards import export, figures


@pytest.mark.browser
@needs_chromium
def test_pngs_written_for_every_figure(tmp_path):
    figs = {"a": figures.empty_figure("A"), "b": figures.empty_figure("B", "other text")}
    paths = export.export_pngs(figs, tmp_path)
    assert [p.name for p in paths] == ["a.png", "b.png"]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_chromium_export_is_skipped_with_one_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on PATH
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(export, "_warned", False)
    figs = {"a": figures.empty_figure("A")}
    assert export.export_pngs(figs, tmp_path / "png") == []
    assert export.export_pngs(figs, tmp_path / "png") == []
    out = capsys.readouterr().out
    assert out.count("PNG export skipped") == 1
    assert not (tmp_path / "png").exists()
