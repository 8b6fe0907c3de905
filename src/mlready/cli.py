"""The ``mlready`` command: argument parsing and wiring only.

Exit codes: 0 nothing at or above --fail-on failed, 1 checks failed, 2 the
audit could not run, 3 internal error (a bug).
"""

from __future__ import annotations

import contextlib
import inspect
import traceback
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from mlready import __version__, api
from mlready.errors import MlreadyError
from mlready.io.files import write_atomic
from mlready.registry import load_checks
from mlready.report.console import print_comparison, print_summary
from mlready.report.json import render_json
from mlready.report.markdown import render_markdown
from mlready.results import AuditReport, ExitCode
from mlready.runner import PlannedCheck
from mlready.starter import starter_checklist, yaml_value

app = typer.Typer(
    help="Audit a trained ML model against the production-readiness checklist.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)


class FailOn(StrEnum):
    fail = "fail"
    warn = "warn"


@contextlib.contextmanager
def _exit_codes(debug: bool) -> Iterator[None]:
    """Map errors to exit codes: a clear message, a traceback only with --debug."""
    try:
        yield
    except MlreadyError as exc:
        if debug:
            traceback.print_exc()
        err.print(f"[bold red]error:[/bold red] {exc.message}", highlight=False)
        if exc.hint:
            err.print(f"  hint: {exc.hint}", highlight=False)
        raise typer.Exit(ExitCode.CANNOT_RUN) from None
    except KeyboardInterrupt:
        err.print("interrupted: no report was written")
        raise typer.Exit(130) from None
    except Exception as exc:
        if debug:
            traceback.print_exc()
        err.print(
            f"[bold red]internal error:[/bold red] {type(exc).__name__}: {exc}\n"
            "  This is a bug in mlready; please report it (rerun with --debug for "
            "the traceback).",
            highlight=False,
        )
        raise typer.Exit(ExitCode.INTERNAL_ERROR) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"mlready {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Audit a trained ML model against the production-readiness checklist."""


def _write_outputs(
    report: AuditReport, markdown: Path | None, json_path: Path | None, quiet: bool
) -> None:
    if markdown is not None:
        write_atomic(markdown, render_markdown(report))
    if json_path is not None:
        write_atomic(json_path, render_json(report))
    if not quiet:
        for path in (markdown, json_path):
            if path is not None:
                out.print(f"wrote {path}", highlight=False)


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[PlannedCheck], None] | None]:
    """A spinner naming the running check (on stderr), unless quiet."""
    if quiet:
        yield None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("loading data and model", total=None)
        yield lambda item: progress.update(task, description=f"check {item.check.id}")


def _run_audit(quiet: bool, **options: Any) -> AuditReport:
    with _progress(quiet) as on_start:
        return api.audit(on_start=on_start, **options)


DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")]


@app.command()
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
    report: Annotated[Path | None, typer.Option(help="Markdown report to write.")] = Path(
        "mlready-report.md"
    ),
    json_path: Annotated[Path | None, typer.Option("--json", help="JSON report to write.")] = None,
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
            help="Load the model file without the allow-list scan. Only for "
            "files you trust: a pickle can run any code.",
        ),
    ] = False,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="Measure less (fewer latency calls and repeats): for CI."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict.")] = False,
    debug: DebugOption = False,
) -> None:
    """Audit MODEL on the splits in --data; write the report; exit 1 if checks fail."""
    with _exit_codes(debug):
        result = _run_audit(
            quiet,
            model_path=model,
            data_dir=data,
            checklist=checklist,
            target=target,
            seed=seed,
            trust_model=trust_model,
            fail_on=fail_on.value,
            quick=quick,
            debug=debug,
        )
        _write_outputs(result, report, json_path, quiet)
        if quiet:
            out.print(f"Verdict: {result.verdict}", highlight=False)
        else:
            print_summary(result, out)
    raise typer.Exit(api.exit_code(result))


@app.command()
def compare(
    models: Annotated[list[Path], typer.Argument(help="Two or more model files.")],
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Folder with the splits.")
    ] = None,
    checklist: Annotated[
        Path | None, typer.Option("--checklist", "-c", help="Checklist file.")
    ] = None,
    target: Annotated[str | None, typer.Option(help="Target column.")] = None,
    report: Annotated[Path | None, typer.Option(help="Markdown comparison to write.")] = Path(
        "mlready-compare.md"
    ),
    json_path: Annotated[Path | None, typer.Option("--json", help="JSON to write.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    trust_model: Annotated[
        bool, typer.Option("--trust-model", help="Skip the allow-list scan.")
    ] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Time fewer calls.")] = False,
    debug: DebugOption = False,
) -> None:
    """Compare candidate models: metric, latency, memory, size, cost; mark the Pareto set.

    Exits 1 when no candidate meets every hard limit of the checklist.
    """
    from mlready.compare import compare_models
    from mlready.report.markdown import render_comparison

    with _exit_codes(debug), _progress(False):
        result = compare_models(
            models,
            data,
            checklist=checklist,
            target=target,
            seed=seed,
            trust_model=trust_model,
            quick=quick,
        )
        if report is not None:
            write_atomic(report, render_comparison(result))
        if json_path is not None:
            write_atomic(json_path, result.model_dump_json(indent=2) + "\n")
        print_comparison(result, out)
    raise typer.Exit(
        ExitCode.OK if any(not c.breaches for c in result.candidates) else ExitCode.CHECKS_FAILED
    )


@app.command()
def init(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")] = Path(
        "checklist.yaml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    debug: DebugOption = False,
) -> None:
    """Write a commented starter checklist.yaml documenting every key and its default."""
    with _exit_codes(debug):
        if output.exists() and not force:
            raise MlreadyError(f"{output} already exists", hint="pass --force to overwrite it")
        write_atomic(output, starter_checklist(load_checks()))
        out.print(f"wrote {output}", highlight=False)


@app.command("checks")
def list_checks(debug: DebugOption = False) -> None:
    """List the installed checks: id, checklist question and options."""
    with _exit_codes(debug):
        for check in load_checks().values():
            out.print(
                f"[bold]{check.id}[/bold]  (question {check.question}) {check.title}",
                highlight=False,
            )
            defaults = check.Params()
            for name, field in check.Params.model_fields.items():
                out.print(f"    {name}: {yaml_value(getattr(defaults, name))}", highlight=False)
                out.print(f"      [dim]{field.description}[/dim]", highlight=False)


@app.command()
def explain(
    check_id: Annotated[str, typer.Argument(help="Check id, e.g. baseline.")],
    debug: DebugOption = False,
) -> None:
    """Explain what a check does, why it matters, and how to configure it."""
    with _exit_codes(debug):
        checks = load_checks()
        if check_id not in checks:
            from mlready.spec import suggest

            raise MlreadyError(
                f"unknown check {check_id!r}{suggest(check_id, list(checks))}",
                hint="'mlready checks' lists them",
            )
        check = checks[check_id]
        out.print(
            f"[bold]{check.id}[/bold]: {check.title} (checklist question {check.question})\n",
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

    with _exit_codes(debug):
        model, checklist = build_example(folder)
        out.print(
            f"built the example in {folder}/ (model.pkl, checklist.yaml, splits/)", highlight=False
        )
        result = _run_audit(
            False, model_path=model, data_dir=None, checklist=checklist, debug=debug
        )
        _write_outputs(result, folder / "report.md", folder / "report.json", quiet=False)
        print_summary(result, out)
    raise typer.Exit(api.exit_code(result))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="mlready")


if __name__ == "__main__":
    main()
