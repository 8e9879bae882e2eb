"""Connector.check(): the seed's limits, images from real bytes, templates in context, positions."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("jsonschema")
pytest.importorskip("PIL")

from PIL import Image

import mergefield.connector as mc
from mergefield.connector import check_file, check_text, load
from mergefield.connector.sourcemap import parse

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "connectors"
SMS = EXAMPLES / "sms.json"
BROKEN = EXAMPLES / "broken.json"


def test_sms_example_is_clean() -> None:
    assert load(SMS).check() == []
    assert check_file(SMS) == []


# Every diagnostic of broken.json: code, severity, JSON pointer, line, column.  The template
# ones point at the character inside the JSON string, past its escapes (\" and \u00e9).
BROKEN_EXPECTED = [
    ("name-too-long", "error", "/basic/name", 4, 13),
    ("unknown-category", "warning", "/basic/category", 6, 17),
    ("bad-version", "error", "/basic/version", 7, 16),
    ("bad-status", "error", "/basic/status", 8, 15),
    ("bad-link", "error", "/marketplace/help_url", 11, 17),
    ("image-dimensions", "warning", "/marketplace/logo", 14, 13),
    ("image-not-found", "error", "/marketplace/images/2", 18, 7),
    ("image-path", "error", "/marketplace/images/3", 19, 7),
    ("image-unreadable", "error", "/marketplace/images/4", 20, 7),
    ("too-many-images", "error", "/marketplace/images/5", 21, 7),
    ("screen-too-small", "error", "/configuration/height", 26, 15),
    ("screen-too-small", "error", "/configuration/width", 27, 14),
    ("resource-not-allowed", "error", "/events/installation/url", 31, 52),
    ("method-not-allowed", "error", "/events/installation/method", 32, 17),
    ("content-type", "error", "/events/installation/content_type", 33, 23),
    ("duplicate-key", "error", "/events/enable/method", 38, 7),
    ("body-ignored", "warning", "/events/enable/body", 39, 15),
    ("action-field-missing", "error", "/grid_actions/0/help_url", 43, 5),
    ("action-field-missing", "error", "/grid_actions/0/popup_title", 43, 5),
    ("duplicate-item", "error", "/grid_actions/0/show_on/1", 46, 26),
    ("empty-list", "error", "/grid_actions/0/roles", 47, 16),
    ("bad-choice", "error", "/grid_actions/1/area", 53, 15),
    ("missing-comma", "warning", "/grid_actions/1/url", 57, 68),
    ("unknown-field", "error", "/grid_actions/1/body", 59, 34),
    ("action-field-missing", "error", "/grid_actions/2/web_url", 61, 5),
    ("bad-choice", "error", "/grid_actions/2/show_on/0", 64, 19),
    ("action-field-unused", "warning", "/grid_actions/2/url", 67, 7),
    ("bad-size", "error", "/automation_actions/0/popup_height", 76, 23),
    ("resource-not-allowed", "error", "/automation_actions/0/execution_url", 79, 64),
    ("method-not-allowed", "error", "/automation_actions/0/method", 80, 17),
    ("syntax-error", "error", "/lead_tabs/0/iframe_url", 87, 71),
]


def test_broken_example_diagnostics_are_pinned() -> None:
    found = check_file(BROKEN)
    assert [(d.code, d.severity, d.path, d.line, d.column) for d in found] == BROKEN_EXPECTED
    assert load(BROKEN).check() == found


def test_broken_template_positions_land_inside_the_string() -> None:
    text = BROKEN.read_text("utf-8")
    by_code = {d.code: d for d in check_file(BROKEN)}
    assert text[by_code["unknown-field"].offset : by_code["unknown-field"].end] == "Mobil"
    assert text[by_code["syntax-error"].offset] == "@"
    assert (
        text[by_code["resource-not-allowed"].offset : by_code["resource-not-allowed"].end] == "Lead"
    )
    assert text[by_code["name-too-long"].offset] == '"'


def test_every_diagnostic_line_and_column_agree_with_its_offset() -> None:
    text = BROKEN.read_text("utf-8")
    for d in check_file(BROKEN):
        before = text[: d.offset]
        assert d.line == before.count("\n") + 1
        assert d.column == d.offset - (before.rfind("\n") + 1) + 1


def test_templates_are_checked_in_their_own_context_and_kind() -> None:
    found = {(p, ctx, kind) for p, _, ctx, kind in mc.templates(load(SMS))}
    assert ("/configuration/iframe_url", "configuration", "url") in found
    assert ("/events/installation/url", "events", "url") in found
    assert ("/events/installation/body", "events", "json") in found
    assert ("/grid_actions/0/iframe_url", "grid", "url") in found
    assert ("/grid_actions/1/body", "grid", "json") in found
    assert ("/grid_actions/2/web_url", "grid", "url") in found
    assert ("/menu/0/iframe_url", "menu", "url") in found
    assert ("/automation_actions/0/execution_url", "automation", "url") in found
    assert ("/automation_actions/0/body", "automation", "json") in found
    assert ("/lead_tabs/0/iframe_url", "lead_tab", "url") in found


def test_a_lead_field_is_fine_in_a_lead_tab_but_not_in_the_menu() -> None:
    data = json.loads(SMS.read_text("utf-8"))
    data["menu"][0]["iframe_url"] = "https://x/?m=@{Lead:Mobile,}"
    data["lead_tabs"][0]["iframe_url"] = "https://x/?m=@{Lead:Mobile,}"
    found = check_text(json.dumps(data, indent=2), base_dir=EXAMPLES)
    assert [(d.code, d.path) for d in found] == [("resource-not-allowed", "/menu/0/iframe_url")]


# --- positions through escapes ------------------------------------------------------------------


@given(st.text(st.characters(codec="utf-16", exclude_categories=()), max_size=20), st.booleans())
def test_string_offsets_map_every_character_through_any_escapes(
    prefix: str, ascii_only: bool
) -> None:
    value = prefix + "@{Lead:Nope,}"
    text = json.dumps({"k": [value]}, ensure_ascii=ascii_only)
    decoded, smap = parse(text)
    assert decoded == {"k": [value]}
    offsets = smap.string_offsets("/k/0")
    assert offsets is not None and len(offsets) == len(value) + 1
    # Each decoded character begins at its own escape or literal in the file.
    for i, ch in enumerate(value):
        piece = text[offsets[i] : offsets[i + 1]]
        assert json.loads(f'"{piece}"') == ch
    assert text[offsets[len(prefix)]] == "@"


def test_surrogate_pair_escape_is_one_character() -> None:
    text = '{"a": "\\ud83d\\ude00@{x"}'
    _, smap = parse(text)
    assert smap.string_offsets("/a") == [7, 19, 20, 21, 22]
    lone = '{"a": "\\ud83d@"}'
    _, smap = parse(lone)
    assert smap.string_offsets("/a") == [7, 13, 14]


def test_pointer_tokens_are_escaped_and_keys_located() -> None:
    text = '{"a/b": {"m~n": 1}, "x": [true, null]}'
    _, smap = parse(text)
    assert smap.value_offset("/a~1b/m~0n") == (16, 17)
    assert smap.key_offset("/a~1b/m~0n") == (9, 14)
    assert smap.value_offset("/x/1") == (32, 36)
    assert smap.value_offset("/x/9") == (25, 37)  # a missing item: its array


# --- images ---------------------------------------------------------------------------------------


def png(width: int, height: int, *, noise: int = 0) -> bytes:
    image = Image.new("RGB", (width, height), (10, 120, 220))
    if noise:
        image.frombytes(os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def connector_with_images(tmp_path: Path, logo: str, images: list[str]) -> Path:
    data = json.loads(SMS.read_text("utf-8"))
    data["marketplace"]["logo"] = logo
    data["marketplace"]["images"] = images
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data, indent=2), "utf-8")
    return path


def image_codes(path: Path) -> list[tuple[str, str | None]]:
    return [(d.code, d.path) for d in check_file(path)]


def test_image_sizes_come_from_the_real_bytes(tmp_path: Path) -> None:
    (tmp_path / "logo.jpg").write_bytes(png(110, 110))  # a PNG named .jpg: bytes win
    (tmp_path / "shot.png").write_bytes(png(655, 376))
    (tmp_path / "small.png").write_bytes(png(300, 200))
    uri = "data:image/png;base64," + base64.b64encode(png(655, 376)).decode()
    path = connector_with_images(tmp_path, "logo.jpg", ["shot.png", uri, "small.png"])
    assert image_codes(path) == [("image-dimensions", "/marketplace/images/2")]


def test_images_over_20_kb_are_errors_at_20481_bytes(tmp_path: Path) -> None:
    big = png(110, 110, noise=1)
    assert len(big) > 20 * 1024
    (tmp_path / "big.png").write_bytes(big)
    exact = png(110, 110)
    (tmp_path / "exact.png").write_bytes(exact + b"\0" * (20 * 1024 - len(exact)))
    (tmp_path / "over.png").write_bytes(exact + b"\0" * (20 * 1024 + 1 - len(exact)))
    path = connector_with_images(tmp_path, "big.png", ["exact.png", "over.png"])
    found = image_codes(path)
    assert ("image-too-large", "/marketplace/logo") in found
    assert ("image-too-large", "/marketplace/images/1") in found
    assert ("image-too-large", "/marketplace/images/0") not in found


def test_unreadable_and_escaping_images(tmp_path: Path) -> None:
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "dir.png").mkdir()
    refs = ["text.png", "dir.png", "/etc/hostname", "https://x/logo.png", "a\0b.png", "data:,x"]
    path = connector_with_images(tmp_path, "missing.png", refs)
    assert [c for c, _ in image_codes(path)] == [
        "image-not-found",
        "image-unreadable",
        "image-unreadable",
        "image-path",
        "image-path",
        "image-path",
        "image-unreadable",
        "too-many-images",
    ]


def test_decompression_bomb_header_is_measured_not_decoded(tmp_path: Path) -> None:
    # A tiny PNG whose header declares 100,000 x 100,000 pixels.
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    (tmp_path / "bomb.png").write_bytes(bomb)
    path = connector_with_images(tmp_path, "bomb.png", [])
    # Pillow refuses the header before decoding anything; the refusal is the diagnostic.
    assert [c for c, _ in image_codes(path)] == ["image-unreadable"]


# --- connectors built in code ---------------------------------------------------------------------


def test_connector_built_in_code_is_checked_against_its_canonical_dump() -> None:
    c = mc.Connector(mc.Basic("A connector name too long", "d", "SMS", "v1.0", "Live"))
    (d,) = c.check()
    assert (d.code, d.path, d.line, d.column) == ("name-too-long", "/basic/name", 3, 13)


def test_replaced_connector_does_not_reuse_stale_positions() -> None:
    import dataclasses

    c = load(SMS)
    changed = dataclasses.replace(c, basic=dataclasses.replace(c.basic, status="Gone"))
    (d,) = changed.check(base_dir=EXAMPLES)
    assert d.code == "bad-status"
    assert mc.dumps(changed).splitlines()[d.line - 1].lstrip().startswith('"status"')


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_automation_is_post_only(method: str) -> None:
    data = json.loads(SMS.read_text("utf-8"))
    data["automation_actions"][0]["method"] = method
    found = check_text(json.dumps(data), base_dir=EXAMPLES)
    assert [(d.code, d.path) for d in found] == [
        ("method-not-allowed", "/automation_actions/0/method")
    ]


def test_a_body_that_is_not_json_is_reported_inside_the_string() -> None:
    data = json.loads(SMS.read_text("utf-8"))
    data["grid_actions"][1]["body"] = '{"to": @{Lead:Mobile,}'
    data["menu"][0]["iframe_url"] = "http@{User:UserId,}://x"
    text = json.dumps(data, indent=2)
    found = check_text(text, base_dir=EXAMPLES)
    assert [(d.code, d.path) for d in found] == [
        ("json-invalid", "/grid_actions/1/body"),
        ("url-scheme-slot", "/menu/0/iframe_url"),
    ]
    # json.dumps escaped the body's quotes; the place still falls inside the string.
    body_start = text.index('"{\\"to\\": @{Lead:Mobile,}"')
    assert body_start < found[0].offset < body_start + len('"{\\"to\\": @{Lead:Mobile,}"')
    assert text[found[1].offset] == "@"
