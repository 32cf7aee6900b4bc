"""Deliberately flawed versions the notebooks break, and the small harnesses that break them.

Each flawed class reproduces a mistake from the course's source outline (``seed-errata.md``) so a
notebook can show it failing under an injected fault without pasting library code into a cell.
Never use the flawed ones outside a lesson: the fixed versions live in :mod:`course_lib.resilience`.

=================  ==================================================================
``naive_breaker``  :class:`NaiveBreaker` (the outline's breaker) and :class:`SteppedWallClock`
``threads``        :func:`half_open_stampede` and :func:`late_success`: concurrency, deterministically
``breaker_sim``    :func:`simulate_breaker`: one caller, one provider outage, the real breaker
=================  ==================================================================
"""
