"""Notebook 04's chart draws the counts it is given, per run and per kind of call."""

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from course_lib.viz.agent_charts import MODEL_COLOUR, RunCalls, plot_calls_per_run, run_calls

RUNS = [
    RunCalls("no limit", 20, 20, 0, "GraphRecursionError"),
    RunCalls("guard + limits", 6, 1, 5, "answered"),
]


def bars(fig):
    ax = fig.axes[0]
    return ax, [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0]


def test_every_count_is_a_bar_of_that_length_in_its_row():
    ax, patches = bars(plot_calls_per_run(RUNS))
    widths = sorted(round(p.get_width()) for p in patches)
    assert widths == sorted([20, 20, 0, 6, 1, 5])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["no limit", "guard + limits"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["model calls", "tool calls run", "tool calls blocked"]
    texts = [t.get_text() for t in ax.texts]
    assert "GraphRecursionError" in texts and "answered" in texts


def test_model_calls_of_the_first_run_are_the_top_blue_bar():
    _ax, patches = bars(plot_calls_per_run(RUNS))
    top = min(patches, key=lambda p: p.get_y())  # y axis inverted: row 0 first
    assert round(top.get_width()) == 20 and to_hex(top.get_facecolor()) == MODEL_COLOUR


def test_empty_input_says_so():
    assert "no runs" in plot_calls_per_run([]).axes[0].get_title()


def test_run_calls_counts_blocked_tool_messages_separately():
    class Model:
        call_count = 4

    messages = [
        HumanMessage("q"),
        AIMessage("", tool_calls=[{"name": "list_pods", "args": {}, "id": "a"}]),
        ToolMessage("NAME READY", tool_call_id="a"),
        ToolMessage("Refusing to run list_pods({}) again", tool_call_id="b", status="error"),
        ToolMessage(
            "Tool call limit exceeded. Do not make additional tool calls.", tool_call_id="c", status="error"
        ),
    ]
    assert run_calls("x", Model(), messages, "answered") == RunCalls("x", 4, 1, 2, "answered")
