"""What the ``data_quality`` check computes (declared in mlready.checks.data_quality)."""

from __future__ import annotations

from mlready.check import Finding, SkipCheck, combine
from mlready.checks.compute._plots import interval_bars
from mlready.checks.data_quality import DataQualityParams
from mlready.context import AuditContext
from mlready.contract import DataContract, load_contract
from mlready.numbers import listed, percent
from mlready.quality.infer import draft_contract
from mlready.quality.results import BatchResult
from mlready.results import Evidence, Outcome, Status, Table
from mlready.steps import step


def _contract(context: AuditContext, params: DataQualityParams) -> tuple[DataContract, str | None]:
    """The checklist's contract and its path, or a draft inferred from train (or taken from
    the train profile) and None."""
    if params.contract is not None:
        path = context.spec.base_dir / params.contract
        return load_contract(path), str(params.contract)
    if context.profile is not None:
        return context.profile.contract, None
    train = context.frame("train")
    return draft_contract(train, context.spec.data, context.target, params.margin), None


def _split(context: AuditContext, name: str, contract: DataContract, draft: bool) -> Finding:
    if name != "production" and contract.batch.freshness is not None:
        # Test and validation are snapshots from the past: only production has an age.
        batch = contract.batch.model_copy(update={"freshness": None})
        contract = contract.model_copy(update={"batch": batch})
    sources = context.batch_sources(name)
    results = []
    for number, source in enumerate(sources, start=1):
        step(f"{name}: batch {number} of {len(sources)}")
        results.append(source.validate(contract))
    rows = sum(r.rows for r in results)
    quarantined = sum(r.quarantined_rows for r in results)
    counts: dict[str, float] = {}
    for result in results:
        for rule in result.rules:
            if rule.kind == "row" and rule.count:
                label = f"{rule.rule}:{rule.column}" if rule.column else rule.rule
                counts[label] = counts.get(label, 0) + rule.count
    plots = (
        [
            interval_bars(
                f"Rows breaking each rule, {name}", "rows", list(counts), list(counts.values())
            )
        ]
        if counts
        else []
    )
    finding = Finding(
        plots=plots,
        evidence=[
            Evidence(name=f"{name}_rows", value=rows),
            Evidence(
                name=f"{name}_invalid_share",
                value=quarantined / rows if rows else 0.0,
                threshold=contract.batch.max_invalid_fraction,
                op="<=",
            ),
        ],
        tables=[_table(name, results)],
    )
    for result in results:
        if result.status in (Status.FAIL, Status.WARN):
            status = Status.WARN if draft else result.status
            broken = listed((r.message for r in result.problems), 4, "; ")
            finding.verdicts.append((status, f"{name} ({result.source}): {broken}"))
    if quarantined:
        finding.notes.append(
            f"{name}: {quarantined:,} of {rows:,} rows ({percent(quarantined / rows)}) break a "
            "row rule; 'mlready validate --quarantine FILE' writes them out with the reasons"
        )
    return finding


def _table(name: str, results: list[BatchResult]) -> Table:
    rows = []
    for result in results:
        for rule in result.problems:
            example = rule.examples[0] if rule.examples else None
            shown = f"row {example.row}: {example.value}" if example else ""
            count = rule.count if rule.kind == "row" else rule.observed
            rows.append(
                [
                    result.source,
                    rule.status.value,
                    rule.rule,
                    rule.column or "",
                    count,
                    rule.limit,
                    shown,
                ]
            )
    if not rows:
        rows = [[r.source, r.status.value, "all rules met", "", r.rows, None, ""] for r in results]
    return Table(
        title=f"Data contract, {name}",
        columns=["batch", "status", "rule", "column", "rows / observed", "limit", "example"],
        rows=rows,
    )


def run(context: AuditContext, params: DataQualityParams) -> Outcome:
    """The outcome of the check declared in mlready.checks.data_quality, on ``context``."""
    splits = [
        s
        for s in dict.fromkeys(params.splits)  # each once, in the order given
        if context.has_split(s) or (s == "production" and context.has_production)
    ]
    if not splits:
        raise SkipCheck(f"none of the splits {', '.join(params.splits)} is present")
    contract, origin = _contract(context, params)
    findings = [_split(context, name, contract, origin is None) for name in splits]
    profiled = context.profile.meta.margin if context.profile is not None else None
    if origin is None and profiled is not None and profiled != params.margin:
        findings.append(
            Finding(
                notes=[
                    f"the draft contract comes from the train profile, inferred with "
                    f"margin {profiled}; margin {params.margin} applies only to a draft "
                    f"inferred from train: run 'mlready profile --margin "
                    f"{params.margin}' to use it"
                ]
            )
        )
    if origin is None:
        findings.append(
            Finding.of(
                Status.WARN,
                "no data contract in the checklist, so nothing guards incoming data: "
                "a draft inferred from train was used; write one with 'mlready contract "
                "infer', set checks.data_quality.contract, and run 'mlready validate' "
                "on every batch before scoring",
            )
        )
    rows = sum(e.value or 0 for f in findings for e in f.evidence if e.name.endswith("_rows"))
    source = origin or "a draft inferred from train"
    return combine(
        findings,
        f"every rule of the data contract ({source}) is met: {', '.join(splits)}, {rows:,} rows",
    )
