"""Deterministic, realistic lead records for the benchmarks: same seed, same leads, any machine.

Each lead is a dict of about 40 LeadSquared fields (the seed's Lead catalog plus a few ``mx_``
custom fields) whose values are drawn from per-field pools built once from ``random.Random(seed)``:
about 10% of first names and cities are non-ASCII (accents, Devanagari, CJK, an emoji), notes carry
the URL-reserved characters ``& = + # / ? %`` and blanks, identifiers, phones, e-mails and notes
are unique per lead while names and cities repeat as in real data, numbers are mostly strings as the
LeadSquared API returns them (``Score`` is an int), and about 5% of fields are absent, ``None`` or
``""``.  Lead ``i`` picks pool entries by index arithmetic with a distinct prime pool size per
field, so `iter_leads` yields a million distinct-looking leads lazily, and
``make_leads(n)`` is exactly ``list(iter_leads(n))``.  `USER` and `ACCOUNT` are the fixed records
of a batch.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = [
    "ACCOUNT",
    "ARROW_TYPES",
    "FIELDS",
    "USER",
    "arrow_table",
    "columns",
    "iter_leads",
    "make_leads",
]

USER: dict[str, Any] = {
    "EmailAddress": "priya.sharma+sales@example.co.in",
    "FirstName": "Priya",
    "LastName": "Sharma",
    "UserId": "7f3c2a10-5b1e-4c8d-9a2f-0e6b1d4c3a21",
}
ACCOUNT: dict[str, Any] = {"ShortCode": "acme/IN #1"}

_ABSENT = object()  # a pool entry meaning "the key is not in the record"

_FIRST_ASCII = [
    "Aarav",
    "Vivaan",
    "Aditya",
    "Ananya",
    "Diya",
    "Isha",
    "Rohan",
    "Kabir",
    "Meera",
    "Sara",
    "John",
    "Mary",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Lucas",
    "Mia",
    "Ethan",
    "Ava",
    "Arjun",
    "Neha",
    "Rahul",
    "Pooja",
    "Vikram",
    "Sneha",
    "Karan",
    "Divya",
    "Amit",
    "Kavya",
]
_FIRST_UNICODE = ("José", "Zoë", "Chloé", "Renée", "Søren", "Łukasz", "Ñuño", "François",
                  "अनन्या", "राहुल", "李娜", "王芳", "Jürgen", "Ana 🌸")  # fmt: skip
_LAST = [
    "Sharma",
    "Verma",
    "Iyer",
    "Nair",
    "Reddy",
    "Gupta",
    "Singh",
    "Patel",
    "Khan",
    "Das",
    "Smith",
    "Jones",
    "Brown",
    "Garcia",
    "Miller",
    "O'Brien",
    "D'Souza",
    "Fernandes",
]
_CITY_ASCII = [
    "Mumbai",
    "Pune",
    "Delhi",
    "Bengaluru",
    "Chennai",
    "Hyderabad",
    "Kolkata",
    "Jaipur",
    "Austin",
    "Leeds",
]
_CITY_UNICODE = ("São Paulo", "München", "Zürich", "Kraków", "Besançon", "मुंबई", "東京", "Malmö")
_WORDS = [
    "call",
    "back",
    "after",
    "demo",
    "pricing",
    "sent",
    "follow",
    "up",
    "interested",
    "budget",
    "Q3",
    "renewal",
    "discount",
    "wants",
    "trial",
    "needs",
    "approval",
    "from",
    "manager",
]
_RESERVED = ("&", "=", "+", "#", "/", "?", "%", "%20", "100%", "a=b&c=d", "x+y", "#tag",
             "https://ex.com/p?q=1", "50/50", "why?")  # fmt: skip


def _maybe_missing(rng: random.Random, value: object) -> object:
    """About 5% of values are missing: absent, None or the empty string, in equal parts."""
    r = rng.random()
    if r < 0.0167:
        return _ABSENT
    if r < 0.0333:
        return None
    if r < 0.05:
        return ""
    return value


def _pool(rng: random.Random, size: int, make: Any) -> tuple[object, ...]:
    return tuple(_maybe_missing(rng, make(rng)) for _ in range(size))


def _first(rng: random.Random) -> str:
    return rng.choice(_FIRST_UNICODE) if rng.random() < 0.10 else rng.choice(_FIRST_ASCII)


def _city(rng: random.Random) -> str:
    return rng.choice(_CITY_UNICODE) if rng.random() < 0.10 else rng.choice(_CITY_ASCII)


def _note(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 16))]
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randrange(len(words) + 1), rng.choice(_RESERVED))
    return " ".join(words)


def _mobile(rng: random.Random) -> str:
    return f"+91 {rng.randint(70000, 99999)} {rng.randint(0, 99999):05d}"


def _email(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST_ASCII).lower()}.{rng.randint(1, 9999)}@example.com"


def _date(rng: random.Random) -> str:
    return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:10:00"


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS)


def _digits(rng: random.Random) -> str:
    return str(rng.randint(0, 10**6))


# Field key -> value maker; 40 fields.
FIELDS: dict[str, Any] = {
    "ProspectID": lambda r: f"{r.getrandbits(64):016x}",
    "FirstName": _first,
    "LastName": lambda r: r.choice(_LAST),
    "EmailAddress": _email,
    "Source": lambda r: r.choice(("Web", "Referral", "Google Ads", "Facebook", "Walk-in")),
    "Notes": _note,
    "Phone": _mobile,
    "Mobile": _mobile,
    "Website": lambda r: f"https://{r.choice(_WORDS)}.example.com/?ref={r.randint(1, 99)}",
    "Company": lambda r: f"{r.choice(_LAST)} & Sons Pvt. Ltd.",
    "JobTitle": lambda r: r.choice(("CEO", "CTO", "Manager", "Analyst", "VP Sales")),
    "Score": lambda r: r.randint(0, 1000),
    "CreatedOn": _date,
    "ModifiedOn": _date,
    "LeadConversionDate": _date,
    "mx_Street1": lambda r: f"{r.randint(1, 999)}, {r.choice(_WORDS).title()} Road",
    "mx_Street2": lambda r: f"Near {r.choice(_WORDS).title()} Circle",
    "mx_City": _city,
    "mx_State": lambda r: r.choice(("MH", "KA", "DL", "TN", "TX", "Bavaria")),
    "mx_Country": lambda r: r.choice(("India", "USA", "Germany", "Brazil")),
    "mx_Zip": lambda r: f"{r.randint(100000, 999999)}",
    "OwnerIdName": lambda r: f"{r.choice(_FIRST_ASCII)} {r.choice(_LAST)}",
    "OwnerIdEmailAddress": _email,
    "CreatedByName": lambda r: r.choice(_FIRST_ASCII),
    "ModifiedByName": lambda r: r.choice(_FIRST_ASCII),
    "SourceCampaign": lambda r: f"diwali-{r.randint(2019, 2024)}",
    "SourceContent": _word,
    "EngagementScore": _digits,
    "Revenue": lambda r: f"{r.randint(0, 10**7)}.{r.randint(0, 99):02d}",
    "TwitterId": lambda r: f"@{r.choice(_FIRST_ASCII).lower()}{r.randint(1, 99)}",
    "FacebookId": _digits,
    "LinkedInId": _digits,
    "PhotoUrl": lambda r: f"https://cdn.example.com/p/{r.getrandbits(32):08x}.jpg",
    "CurrentOptInStatus": lambda r: r.choice(("Opted In", "Opted Out", "Pending")),
    "OptInDate": _date,
    "LeadAge": lambda r: str(r.randint(0, 900)),
    "mx_Custom_1": _word,
    "mx_Custom_2": _digits,
    "mx_Budget": lambda r: f"INR {r.randint(1, 99)} lakh",
    "mx_Preferred_Time": lambda r: r.choice(("morning", "evening", "any")),
}

# Distinct primes, so that the combination of pool entries repeats only after their product.
_PRIMES = (1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049, 1051, 1061, 1063, 1069, 1087, 1091,
           1093, 1097, 1103, 1109, 1117, 1123, 1129, 1151, 1153, 1163, 1171, 1181, 1187, 1193,
           1201, 1213, 1217, 1223, 1229, 1231, 1237, 1249, 1259, 1277, 1279, 1283)  # fmt: skip


def _pools(seed: int) -> list[tuple[str, int, tuple[object, ...]]]:
    rng = random.Random(seed)
    return [
        (key, size, _pool(rng, size, make))
        for (key, make), size in zip(FIELDS.items(), _PRIMES, strict=True)
    ]


def iter_leads(n: int, seed: int = 2024) -> Iterator[dict[str, Any]]:
    """Yield ``n`` leads lazily; lead ``i`` is the same for every run with the same seed."""
    pools = _pools(seed)
    absent = _ABSENT
    for i in range(n):
        lead = {}
        for key, size, pool in pools:
            value = pool[i % size]
            if value is not absent:
                lead[key] = value
        # Identifiers, phones, e-mails and notes are unique per lead in real data: make them so,
        # so that a renderer that caches encoded values gains only where real data repeats.
        for key in _UNIQUE:
            value = lead.get(key)
            if value:
                lead[key] = _unique(key, value, i)
        yield lead


_UNIQUE = ("ProspectID", "Mobile", "Phone", "EmailAddress", "Notes")


def _unique(key: str, value: str, i: int) -> str:
    if key == "ProspectID":
        return f"{value[:8]}{i:08x}"
    if key in ("Mobile", "Phone"):
        return f"{value[:4]}{7 + i % 3}{(i * 7919) % 10_000:04d} {i % 100_000:05d}"
    if key == "EmailAddress":
        return value.replace("@", f".{i}@", 1)
    return f"{value} (ticket {i})"


def make_leads(n: int, seed: int = 2024) -> list[dict[str, Any]]:
    """The first ``n`` leads of `iter_leads` as a list."""
    return list(iter_leads(n, seed))


def columns(leads: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The same leads as columns (one list per field key; ``None`` where a key is absent)."""
    return {key: [lead.get(key) for lead in leads] for key in FIELDS}


