"""Inputs that used to end in a traceback: bare NaN / Infinity in JSON, amounts like 1e400, JSON nested
100,000 levels deep, rate rows that add up past any real amount.

Each file is written here by hand, in shapes the project's generator never writes (a Tally register with a
title row, a portal JSON with spaces after the colons). Every one is tried twice, as a consultant meets it:
through ``python -m recon read`` (exit 2, one line naming file and field, no traceback) and through
``Workspace.import_file`` on a workspace that already holds a register (InputError, nothing saved changes).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from books_files import CLIENT, KERALA, UMBRA, csv_text, tally_grid, tally_row, xlsx_bytes

from recon.errors import InputError
from recon.store import Store
from recon.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
PERIOD = "102025"


def ims_text(**amounts: str) -> str:
    """One IMS record as the portal writes it, with ``amounts`` written in literally (NaN, 1e400...)."""
    values = {"val": "1180.00", "txval": "1000.00", "iamt": "180.00", "camt": "0", "samt": "0"} | amounts
    fields = ", ".join(f'"{k}": {v}' for k, v in values.items())
    return (
        '{"b2b": [\n  {"stin": "' + KERALA + '", "inum": "KL/118", "idt": "01-10-2025", "inv_typ": "R",\n'
        f'   "pos": "27", {fields},\n'
        '   "rtnprd": "102025", "srcform": "R1", "action": "N", "ispendactblocked": "N"}\n]}\n'
    )


def gstr2b_text(igst: str) -> str:
    return (
        '{"data": {"gstin": "' + CLIENT + '", "rtnprd": "102025", "docdata": {"b2b": [\n'
        '  {"ctin": "' + UMBRA + '", "trdnm": "Umbra Traders", "supprd": "102025", "inv": [\n'
        '    {"inum": "U-7", "dt": "02-10-2025", "val": 1180, "txval": 1000, "igst": ' + igst + ","
        ' "cgst": 0, "sgst": 0, "cess": 0, "pos": "27", "typ": "R", "rev": "N", "itcavl": "Y"}]}]}}}\n'
    )


def tally_csv(taxable_cells: list[str]) -> str:
    """A Tally register saved as CSV: title rows, Tally's column names, one rate row per cell given."""
    rows = []
    for rate, cell in enumerate(taxable_cells):
        row = tally_row("UM-55", 1000, igst=90.0 * (rate + 1), cgst=0.0)
        row[7] = cell  # Taxable Value, as typed
        rows.append(row)
    return csv_text(tally_grid(rows))


def tally_xlsx_with_number(taxable: float) -> bytes:
    return xlsx_bytes({"Purchase Register": tally_grid([tally_row("UM-56", taxable, igst=18.0, cgst=0.0)])})


@dataclass
class Bad:
    id: str
    name: str
    content: Callable[[], bytes]
    words: list[str]  # the message must carry each of these (file, place, field, what is wrong)


