"""Reports: charts, tables and a self-contained HTML page built from result files.

The package reads result Datasets (``qdsim.outputs.read_results``) and the analyses that
``qdsim solve``, ``sensitivity``, ``attribute`` and ``check-plan`` saved as JSON; it never
runs the model. ``reports.build.build_report`` is the entry point used by ``qdsim report``.
"""
