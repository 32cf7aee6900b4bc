"""Chaos profiles and fault plans: valid data, deterministic draws, and clear errors."""

import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.fakes.chaos import (
    PROFILES,
    ChaosProfile,
    FaultPlan,
    KubectlFault,
    LLMFault,
    Outage,
    UnknownProfileError,
    get_profile,
    load_profile,
    save_profile,
)


def test_the_five_named_profiles_exist():
    assert {"none", "flaky", "storm", "outage", "hostile"} <= set(PROFILES)
    assert all(p.description for p in PROFILES.values())


@given(seed=st.integers(0, 10_000), keys=st.lists(st.integers(0, 500), max_size=30))
def test_a_draw_depends_only_on_seed_target_and_key(seed, keys):
    """Same seed, same fault for request k, whatever was asked before (so agents compare fairly)."""
    plan = FaultPlan(get_profile("storm"), seed)
    fresh = FaultPlan(get_profile("storm"), seed)
    for key in keys:
        plan.llm_fault(key)
    assert [plan.llm_fault(k) for k in keys] == [fresh.llm_fault(k) for k in reversed(keys)][::-1]


def test_frequencies_follow_the_probabilities():
    plan = FaultPlan(get_profile("storm"), seed=3)
    counts = Counter(plan.llm_fault(i) for i in range(20_000))
    assert counts[LLMFault.RATE_LIMIT] / 20_000 == pytest.approx(0.35, abs=0.02)
    assert counts[None] / 20_000 == pytest.approx(1 - sum(get_profile("storm").llm.values()), abs=0.02)


def test_no_faults_in_the_control_profile_and_different_seeds_differ():
    assert all(FaultPlan(get_profile("none"), 1).llm_fault(i) is None for i in range(200))
    a = [FaultPlan(get_profile("storm"), 1).llm_fault(i) for i in range(50)]
    b = [FaultPlan(get_profile("storm"), 2).llm_fault(i) for i in range(50)]
    assert a != b


def test_an_outage_makes_every_request_unavailable_inside_its_window_only():
    plan = FaultPlan(get_profile("outage"), 0)
    assert plan.llm_fault(0, at=5.0) is LLMFault.UNAVAILABLE
    assert plan.llm_fault(1, at=599.9) is LLMFault.UNAVAILABLE
    assert plan.llm_fault(2, at=600.0) is None


def test_environment_round_trip_and_bad_seed():
    plan = FaultPlan.named("flaky", 42)
    assert FaultPlan.from_env(plan.to_env()) == plan
    assert FaultPlan.from_env({}).profile.name == "none"
    with pytest.raises(ValueError, match="COURSE_CHAOS_SEED must be an integer"):
        FaultPlan.from_env({"COURSE_CHAOS": "storm", "COURSE_CHAOS_SEED": "lots"})


def test_unknown_profile_lists_the_valid_names():
    with pytest.raises(UnknownProfileError, match="valid profiles: none, flaky, storm, outage, hostile"):
        FaultPlan.named("typhoon")


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_custom_profile_survives_a_file_round_trip(tmp_path, suffix):
    custom = ChaosProfile(
        "slow-kubectl",
        "every kubectl call is late",
        kubectl={KubectlFault.LATENCY: 1.0},
        llm={LLMFault.RATE_LIMIT: 0.25},
        outages=(Outage(10.0, 20.0, 502),),
        kubectl_latency_s=0.2,
    )
    path = tmp_path / f"custom{suffix}"
    if suffix == ".json":
        save_profile(custom, path)
    else:
        import yaml

        path.write_text(yaml.safe_dump(json.loads(json.dumps(custom.to_dict()))))
    assert load_profile(path) == custom
    assert FaultPlan.named(str(path)).profile == custom


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"llm": {LLMFault.RATE_LIMIT: 1.5}}, r"must be in \[0, 1\]"),
        ({"llm": {LLMFault.RATE_LIMIT: 0.7, LLMFault.SERVER_ERROR: 0.6}}, "sum to 1.300 > 1"),
        ({"kubectl": {KubectlFault.LATENCY: -0.1}}, r"must be in \[0, 1\]"),
    ],
)
def test_impossible_probabilities_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ChaosProfile("bad", "", **kwargs)


def test_an_outage_must_end_after_it_starts():
    with pytest.raises(ValueError, match="start < end"):
        Outage(30.0, 10.0)


def test_broken_profile_files_name_the_file(tmp_path):
    no_name = tmp_path / "no-name.json"
    no_name.write_text("{}")
    with pytest.raises(ValueError, match=r"no-name\.json: a profile file holds a mapping"):
        load_profile(no_name)
    bad_kind = tmp_path / "bad-kind.json"
    bad_kind.write_text(json.dumps({"name": "x", "llm": {"meteor_strike": 0.1}}))
    with pytest.raises(ValueError, match=r"bad-kind\.json: invalid profile"):
        load_profile(bad_kind)
