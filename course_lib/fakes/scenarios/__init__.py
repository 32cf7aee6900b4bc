"""Scenario data files (one YAML file per scenario; see ../cluster/README.md)."""
