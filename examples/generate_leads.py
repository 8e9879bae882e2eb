"""Generate ``examples/leads.csv``: 10,000 made-up leads with the seed's Lead fields, byte for byte.

The list exists to try ``mergefield render`` on something that looks like a real CRM export:
a ``ProspectID`` and the 40 fields of the seed's Lead table (``Source`` and ``Score`` are the
record keys of ``Source Lead`` and ``Score Lead``), about 10% of names outside ASCII, about 5%
of values empty, notes full of URL-reserved characters (``& = + # / ? %``) and a few with line
breaks.  Everything comes from ``random.Random(20261126)`` and fixed dates, never the clock, so
running ``python examples/generate_leads.py`` rewrites the committed file unchanged (a test
holds it to that).  ``--count`` and ``--output`` make other sizes, e.g. for benchmarks.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
import uuid
from pathlib import Path

SEED = 20261126
"""The seed of the generator; change it and the committed leads.csv changes."""

COLUMNS = (
    "ProspectID",
    "FirstName",
    "LastName",
    "EmailAddress",
    "Source",
    "Notes",
    "Phone",
    "Mobile",
    "Website",
    "Company",
    "JobTitle",
    "Score",
    "CreatedOn",
    "ModifiedOn",
    "LeadConversionDate",
    "mx_Street1",
    "mx_Street2",
    "mx_City",
    "mx_State",
    "mx_Country",
    "mx_Zip",
    "OwnerIdName",
    "OwnerIdEmailAddress",
    "CreatedByName",
    "ModifiedByName",
    "SourceCampaign",
    "SourceContent",
    "EngagementScore",
    "Revenue",
    "TwitterId",
    "FacebookId",
    "LinkedInId",
    "SkypeId",
    "GtalkId",
    "GooglePlusId",
    "PhotoUrl",
    "CurrentOptInStatus",
    "OptInDate",
    "OptInDetails",
    "LastOptInEmailSentDate",
    "LeadAge",
)
"""The CSV header: the lead's id, then one column per record key of the seed's Lead table."""

ASCII_FIRST = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "Priya",
    "Rahul",
    "Aisha",
    "Omar",
    "Wei",
    "Mei",
    "Kenji",
    "Yuki",
    "Carlos",
    "Ana",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Arjun",
    "Sneha",
    "Fatima",
    "Tom",
    "Sara",
    "Ivan",
)
ASCII_LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Sharma",
    "Patel",
    "Khan",
    "Chen",
    "Wang",
    "Tanaka",
    "Sato",
    "Silva",
    "Santos",
    "Nguyen",
    "Kim",
    "O'Brien",
    "Lee",
    "Walker",
    "Reddy",
    "Iyer",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Lopez",
)
# Names a CRM really holds: accents, other scripts, and one character outside the BMP.
UNICODE_FIRST = (
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Ñusta",
    "François",
    "Jürgen",
    "Дмитрий",
    "Анна",
    "अनिल",
    "प्रिया",
    "محمد",
    "فاطمة",
    "李",
    "王芳",
    "さくら",
    "지민",
    "Ελένη",
    "Ægir",
)
UNICODE_LAST = (
    "Müller",
    "García",
    "Nuñez",
    "Øster",
    "Świątek",
    "Döring",
    "Иванов",
    "Петрова",
    "शर्मा",
    "العلي",
    "陈",
    "山田",
    "김",
    "Παπαδόπουλος",
    "Çelik",
    "Đorđević",
    "Ó Súilleabháin",
    "𠜎田",
)
SOURCES = (
    "Organic Search",
    "Direct Traffic",
    "Referral",
    "Paid Search",
    "Social Media",
    "Email Campaign",
    "Trade Show",
    "Inbound Call",
)
COMPANIES = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark & Sons",
    "Wayne Ent.",
    "Hooli",
    "Vandelay Import/Export",
    "Tata Consultancy",
    "Soylent, Inc.",
)
TITLES = (
    "Sales Manager",
    "CTO",
    "Founder",
    "Marketing Lead",
    "Student",
    "Analyst",
    "VP Sales & Marketing",
    "Engineer",
    "Consultant",
    "Director",
)
CITIES = (
    ("Mumbai", "Maharashtra", "India", "400001"),
    ("Bengaluru", "Karnataka", "India", "560001"),
    ("New York", "NY", "United States", "10001"),
    ("Austin", "TX", "United States", "73301"),
    ("London", "England", "United Kingdom", "EC1A 1BB"),
    ("São Paulo", "SP", "Brazil", "01000-000"),
    ("München", "Bayern", "Germany", "80331"),
    ("Zürich", "ZH", "Switzerland", "8001"),
    ("Tokyo", "Tokyo", "Japan", "100-0001"),
    ("Dubai", "Dubai", "United Arab Emirates", ""),
)
STREETS = (
    "Main St",
    "MG Road",
    "High Street",
    "Rue de la Paix",
    "Hauptstraße",
    "Elm Ave",
    "Park Lane",
    "Avenida Paulista",
    "Station Rd",
    "Church Road",
)
OWNERS = (
    ("Asha Rao", "asha.rao@example.com"),
    ("Ben Ortiz", "ben.ortiz@example.com"),
    ("Chen Li", "chen.li@example.com"),
    ("Dana Weiß", "dana.weiss@example.com"),
)
CAMPAIGNS = ("spring-sale", "webinar_2026", "retarget/q3", "brand+search", "newsletter#12")
CONTENT = ("banner-a", "video 30s", "ebook?v=2", "landing/pricing", "100% free trial")
OPT_IN = ("OptIn", "OptOut", "")
# Notes are where reserved characters live in real exports; a URL template must encode them.
NOTES = (
    "Asked for pricing & a demo",
    "Budget = 10k+ per year",
    "Follow up #2 on Monday",
    "Prefers WhatsApp/SMS over email",
    "Is this the enterprise plan? Wants 20% off",
    "Referred by A+B Partners; call after 5pm",
    'Wrote: "please don\'t call", email only',
    "Tickets: #4411 / #4412 & #4415",
    "Visited /pricing?plan=pro&seats=5 twice",
    "50% discount promised, c/o sales, ok?",
)
EMPTY_RATE = 0.05
UNICODE_RATE = 0.10
MULTILINE_RATE = 0.01
EPOCH = dt.datetime(2024, 1, 1, 9, 0, 0)


def _slug(text: str) -> str:
    kept = "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())
    return kept or "lead"


def _moment(rng: random.Random, after: dt.datetime, days: int) -> dt.datetime:
    return after + dt.timedelta(seconds=rng.randrange(days * 86400))


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def make_lead(rng: random.Random, index: int) -> dict[str, str]:
    """One lead as CSV values (strings), drawn from ``rng`` in a fixed order."""
    if rng.random() < UNICODE_RATE:
        first, last = rng.choice(UNICODE_FIRST), rng.choice(UNICODE_LAST)
    else:
        first, last = rng.choice(ASCII_FIRST), rng.choice(ASCII_LAST)
    city, state, country, zip_code = rng.choice(CITIES)
    owner, owner_email = rng.choice(OWNERS)
    creator = rng.choice(OWNERS)[0]
    modifier = rng.choice(OWNERS)[0]
    created = _moment(rng, EPOCH, 600)
    modified = _moment(rng, created, 90)
    converted = _moment(rng, created, 30)
    opted = _moment(rng, created, 60)
    handle = f"{_slug(first)}.{_slug(last)}{index}"
    note = rng.choice(NOTES)
    if rng.random() < MULTILINE_RATE:
        note += "\nSecond line: call back & confirm"
    mobile = f"+91{rng.randrange(7000000000, 9999999999)}"
    area, exchange = rng.randrange(200, 999), rng.randrange(200, 999)
    phone = f"+1-{area}-{exchange}-{rng.randrange(1000, 9999)}"
    values = {
        "ProspectID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "FirstName": first,
        "LastName": last,
        "EmailAddress": f"{handle}@example.com",
        "Source": rng.choice(SOURCES),
        "Notes": note,
        "Phone": phone,
        "Mobile": mobile,
        "Website": f"https://www.{_slug(last)}{index}.example.org/",
        "Company": rng.choice(COMPANIES),
        "JobTitle": rng.choice(TITLES),
        "Score": str(rng.randrange(0, 500)),
        "CreatedOn": _stamp(created),
        "ModifiedOn": _stamp(modified),
        "LeadConversionDate": _stamp(converted),
        "mx_Street1": f"{rng.randrange(1, 300)} {rng.choice(STREETS)}",
        "mx_Street2": rng.choice(
            ("", f"Apt {rng.randrange(1, 99)}", f"Floor {rng.randrange(1, 30)}")
        ),
        "mx_City": city,
        "mx_State": state,
        "mx_Country": country,
        "mx_Zip": zip_code,
        "OwnerIdName": owner,
        "OwnerIdEmailAddress": owner_email,
        "CreatedByName": creator,
        "ModifiedByName": modifier,
        "SourceCampaign": rng.choice(CAMPAIGNS),
        "SourceContent": rng.choice(CONTENT),
        "EngagementScore": str(rng.randrange(0, 100)),
        "Revenue": f"{rng.randrange(0, 500000) / 100:.2f}",
        "TwitterId": f"@{handle}",
        "FacebookId": handle,
        "LinkedInId": f"in/{handle}",
        "SkypeId": f"live:{handle}",
        "GtalkId": f"{handle}@gmail.example",
        "GooglePlusId": f"+{handle}",
        "PhotoUrl": f"https://cdn.example.com/photos/{index}.jpg?size=128",
        "CurrentOptInStatus": rng.choice(OPT_IN),
        "OptInDate": _stamp(opted),
        "OptInDetails": rng.choice(("Web form", "Imported list", "Double opt-in", "")),
        "LastOptInEmailSentDate": _stamp(_moment(rng, opted, 30)),
        "LeadAge": str(rng.randrange(0, 700)),
    }
    for column in COLUMNS[1:]:
        if rng.random() < EMPTY_RATE:
            values[column] = ""
    return values


def write_leads(path: Path | None, count: int, seed: int = SEED) -> None:
    """Write ``count`` leads as CSV to ``path`` (stdout when None), always the same bytes."""
    rng = random.Random(seed)
    out = sys.stdout if path is None else path.open("w", encoding="utf-8", newline="")
    try:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for index in range(1, count + 1):
            writer.writerow(make_lead(rng, index))
    finally:
        if path is not None:
            out.close()


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python examples/generate_leads.py [--count N] [--output FILE|-]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=10_000, help="how many leads (default 10000)")
    parser.add_argument(
        "--output",
        default=str(Path(__file__).with_name("leads.csv")),
        help="the CSV file to write, - for stdout (default: leads.csv beside this script)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    write_leads(None if args.output == "-" else Path(args.output), args.count, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
