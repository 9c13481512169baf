"""Reports: charts, tables and a self-contained HTML page built from result files.

The package reads result Datasets only (``qdsim.outputs.read_results``) and never runs the
model. ``reports.build.build_report`` is the entry point used by ``qdsim report``.
"""
