"""The scripted call replays its replies in order and refuses to run past its script."""

import pytest

from course_lib.teaching.scripted_calls import scripted


def test_raises_exceptions_and_returns_values_in_order():
    call = scripted(ValueError("first"), "second")
    with pytest.raises(ValueError, match="first"):
        call()
    assert call() == "second"


def test_asking_past_the_script_is_a_clear_error():
    call = scripted("only")
    call()
    with pytest.raises(RuntimeError, match="after its 1 replies"):
        call()
