"""The ``mlready`` command: argument parsing and wiring only.

Exit codes: 0 nothing at or above --fail-on failed, 1 checks failed, 2 the
audit could not run, 3 internal error (a bug).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import inspect
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mlready import __version__
from mlready.errors import MlreadyError
from mlready.quality.defaults import DEFAULT_MARGIN
from mlready.sandbox.settings import DEFAULT_SANDBOX, SandboxSettings

if TYPE_CHECKING:
    import pandas as pd

    from mlready.options import AuditOptions
    from mlready.results import AuditReport
    from mlready.runner import Listener

# Only what declaring the commands needs is imported here; each command imports the
# machinery it uses (pandas, scipy, scikit-learn, pyarrow), so that --version, --help and
# the commands that need none of it start in a fraction of a second.

app = typer.Typer(
    help="Audit a trained ML model against the production-readiness checklist.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help, as click writes it: text in square brackets stays as written
    # ('mlready[plots]', '[sex, age]'), and a flag shows no '<bool>' placeholder.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console()
err = Console(stderr=True, soft_wrap=True)


class ColorMode(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class FailOn(StrEnum):
    fail = "fail"
    warn = "warn"


class Engine(StrEnum):
    memory = "memory"
    stream = "stream"
    dask = "dask"


@contextlib.contextmanager
def _exit_codes(debug: bool, reads_data: bool = True) -> Iterator[None]:
    """Map errors to exit codes: a clear message, a traceback only with --debug. SIGTERM
    (a CI job cancelled, a container stopped) ends the run like Ctrl-C: temporary
    outputs are removed and nothing half-written is left. A command that reads no data
    says so, and starts without importing pyarrow."""
    from mlready.results import ExitCode

    in_main_thread = threading.current_thread() is threading.main_thread()
    _INTERRUPTED.clear()
    previous = (
        {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
        if in_main_thread
        else None
    )
    if reads_data:
        _interrupts_reach_mlready()
    try:
        yield
    except MlreadyError as exc:
        if debug:
            traceback.print_exc()
        err.print(f"[bold red]error:[/bold red] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err.print(f"  hint: {exc.hint}", highlight=False, markup=False)
        raise typer.Exit(ExitCode.CANNOT_RUN) from None
    except KeyboardInterrupt:
        err.print(
            "interrupted: nothing half-written was left; outputs not yet written were not written"
        )
        raise typer.Exit(130) from None
    except Exception as exc:
        if debug:
            traceback.print_exc()
        err.print(
            f"[bold red]internal error:[/bold red] {type(exc).__name__}: {escape(str(exc))}\n"
            "  This is a bug in mlready; please report it (rerun with --debug for "
            "the traceback).",
            highlight=False,
        )
        raise typer.Exit(ExitCode.INTERNAL_ERROR) from None
    finally:
        for signum, handler in (previous or {}).items():
            signal.signal(signum, handler)


# Set by a SIGINT or SIGTERM during the command. The KeyboardInterrupt the handler raises
# lands wherever the main thread is; inside a finalizer (which an import can trigger) Python
# only prints it, so the audit also looks at this before writing anything.
_INTERRUPTED = threading.Event()


def _interrupt(signum: int, frame: object) -> None:
    _INTERRUPTED.set()
    raise KeyboardInterrupt


def _interrupts_reach_mlready() -> None:
    """During a long read pyarrow swaps in a SIGINT handler of its own, and a Ctrl-C that
    lands as the read ends is lost (the audit runs on to the end). Without it, Python's
    handler takes every Ctrl-C, and mlready stops once the read returns."""
    import pyarrow

    pyarrow.enable_signal_handlers(False)


def _version(value: bool) -> None:
    if value:
        out.print(f"mlready {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    color: Annotated[
        ColorMode,
        typer.Option(
            "--color",
            help="Colour in the output: auto (on a terminal, unless NO_COLOR is set), always "
            "(also in a CI log) or never.",
        ),
    ] = ColorMode.auto,
) -> None:
    """Audit a trained ML model against the production-readiness checklist."""
    global out, err
    if color == ColorMode.always:  # a flag overrides NO_COLOR (no-color.org)
        out = Console(force_terminal=True, no_color=False)
        err = Console(stderr=True, soft_wrap=True, force_terminal=True, no_color=False)
    elif color == ColorMode.never:  # no escape codes at all, bold included
        out = Console(color_system=None)
        err = Console(stderr=True, soft_wrap=True, color_system=None)


HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Self-contained HTML report with plots."),
]
AssetsOption = Annotated[
    Path | None,
    typer.Option(help="Write the plots as PNG and SVG here and link them from the markdown."),
]
JunitOption = Annotated[
    Path | None, typer.Option("--junit", help="JUnit XML: one testcase per check.")
]
GitlabOption = Annotated[
    Path | None,
    typer.Option(
        "--gitlab",
        help="GitLab Code Quality report (JSON): an issue per check that did not pass, on "
        "its checklist line.",
    ),
]


def _write_outputs(
    report: AuditReport,
    markdown: Path | None,
    json_path: Path | None,
    quiet: bool,
    html: Path | None = None,
    junit: Path | None = None,
    assets: Path | None = None,
    gitlab: Path | None = None,
) -> None:
    """Write the requested report files, all of them or none (each is rendered before any
    is written); inside GitHub Actions also the job summary and the annotations."""
    from mlready.io.files import write_all_atomic
    from mlready.report.github import publish
    from mlready.report.json import render_json
    from mlready.report.markdown import render_assets, render_markdown

    files: dict[Path, bytes] = {}
    links = None
    if assets is not None:
        plots, links = render_assets(report, assets, markdown or Path("mlready-report.md"))
        files |= plots
    if markdown is not None:
        files[markdown] = render_markdown(report, links).encode("utf-8")
    if json_path is not None:
        files[json_path] = render_json(report).encode("utf-8")
    if html is not None:
        from mlready.report.html import render_html

        files[html] = render_html(report).encode("utf-8")
    if junit is not None:
        from mlready.report.junit import render_junit

        files[junit] = render_junit(report).encode("utf-8")
    if gitlab is not None:
        from mlready.report.gitlab import render_code_quality

        files[gitlab] = render_code_quality(report).encode("utf-8")
    write_all_atomic(files)
    _print_commands(publish(report))
    if not quiet:
        for path in (markdown, json_path, html, junit, assets, gitlab):
            if path is not None:
                out.print(f"wrote {path}", highlight=False, markup=False)


def _write_rendered(renders: dict[Path | None, Callable[[], str]]) -> None:
    """Render each named output (None: not asked for), then write them all or none."""
    from mlready.io.files import write_all_atomic

    rendered = {path: render().encode("utf-8") for path, render in renders.items() if path}
    write_all_atomic(rendered)


def _print_commands(commands: list[str]) -> None:
    """CI workflow commands (annotations) on stdout, exactly as they are."""
    for command in commands:
        out.print(command, highlight=False, markup=False, soft_wrap=True)


def _default_report(report: Path | None, default: str, *others: Path | None) -> Path | None:
    """The markdown report to write: the one named, else ``default`` when no other output
    is named either (a run that names only --json writes only the JSON)."""
    if report is None and all(other is None for other in others):
        return Path(default)
    return report


@contextlib.contextmanager
def _progress(quiet: bool, verbose: bool = False) -> Iterator[Listener | None]:
    """Progress on stderr, unless quiet: a live line on a terminal, else one plain line
    per check as it finishes (a CI log); verbose adds each check's numbers."""
    from mlready.report.progress import PlainProgress, TerminalProgress

    if quiet:
        yield None
    elif sys.stderr.isatty():  # not err.is_terminal: --color always keeps a log linear
        with TerminalProgress(err, verbose) as progress:
            yield progress
    else:
        yield PlainProgress(err, verbose)


