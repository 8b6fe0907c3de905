"""Build the bundled example: splits, a pickled scikit-learn pipeline and a checklist.

    python examples/build_example.py example/
    mlready audit example/model.pkl --checklist example/checklist.yaml

(`mlready demo` does both in one step.)
"""

import sys
from pathlib import Path

from mlready.demo import build_example

if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "example")
    model, checklist = build_example(folder)
    print(f"wrote {model}, {checklist} and {folder / 'splits'}/")
