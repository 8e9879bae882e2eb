"""Type stub of the compiled core; it mirrors `_fast_py.py` exactly."""

from ._fast_py import EXPECT_CLOSE as EXPECT_CLOSE
from ._fast_py import EXPECT_COLON as EXPECT_COLON
from ._fast_py import EXPECT_FIELD as EXPECT_FIELD
from ._fast_py import EXPECT_RESOURCE as EXPECT_RESOURCE
from ._fast_py import FLUSH_BYTES as FLUSH_BYTES
from ._fast_py import STEP_FORM as STEP_FORM
from ._fast_py import STEP_HTML as STEP_HTML
from ._fast_py import STEP_JSON_NUMBER as STEP_JSON_NUMBER
from ._fast_py import STEP_JSON_QUOTED as STEP_JSON_QUOTED
from ._fast_py import STEP_JSON_STRING as STEP_JSON_STRING
from ._fast_py import STEP_PERCENT as STEP_PERCENT
from ._fast_py import STEP_TEXT as STEP_TEXT
from ._fast_py import encode_fast as encode_fast
from ._fast_py import render_columns as render_columns
from ._fast_py import render_rows as render_rows
from ._fast_py import scan as scan
from ._fast_py import write_columns as write_columns
from ._fast_py import write_rows as write_rows
