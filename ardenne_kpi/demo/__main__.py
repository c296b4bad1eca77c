"""python -m ardenne_kpi.demo: write data/demo.tar.xz again (after a change that alters the demo)."""

from __future__ import annotations

from ardenne_kpi.demo.database import ARCHIVE, write_archive
from ardenne_kpi.framework import load_framework

count = write_archive(load_framework())
print(f"{ARCHIVE} : {count} valeurs, {ARCHIVE.stat().st_size // 1024} Ko.")
