"""qdsim explore: a what-if explorer for planners in the browser (Dash, served locally)."""