CASES = [
    Bad(
        "ims-bare-nan",
        "ims-oct.json",
        lambda: ims_text(val="NaN").encode(),
        ["ims-oct.json", "NaN", "field 'val'", "line 3"],
    ),
    Bad(
        "ims-bare-infinity",
        "ims-oct.json",
        lambda: ims_text(txval="Infinity").encode(),
        ["ims-oct.json", "Infinity", "field 'txval'"],
    ),
    Bad(
        "ims-bare-minus-infinity",
        "ims-oct.json",
        lambda: ims_text(iamt="-Infinity").encode(),
        ["ims-oct.json", "-Infinity", "field 'iamt'"],
    ),
    Bad(
        "ims-amount-1e400",
        "ims-oct.json",
        lambda: ims_text(txval="1e400").encode(),
        ["ims-oct.json", "section 'b2b', record 1", "field 'txval'", "too large"],
    ),
    Bad(
        "ims-amount-400-digits",
        "ims-oct.json",
        lambda: ims_text(val="9" * 400).encode(),
        ["ims-oct.json", "record 1", "field 'val'", "too large"],
    ),
    Bad(
        "2b-bare-nan-in-tax",
        "2b-oct.json",
        lambda: gstr2b_text("NaN").encode(),
        ["2b-oct.json", "NaN", "field 'igst'"],
    ),
    Bad(
        "2b-tax-1e400",
        "2b-oct.json",
        lambda: gstr2b_text("1E400").encode(),
        ["2b-oct.json", "supplier 1, document 1", "field 'igst'", "too large"],
    ),
    Bad(
        "json-100000-deep",
        "ims-oct.json",
        lambda: ("[" * 100_000 + "]" * 100_000).encode(),
        ["ims-oct.json", "nested too deeply"],
    ),
    Bad(
        "json-100000-deep-inside-a-section",
        "ims-oct.json",
        lambda: ('{"b2b": ' + '{"x": ' * 100_000 + "1" + "}" * 100_000 + "}").encode(),
        ["ims-oct.json", "nested too deeply"],
    ),
    Bad(
        "books-csv-1e400",
        "purchase-register.csv",
        lambda: tally_csv(["1e400"]).encode(),
        ["purchase-register.csv", "row 6", "column 'Taxable Value'", "'1e400'", "too large"],
    ),
    Bad(
        "books-csv-infinity-word",
        "purchase-register.csv",
        lambda: tally_csv(["1000", "Infinity"]).encode(),
        ["purchase-register.csv", "row 7", "column 'Taxable Value'", "'Infinity'"],
    ),
    Bad(
        "books-csv-nan-word",
        "purchase-register.csv",
        lambda: tally_csv(["NaN"]).encode(),
        ["purchase-register.csv", "row 6", "column 'Taxable Value'", "'NaN' is not an amount"],
    ),
    Bad(
        "books-xlsx-number-1e20",
        "purchase-register.xlsx",
        lambda: tally_xlsx_with_number(1e20),
        ["purchase-register.xlsx", "row 6", "column 'Taxable Value'", "too large"],
    ),
    Bad(
        "books-two-rate-rows-add-up-past-any-amount",
        "purchase-register.csv",
        lambda: tally_csv(["9000000000000", "9000000000000"]).encode(),
        ["purchase-register.csv", "document 'UM-55'", "rows 6, 7", "taxable value", "too large"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_answers_in_one_line_and_exit_2(case, tmp_path):
    path = tmp_path / case.name
    path.write_bytes(case.content())
    done = subprocess.run(
        [sys.executable, "-m", "recon", "read", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: {case.name}")
    for words in case.words:
        assert words in lines[0]


@pytest.fixture
def workspace(tmp_path):
    """A workspace whose client already holds a good register and a good IMS download for the period."""
    db = tmp_path / "workspace.db"
    ws = Workspace(Store(f"sqlite:///{db}"), user="tester")
    client = ws.create_client("Acme Industries", CLIENT, PERIOD)
    good_books = csv_text(tally_grid([tally_row("UM-1", 1000, igst=180.0, cgst=0.0)])).encode()
    ws.import_file(client.id, PERIOD, good_books, "register.csv", kind="books")
    ws.import_file(client.id, PERIOD, ims_text().encode(), "ims-good.json")
    yield ws, client, db
    ws.store.dispose()


def saved(db: Path) -> list[str]:
    """Everything the workspace database holds, as SQL text."""
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


@pytest.mark.parametrize("mode", ["replace", "add"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_workspace_refuses_before_saving(case, mode, workspace):
    ws, client, db = workspace
    before = saved(db)
    with pytest.raises(InputError) as caught:
        ws.import_file(client.id, PERIOD, case.content(), case.name, mode=mode)
    message = str(caught.value)
    assert message.startswith(case.name)
    for words in case.words:
        assert words in message
    assert saved(db) == before
    assert ws.documents(client.id, PERIOD, "books")["doc_no"].to_list() == ["UM-1"]
    assert ws.documents(client.id, PERIOD, "ims")["doc_no"].to_list() == ["KL/118"]


def test_nan_as_text_inside_a_string_is_not_mistaken_for_a_bare_one(tmp_path):
    """A supplier name 'NaN Traders' sits before the bad amount: the message points at the amount."""
    path = tmp_path / "ims.json"
    path.write_text(ims_text(val="NaN").replace('"inv_typ"', '"trdnm": "NaN Traders", "inv_typ"'))
    done = subprocess.run(
        [sys.executable, "-m", "recon", "read", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "field 'val'" in done.stderr and "line 3" in done.stderr


def test_an_unexpected_failure_is_one_line_with_exit_4_not_a_traceback(tmp_path, monkeypatch, capsys):
    from recon import cli, readers

    def broken(*_args, **_kwargs):
        raise RuntimeError("reader bug\nsecond line")

    monkeypatch.setattr(readers, "read", broken)
    path = tmp_path / "ims.json"
    path.write_text(ims_text())
    assert cli.main(["read", str(path)]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "RuntimeError: reader bug second line" in err and "Please report it" in err
