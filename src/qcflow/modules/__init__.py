"""Detector modules registered under their O2 class names.

(Being built: see issue 7.)
"""
