"""Shared test settings: a headless matplotlib backend and no network-dependent tracing."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("LANGSMITH_TRACING", "false")
os.environ.setdefault("LANGCHAIN_TRACING_V2", "false")
