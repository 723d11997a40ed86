"""Payload codecs: ROOT histograms and trees via uproot, quality objects, plots.

(Being built: see issue 4.)
"""
