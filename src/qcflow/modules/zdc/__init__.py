"""ZDC: reconstructed-data summaries and their check.

- :mod:`.families` -- the five summaries (one typed table), read by both of:
- :mod:`.postprocessing` -- ``o2::quality_control_modules::zdc::ZDCRecDataPostProcessing``.
- :mod:`.check` -- ``o2::quality_control_modules::zdc::ZDCRecDataCheck``.
"""
