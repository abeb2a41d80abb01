"""The recipient client and its suppliers: names, PANs and GSTINs that pass the check character.

Real registers are dominated by a few large suppliers with many small ones behind them, and some
suppliers hold several registrations of one PAN (a branch in another state, or a second entity in
the same state; docs/reference/ims-rules.md §9) — which is why books sometimes carry the wrong one.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

import polars as pl

from recon import gstin as gstin_rules


@dataclass(frozen=True)
class Client:
    """The recipient whose purchase books are reconciled."""

    name: str
    gstin: str
    period: str  # MMYYYY
    state_code: str


@dataclass(frozen=True)
class Supplier:
    gstin: str
    name: str
    pan: str
    state: str  # 2-digit state code
    number_style: str  # see recon.synth.numbers.STYLES
    is_branch: bool = False  # a second registration of a PAN that already has one


_FIRST = (
    "Shree Ganesh",
    "Umbra",
    "Sahyadri",
    "Deccan",
    "Konkan",
    "Vardhman",
    "Balaji",
    "Kaveri",
    "Narmada",
    "Mahalaxmi",
    "Siddhivinayak",
    "Anand",
    "Bharat",
    "Everest",
    "Orion",
    "Pioneer",
    "Sunrise",
    "Trident",
    "Apex",
    "Vertex",
    "Navkar",
    "Jai Hind",
    "Laxmi",
    "Om Sai",
    "Rajdhani",
    "Indus",
    "Godavari",
    "Malabar",
    "Coromandel",
    "Nilgiri",
    "Aravali",
    "Vindhya",
    "Satpura",
    "Ganga",
    "Yamuna",
    "Shivam",
    "Krishna",
    "Tirupati",
    "Surya",
    "Chandra",
    "Akshar",
    "Matrix",
    "Zenith",
    "Galaxy",
    "Prime",
    "Royal",
    "National",
)
_TRADE = (
    "Steel",
    "Polymers",
    "Packaging",
    "Logistics",
    "Electricals",
    "Chemicals",
    "Fasteners",
    "Castings",
    "Tools",
    "Auto Parts",
    "Paints",
    "Hardware",
    "Textiles",
    "Plastics",
    "Engineering",
    "Traders",
    "Enterprises",
    "Industries",
    "Tubes",
    "Bearings",
    "Rubber",
    "Printers",
    "Stationers",
    "Cables",
)
_TOWNS = (
    "Pune",
    "Nashik",
    "Nagpur",
    "Thane",
    "Aurangabad",
    "Kolhapur",
    "Surat",
    "Vadodara",
    "Rajkot",
    "Indore",
    "Bhopal",
    "Jaipur",
    "Ludhiana",
    "Chennai",
    "Coimbatore",
    "Bengaluru",
    "Hubballi",
    "Hyderabad",
    "Kochi",
    "Kolkata",
    "Noida",
    "Gurugram",
    "Faridabad",
    "Goa",
    "Raipur",
    "Lucknow",
    "Kanpur",
    "Madurai",
    "Mysuru",
    "Vapi",
    "Silvassa",
    "Hosur",
    "Bhiwandi",
    "Chakan",
    "Ambernath",
    "Jamshedpur",
    "Ranchi",
    "Patna",
)
# Suffix and PAN holder type (4th PAN character) go together: a company is C, a firm F, a proprietor P.
_FORMS = (
    ("Pvt Ltd", "C"),
    ("Private Limited", "C"),
    ("Ltd", "C"),
    ("LLP", "F"),
    ("& Co", "F"),
    ("", "P"),
    ("Agencies", "P"),
    ("& Sons", "H"),
)

CLIENT_STATE = "27"  # Maharashtra
# Where suppliers sit: mostly in the client's own state (CGST + SGST), the rest spread across India
# (IGST). Ladakh (38) is included on purpose: stricter validators wrongly reject it.
_SUPPLIER_STATES = (
    ("27", 55),
    ("29", 7),
    ("24", 7),
    ("33", 5),
    ("07", 5),
    ("06", 4),
    ("09", 3),
    ("36", 3),
    ("19", 2),
    ("08", 2),
    ("32", 2),
    ("23", 2),
    ("03", 1),
    ("38", 1),
    ("30", 1),
)
_STATE_ABBR = {
    "27": "MH",
    "29": "KA",
    "24": "GJ",
    "33": "TN",
    "07": "DL",
    "06": "HR",
    "09": "UP",
    "36": "TS",
    "19": "WB",
    "08": "RJ",
    "32": "KL",
    "23": "MP",
    "03": "PB",
    "38": "LA",
    "30": "GA",
}


def make_gstin(state: str, pan: str, entity: str = "1") -> str:
    body = f"{state}{pan}{entity}Z"
    return body + gstin_rules.check_char(body)


def make_pan(rng: random.Random, holder: str, name: str) -> str:
    """Five letters (4th = holder type, 5th = initial of the name), four digits, one letter."""
    initial = next((c for c in name.upper() if c.isalpha()), "A")
    letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
    return f"{letters}{holder}{initial}{rng.randint(1000, 9999)}{rng.choice(string.ascii_uppercase)}"


def make_client(rng: random.Random, period: str) -> Client:
    name = "Sahyadri Auto Components Pvt Ltd"
    pan = make_pan(rng, "C", name)
    return Client(name=name, gstin=make_gstin(CLIENT_STATE, pan), period=period, state_code=CLIENT_STATE)


def _weighted_state(rng: random.Random) -> str:
    codes, weights = zip(*_SUPPLIER_STATES, strict=True)
    return rng.choices(codes, weights=weights)[0]


def make_suppliers(rng: random.Random, count: int, styles: tuple[str, ...]) -> list[Supplier]:
    """``count`` main registrations plus branch registrations for about one in seven PANs."""
    suppliers: list[Supplier] = []
    used_names: set[str] = set()
    main_count = 0
    while main_count < count:
        form, holder = rng.choice(_FORMS)
        name = f"{rng.choice(_FIRST)} {rng.choice(_TRADE)} {form}".strip()
        if name in used_names:
            # Large registers outgrow the word lists: the same trade name in another town is another firm.
            name = f"{name} ({rng.choice(_TOWNS)})"
            if name in used_names:
                continue
        used_names.add(name)
        main_count += 1
        pan = make_pan(rng, holder, name)
        state = _weighted_state(rng)
        style = rng.choice(styles)
        suppliers.append(Supplier(make_gstin(state, pan), name, pan, state, style))
        # Large suppliers (the first drawn carry the most documents) always have a second registration.
        if rng.random() < 0.15 or main_count <= 2:
            # A second registration: another state, or entity 2 in the same state.
            other = _weighted_state(rng)
            entity = "2" if other == state else "1"
            suppliers.append(Supplier(make_gstin(other, pan, entity), name, pan, other, style, True))
    return suppliers


def state_abbr(code: str) -> str:
    return _STATE_ABBR.get(code, "IN")


def mistype_gstin(rng: random.Random, gstin: str) -> str:
    """A typing slip in one character that the check character catches (docs/reference/ims-rules.md §9.1)."""
    for _ in range(100):
        pos = rng.choice([3, 4, 7, 8, 9, 10])  # inside the PAN, where people actually slip
        ch = gstin[pos]
        pool = string.digits if ch.isdigit() else string.ascii_uppercase
        typo = gstin[:pos] + rng.choice(pool.replace(ch, "")) + gstin[pos + 1 :]
        if gstin_rules.problem(typo) is not None and "check character" in (gstin_rules.problem(typo) or ""):
            return typo
    raise AssertionError("no mistyped GSTIN found")  # practically unreachable


def suppliers_frame(suppliers: list[Supplier]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "gstin": [s.gstin for s in suppliers],
            "name": [s.name for s in suppliers],
            "pan": [s.pan for s in suppliers],
            "state": [s.state for s in suppliers],
            "number_style": [s.number_style for s in suppliers],
            "is_branch": [s.is_branch for s in suppliers],
        }
    )
