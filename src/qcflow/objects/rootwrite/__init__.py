"""ROOT serialisation that uproot 5.7 does not write, on top of uproot's file writer.

- :mod:`.leaflist` -- TTrees whose branches are *leaf lists* (``TTree::Branch(name, &struct,
  "mean/D:stddev:entries")``, the layout QC's trending tasks write), including ``/C`` text leaves;
- :mod:`.graphs` -- TGraph, TGraphErrors and TMultiGraph with a frame histogram;
- :mod:`.ratio` -- QC's mergeable ratio histograms (``TH2Ratio<TH2F>``...), with their streamer
  infos (:mod:`.streamerinfo`: ROOT's records and checksums for classes without a dictionary).

Kept apart from qcflow's own modules (it imports nothing from qcflow) so that it can go upstream
into uproot as it is. uproot itself reads everything written here.
"""

from qcflow.objects.rootwrite.graphs import Frame, Series, Style, write_graphs
from qcflow.objects.rootwrite.leaflist import (
    Branch,
    Leaf,
    branch_leaves,
    leaf_list,
    read_leaflist_branch,
    write_leaflist_tree,
)
from qcflow.objects.rootwrite.ratio import ratio_class, write_ratio

__all__ = [
    "Branch",
    "Frame",
    "Leaf",
    "Series",
    "Style",
    "branch_leaves",
    "leaf_list",
    "ratio_class",
    "read_leaflist_branch",
    "write_graphs",
    "write_leaflist_tree",
    "write_ratio",
]
