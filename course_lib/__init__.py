"""Reference implementations for the Resilient Agents course.

Kept light on purpose: importing ``course_lib`` loads nothing heavy (no LangChain, no
matplotlib), so the fake ``kubectl`` starts fast. Import the submodule you need.
"""

__version__ = "0.1.0"
