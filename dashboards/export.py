"""PNG export of the figures through kaleido 1.x, which drives the Chromium found here (`BROWSER_PATH`, else PATH).

Where no Chromium can run (a bare CI image, a locked-down laptop) the export is skipped with one message and the
HTML report is still written: images are a convenience, not the product.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import plotly.graph_objects as go

log = logging.getLogger(__name__)
# Debian's package installs the browser as `chromium`.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
_warned = False


def find_chromium() -> str | None:
    """The browser kaleido will use: BROWSER_PATH when set, else the first Chromium on PATH."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit and Path(explicit).exists():
        return explicit
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _say_once(message: str) -> None:
    global _warned
    if not _warned:
        print(message, flush=True)
        log.warning(message)
        _warned = True


def export_pngs(figures: dict[str, go.Figure], out_dir: Path, width: int = 1000, height: int = 450) -> list[Path]:
    """Write `<figure id>.png` for every figure in one kaleido session; [] (and one message) when it cannot."""
    import kaleido

    browser = find_chromium()
    if browser is None:
        _say_once("PNG export skipped: no Chromium found (install Debian's `chromium` or set BROWSER_PATH).")
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{fid}.png" for fid in figures]
    specs = [
        {"fig": fig.to_dict(), "path": path, "opts": {"format": "png", "width": width, "height": height}}
        for fig, path in zip(figures.values(), paths, strict=True)
    ]
    try:
        # kaleido's own call, not plotly's write_images: only it takes the browser to start (`path`)
        kaleido.write_fig_from_object_sync(specs, kopts={"path": browser})
    except Exception as err:  # kaleido surfaces browser start-up failures as assorted exception types
        _say_once(f"PNG export skipped: the static-image exporter could not run ({type(err).__name__}: {err}).")
        return []
    return [p for p in paths if p.exists()]
