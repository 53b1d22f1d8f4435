"""Isolation: takes a query worker process off the network, so no query can make it open a connection.

pyoxigraph evaluates `SERVICE` by opening an HTTP connection and has no switch to turn that off, and a
lexical guard can only be as right as its lexer. So when no endpoint is allowlisted for federation, each
query worker moves itself, before it opens the store, into a network namespace of its own: that namespace
has only a loopback interface, which is down, so every connection fails at once — to this machine and to
any other. Its pipe to the server is a socket pair made before the move, and keeps working.

Python 3.11 has no `os.unshare`, so this calls the C library's `unshare(2)`. As root, a new network
namespace is enough; otherwise a new user namespace is made with it, which most Linux kernels allow to
unprivileged users. Where neither works (another operating system, a container that forbids namespaces),
the worker runs with the network and says so: `/health` reports the isolation in force, and the server
logs a warning at start-up. The lexical guard still refuses SERVICE there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

#: the isolation a worker reports when the network is cut
NAMESPACE = "network-namespace"


def cut_network() -> str:
    """Move this process into an empty network namespace; return NAMESPACE, or why it could not."""
    if not sys.platform.startswith("linux"):
        return f"none: network namespaces need Linux ({sys.platform})"
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    errors = []
    for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return NAMESPACE
        errors.append(os.strerror(ctypes.get_errno()))
    return "none: unshare(2) refused (" + "; ".join(errors) + ")"
