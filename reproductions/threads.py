"""The ``--threads`` option the reproduction scripts share: how many threads NumPy's BLAS uses."""

import contextlib

import threadpoolctl


def add_option(parser, default=None):
    """Add ``--threads N`` to an argparse parser."""
    fallback = "NumPy's own choice" if default is None else default
    parser.add_argument(
        "--threads",
        type=int,
        default=default,
        help=f"BLAS threads, and PyTorch's where the script runs it "
        f"(default: {fallback}; 1 on a busy machine)",
    )


def limit(threads):
    """A context in which NumPy's BLAS uses ``threads`` threads (no limit for None)."""
    if not threads:
        return contextlib.nullcontext()
    return threadpoolctl.threadpool_limits(threads, user_api="blas")
