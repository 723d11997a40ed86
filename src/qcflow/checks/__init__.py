"""Qualities, checks, policies and aggregators.

(Being built: see issue 6.)
"""
