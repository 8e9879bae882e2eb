"""``python -m mergefield``: the same command line as the ``mergefield`` console script.

It exists so that the command works where the console script is not on ``PATH`` (a virtual
environment that is not activated, or tests that must run the interpreter under test).
"""

from mergefield.cli import main

raise SystemExit(main())
