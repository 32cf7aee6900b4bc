"""``python -m course_lib COMMAND ...``: the course's command line.

Each command lives in its own module and is imported only when it runs, so ``kubectl`` starts
without loading LangChain. A command module exposes ``main(argv: list[str]) -> int``.
"""

from __future__ import annotations

import importlib
import sys

# name -> (module, one-line help). Modules are imported lazily.
COMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("course_lib.envcheck", "check that this environment can run the course"),
    "kubectl": ("course_lib.fakes.kubectl_cli", "the fake, kubectl-compatible executable"),
    "scenarios": ("course_lib.fakes.scenarios_cli", "list the fake cluster's scenarios"),
    "serve-llm": ("course_lib.fakes.llm_server_cli", "run the loopback OpenAI-compatible chaos server"),
    "diagnose": ("course_lib.agent.cli", "diagnose one scenario with an agent"),
    "evaluate": ("course_lib.agent.evaluate_cli", "evaluate agents under chaos"),
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: python -m course_lib COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"unknown command {name!r}; valid commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module_name = COMMANDS[name][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("course_lib"):
            print(f"command {name!r} is not available in this version of course_lib", file=sys.stderr)
            return 2
        print(
            f"command {name!r} needs the package {err.name!r}, which is not installed here.\n"
            "Fix: run `make test` (or `make lab`) from the repository root to set up .venv, "
            "then use .venv/bin/python.",
            file=sys.stderr,
        )
        return 2
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
