"""``python -m kubetyped.testing build|where``: build or locate the test binaries."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ._binaries import DEFAULT_ETCD_VERSION, DEFAULT_K8S_VERSION, BinariesNotFound, find_binaries


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m kubetyped.testing",
        description="Build or locate the kube-apiserver and etcd binaries the tests start.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser(
        "build",
        help="build kube-apiserver and etcd from Go modules into the cache (needs Go >= 1.26)",
        description="Build kube-apiserver and etcd from Go modules. Exits at once when the "
        "binaries exist. About 4 min on 2 cores with empty Go caches; much less when they are warm.",
    )
    b.add_argument("--version", default=DEFAULT_K8S_VERSION, help="kube-apiserver version")
    b.add_argument("--etcd-version", default=DEFAULT_ETCD_VERSION, help="etcd version")
    b.add_argument(
        "--out-dir",
        type=Path,
        help="where to put the binaries (default: ~/.cache/kubetyped/envtest/<version>, "
        "honouring XDG_CACHE_HOME)",
    )
    b.add_argument(
        "--only",
        choices=["kube-apiserver", "etcd", "test-kubelet"],
        help="build just one of them (test-kubelet: exec, attach, port-forward for the e2e tests)",
    )
    b.add_argument("--jobs", "-p", type=int, help="go build -p (default: Go's, the CPU count)")
    b.add_argument("--verbose", "-v", action="store_true", help="go build -v: list packages")
    b.add_argument("--force", action="store_true", help="rebuild even if the binaries exist")
    w = sub.add_parser("where", help="print the directory the tests take the binaries from")
    w.add_argument("--version", default=DEFAULT_K8S_VERSION, help="kube-apiserver version")
    args = parser.parse_args(argv)

    if args.command == "where":
        try:
            print(find_binaries(args.version).dir)
        except BinariesNotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0

    from ._build import BuildError, build

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM (CI timeouts, `kill`) and SIGHUP (a closed terminal) would otherwise end us
    # without stopping go, which runs in its own process group, or removing the partial
    # binary.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    try:
        build(
            args.version,
            args.etcd_version,
            out_dir=args.out_dir,
            kube_apiserver=args.only in (None, "kube-apiserver"),
            etcd=args.only in (None, "etcd"),
            kubelet=args.only in (None, "test-kubelet"),
            jobs=args.jobs,
            verbose=args.verbose,
            force=args.force,
        )
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; no partial binary was kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
