"""invoke matrix: the targets as a GitHub Actions matrix, for one job per target.

    echo "matrix=$(flaskship matrix)" >> "$GITHUB_OUTPUT"
    strategy: {matrix: "${{ fromJSON(needs.plan.outputs.matrix) }}"}
"""

from __future__ import annotations

import json

from ..manifest import Project


def matrix(project: Project, target: list[str]) -> str:
    include = [{"target": name, "kind": settings.kind} for name, settings in project.select(target)]
    return json.dumps({"include": include}, separators=(",", ":"))
