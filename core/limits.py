"""Bounds that every input shares, stated once."""

# The largest primary key: ids are BigAutoField (DEFAULT_AUTO_FIELD), and every backend
# stores 64-bit signed integers. A bigger number in a request is a 400, not a driver
# error.
MAX_ID = 2**63 - 1
