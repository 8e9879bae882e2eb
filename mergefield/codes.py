"""Every diagnostic code mergefield reports, with its severity, meaning, an example and the fix.

This module is the one home of the codes, as Go's ``html/template/error.go`` documents each
``ErrorCode``: `check()`, `compile()`'s `TemplateCompileError`, the connector loader and rules
and the command line take a code's name and severity from here and never spell them themselves
(a test scans the package for code literals elsewhere); the README's code tables are generated
from here (``python tests/tools/make_code_tables.py`` rewrites them, a test holds them equal);
and a test runs every entry's example and expects its code.

**Adding a code is one edit here** plus the place that detects it: add a ``NAME = _code(...)``
entry below (name, severity, group, one-line summary, example, fix), report it where the
problem is found with ``diagnostic(NAME, message, line, column, ...)`` (a template check),
``located(NAME, message, smap, pointer)`` (a connector rule) or ``code=NAME`` (a compile error),
and run ``python tests/tools/make_code_tables.py``.  Nothing else lists codes.  An example is,
by its ``form``: ``template``, a template checked with `check()` in ``kind`` and ``context``;
``set``, lines of ``POINTER: JSON`` that set values of the clean connector
``examples/connectors/sms.json``; ``remove``, the pointer of a value removed from it;
``members``, object members added at the start of its object at ``at``; ``file``, a whole
connector file, saved in ``encoding``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from mergefield._options import Severity
from mergefield.diagnostics import ERROR, WARNING, Diagnostic

__all__ = [
    "CODES",
    "Code",
    "code_table_markdown",
    "diagnostic",
    "explanation",
    "severity",
    "update_readme",
]

Group = Literal["check", "compile", "connector"]
Form = Literal["template", "set", "remove", "members", "file"]
_GROUPS: dict[str, Group] = {"check": "check", "compile": "compile", "connector": "connector"}


@dataclass(frozen=True)
class Code:
    """One diagnostic code: ``name``, ``severity``, a one-line ``summary``, an example, ``fix``.

    ``group`` says who reports it: ``check`` (`check()`'s syntax and name checks), ``compile``
    (a template its kind cannot hold: `compile()` raises, `check()` reports), ``connector``
    (the connector loader and rules).  ``detail`` is an optional longer discussion; ``shown``
    replaces a long ``example`` in the docs; ``form``, ``kind``, ``context``, ``at`` and
    ``encoding`` say how the example is run (see the module docstring).
    """

    name: str
    severity: Severity
    group: Group
    summary: str
    example: str
    fix: str
    detail: str = ""
    shown: str = ""
    form: Form = "template"
    kind: str = "text"
    context: str | None = None
    at: str = ""
    encoding: str = "utf-8"


_CODES: dict[str, Code] = {}


def _code(
    name: str, severity: Severity, group: Group, summary: str, example: str, fix: str, **more: Any
) -> str:
    """Register one code (the arguments are `Code`'s fields) and return its name."""
    if name in _CODES:
        raise ValueError(f"diagnostic code {name!r} registered twice")
    _CODES[name] = Code(name, severity, group, summary, example, fix, **more)
    return name


# --- check(): syntax and names ----------------------------------------------------------------

# The entries keep name, severity and group on one line, a table to read down.
# fmt: off
SYNTAX_ERROR = _code(
    "syntax-error", ERROR, "check",
    "A malformed token; in lax mode it would be sent verbatim.",
    "@{Lead:Phone",
    "complete the token as the message says (here: close it with `}`).",
)
UNKNOWN_RESOURCE = _code(
    "unknown-resource", ERROR, "check",
    "A resource the catalog does not know; the message suggests the closest one.",
    "@{Leed:FirstName,}",
    "use a resource of the catalog, or add yours with `Catalog.from_json`.",
)
CASE_MISMATCH = _code(
    "case-mismatch", ERROR, "check",
    "A resource or field name that differs from a known one only in letter case.",
    "@{lead:firstname,}",
    "write the suggested spelling (names are case-sensitive).",
    detail="The same holds for a field, e.g. `@{Lead:mx_city,}` beside the declared `mx_City`.",
)
RESOURCE_NOT_ALLOWED = _code(
    "resource-not-allowed", ERROR, "check",
    "A known resource that the template's context does not provide.",
    "@{Lead:Phone,}",
    "use an allowed resource, or grant the resource to the context in your catalog when "
    "LeadSquared really provides it there.",
    context="menu",
)
UNKNOWN_FIELD = _code(
    "unknown-field", ERROR, "check",
    "A field its resource does not have; the message suggests the closest one.",
    "@{Lead:FristName,}",
    "use a field of the catalog, an `mx_` Lead custom field, or declare the field.",
)
MISSING_COMMA = _code(
    "missing-comma", WARNING, "check",
    "A token without the comma of LeadSquared's documented form `@{Resource:Field,}`.",
    "@{User:EmailAddress}",
    "add the comma, with a default after it if you have one.",
    detail="It works, but strict rendering fails when the value of a token without a comma "
    "is missing.",
)

# --- compile(): a position the template's kind cannot hold -------------------------------------

URL_SCHEME_SLOT = _code(
    "url-scheme-slot", ERROR, "compile",
    "A merge field stands where the URL scheme is still being written.",
    "http@{Account:Suffix,}://x/",
    "write the scheme and `://` literally and put the field after them, e.g. "
    "`https://@{Account:Host,}/`, or start the URL with `/` or `./` when it is relative; "
    "after a field that starts the URL, write the scheme literally or put `/`, `?` or `#` "
    "before the `:`.",
    detail="As in `go@{Lead:Id,}`, the value could turn the URL into `javascript:` or make a "
    "relative path look like a scheme. The same holds when literal text after a field that "
    "starts the URL goes on with a `:` before any `/`, `?` or `#`, as in "
    "`@{Lead:Website,}:alert(1)` or `@{Account:ShortCode,}://@{Lead:Company,}/`: the value "
    "would end up as the scheme.",
    kind="url",
)
URL_UNSAFE_SCHEME = _code(
    "url-unsafe-scheme", ERROR, "compile",
    "The template's own text starts a URL with `javascript:`, `vbscript:` or `data:`.",
    "javascript:send('@{Lead:Mobile,}')",
    "link to an `http`, `https` or `mailto` URL, or a relative one.",
    detail="In any letter case, with blanks, tabs or line breaks browsers ignore, or spelled "
    "with character references such as `&#106;avascript:`, in a `url` template, a JSON URL "
    "string or an HTML URL attribute: such a URL runs script or inlines a document.",
    kind="url",
)
ENTITY_SLOT = _code(
    "entity-slot", ERROR, "compile",
    "A merge field stands inside a numeric character reference.",
    "<p>&#@{Lead:Code,};</p>",
    "remove the `&#` before the field, or write the whole reference literally.",
    detail="In an `html` template, or before the first `:`, `/`, `?` or `#` of a URL of kind "
    "`url` or `json`: the value would choose the character once the text is read as HTML "
    "(`&#106;` is `j`, so `&#@{...};avascript:` could become `javascript:`).",
    kind="html",
)
JSON_GLUED = _code(
    "json-glued", ERROR, "compile",
    "Outside a JSON string a merge field is glued to other text instead of being a whole value.",
    '{"score": @{Lead:Score,}5}',
    'put the field and the text in one string, e.g. `"id-@{Lead:Id,}"`, or give the field its '
    "own value position.",
    detail="A bare field must follow `:`, `[`, `,` in an array or the start of the document, "
    "and be followed by `,`, `}`, `]` or the end; `tru@{Lead:Flag,}` and `\"id-\"@{Lead:Id,}` "
    "glue it too.",
    kind="json",
)
JSON_BARE_URL = _code(
    "json-bare-url", ERROR, "compile",
    "A merge field stands as a bare JSON value where the document expects a URL.",
    '{"url": @{Lead:Website,}}',
    'quote it, e.g. `{"url": "@{Lead:Website,}"}`, so it is a whole-URL slot.',
    detail='Also `{"links": [@{Lead:Website,}]}` (a key named as in `URL_KEY_WORDS`): it would '
    "be inserted as a JSON string without the scheme filter.",
    kind="json",
)
JSON_KEY_SLOT = _code(
    "json-key-slot", ERROR, "compile",
    "A merge field stands where a JSON object expects a key; JSON keys are strings.",
    "{@{Lead:Field,}: 1}",
    'quote it, e.g. `{"@{Lead:Field,}": 1}`.',
    kind="json",
)
JSON_INVALID = _code(
    "json-invalid", ERROR, "compile",
    "The `json` template is not valid JSON once each merge field is replaced by a neutral "
    "value.",
    '{"name": "@{Lead:FirstName,}" "score": 1}',
    "repair the JSON around the field as the message says.",
    detail="A field counts as `x` inside a string and `0` at a value position; the example "
    "lacks a comma, and `NaN`/`Infinity` are not JSON. The error points at the first offending "
    "character.",
    kind="json",
)
JSON_TOO_DEEP = _code(
    "json-too-deep", ERROR, "compile",
    "The `json` template nests arrays and objects more than 500 levels deep.",
    "[" * 501 + "@{Lead:Score,}" + "]" * 501,
    "flatten the document.",
    detail="The JSON checker cannot prove such a document valid without exhausting the Python "
    "stack.",
    shown="501 `[`, then `@{Lead:Score,}`, then 501 `]`",
    kind="json",
)
HTML_NAME_SLOT = _code(
    "html-name-slot", ERROR, "compile",
    "A merge field stands in a tag or attribute name, or where one is expected.",
    "<a @{Lead:Attr,}>x</a>",
    "write tag and attribute names literally and put the field inside a quoted attribute "
    "value or between tags.",
    detail='Also `<@{Lead:Tag,}>` or `<div data-@{Lead:Key,}="1">`: its value could add tags '
    "or attributes (`onload=...`).",
    kind="html",
)
HTML_UNQUOTED_ATTR = _code(
    "html-unquoted-attr", ERROR, "compile",
    "An attribute value that holds a merge field is not quoted.",
    "<img src=@{Lead:PhotoUrl,}>",
    'quote the attribute, e.g. `<img src="@{Lead:PhotoUrl,}">`.',
    detail="A blank in the value would start another attribute.",
    kind="html",
)
HTML_SCRIPT_SLOT = _code(
    "html-script-slot", ERROR, "compile",
    "A merge field stands inside `<script>`, an `on*` event-handler attribute or `srcdoc`.",
    "<a onclick=\"go('@{Lead:Id,}')\">x</a>",
    'put the value in a quoted `data-*` attribute (`<a data-id="@{Lead:Id,}">`) and read it '
    "from the script.",
    detail="HTML escaping does not make a value safe as code.",
    kind="html",
)
HTML_STYLE_SLOT = _code(
    "html-style-slot", ERROR, "compile",
    "A merge field stands inside `<style>` or a `style` attribute.",
    '<p style="color: @{Lead:Color,}">x</p>',
    'write the styles literally and choose between them with a class, e.g. '
    '`<p class="@{Lead:Tier,}">`.',
    detail="CSS can load URLs and, in old browsers, run script.",
    kind="html",
)
HTML_COMMENT_SLOT = _code(
    "html-comment-slot", ERROR, "compile",
    "A merge field stands inside an HTML comment, `<!...>` or `<?...>`.",
    "<!-- @{Lead:Id,} -->",
    "remove the field from the comment, or move it out into the text.",
    detail="A value with `-->` would end the comment early.",
    kind="html",
)
HTML_UNCLOSED = _code(
    "html-unclosed", ERROR, "compile",
    "The `html` template ends inside a tag, an attribute value, a comment or a `<script>`, "
    "`<style>`, `<title>` or `<textarea>` element.",
    '<a href="@{Lead:Website,}',
    'close what the message names (`"`, `>`, `-->` or the end tag).',
    detail="Whatever follows the template in a page would be read in that state.",
    kind="html",
)

# --- connectors: loading (the file cannot become a connector) -----------------------------------

NOT_UTF8 = _code(
    "not-utf8", ERROR, "connector",
    "The file's bytes are not UTF-8 (a leading UTF-8 BOM is skipped).",
    '{"basic": {"name": "Café"}}',
    "save the file as UTF-8.",
    form="file", encoding="latin-1",
)
JSON_SYNTAX = _code(
    "json-syntax", ERROR, "connector",
    "The file is not JSON (`NaN`, `Infinity` and nesting deeper than 64 levels included); one "
    "diagnostic where parsing stopped.",
    '{"basic": }',
    "repair the JSON as the message says.",
    form="file",
)
NUMBER_TOO_LARGE = _code(
    "number-too-large", ERROR, "connector",
    "A number Python cannot hold: an integer over 4,300 digits or a float beyond `1.8e308`.",
    '{"configuration": {"height": 1e400}}',
    "write a number in range.",
    form="file",
)
WRONG_TYPE = _code(
    "wrong-type", ERROR, "connector",
    "A value of the wrong JSON type, such as a string where a number belongs.",
    '/configuration/height: "600"',
    "write the type the message names (here: `600`).",
    form="set",
)
MISSING_KEY = _code(
    "missing-key", ERROR, "connector",
    "A required key is absent; placed at the object that lacks it.",
    "/basic/status",
    "add the key.",
    form="remove",
)
UNKNOWN_KEY = _code(
    "unknown-key", ERROR, "connector",
    "A key the format does not have, often a typo; placed at the key.",
    '/basic/nmae: "TextBridge"',
    "use the key the message suggests, or remove it.",
    form="set",
)

# --- connectors: rules ------------------------------------------------------------------------

DUPLICATE_KEY = _code(
    "duplicate-key", ERROR, "connector",
    "A key repeated in one object; JSON keeps only the last.",
    '"status": "Live"',
    "remove one of the two.",
    form="members", at="/basic",
)
EMPTY_TEXT = _code(
    "empty-text", ERROR, "connector",
    "A required text (a title, a label, a template, an image reference) is the empty string.",
    '/marketplace/detailed_description: ""',
    "write the text.",
    form="set",
)
NAME_TOO_LONG = _code(
    "name-too-long", ERROR, "connector",
    "The connector name has more than 20 characters.",
    '/basic/name: "TextBridge SMS for LeadSquared"',
    "shorten the name.",
    form="set",
)
DESCRIPTION_TOO_LONG = _code(
    "description-too-long", ERROR, "connector",
    "The description has more than 200 characters.",
    '/basic/description: "' + "SMS for leads. " * 14 + '"',
    "shorten the description; the marketplace's detailed description has room for more.",
    shown='`/basic/description: "SMS for leads. SMS for leads. ..."` (210 characters)',
    form="set",
)
UNKNOWN_CATEGORY = _code(
    "unknown-category", WARNING, "connector",
    "A category outside the marketplace's categories (`CATEGORIES`).",
    '/basic/category: "Texting"',
    "choose one of `CATEGORIES`.",
    form="set",
)
BAD_VERSION = _code(
    "bad-version", ERROR, "connector",
    "The version does not look like `v<major>.<minor>` (`v1.0`, `v2.1`).",
    '/basic/version: "1.0"',
    "write it as `v1.0`.",
    form="set",
)
BAD_STATUS = _code(
    "bad-status", ERROR, "connector",
    "The status is not one of `STATUSES`.",
    '/basic/status: "Beta"',
    "choose one of `STATUSES`.",
    form="set",
)
BAD_CHOICE = _code(
    "bad-choice", ERROR, "connector",
    "A UI area, action type or show-on value that is not allowed.",
    '/lead_tabs/0/show_on: ["desktop"]',
    "choose one of the values the message lists.",
    form="set",
)
EMPTY_LIST = _code(
    "empty-list", ERROR, "connector",
    "No roles, or no app to show an item in.",
    "/lead_tabs/0/show_on: []",
    "choose at least one.",
    form="set",
)
DUPLICATE_ITEM = _code(
    "duplicate-item", ERROR, "connector",
    "A role or app listed twice.",
    '/lead_tabs/0/show_on: ["web", "web"]',
    "list it once.",
    form="set",
)
BAD_LINK = _code(
    "bad-link", ERROR, "connector",
    "A help, support or video link that is not an absolute http(s) URL without blanks.",
    '/marketplace/help_url: "sms.example.com/docs"',
    "write the whole URL, e.g. `https://sms.example.com/docs`.",
    form="set",
)
IMAGE_TOO_LARGE = _code(
    "image-too-large", ERROR, "connector",
    "The logo or a description image is over 20 KB (20,480 bytes).",
    '/marketplace/logo: "images/too-large.png"',
    "compress or shrink the image.",
    form="set",
)
TOO_MANY_IMAGES = _code(
    "too-many-images", ERROR, "connector",
    "More than 5 description images.",
    '/marketplace/images: ["images/screen-1-compose.png", "images/screen-2-bulk.png", '
    '"images/screen-3-inbox.png", "images/screen-1-compose.png", "images/screen-2-bulk.png", '
    '"images/screen-3-inbox.png"]',
    "keep the 5 best.",
    shown="`/marketplace/images` set to a list of 6 images",
    form="set",
)
IMAGE_DIMENSIONS = _code(
    "image-dimensions", WARNING, "connector",
    "The logo is not 110x110 pixels, or a description image not 655x376.",
    '/marketplace/logo: "images/screen-1-compose.png"',
    "resize the image to the preferred size.",
    form="set",
)
IMAGE_NOT_FOUND = _code(
    "image-not-found", ERROR, "connector",
    "An image path that names no file.",
    '/marketplace/logo: "images/missing.png"',
    "fix the path; it is relative to the connector file's folder.",
    form="set",
)
IMAGE_PATH = _code(
    "image-path", ERROR, "connector",
    "An image reference that is an absolute path, a URL, or a path leaving the connector's "
    "folder.",
    '/marketplace/logo: "../../etc/passwd"',
    "put the image beside the connector file, or embed it as a `data:` URI.",
    form="set",
)
IMAGE_UNREADABLE = _code(
    "image-unreadable", ERROR, "connector",
    "Bytes Pillow cannot read as an image, a bad `data:` URI, or not a regular file.",
    '/marketplace/logo: "data:image/png;base64,not-base64!"',
    "use a PNG, JPEG or GIF file, or a valid base64 `data:` URI.",
    form="set",
)
SCREEN_TOO_SMALL = _code(
    "screen-too-small", ERROR, "connector",
    "The configuration screen is under 500 (height) x 950 (width) pixels.",
    "/configuration/height: 400",
    "make the screen at least 500 x 950.",
    form="set",
)
BAD_SIZE = _code(
    "bad-size", ERROR, "connector",
    "A popup dimension under 1 pixel.",
    "/automation_actions/0/popup_height: 0",
    "give the popup a real size.",
    form="set",
)
METHOD_NOT_ALLOWED = _code(
    "method-not-allowed", ERROR, "connector",
    "A method other than GET or POST, or other than POST for an automation action.",
    '/events/enable/method: "PUT"',
    "use GET or POST (POST for automation actions).",
    form="set",
)
CONTENT_TYPE = _code(
    "content-type", ERROR, "connector",
    "A content type other than `application/json`.",
    '/events/installation/content_type: "text/xml"',
    "send JSON with `application/json`.",
    form="set",
)
BODY_IGNORED = _code(
    "body-ignored", WARNING, "connector",
    "A body on a GET request, which is never sent.",
    '/events/enable/body: "{}"',
    "use POST, or remove the body.",
    form="set",
)
ACTION_FIELD_MISSING = _code(
    "action-field-missing", ERROR, "connector",
    "A field the grid action's type requires is absent.",
    "/grid_actions/2/web_url",
    "add the field the message names.",
    form="remove",
)
ACTION_FIELD_UNUSED = _code(
    "action-field-unused", WARNING, "connector",
    "A field the grid action's type does not use.",
    '/grid_actions/2/method: "GET"',
    "remove the field, or change the action type.",
    form="set",
)
DUPLICATE_LABEL = _code(
    "duplicate-label", WARNING, "connector",
    "Two grid actions of one area, two menu items, automation actions or lead tabs share a name.",
    '/grid_actions/1/area: "row"\n/grid_actions/1/label: "Send SMS"',
    "give each its own name.",
    detail="Grid actions clash only within one area.",
    form="set",
)
# fmt: on

CODES: Mapping[str, Code] = MappingProxyType(_CODES)
"""Every diagnostic code by name, in the order of the README's tables."""


def severity(code: str) -> Severity:
    """The severity of ``code`` (``"error"`` or ``"warning"``); KeyError for an unknown code."""
    return CODES[code].severity


def diagnostic(
    code: str,
    message: str,
    line: int,
    column: int,
    offset: int = 0,
    end: int = 0,
    path: str | None = None,
) -> Diagnostic:
    """A `Diagnostic` of ``code`` with the code's registered severity; KeyError for a code that
    is not registered, so that no unregistered code ever reaches a user."""
    return Diagnostic(code, CODES[code].severity, message, line, column, offset, end, path)


def _shown(code: Code) -> str:
    """How the docs show ``code``'s example."""
    if code.shown:
        return code.shown
    text = _span(code.example)
    if code.form == "template":
        article = "an" if code.kind[0] in "aeiouh" else "a"
        kind = f" in {article} `{code.kind}` template" if code.kind != "text" else ""
        context = f" in the `{code.context}` context" if code.context else ""
        return text + kind + context
    if code.form == "set":
        return " and ".join(_span(line) for line in code.example.splitlines())
    if code.form == "remove":
        return f"{text} removed"
    if code.form == "members":
        return f"{text} added to `{code.at}`"
    if code.form == "file":
        saved = f", saved as {code.encoding.capitalize()}" if code.encoding != "utf-8" else ""
        return f"the file {text}{saved}"
    return text


def _span(text: str) -> str:
    # A code span is fenced with more backticks than it holds and may not hold a raw `|` in a
    # GFM table.
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def explanation(code: str) -> str:
    """What ``code`` means, its example and its fix, as one paragraph (Go ``html/template``
    style): the text of `mergefield.escaping.ERROR_CODES`."""
    entry = CODES[code]
    detail = f" {entry.detail}" if entry.detail else ""
    return f"{entry.summary} Example: {_shown(entry)}.{detail} Fix: {_sentence(entry.fix)}"


def code_table_markdown(group: Group) -> str:
    """The README table of ``group``'s codes: code, severity, meaning, example, fix."""
    lines = ["| code | severity | meaning | example | fix |", "|---|---|---|---|---|"]
    for entry in CODES.values():
        if entry.group == group:
            meaning = entry.summary + (f" {entry.detail}" if entry.detail else "")
            lines.append(
                f"| `{entry.name}` | {entry.severity} | {meaning} | {_shown(entry)} "
                f"| {_sentence(entry.fix)} |"
            )
    return "\n".join(lines) + "\n"


_TABLE = re.compile(r"(<!-- codes: (\w+) -->\n)(.*?)(<!-- end of codes -->)", re.S)


def update_readme(text: str) -> str:
    """``text`` with every generated code table (between ``<!-- codes: GROUP -->`` and
    ``<!-- end of codes -->``) replaced by `code_table_markdown` of its group."""

    def table(match: re.Match[str]) -> str:
        group = _GROUPS.get(match.group(2))
        if group is None:
            raise ValueError(f"no code group {match.group(2)!r}")
        return f"{match.group(1)}\n{code_table_markdown(group)}\n{match.group(4)}"

    return _TABLE.sub(table, text)
