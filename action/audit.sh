#!/usr/bin/env bash
# The audit step of action.yml, a script of its own so that the tests run it as a runner would
# (with GITHUB_OUTPUT, GITHUB_JOB and the inputs as environment variables).
set -euo pipefail

args=(audit)
if [ -n "${MODEL:-}" ]; then args+=("$MODEL"); fi
args+=(--data "$DATA" --fail-on "${FAIL_ON:-fail}"
       --report mlready-report.md --json mlready-report.json
       --html mlready-report.html --junit mlready-junit.xml)
if [ -n "${CHECKLIST:-}" ]; then args+=(--checklist "$CHECKLIST"); fi
if [ -n "${COMPARE_TO:-}" ]; then args+=(--compare-to "$COMPARE_TO"); fi
read -r -a extra <<< "${ARGS:-}"
args+=("${extra[@]}")

name="${ARTIFACT_NAME:-}"
if [ -z "$name" ]; then
  # what tells the jobs of a matrix apart: their inputs, the runner's system and Python
  key="${MODEL:-} ${DATA} ${CHECKLIST:-} ${ARGS:-} ${RUNNER_OS:-} ${PYTHON_VERSION:-} $(python -V 2>&1)"
  name="mlready-report-${GITHUB_JOB:-job}-$(printf '%s' "$key" | sha256sum | cut -c1-8)"
fi

set +e
mlready "${args[@]}"
code=$?
set -e
{
  echo "exit-code=$code"
  echo "artifact-name=$name"
  echo "report=mlready-report.md"
  echo "json=mlready-report.json"
  echo "html=mlready-report.html"
  echo "junit=mlready-junit.xml"
  if [ -f mlready-report.json ]; then
    python -c "import json; r = json.load(open('mlready-report.json')); print('verdict=' + r['verdict']); print('status=' + r['status'])"
  else
    echo "status=error"
  fi
} >> "$GITHUB_OUTPUT"
exit "$code"
