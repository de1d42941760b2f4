"""The ``kubetyped`` command line: ``generate`` and ``validate``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from kubetyped._base_errors import KubetypedError

from .errors import SpecError
from .load import parse_spec_bytes
from .output import OutputError, diff_tree, write_tree

__all__ = ["main"]


def _generate(args: argparse.Namespace) -> int:
    try:
        from .generate import generate_files
    except ModuleNotFoundError as exc:  # Jinja2 or ruff: the client alone does not need them
        print(
            f"error: {exc}; install the generator: pip install 'kubetyped[codegen]'",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out)
    package_name = args.package or out.resolve().name
    started = time.perf_counter()
    from .generate import DEFAULT_BASE

    base = args.base
    if base is None and args.crd and not (args.spec or args.from_cluster):
        base = DEFAULT_BASE  # --crd alone: the CRDs on top of the bindings kubetyped ships
    if base in ("", "none"):
        base = None  # --base none: everything, the spec's types and the CRDs'
    if args.from_cluster:
        files = _from_cluster(args, package_name)
    elif args.openapi == "v3":
        if not args.spec:
            print("error: --openapi v3 reads --from-cluster or --spec FILE|DIR", file=sys.stderr)
            return 2
        from .crd import load_crds
        from .generate import generate_from_spec
        from .openapi3 import load_v3

        crds = load_crds(args.crd) if args.crd else None
        spec = load_v3(args.spec)
        files = generate_from_spec(spec, args.spec, package_name, crds=crds, base=base)
    else:
        files = generate_files(args.spec, package_name, args.crd, base)
    if args.check:
        differ = diff_tree(out, files)
        if differ:
            print(
                f"{out}: {len(differ)} file(s) differ from the generator's output:", file=sys.stderr
            )
            for name in differ:
                print(f"  {name}", file=sys.stderr)
            return 1
        print(f"{out}: up to date ({len(files)} files)")
        return 0
    write_tree(out, files)
    elapsed = time.perf_counter() - started
    print(f"wrote {len(files)} files to {out} in {elapsed:.2f}s")
    return 0


def _from_cluster(args: argparse.Namespace, package_name: str) -> dict[str, str]:
    """Download ``/openapi/v2`` (CRDs included) through the runtime, as kubectl would."""
    from kubetyped import Client, NotFound

    from .generate import generate_from_spec

    with Client(kubeconfig=args.kubeconfig, context=args.context) as client:
        version = client.version().git_version
        if args.openapi == "v3":
            from .openapi3 import merge_v3

            accept = {"Accept": "application/json"}
            index = client.request("GET", "/openapi/v3", headers=accept).json()
            documents = {}
            for name, entry in sorted(index.get("paths", {}).items()):
                try:
                    response = client.request("GET", entry["serverRelativeURL"], headers=accept)
                except NotFound:
                    response = None
                if response is None or not response.content:
                    # Gone since discovery: a deleted CRD's document is a 404 or empty.
                    logging.getLogger("kubetyped.codegen").warning(
                        "/openapi/v3/%s: gone since discovery; skipped", name
                    )
                    continue
                documents[name] = parse_spec_bytes(response.content, f"/openapi/v3/{name}")
            source = f"{client.config.server}/openapi/v3 (Kubernetes {version})"
            return generate_from_spec(
                merge_v3(documents), source, package_name, server=f"Kubernetes {version}"
            )
        body = client.request("GET", "/openapi/v2", headers={"Accept": "application/json"}).content
        source = f"{client.config.server}/openapi/v2 (Kubernetes {version})"
    spec = parse_spec_bytes(body, source)
    return generate_from_spec(spec, source, package_name, server=f"Kubernetes {version}")


_DESCRIPTION = """\
Typed Python bindings for Kubernetes, generated from the API server's OpenAPI spec.

  kubetyped generate --out k8s             bindings of the embedded Kubernetes v1.36 spec
  kubetyped generate --out k8s --from-cluster
                                           bindings of your cluster (CRDs included)
  kubetyped validate manifests/            check manifests against the bindings, offline

Run 'kubetyped COMMAND --help' for a command's options."""

_GENERATE_DESCRIPTION = """\
Write an importable, typed package (pydantic models and resource clients, sync and
asyncio) for a Kubernetes API: the embedded v1.36 spec by default, a saved spec (--spec),
your cluster's (--from-cluster), and CustomResourceDefinitions (--crd). --out must be a
new or empty folder, or an earlier output of the generator (it is replaced whole).

examples:
  kubetyped generate --out k8s
  kubetyped generate --out mycluster --from-cluster --context prod
  kubetyped generate --out mycrds --crd crds/          (CRDs on top of kubetyped.k8s)
  kubetyped generate --check --out k8s                 (exit 1 if k8s/ is out of date)"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"kubetyped {version('kubetyped')}"
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "kubetyped (version unknown: not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``kubetyped generate …``, ``kubetyped validate …``."""
    parser = argparse.ArgumentParser(
        prog="kubetyped",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    gen = commands.add_parser(
        "generate",
        help="generate a typed package from an OpenAPI spec",
        description=_GENERATE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gen.add_argument("--out", required=True, help="the package folder to write")
    gen.add_argument("--package", help="its import name (default: the folder's name)")
    source = gen.add_mutually_exclusive_group()
    source.add_argument(
        "--spec", help="spec file (JSON, may be gzipped) or URL; default: embedded v1.36"
    )
    source.add_argument(
        "--from-cluster",
        action="store_true",
        help="download /openapi/v2 from the kubeconfig's cluster",
    )
    gen.add_argument(
        "--crd",
        action="append",
        default=[],
        metavar="FILE|DIR|URL",
        help="add CRDs: a YAML/JSON file, a folder of them (recursively) or a URL (repeatable)",
    )
    gen.add_argument(
        "--base",
        metavar="PACKAGE",
        help="write only the CRDs' group-versions, importing every other type from this "
        "generated package (default with --crd alone: kubetyped.k8s; 'none': write all)",
    )
    gen.add_argument(
        "--openapi",
        choices=("v2", "v3"),
        default="v2",
        help="the spec's OpenAPI version: v3 reads /openapi/v3 (--from-cluster) or saved v3 "
        "documents (--spec FILE or a folder of them); default v2",
    )
    gen.add_argument("--context", help="kubeconfig context for --from-cluster")
    gen.add_argument(
        "--kubeconfig", help="kubeconfig file for --from-cluster (default: as kubectl)"
    )
    gen.add_argument("--check", action="store_true", help="only check that --out is up to date")
    gen.set_defaults(run=_generate)
    _add_validate(commands)
    return parser


def _add_validate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``kubetyped validate``: offline manifest validation (the runtime's kubetyped.validate)."""
    from kubetyped import validate

    check = commands.add_parser(
        "validate",
        help="check manifests against the bindings, offline",
        description=(validate.__doc__ or "").replace("``", ""),  # plain text, not reST
    )
    validate.add_arguments(check)
    check.set_defaults(run=validate.run)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kubetyped`` console script.

    Every error of the input, the output folder, the kubeconfig or the API server is printed
    as one line, ``error: <message>``, with exit status 2; never a traceback or a class path.
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    try:
        return int(args.run(args))
    except (SpecError, OutputError, KubetypedError) as exc:
        # KubetypedError: a runtime error (ConfigError, ApiError, ...), imported from its
        # dependency-free home so that reporting an error can never fail on an import.
        print(f"error: {_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _message(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
