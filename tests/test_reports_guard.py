"""Safety: hostile files cost one refused upload with a French message, never the process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from ardenne_kpi.core.errors import ReportError
from ardenne_kpi.intake import guard, importer
from tests.test_import_engine import report

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
    b'"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
    b'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    b'<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
BOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    b'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def crafted_xlsx(sheet_xml: bytes, *, compress=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", BOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def sheet(body: bytes, dimension: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main">' + dimension + b"<sheetData>" + body + b"</sheetData></worksheet>"
    )


FAR_CELL = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def test_declared_xfd1048576_is_refused_before_parsing(fw):
    data = crafted_xlsx(sheet(FAR_CELL, b'<dimension ref="A1:XFD1048576"/>'))
    assert len(data) < 2000
    with pytest.raises(ReportError, match="refusé par sécurité"):
        guard.precheck(data)


def test_far_cell_without_dimension_crashes_only_the_child(fw):
    """calamine aborts the process (SIGABRT) trying to allocate 512 GiB: the child dies, we refuse."""
    data = crafted_xlsx(sheet(FAR_CELL))
    result = importer.read_report(data, fw, operator="FTPN", file_name="far.xlsx")
    assert not result.ok and "refusé" in result.errors[0].message
    assert os.getpid()  # still alive


def test_zip_bomb_is_refused_from_the_zip_directory():
    filler = b"<row>" + b" " * (20 * 2**20) + b"</row>"
    data = crafted_xlsx(sheet(filler))
    assert len(data) < 200_000
    started = time.perf_counter()
    with pytest.raises(ReportError, match="se décompresse"):
        guard.precheck(data)
    assert time.perf_counter() - started < 0.5


def test_dtd_and_entities_are_refused():
    lol = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    data = crafted_xlsx(lol + sheet(b"<row><c><v>&lol2;</v></c></row>")[38:])
    with pytest.raises(ReportError, match="DTD"):
        guard.precheck(data)


def test_size_limit_is_configurable(monkeypatch):
    monkeypatch.setenv("ARDENNE_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(ReportError, match="au-delà de la limite"):
        guard.precheck(b"PK\x03\x04" + b"\0" * 5000)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "vide"),
        (b"a;b;c\n1;2;3\n", "CSV"),
        (b"<html><table></table></html>", "page web"),
        (b"%PDF-1.4", "PDF"),
        (b"PK\x03\x04garbage", "endommagé"),
    ],
)
def test_signature_checks(data, words):
    with pytest.raises(ReportError, match=words):
        guard.precheck(data, "r.xls")


def _abort():
    os.abort()


def _sleep():
    time.sleep(30)


def _allocate():
    return len(bytearray(3 * 2**30))


def test_child_crash_is_a_refusal():
    with pytest.raises(ReportError, match="échoué brutalement"):
        guard.run_isolated(_abort)


def test_child_timeout_is_a_refusal():
    started = time.perf_counter()
    with pytest.raises(ReportError, match="plus de 1 secondes"):
        guard.run_isolated(_sleep, timeout=1)
    assert time.perf_counter() - started < 5


def test_child_memory_limit_is_a_refusal():
    with pytest.raises(ReportError, match="mémoire"):
        guard.run_isolated(_allocate, memory_mb=512)


def _cells(n):
    return [[f"I{i % 48}", i, i / 7, None] for i in range(n)]


def test_a_child_answer_of_many_cells_arrives_whole_though_the_child_skips_its_teardown():
    stats = {}
    assert guard.run_isolated(_cells, 200_000, stats=stats) == _cells(200_000)
    assert stats["peak_rss"] > 0


def _join(first, rest):
    second, third = rest()
    return f"{first}{second}{third}"


def test_a_call_started_early_gets_its_other_arguments_later():
    call = guard.start_isolated(_join, "a")
    time.sleep(0.2)  # the caller's own work meanwhile (the import command opens its database)
    assert call.result("b", "c") == "abc"


def test_a_call_started_early_is_timed_from_the_moment_it_is_asked_for():
    call = guard.start_isolated(_join, "a", timeout=3)
    time.sleep(3.5)  # waiting for the caller does not count against the child
    assert call.result("b", "c") == "abc"


def test_a_call_started_early_still_refuses_a_crash():
    call = guard.start_isolated(_abort_later)
    with pytest.raises(ReportError, match="échoué brutalement"):
        call.result()


def _abort_later(rest):
    os.abort()


def test_a_cancelled_call_leaves_no_child():
    call = guard.start_isolated(_join, "a")
    call.cancel()
    assert call.process.poll() is not None


def test_the_import_command_refuses_every_file_as_the_engine_does(tmp_path, empty_db_path):
    """The command starts each parse before its database is open: a missing, two hostile and
    a good file (twice) are answered as `import_file` answers them."""
    declared = tmp_path / "declared.xlsx"
    declared.write_bytes(crafted_xlsx(sheet(FAR_CELL, b'<dimension ref="A1:XFD1048576"/>')))
    far = tmp_path / "far.xlsx"
    far.write_bytes(crafted_xlsx(sheet(FAR_CELL)))
    good = tmp_path / "good.xlsx"
    good.write_bytes(report(("BRD01", "S05", 600)))
    files = [str(tmp_path / "absent.xlsx"), str(declared), str(far), str(good), str(good)]
    (tmp_path / "x.duckdb").write_bytes(empty_db_path.read_bytes())  # only init creates a base
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "import", *files, "--db", str(tmp_path / "x.duckdb"), "--json"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    absent, declared, far, imported, again = (json.loads(line) for line in done.stdout.splitlines())
    assert absent["status"] == "refused" and "n'existe pas" in absent["errors"][0]["message"]
    assert declared["status"] == "refused" and "refusé par sécurité" in declared["errors"][0]["message"]
    assert far["status"] == "refused" and "échoué brutalement" in far["errors"][0]["message"]
    assert imported["status"] == "imported" and imported["inserted"] == 1
    assert again["status"] == "unchanged" and again["duplicate_of"]["upload_id"] == 1
