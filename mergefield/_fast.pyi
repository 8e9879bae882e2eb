"""Type stub of the compiled core; it mirrors `_fast_py.py` exactly."""

from ._fast_py import EXPECT_CLOSE as EXPECT_CLOSE
from ._fast_py import EXPECT_COLON as EXPECT_COLON
from ._fast_py import EXPECT_FIELD as EXPECT_FIELD
from ._fast_py import EXPECT_RESOURCE as EXPECT_RESOURCE
from ._fast_py import scan as scan
