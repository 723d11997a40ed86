"""Plots: what a trend plot is made of, drawing it, and publishing it as an image plus ROOT graphs.

Map (a plot flows top to bottom)::

    spec.PlotSpec / GraphSpec  (a TrendingTask ``plots[]`` entry; varexp, selection)
      -> draw.render_plot / plot_image: columns -> expressions (safe TTree::Draw) -> matplotlib
           styled by root_style (ROOT colours, markers, TLatex)
      -> images.PlotImage (PNG + graphs + frame) -> encode() -> qcflow.objects.codec.Payload
           annotated() with overlays a check draws (threshold lines, quality labels)
    comparison.comparison_plot -- an object drawn against its reference (ratio pad)

- :mod:`.spec` -- what a plot is made of (:class:`~.spec.PlotSpec`, :class:`~.spec.GraphSpec`).
- :mod:`.expressions` -- safe ``varexp``/``selection`` evaluation over numpy columns.
- :mod:`.draw` -- drawing a plot spec with matplotlib (TTree::Draw-like graphs, time axes).
- :mod:`.images` -- plots as publishable images (PNG, graphs, redraw with overlays).
- :mod:`.overlays` -- what checks draw on plots.
- :mod:`.root_style` -- ROOT colours, markers, line styles, palettes, TLatex.
- :mod:`.comparison` -- the reference comparison plot (ReferenceComparatorTask, its check).

Layering: plotting depends on :mod:`qcflow.objects` (codecs, ROOT graphs) only; it never imports
the engine, the config or the task classes, so checks and reports can draw without running.
"""
