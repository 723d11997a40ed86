"""Synthetic QCDB content for every reference configuration, and the end-to-end demo.

(Being built: see issues 5 and 7.)
"""
