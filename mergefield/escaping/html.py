"""Contextual escaping for kind `html`: which encoder each merge field gets, from where it stands.

Like Go's ``html/template`` (its context, transition and escaper design, rewritten here), a small
state machine walks the template's literal text once at compile time, following the HTML
tokenizer far enough to know, at every token, whether it stands in text, in RCDATA (``<title>``,
``<textarea>``), in a quoted attribute value (and what kind of attribute: plain, URL, ``srcset``,
``<meta http-equiv=refresh>`` ``content``), or somewhere no encoder can make safe: a tag or
attribute name, an unquoted value, ``<script>``, ``<style>``, an ``on*``, ``style`` or ``srcdoc``
attribute, a comment, a character reference.  Inside URL attributes it runs the shared URL
machine (`mergefield.escaping.url`) over the entity-decoded text, so the URL rules of kind `url`
hold there too.  The pass is linear: each step either consumes text or hands it to a regex.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from mergefield import codes
from mergefield.errors import TemplateCompileError
from mergefield.escaping import url as um

__all__ = [
    "URL_ATTRIBUTES",
    "URL_VALUE_KINDS",
    "attribute_kind",
    "classify_html",
]

#: Attributes whose value is one URL (namespace prefix such as ``xlink:`` dropped first).  Any
#: other attribute whose name, without a ``data-`` prefix, contains ``src``, ``uri`` or ``url`` is
#: a URL too (``data-src``, ``imageurl``), as Go's html/template guesses.
URL_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "action",
        "archive",
        "background",
        "cite",
        "classid",
        "codebase",
        "data",
        "formaction",
        "href",
        "icon",
        "longdesc",
        "manifest",
        "ping",
        "poster",
        "profile",
        "src",
        "usemap",
        "xmlns",
    }
)

# Where the machine is between two characters of the literal text.
(
    _TEXT,
    _TAG_NAME,
    _IN_TAG,
    _ATTR_NAME,
    _AFTER_NAME,
    _BEFORE_VALUE,
    _QUOTED,
    _UNQUOTED,
    _COMMENT,
    _BOGUS,
    _RAW,
    _LT,
    # `</` right before a token or the end: a bogus comment unless the token starts a name,
    # which is an error either way.
    _LT_SLASH_PENDING,
) = range(13)

# What an attribute value holds.
_PLAIN, _URL, _SRCSET, _REFRESH, _SCRIPT, _STYLE = range(6)

#: The `attribute_kind` results whose value holds URLs (one, a srcset, a refresh ``content``).
URL_VALUE_KINDS: frozenset[int] = frozenset({_URL, _SRCSET, _REFRESH})

# What the text of an element that is not parsed as markup is: code (a token there is an
# error), RCDATA and raw text (escaped as text: the value cannot write the end tag's `<`).
# `<noscript>` is left out on purpose: with scripting off, browsers parse it as markup, so the
# machine must see the tags inside it.
_RAW_KINDS = {
    "script": codes.HTML_SCRIPT_SLOT,
    "style": codes.HTML_STYLE_SLOT,
    "title": "",
    "textarea": "",
    "xmp": "",
    "iframe": "",
    "noembed": "",
    "noframes": "",
}

_FOREIGN = frozenset({"svg", "math"})
_SPACE = "\t\n\f\r "
_SKIP_SPACE = re.compile(r"[\t\n\f\r ]*")
_SKIP_IN_TAG = re.compile(r"[\t\n\f\r /]*")
_TAG_NAME_CHARS = re.compile(r"[^\t\n\f\r />]*")
_ATTR_NAME_CHARS = re.compile(r"[^\t\n\f\r />=]*")
_UNQUOTED_CHARS = re.compile(r"[^\t\n\f\r >]*")
_COMMENT_END = re.compile(r"--!?>")
_REFRESH_TAG = re.compile(r"http-equiv[\t\n\f\r ]*=[\t\n\f\r ]*[\"']?[\t\n\f\r ]*refresh", re.I)
_REFRESH_DELAY = re.compile(
    r"[\t\n\f\r ]*[0-9.]*[\t\n\f\r ]*[;,][\t\n\f\r ]*(?:url[\t\n\f\r ]*=[\t\n\f\r ]*)?[\"']?",
    re.I,
)

_URL_ENCODER = {state: "html_url_" + part for state, part in um.PART.items()}
_URL_ENCODER[um.START] = "html_url"


def attribute_kind(tag: str, name: str) -> int:
    """What the value of attribute ``name`` (lowercase) of element ``tag`` holds."""
    if name.startswith("on") or name == "srcdoc":
        return _SCRIPT
    if name == "style":
        return _STYLE
    prefix, colon, local = name.partition(":")
    if colon:
        if prefix == "xmlns":
            return _URL
        name = local
    if name == "srcset":
        return _SRCSET
    if tag == "meta" and name == "content":
        return _REFRESH
    if name in URL_ATTRIBUTES:
        return _URL
    bare = name[5:] if name.startswith("data-") else name
    return _URL if ("src" in bare or "uri" in bare or "url" in bare) else _PLAIN


def _error(code: str, message: str, source: str, start: int, end: int) -> TemplateCompileError:
    return TemplateCompileError(message, source, start, end, code=code)


class _Machine:
    """The HTML tokenizer states kind `html` needs, advanced over literal text between tokens."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.state = _TEXT
        self.opened = 0  # where the construct the machine is in began (for html-unclosed)
        self.tag = ""
        self.end_tag = False
        self.raw_end: re.Pattern[str] | None = None
        self.raw_code = ""
        self.foreign = 0  # how many <svg> and <math> elements are open
        self.attr = ""
        self.kind = _PLAIN
        self.quote = ""
        self.value_start = 0
        # Inside a URL-like value: the URL machine's state, -1 before the URL starts (in a
        # refresh delay or between srcset candidates), and whether the literal start of the
        # current URL has been checked for an unsafe scheme.
        self.url_state = -1
        self.url_start = 0
        self.checked = False
        self.in_descriptor = False
        self.whole = (0, 0)

    # -- literal text ---------------------------------------------------------------------------

    def advance(self, i: int, stop: int) -> None:
        """Consume ``source[i:stop]``, literal text that holds no token."""
        source = self.source
        while i < stop:
            state = self.state
            if state == _TEXT:
                i = source.find("<", i, stop)
                if i < 0:
                    return
                self.opened = i
                self.state = _LT
                i += 1
            elif state == _LT:
                i = self._after_lt(i, stop)
            elif state == _TAG_NAME:
                j = _TAG_NAME_CHARS.match(source, i, stop).end()  # type: ignore[union-attr]
                self.tag += source[i:j].lower()
                i = j
                if i < stop:
                    self.state = _IN_TAG
            elif state == _IN_TAG:
                i = _SKIP_IN_TAG.match(source, i, stop).end()  # type: ignore[union-attr]
                if i == stop:
                    return
                if source[i] == ">":
                    self._close_tag(i)
                    i += 1
                else:
                    self.state, self.attr = _ATTR_NAME, source[i].lower()
                    i += 1
            elif state == _ATTR_NAME:
                j = _ATTR_NAME_CHARS.match(source, i, stop).end()  # type: ignore[union-attr]
                self.attr += source[i:j].lower()
                i = j
                if i < stop:
                    self.state = _AFTER_NAME
            elif state == _AFTER_NAME:
                i = _SKIP_SPACE.match(source, i, stop).end()  # type: ignore[union-attr]
                if i == stop:
                    return
                if source[i] == "=":
                    self.state = _BEFORE_VALUE
                    i += 1
                else:
                    self.state = _IN_TAG
            elif state == _BEFORE_VALUE:
                i = _SKIP_SPACE.match(source, i, stop).end()  # type: ignore[union-attr]
                if i == stop:
                    return
                if source[i] == ">":
                    self.state = _IN_TAG
                else:
                    self._open_value(i)
                    if source[i] in "\"'":
                        i += 1
            elif state == _QUOTED:
                close = source.find(self.quote, i, stop)
                self._value_text(i, stop if close < 0 else close)
                if close < 0:
                    return
                self.state = _IN_TAG
                i = close + 1
            elif state == _UNQUOTED:
                j = _UNQUOTED_CHARS.match(source, i, stop).end()  # type: ignore[union-attr]
                self._value_text(i, j)
                i = j
                if i < stop:
                    self.state = _IN_TAG
            elif state == _COMMENT:
                m = _COMMENT_END.search(source, i, stop)
                if m is None:
                    return
                self.state, i = _TEXT, m.end()
            elif state == _BOGUS:
                j = source.find(">", i, stop)
                if j < 0:
                    return
                self.state, i = _TEXT, j + 1
            else:  # _RAW
                assert self.raw_end is not None
                m = self.raw_end.search(source, i, stop)
                if m is None:
                    return
                self.opened = m.start()
                self.state, self.tag, self.end_tag = _IN_TAG, m.group(1).lower(), True
                i = m.end(1)

    def _after_lt(self, i: int, stop: int) -> int:
        """Decide what a `<` at ``i - 1`` opens, peeking at the text after it."""
        source = self.source
        ch = source[i]
        if ch.isascii() and ch.isalpha():
            self.state, self.tag, self.end_tag = _TAG_NAME, "", False
            return i
        if ch == "!":
            if source.startswith("--", i + 1) and i + 3 <= stop:
                i += 3
                # `<!-->` and `<!--->` are whole (empty) comments.
                for shortcut in (">", "->"):
                    if source.startswith(shortcut, i) and i + len(shortcut) <= stop:
                        self.state = _TEXT
                        return i + len(shortcut)
                self.state = _COMMENT
                return i
            self.state = _BOGUS
            return i + 1
        if ch == "?":
            self.state = _BOGUS
            return i + 1
        if ch == "/":
            nxt = source[i + 1 : i + 2] if i + 1 < stop else ""
            if nxt.isascii() and nxt.isalpha():
                self.state, self.tag, self.end_tag = _TAG_NAME, "", True
                return i + 1
            if nxt == ">":
                self.state = _TEXT
                return i + 2
            self.state = _BOGUS if nxt else _LT_SLASH_PENDING
            return i + 1
        self.state = _TEXT
        return i

    def _close_tag(self, at: int) -> None:
        """The `>` at ``at`` ends the tag: text follows, or the raw text of script, style, ...

        Inside ``<svg>`` or ``<math>`` browsers parse the content of every element but
        ``<script>`` as markup, so only script stays raw there.  Reading markup where a browser
        would read RCDATA is the safe mistake: every encoder of kind `html` escapes text too.
        """
        self.state = _TEXT
        if self.tag in _FOREIGN:
            if self.end_tag:
                self.foreign = max(0, self.foreign - 1)
            elif self.source[at - 1] != "/":
                self.foreign += 1
        if self.end_tag or self.tag not in _RAW_KINDS:
            return
        if self.foreign and self.tag != "script":
            return
        self.raw_code = _RAW_KINDS[self.tag]
        self.raw_end = re.compile(r"</(" + re.escape(self.tag) + r")(?=[\t\n\f\r />])", re.I)
        self.state = _RAW

    # -- attribute values -----------------------------------------------------------------------

    def _open_value(self, i: int) -> None:
        source = self.source
        self.quote = source[i] if source[i] in "\"'" else ""
        self.state = _QUOTED if self.quote else _UNQUOTED
        self.value_start = i + 1 if self.quote else i
        self.kind = attribute_kind(self.tag, self.attr)
        if self.kind == _REFRESH:
            end = source.find(">", source.find(self.quote, i + 1) if self.quote else i)
            tag_text = source[self.opened : end if end >= 0 else len(source)]
            if _REFRESH_TAG.search(tag_text) is None:
                self.kind = _PLAIN
        self.url_state = um.START if self.kind == _URL else -1
        self.url_start = self.value_start
        self.checked = False
        self.in_descriptor = False

    def _value_text(self, i: int, j: int) -> None:
        """Literal text ``source[i:j]`` of the current attribute value."""
        if i == j or self.kind in (_PLAIN, _SCRIPT, _STYLE):
            return
        text = html.unescape(self.source[i:j]) if "&" in self.source[i:j] else self.source[i:j]
        if self.kind == _URL:
            self._url_text(text, i)
        elif self.kind == _REFRESH:
            if self.url_state < 0:
                m = _REFRESH_DELAY.match(text)
                if m is None:
                    return
                self.url_state, self.url_start = um.START, i + m.end()
                text = text[m.end() :]
            self._url_text(text, self.url_start)
        else:
            self._srcset_text(text, i)

    def _url_text(self, text: str, at: int) -> None:
        if not self.checked:
            um.check_literal_scheme(self.source, text, at)
            self.checked = True
        state = um.advance(self.url_state, text, 0, len(text))
        if state == um.SCHEME_CONTINUED:
            raise um.scheme_slot_error(self.source, *self.whole, continued=True)
        self.url_state = state

    def _srcset_text(self, text: str, at: int) -> None:
        """Split a srcset into candidates: a URL (no blanks), blanks, descriptors, a comma."""
        k = 0
        while k < len(text):
            if self.url_state < 0 and not self.in_descriptor:
                while k < len(text) and (text[k] in _SPACE or text[k] == ","):
                    k += 1
                if k == len(text):
                    return
                self.url_state, self.checked = um.START, False
            if self.in_descriptor:
                comma = text.find(",", k)
                if comma < 0:
                    return
                self.in_descriptor, k = False, comma + 1
                continue
            end = k
            while end < len(text) and text[end] not in _SPACE:
                end += 1
            self._url_text(text[k:end], at + k)
            if end < len(text):
                self.url_state, self.in_descriptor = -1, True
            k = end

    # -- tokens ---------------------------------------------------------------------------------

    def token(self, start: int, end: int) -> str:
        """The encoder of the token at ``source[start:end]``, or the error its position is."""
        source = self.source
        state = self.state
        if state in (_TEXT, _QUOTED, _RAW):
            um.check_entity_slot(source[max(0, start - 12) : start], source, start, end)
        if state == _TEXT:
            return "html"
        if state == _RAW:
            if self.raw_code:
                where = "<script>" if self.raw_code == codes.HTML_SCRIPT_SLOT else "<style>"
                raise _error(
                    self.raw_code,
                    f"merge field inside {where}: HTML escaping cannot make a value safe as "
                    "code; pass it in a quoted data-* attribute instead",
                    source,
                    start,
                    end,
                )
            return "html"
        if state == _QUOTED:
            return self._value_token(start, end)
        if state in (_BEFORE_VALUE, _UNQUOTED):
            raise _error(
                codes.HTML_UNQUOTED_ATTR,
                f"merge field in the unquoted value of attribute `{self.attr}`: a blank in the "
                f'value would start another attribute; quote the attribute, e.g. {self.attr}="..."',
                source,
                start,
                end,
            )
        if state in (_COMMENT, _BOGUS, _LT_SLASH_PENDING):
            raise _error(
                codes.HTML_COMMENT_SLOT,
                "merge field inside an HTML comment: a value with `-->` would end it; move the "
                "field out of the comment",
                source,
                start,
                end,
            )
        raise _error(
            codes.HTML_NAME_SLOT,
            "merge field in a tag or attribute name, or where one is expected: its value "
            "could add tags or attributes; write names literally and put the field in a "
            "quoted attribute value or between tags",
            source,
            start,
            end,
        )

    def _value_token(self, start: int, end: int) -> str:
        kind = self.kind
        if kind == _PLAIN:
            return "html_attr"
        if kind in (_SCRIPT, _STYLE):
            code = codes.HTML_SCRIPT_SLOT if kind == _SCRIPT else codes.HTML_STYLE_SLOT
            what = "an event handler or srcdoc" if kind == _SCRIPT else "a style attribute"
            raise _error(
                code,
                f"merge field in attribute `{self.attr}`, {what}: HTML escaping cannot make a "
                "value safe there; pass it in a quoted data-* attribute or choose a class",
                self.source,
                start,
                end,
            )
        if kind == _SRCSET and self.in_descriptor:
            return "html_url_path"
        state = self.url_state
        if state < 0:
            if kind == _REFRESH:
                raise TemplateCompileError(
                    "merge field in the delay of a meta refresh `content`, before its URL: the "
                    "value could write `0; url=javascript:...`; write the delay and `url=` "
                    'literally, e.g. content="0; url=@{...}"',
                    self.source,
                    start,
                    end,
                    code=codes.URL_SCHEME_SLOT,
                )
            # The token starts a srcset candidate.
            state = um.START
        self.checked = True
        if state == um.SCHEME:
            raise um.scheme_slot_error(self.source, start, end)
        if state == um.START:
            self.whole = (start, end)
        self.url_state = um.AFTER_TOKEN[state]
        return _URL_ENCODER[state]

    def finish(self) -> None:
        """Raise ``html-unclosed`` unless the template ends in text."""
        if self.state in (_TEXT, _LT, _LT_SLASH_PENDING):
            return
        what = {
            _QUOTED: f"the value of attribute `{self.attr}` (close it with `{self.quote}`)",
            _COMMENT: "a comment (close it with `-->`)",
            _BOGUS: "a `<!...>` or `<?...>` (close it with `>`)",
            _RAW: f"a <{self.tag}> element (close it with `</{self.tag}>`)",
        }.get(self.state, f"the tag <{self.tag}> (close it with `>`)")
        raise _error(
            codes.HTML_UNCLOSED,
            f"the html template ends inside {what}",
            self.source,
            self.opened,
            self.opened + 1,
        )


def classify_html(
    source: str, spans: Sequence[tuple[int, int]], url_fields: Sequence[bool]
) -> tuple[str, ...]:
    """The encoder of each token of an ``html`` template (see the module docstring).

    ``url_fields`` is accepted for symmetry with kind ``json``: a token starting a URL attribute
    is a whole-URL slot whatever its field.
    """
    machine = _Machine(source)
    names: list[str] = []
    pos = 0
    for start, end in spans:
        machine.advance(pos, start)
        names.append(machine.token(start, end))
        pos = end
    machine.advance(pos, len(source))
    machine.finish()
    return tuple(names)