def _run_audit(
    quiet: bool,
    options: AuditOptions,
    with_context: Callable[[Any], None] | None = None,
    verbose: bool = False,
) -> AuditReport:
    from mlready import api

    with _progress(quiet, verbose) as listener:
        report = api.run(options, listener=listener, with_context=with_context)
    if _INTERRUPTED.is_set():  # its KeyboardInterrupt was lost on the way: stop here
        raise KeyboardInterrupt
    return report


def _print_closing(report: AuditReport, started: float) -> None:
    """pytest's last line: how many checks ended how, and the time the command took."""
    from mlready.report.progress import closing_line

    statuses = (result.status for result in report.checks)
    line = closing_line(statuses, time.perf_counter() - started)
    out.print(line, highlight=False, markup=False, soft_wrap=True)


DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")]
ChecklistOption = Annotated[Path | None, typer.Option("--checklist", "-c", help="Checklist file.")]
TargetOption = Annotated[str | None, typer.Option(help="Target column.")]
JsonOption = Annotated[Path | None, typer.Option("--json", help="JSON report to write.")]
SeedOption = Annotated[int | None, typer.Option(help="Random seed.")]
TrustOption = Annotated[
    bool,
    typer.Option(
        "--trust-model", help="Skip the name scan of the model file (it still runs sandboxed)."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict.")]
VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Under each check's line, the numbers it judged by."),
]
MarginOption = Annotated[
    float,
    typer.Option(
        min=0,
        help="Widen each numeric range of a draft contract by at least this share of its "
        "span (further where the column's tail says clean data reaches further).",
    ),
]
JobsOption = Annotated[
    int,
    typer.Option(min=1, help="Checks run at once (threads); the numbers do not depend on it."),
]
EngineOption = Annotated[
    Engine,
    typer.Option(
        help="memory: read production into memory. stream: read it chunk by chunk (bounded "
        "memory, any size). dask: partitions on a Dask cluster. With stream or dask only the "
        "checks that can read production as a stream run (drift, data_quality).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler address (tcp://HOST:8786) for --engine dask; default: a local "
        "cluster of two workers."
    ),
]


class IsolateMode(StrEnum):
    full = "full"
    off = "off"


class SandboxLevel(StrEnum):
    best_effort = "best-effort"
    required = "required"


IsolateOption = Annotated[
    IsolateMode,
    typer.Option(
        envvar="MLREADY_ISOLATE",
        help="full: load and run the model only in a locked-down child process (no file "
        "writes, no programs or processes, no network; memory and time limits), so that a "
        "hostile, crashing or hanging model becomes an error of the checks needing it. off: "
        "load it in mlready's own process, only for files you made yourself.",
    ),
]
SandboxOption = Annotated[
    SandboxLevel | None,
    typer.Option(
        "--sandbox",
        envvar="MLREADY_SANDBOX",
        help="required: exit 2 unless every layer of the sandbox (Landlock, seccomp, "
        "no_new_privs, limits) is in force here. best-effort: run with the layers this "
        "system offers and warn about the rest. Default: model.sandbox of the checklist, "
        "else best-effort.",
        show_default=False,
    ),
]
ModelMemoryOption = Annotated[
    int | None,
    typer.Option(min=64, help="Memory the model's process may use beyond the interpreter, in MB."),
]
ModelTimeoutOption = Annotated[
    float,
    typer.Option(min=1, help="Time limit of loading the model, or of one call to it, in s."),
]
ModelTotalTimeoutOption = Annotated[
    float,
    typer.Option(min=1, help="Time limit of all calls to the model together, in seconds."),
]


def _sandbox(
    isolate: IsolateMode,
    level: SandboxLevel | None,
    memory_mb: int | None,
    timeout_s: float,
    total_timeout_s: float,
) -> SandboxSettings | None:
    """The sandbox the options ask for, or None when the model runs in-process."""
    if isolate == IsolateMode.off:
        return None
    required = None if level is None else level == SandboxLevel.required
    return SandboxSettings(memory_mb, timeout_s, total_timeout_s, required)


# The options of the model's sandbox, shared by every command that runs a model.
_SANDBOX_OPTIONS = {
    "isolate": (IsolateOption, IsolateMode.full),
    "sandbox_level": (SandboxOption, None),
    "model_memory_mb": (ModelMemoryOption, DEFAULT_SANDBOX.memory_mb),
    "model_timeout": (ModelTimeoutOption, DEFAULT_SANDBOX.call_timeout_s),
    "model_total_timeout": (ModelTotalTimeoutOption, DEFAULT_SANDBOX.total_timeout_s),
}


def sandbox_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` the sandbox options (``--isolate``, ``--sandbox``,
    ``--model-memory-mb``, ``--model-timeout``, ``--model-total-timeout``); it receives
    them as one ``sandbox`` argument: the settings, or None for ``--isolate off``."""
    signature = inspect.signature(command, eval_str=True)
    kept = [p for name, p in signature.parameters.items() if name != "sandbox"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, (kind, default) in _SANDBOX_OPTIONS.items()
    ]

    @functools.wraps(command)
    def with_sandbox(*args: Any, **kwargs: Any) -> None:
        values = [kwargs.pop(name) for name in _SANDBOX_OPTIONS]
        command(*args, sandbox=_sandbox(*values), **kwargs)

    annotations = {k: v for k, v in command.__annotations__.items() if k != "sandbox"}
    with_sandbox.__annotations__ = {**annotations, **{p.name: p.annotation for p in added}}
    with_sandbox.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
    return with_sandbox


ProfileOption = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        help="Reference profile of train ('mlready profile'): the distribution and quality "
        "checks use it instead of reading the training rows.",
    ),
]


@app.command()
@sandbox_options
def audit(
    model: Annotated[
        Path | None,
        typer.Argument(
            help="Model file (.pkl, .pickle, .joblib, .skops, .onnx). Optional in predictions-only "
            "mode.",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            "-d",
            help="Folder with train, test and optional validation/production "
            "splits (.csv, .parquet, .feather, .jsonl). Default: data.dir of the checklist.",
        ),
    ] = None,
    checklist: Annotated[
        Path | None,
        typer.Option(
            "--checklist",
            "-c",
            help="Checklist file. Default: ./checklist.yaml if present, else built-in defaults.",
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Target column (overrides data.target).")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Markdown report to write. Default: mlready-report.md, when no other output "
            "(--json, --html, --junit, --assets, --gitlab) is named.",
            show_default=False,
        ),
    ] = None,
    json_path: JsonOption = None,
    fail_on: Annotated[
        FailOn, typer.Option(help="Lowest status that fails the run (exit 1).")
    ] = FailOn.fail,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (overrides the checklist's).")
    ] = None,
    trust_model: Annotated[
        bool,
        typer.Option(
            "--trust-model",
            help="Skip the name scan of the model file, for a file you trust that references "
            "modules the scan refuses; it still runs in its sandbox.",
        ),
    ] = False,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="Measure less (fewer latency calls and repeats): for CI."),
    ] = False,
    html: HtmlOption = None,
    assets: AssetsOption = None,
    junit: JunitOption = None,
    gitlab: GitlabOption = None,
    compare_to: Annotated[
        Path | None,
        typer.Option(
            help="JSON report of an earlier audit (e.g. the model in production): "
            "adds deltas and the no_regression check."
        ),
    ] = None,
    jobs: JobsOption = 1,
    profile: ProfileOption = None,
    engine: EngineOption = Engine.memory,
    scheduler: SchedulerOption = None,
    sandbox: SandboxSettings | None = DEFAULT_SANDBOX,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Audit MODEL on the splits in --data; write the report; exit 1 if checks fail."""
    from mlready.options import AuditOptions
    from mlready.report.console import print_summary
    from mlready.verdict import exit_code

    started = time.perf_counter()
    report = _default_report(report, "mlready-report.md", json_path, html, junit, assets, gitlab)
    with _exit_codes(debug):
        options = AuditOptions(
            model=model,
            data=data,
            checklist=checklist,
            target=target,
            seed=seed,
            trust_model=trust_model,
            fail_on=fail_on.value,
            quick=quick,
            debug=debug,
            compare_to=compare_to,
            jobs=jobs,
            profile=profile,
            engine=engine.value,
            scheduler=scheduler,
            sandbox=sandbox,
            outputs={
                "--report": report,
                "--json": json_path,
                "--html": html,
                "--junit": junit,
                "--gitlab": gitlab,
            },
        )
        result = _run_audit(quiet, options, verbose=verbose)
        _write_outputs(result, report, json_path, quiet, html, junit, assets, gitlab)
        if quiet:
            out.print(f"Verdict: {result.verdict}", highlight=False, soft_wrap=True, markup=False)
        else:
            print_summary(result, out)
            _print_closing(result, started)
    raise typer.Exit(exit_code(result))


@app.command()
@sandbox_options
def compare(
    models: Annotated[list[Path], typer.Argument(help="Two or more model files.")],
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Folder with the splits.")
    ] = None,
    checklist: ChecklistOption = None,
    target: TargetOption = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Markdown comparison to write. Default: mlready-compare.md, when neither "
            "--json nor --junit is named.",
            show_default=False,
        ),
    ] = None,
    json_path: JsonOption = None,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="JUnit XML: a testcase per model, failing on broken limits."),
    ] = None,
    seed: SeedOption = None,
    trust_model: TrustOption = False,
    quick: Annotated[bool, typer.Option("--quick", help="Time fewer calls.")] = False,
    sandbox: SandboxSettings | None = DEFAULT_SANDBOX,
    debug: DebugOption = False,
) -> None:
    """Compare candidate models: metric, latency, memory, size, cost; mark the Pareto set.

    Exits 1 when no candidate meets every hard limit of the checklist.
    """
    from mlready.compare import compare_models
    from mlready.report.console import print_comparison
    from mlready.report.markdown import render_comparison
    from mlready.verdict import comparison_exit_code

    report = _default_report(report, "mlready-compare.md", json_path, junit)
    with _exit_codes(debug), _progress(False):
        result = compare_models(
            models,
            data,
            checklist=checklist,
            target=target,
            seed=seed,
            trust_model=trust_model,
            quick=quick,
            sandbox=sandbox,
            outputs={"--report": report, "--json": json_path, "--junit": junit},
        )
        from mlready.report.github import publish_comparison
        from mlready.report.junit import render_comparison_junit

        _write_rendered(
            {
                report: lambda: render_comparison(result),
                json_path: lambda: result.model_dump_json(indent=2) + "\n",
                junit: lambda: render_comparison_junit(result),
            }
        )
        _print_commands(publish_comparison(result))
        print_comparison(result, out)
    raise typer.Exit(comparison_exit_code([c.breaches for c in result.candidates]))


@app.command()
@sandbox_options
def monitor(
    model: Annotated[
        Path | None, typer.Argument(help="Model file (optional in predictions-only mode).")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            "-d",
            help="Folder with train, test and production (a file, or a folder of batch files).",
        ),
    ] = None,
    checklist: ChecklistOption = None,
    target: TargetOption = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Markdown report to write. Default: mlready-monitor.md, when no other output "
            "(--json, --html, --junit, --gitlab) is named.",
            show_default=False,
        ),
    ] = None,
    json_path: JsonOption = None,
    label_queue: Annotated[
        int,
        typer.Option(
            "--label-queue",
            min=0,
            help="Write this many unlabelled production rows "
            "to send for labelling (half random, half the least certain).",
        ),
    ] = 0,
    html: HtmlOption = None,
    junit: JunitOption = None,
    gitlab: GitlabOption = None,
    label_queue_file: Annotated[
        Path, typer.Option(help="Where --label-queue writes (.csv, .parquet, .jsonl).")
    ] = Path("label-queue.csv"),
    fail_on: Annotated[
        FailOn, typer.Option(help="Lowest status that fails the run (exit 1).")
    ] = FailOn.fail,
    seed: SeedOption = None,
    trust_model: TrustOption = False,
    jobs: JobsOption = 1,
    profile: ProfileOption = None,
    engine: EngineOption = Engine.memory,
    scheduler: SchedulerOption = None,
    sandbox: SandboxSettings | None = DEFAULT_SANDBOX,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Monitor a model in production: ground truth, performance per window, drift.

    Runs the ground_truth, performance_monitoring and drift checks of the
    checklist; exits 1 when one fails. With --profile, train need not be in
    --data: production is compared with the profile. With --engine stream or
    dask, production of any size is summarised without being read into memory.
    """
    from mlready.io.sink import write_table_atomic
    from mlready.labelling import label_queue as pick_rows
    from mlready.options import AuditOptions
    from mlready.report.console import print_summary
    from mlready.verdict import exit_code

    started = time.perf_counter()

    def write_queue(context: Any) -> None:
        if label_queue:
            queue = pick_rows(context, label_queue)
            write_table_atomic(label_queue_file, queue)
            if not quiet:
                out.print(
                    f"wrote {label_queue_file} ({len(queue)} rows to label)",
                    highlight=False,
                    markup=False,
                )

    report = _default_report(report, "mlready-monitor.md", json_path, html, junit, gitlab)
    with _exit_codes(debug):
        options = AuditOptions(
            model=model,
            data=data,
            checklist=checklist,
            target=target,
            seed=seed,
            trust_model=trust_model,
            fail_on=fail_on.value,
            debug=debug,
            monitor=True,
            jobs=jobs,
            profile=profile,
            engine=engine.value,
            scheduler=scheduler,
            sandbox=sandbox,
            outputs={
                "--report": report,
                "--json": json_path,
                "--html": html,
                "--junit": junit,
                "--gitlab": gitlab,
                "--label-queue-file": label_queue_file if label_queue else None,
            },
        )
        result = _run_audit(quiet, options, with_context=write_queue, verbose=verbose)
        _write_outputs(result, report, json_path, quiet, html, junit, gitlab=gitlab)
        if quiet:
            out.print(f"Verdict: {result.verdict}", highlight=False, soft_wrap=True, markup=False)
        else:
            print_summary(result, out, title="mlready monitor")
            _print_closing(result, started)
    raise typer.Exit(exit_code(result))


contract_app = typer.Typer(
    help="Data contracts: what every incoming batch of data must look like.",
    no_args_is_help=True,
)
app.add_typer(contract_app, name="contract")


@contract_app.command("infer")
def contract_infer(
    train: Annotated[Path, typer.Argument(help="Training data file (.csv, .parquet, ...).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Contract file to write.")] = Path(
        "contract.yaml"
    ),
    target: Annotated[
        str | None, typer.Option(help="Target column: not required in batches.")
    ] = None,
    time: Annotated[
        str | None, typer.Option(help="Timestamp column: drives the freshness rule.")
    ] = None,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="Id column(s): values must be unique.")
    ] = None,
    label_columns: Annotated[
        list[str] | None,
        typer.Option(
            "--label-column",
            help="Column(s) that arrive with the label (label time, annotators): optional.",
        ),
    ] = None,
    margin: MarginOption = DEFAULT_MARGIN,
    max_levels: Annotated[
        int, typer.Option(min=1, help="Text columns with at most this many values get levels.")
    ] = 50,
    force: Annotated[bool, typer.Option(help="Overwrite an existing contract.")] = False,
    debug: DebugOption = False,
) -> None:
    """Infer a human-editable data contract (contract.yaml) from training data."""
    from mlready.contract import dump_contract
    from mlready.io.files import write_atomic
    from mlready.quality.infer import infer_contract_file

    with _exit_codes(debug):
        if output.exists() and not force:
            raise MlreadyError(
                f"{output} already exists", hint="pass --force to overwrite it, or -o another file"
            )
        contract = infer_contract_file(
            train,
            target,
            time,
            tuple(ids or ()),
            margin,
            max_levels,
            with_labels=tuple(label_columns or ()),
        )
        write_atomic(output, dump_contract(contract, output.name))
        out.print(
            f"wrote {output} ({len(contract.columns)} columns); review it, then run "
            f"'mlready validate BATCH --contract {output}'",
            highlight=False,
            markup=False,
        )


@app.command()
def validate(
    batches: Annotated[
        list[Path], typer.Argument(help="Batch files (.csv, .parquet, .feather, .jsonl).")
    ],
    contract: Annotated[
        Path | None,
        typer.Option("--contract", help="Data contract file. Default: contract.yaml."),
    ] = None,
    profile: Annotated[
        Path | None,
        typer.Option(
            "--profile",
            help="Hold the batches to the draft contract inferred from train, stored in "
            "this profile ('mlready profile'), instead of a contract file.",
        ),
    ] = None,
    quarantine: Annotated[
        Path | None,
        typer.Option(help="Write failing rows here, with _source, _row and _reasons columns."),
    ] = None,
    clean: Annotated[Path | None, typer.Option(help="Write the passing rows here.")] = None,
    report: Annotated[Path | None, typer.Option(help="Markdown report to write.")] = None,
    json_path: JsonOption = None,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="JUnit XML: a testsuite per batch, a testcase per rule."),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(help="Time freshness is judged at (ISO 8601; default: now, UTC)."),
    ] = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Hold data batches to a contract: quarantine failing rows, exit 1 if the contract breaks.

    Files are streamed in chunks, so batches larger than memory are fine; the
    quarantine and clean files appear only when the whole run succeeds.
    """
    from mlready.contract import load_contract
    from mlready.quality.validate import validate_files
    from mlready.report.console import print_validation
    from mlready.report.markdown import render_validation
    from mlready.verdict import validation_exit_code

    with _exit_codes(debug):
        if profile is not None and contract is not None:
            raise MlreadyError("give --contract or --profile, not both")
        if profile is not None:
            from mlready.io.profile import load_profile

            rules, source = load_profile(profile).contract, f"{profile} (draft contract)"
        else:
            contract = contract or Path("contract.yaml")
            rules, source = load_contract(contract), str(contract)
        result = validate_files(
            batches, rules, source, quarantine, clean, now=_timestamp(now, "--now")
        )
        from mlready.report.github import publish_validation
        from mlready.report.junit import render_validation_junit

        _write_rendered(
            {
                report: lambda: render_validation(result),
                json_path: lambda: result.model_dump_json(indent=2) + "\n",
                junit: lambda: render_validation_junit(result),
            }
        )
        _print_commands(publish_validation(result))
        if quiet:
            out.print(
                f"Verdict: {result.status.value}", highlight=False, soft_wrap=True, markup=False
            )
        else:
            print_validation(result, out)
    raise typer.Exit(validation_exit_code(result.status))


def _timestamp(text: str | None, option: str) -> pd.Timestamp | None:
    import pandas as pd

    if text is None:
        return None
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise MlreadyError(
            f"{option} {text!r} is not a timestamp", hint="use ISO 8601, e.g. 2026-11-26T08:00Z"
        ) from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@app.command("profile")
@sandbox_options
def profile_command(
    train: Annotated[
        Path, typer.Argument(help="Training data: a file or a folder of batch files.")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Profile file to write. Default: TRAIN_NAME.profile"),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="Also profile this model's outputs on train (for prediction drift)."),
    ] = None,
    checklist: ChecklistOption = None,
    target: TargetOption = None,
    trust_model: TrustOption = False,
    sandbox: SandboxSettings | None = DEFAULT_SANDBOX,
    margin: MarginOption = DEFAULT_MARGIN,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Store train's reference statistics in a small file, for audit/monitor/validate --profile.

    Numeric columns keep a grid of 10,001 quantiles with exact counts and
    moments, categorical columns their level counts; plus the target, the
    model's outputs (with --model), a draft data contract and fingerprints.
    """
    from mlready import api
    from mlready.io.files import refuse_overwriting_inputs
    from mlready.io.profile import save_profile

    with _exit_codes(debug):
        path = output or Path(f"{train.stem}.profile")
        read = [
            ("the training data", train),
            ("the model file", model),
            ("the checklist", checklist),
        ]
        refuse_overwriting_inputs({"--output": path}, [(w, p) for w, p in read if p is not None])
        made = api.make_profile(
            train,
            checklist=checklist,
            target=target,
            model_path=model,
            trust_model=trust_model,
            sandbox=sandbox,
            margin=margin,
        )
        save_profile(made, path)
        if not quiet:
            meta = made.meta
            outputs = "with the model's outputs" if made.predictions else "without model outputs"
            out.print(
                f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): {meta.rows:,} rows, "
                f"{len(meta.features)} features, target {meta.target!r}, {outputs}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


@app.command()
def init(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")] = Path(
        "checklist.yaml"
    ),
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive", "-i", help="Ask for the main settings and the written answers."
        ),
    ] = False,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    debug: DebugOption = False,
) -> None:
    """Write a checklist.yaml: a commented starter documenting every key and its default,
    or, with --interactive, one built from your answers."""
    from mlready.io.files import write_atomic
    from mlready.registry import load_checks
    from mlready.starter import starter_checklist

    with _exit_codes(debug, reads_data=False):
        if output.exists() and not force:
            raise MlreadyError(f"{output} already exists", hint="pass --force to overwrite it")
        if interactive:
            from mlready.interview import interview

            text = interview(out, dt.date.today())
        else:
            text = starter_checklist(load_checks())
        write_atomic(output, text)
        out.print(f"wrote {output}", highlight=False, markup=False)


class ConfigKind(StrEnum):
    auto = "auto"
    checklist = "checklist"
    contract = "contract"


def _check_one_config(path: Path, kind: ConfigKind) -> str:
    """Validate one file as its kind says (auto: a name with 'contract' in it is a data
    contract, any other a checklist); what it holds, in a few words."""
    if kind == ConfigKind.contract or (kind == ConfigKind.auto and "contract" in path.name):
        from mlready.contract import load_contract

        columns = len(load_contract(path).columns)
        return f"a data contract of {columns} column{'' if columns == 1 else 's'}"
    from mlready.registry import load_checks
    from mlready.runner import plan
    from mlready.spec import load_spec

    planned = plan(load_spec(path), load_checks())  # every check's options, validated
    return f"a checklist; {sum(item.enabled for item in planned)} of {len(planned)} checks on"


@app.command("check-config")
def check_config(
    files: Annotated[list[Path], typer.Argument(help="checklist.yaml and contract.yaml files.")],
    kind: Annotated[
        ConfigKind,
        typer.Option(help="What the files are (auto: a name with 'contract' is a contract)."),
    ] = ConfigKind.auto,
    debug: DebugOption = False,
) -> None:
    """Validate checklists and data contracts without reading any data (a pre-commit hook).

    Every key, value and check option is checked as an audit would check it; each error
    names the file, line and key. Exits 2 when a file is invalid.
    """
    from mlready.results import ExitCode

    failed = False
    for path in files:
        try:
            with _exit_codes(debug, reads_data=False):
                what = _check_one_config(path, kind)
                out.print(f"ok: {path}: {what}", highlight=False, markup=False, soft_wrap=True)
        except typer.Exit as stop:
            if stop.exit_code != ExitCode.CANNOT_RUN:
                raise  # an interrupt or a bug ends the run
            failed = True  # the error is printed; go on with the other files
    if failed:
        raise typer.Exit(ExitCode.CANNOT_RUN)


@app.command("checks")
def list_checks(debug: DebugOption = False) -> None:
    """List the installed checks: id, checklist question and options."""
    from mlready.registry import load_checks
    from mlready.starter import yaml_value

    with _exit_codes(debug, reads_data=False):
        for check in load_checks().values():
            out.print(
                f"[bold]{escape(check.id)}[/bold]  (question {check.question}) "
                f"{escape(check.title)}",
                highlight=False,
            )
            defaults = check.Params()
            for name, field in check.Params.model_fields.items():
                value = yaml_value(getattr(defaults, name))
                out.print(f"    {name}: {value}", highlight=False, markup=False)
                out.print(f"      [dim]{escape(field.description or '')}[/dim]", highlight=False)


@app.command()
def explain(
    check_id: Annotated[str, typer.Argument(help="Check id, e.g. baseline.")],
    debug: DebugOption = False,
) -> None:
    """Explain what a check does, why it matters, and how to configure it."""
    from mlready.registry import load_checks

    with _exit_codes(debug, reads_data=False):
        checks = load_checks()
        if check_id not in checks:
            from mlready.spec import suggest

            raise MlreadyError(
                f"unknown check {check_id!r}{suggest(check_id, list(checks))}",
                hint="'mlready checks' lists them",
            )
        check = checks[check_id]
        out.print(
            f"[bold]{escape(check.id)}[/bold]: {escape(check.title)} "
            f"(checklist question {check.question})\n",
            highlight=False,
        )
        out.print(inspect.getdoc(check) or "", highlight=False, markup=False)


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="Where to build the example.")] = Path(
        "mlready-demo"
    ),
    debug: DebugOption = False,
) -> None:
    """Build the bundled example (breast cancer data, a random forest) and audit it."""
    from mlready.demo import build_example
    from mlready.options import AuditOptions
    from mlready.report.console import print_summary
    from mlready.verdict import exit_code

    started = time.perf_counter()
    with _exit_codes(debug):
        model, checklist = build_example(folder)
        out.print(
            f"built the example in {folder}/ (model.pkl, checklist.yaml, contract.yaml, splits/)",
            highlight=False,
            markup=False,
        )
        result = _run_audit(False, AuditOptions(model=model, checklist=checklist, debug=debug))
        _write_outputs(
            result, folder / "report.md", folder / "report.json", False, folder / "report.html"
        )
        print_summary(result, out)
        _print_closing(result, started)
    raise typer.Exit(exit_code(result))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="mlready")


if __name__ == "__main__":
    main()
