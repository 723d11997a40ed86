"""The ``o2-qc`` compatible post-processing engine.

(Being built: see issue 5.)
"""
