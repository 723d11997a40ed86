"""The HTML report over a QCDB.

(Being built: see issue 7.)
"""
