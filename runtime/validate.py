"""``kubetyped validate``: check manifests against the bindings, offline, as CI does.

Every object of every file (a folder's ``.yaml``, ``.yml`` and ``.json`` files; ``-`` for
stdin) is checked against the registry's models the way the API server's strict field
validation would check it: wrong types, required fields not set, fields no model declares
(``kubectl --validate=strict``), unknown apiVersion/kind, and YAML that kubectl cannot read.
Each problem names the file, line, document and JSON path; the exit status is 1 when there is
one. The schema is ``kubetyped.k8s`` (Kubernetes v1.36) unless ``--package`` adds a generated
package, ``--spec`` gives a cluster's own OpenAPI spec, or ``--crd`` adds CRD files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from .registry import DEFAULT_PACKAGE, KindRegistry

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kubetyped validate``."""
    parser.add_argument("paths", nargs="+", metavar="FILE|DIR|-", help="manifests to check")
    parser.add_argument(
        "--package",
        action="append",
        default=[],
        help="also check against a generated package (import name; repeatable)",
    )
    parser.add_argument(
        "--spec", help="check against this OpenAPI v2 spec (JSON, may be gzipped) instead"
    )
    parser.add_argument(
        "--crd", action="append", default=[], metavar="FILE", help="add CRDs (repeatable)"
    )
    parser.add_argument("--output", choices=("text", "json"), default="text")


def _generated(spec: str | None, crds: list[str], work: Path) -> str:
    """Generate a package for ``spec`` and ``crds`` into ``work``; its import name."""
    from kubetyped.codegen.generate import generate_files
    from kubetyped.codegen.output import write_tree

    digest = hashlib.sha256(repr((spec, crds)).encode()).hexdigest()[:12]
    name = f"kubetyped_validate_{digest}"
    write_tree(work / name, generate_files(spec, name, crds))
    sys.path.insert(0, str(work))
    return name


def _registry(args: argparse.Namespace, work: Path) -> KindRegistry:
    if args.package and "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # a package generated here (`--out mycluster`)
    if args.spec or args.crd:
        return KindRegistry((_generated(args.spec, args.crd, work), *args.package))
    return KindRegistry((DEFAULT_PACKAGE, *args.package))


def run(args: argparse.Namespace) -> int:
    """Check the manifests; 0 when all are valid, 1 when anything is wrong."""
    from .manifest import problems  # pydantic and the models: only when validating

    with tempfile.TemporaryDirectory(prefix="kubetyped-validate-") as tmp:
        try:
            registry = _registry(args, Path(tmp))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except ModuleNotFoundError as exc:  # --spec/--crd need the generator's templates
            print(
                f"error: {exc}; --spec and --crd need the generator: "
                "pip install 'kubetyped[codegen]'",
                file=sys.stderr,
            )
            return 2
        valid, found = problems(args.paths, registry=registry)
    if args.output == "json":
        report: dict[str, Any] = {"valid": valid, "problems": [p.to_dict() for p in found]}
        print(json.dumps(report, indent=2))
    else:
        for problem in found:
            print(problem)
        summary = f"{valid} object(s) valid, {len(found)} problem(s)"
        print(summary, file=sys.stderr if found else sys.stdout)
    return 1 if found else 0
