"""The ``mergefield`` command line: ``check`` templates and connectors, list ``fields``, ``render``.

``check`` prints one ``FILE:LINE:COL: CODE message`` line per problem (``--verbose`` adds the
source line with a caret, ``--format json`` a document for machines) and exits 0 when clean, 1
when problems were found and 2 for usage or I/O errors.  ``fields`` lists the merge fields a
context offers, like the portal's "View Merge Fields".  ``render`` streams leads from CSV, JSON
Lines or a JSON array through one compiled template in chunks, so memory stays flat however
long the list is; it writes one line per lead (or JSON Lines with each lead's id), reports every
row it cannot render with its row number, and ends with a summary on stderr that accounts for
every row read: rendered, defaulted (a token fell back to its default or to empty), failed.
``docs/cli.md`` documents every flag with real output.

One module per command (`check`, `fields`, `render`), the parser and `main` in `main`, what
they share in `common`, the ``-o`` file in `output`.
"""

from mergefield.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
