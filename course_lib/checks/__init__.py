"""Exercises for the notebooks: ``from course_lib.checks.nb00 import ex1`` then ``ex1.check()``.

Each ``nbNN`` module holds that notebook's exercises; ``exercise`` holds the framework.
"""

from course_lib.checks.exercise import Checker, Exercise, NotAttempted, Status, Verdict, Wrong

__all__ = ["Checker", "Exercise", "NotAttempted", "Status", "Verdict", "Wrong"]
