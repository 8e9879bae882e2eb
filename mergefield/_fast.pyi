"""Type stub of the compiled core; it mirrors `_fast_py.py` exactly."""

from ._fast_py import encode_fast as encode_fast
from ._fast_py import render_columns as render_columns
from ._fast_py import render_rows as render_rows
from ._fast_py import scan as scan
from ._fast_py import write_columns as write_columns
from ._fast_py import write_rows as write_rows
