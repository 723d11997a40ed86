"""The runner: resource-aware, resumable, event-driven execution of O2DPG workflows.

(Being built: see issue 3.) The runner only runs commands; it never imports the QC packages.
"""