# The typed Arrow columns of `arrow_table` (pyarrow type names): a Number as int64 and float64,
# a Date as a timestamp; every other field stays a string, as the API returns it.
ARROW_TYPES = {"Score": "int64", "Revenue": "float64", "CreatedOn": "timestamp[us]"}


def _typed(key: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if key == "Revenue":
        return float(value)
    if key == "CreatedOn":
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    return value if key in ARROW_TYPES else str(value)


def arrow_table(n: int, keys: Sequence[str], *, typed: bool = False, seed: int = 2024) -> Any:
    """The first ``n`` leads' fields ``keys`` as a pyarrow Table (an absent field is null).
    Strings by default; with ``typed``, the fields of `ARROW_TYPES` get their type (an empty
    value of a typed field is null, the only missing value such a column has)."""
    import pyarrow as pa

    values: dict[str, list[Any]] = {key: [] for key in keys}
    for lead in iter_leads(n, seed):
        for key in keys:
            value = lead.get(key)
            if typed:
                values[key].append(_typed(key, value))
            else:
                values[key].append(None if value is None else str(value))
    types = {key: ARROW_TYPES[key] if typed and key in ARROW_TYPES else "string" for key in keys}
    return pa.table({key: pa.array(values[key], pa.type_for_alias(types[key])) for key in keys})
