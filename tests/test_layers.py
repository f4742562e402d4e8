"""The import graph has no upward arrow: each module imports only its own layer and the layers below it.

The layers are those of ../shared/DESIGN.md ("Layers (each imports only the layers above it)", drawn there
with the lowest layer first):

    errors < _internal < model < keys, loader < did < proofs < registry < checks, verify < issue
    < wallet, qr < cli, web

Every ``import`` in the package and the CLI is read with :mod:`ast`, at module level (``TYPE_CHECKING``
blocks included: a type is a dependency too) and inside functions (a lazy import is still an arrow), and
resolved to the module it loads; importing ``a.b.c`` also runs the package ``a.b``'s ``__init__``, so that
is an arrow too. A failure names each offending edge, e.g. ``omc_vc.x (model) -> omc_vc.y (issue)``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: DESIGN.md's layers, lowest first.
LAYERS = ("errors", "_internal", "model", "keys+loader", "did", "proofs", "registry", "checks+verify", "issue",
          "wallet+qr", "cli+web")

#: Module (or package, covering everything under it) -> layer; the longest matching prefix wins.
LAYER_OF: dict[str, str] = {
    # the package root re-exports the verifier and its helpers (a facade over the layers below checks+verify);
    # importing any omc_vc module runs it, so that implicit arrow is not counted (see _edges)
    "omc_vc": "checks+verify",
    "omc_vc.errors": "errors",
    "omc_vc._internal": "_internal",
    "omc_vc.i18n": "_internal",  # our words in English and French, and the reader's language
    "omc_vc.model": "model",
    "omc_vc.bitstring": "model",  # Bitstring Status List: the bitstring and the entry rules, both sides
    "omc_vc.omc": "model",  # the package __init__ re-exports omc.model only
    "omc_vc.omc.model": "model",  # OMC accessors on plain data
    "omc_vc.omc.policy": "model",  # the versioned policy file, read as data
    "omc_vc.omc.stacks": "model",  # OMC+ stacking read from plain data
    "omc_vc.keys": "keys+loader",
    "omc_vc.jsonld": "keys+loader",
    "omc_vc.jsonld_plain": "keys+loader",
    "omc_vc._fastrdf": "keys+loader",  # jsonld's direct JSON-LD-to-RDF path
    "omc_vc.did": "did",
    "omc_vc.proofs": "proofs",
    "omc_vc.registry": "registry",
    "omc_vc.checks": "checks+verify",
    "omc_vc.verify": "checks+verify",
    "omc_vc.verdict": "checks+verify",  # the registry checks and the OMC verdict composed into a Verifier
    "omc_vc.omc.endorsement": "checks+verify",  # endorsement binding, read against the registry
    "omc_vc.omc.profile": "checks+verify",  # the omc-profile check (its validate_omc also serves issuance)
    "omc_vc.issue": "issue",
    "omc_vc.omc.builder": "issue",  # builds and signs OMCs
    "omc_vc.wallet": "wallet+qr",
    "omc_vc.wallet_receive": "wallet+qr",  # the wallet's side of credential offers
    "omc_vc.wallet_oid4vci": "wallet+qr",  # the wallet's side of OpenID4VCI (receive a credential from an offer)
    "omc_vc.qr": "wallet+qr",
    "omc_vc.certificate": "wallet+qr",  # a wallet item's certificate (HTML, PDF)
    "omc_vc.web": "cli+web",
    "omc_vc.cli": "cli+web",
}

#: Known upward arrows, each with the reason it is tolerated for now. Keep this empty where possible: an
#: entry here is a debt, and the test fails when an entry is no longer needed (so it cannot go stale).
ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int

    def describe(self) -> str:
        return (f"{self.source} ({layer(self.source)}) -> {self.target} ({layer(self.target)}) "
                f"[{path_of(self.source)}:{self.line}]")


def _modules() -> dict[str, Path]:
    """Every module of the package and of the CLI (installed as omc_vc.cli), by dotted name."""
    found: dict[str, Path] = {}
    for base, package in ((ROOT / "omc_vc", "omc_vc"), (ROOT / "cli", "omc_vc.cli")):
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def path_of(module: str) -> str:
    return str(MODULES[module].relative_to(ROOT))


def layer(module: str) -> str:
    name = module
    while name:
        if name in LAYER_OF:
            return LAYER_OF[name]
        name = name.rpartition(".")[0]
    raise KeyError(module)


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The omc_vc modules an import statement loads (the named module, or each named submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] in ("omc_vc", "cli")]
    if node.level:
        package = module if _is_package(module) else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if base.split(".")[0] == "cli":
        base = "omc_vc." + base
    if base.split(".")[0] != "omc_vc":
        return []
    # ``from package import name``: the submodule when ``name`` is one, else the package itself
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]


def _edges(module: str) -> list[Edge]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))
    edges: list[Edge] = []
    for node in ast.walk(tree):  # module level, TYPE_CHECKING blocks and function bodies alike
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for target in _resolve(module, node):
            if target not in MODULES:
                continue
            # importing a.b.c runs a.b's __init__ too (the package root omc_vc aside: every import runs it)
            chain = [target]
            parent = target.rpartition(".")[0]
            while parent and parent != "omc_vc":
                chain.append(parent)
                parent = parent.rpartition(".")[0]
            edges += [Edge(module, t, node.lineno) for t in chain if t != module and not module.startswith(t + ".")]
    return edges


def _upward() -> list[Edge]:
    rank = {name: index for index, name in enumerate(LAYERS)}
    return [edge for module in MODULES for edge in _edges(module)
            if rank[layer(edge.target)] > rank[layer(edge.source)]]


def test_every_module_has_a_layer() -> None:
    unmapped = []
    for module in MODULES:
        try:
            layer(module)
        except KeyError:
            unmapped.append(module)
    assert not unmapped, f"modules with no layer in LAYER_OF: {unmapped}"
    assert set(LAYER_OF.values()) <= set(LAYERS)


def test_no_import_runs_up_a_layer() -> None:
    upward = _upward()
    offending = [e for e in upward if (e.source, e.target) not in ALLOWED]
    assert not offending, "imports that run up a layer (DESIGN.md):\n" + "\n".join(e.describe() for e in offending)


def test_the_allow_list_holds_only_edges_that_still_exist() -> None:
    present = {(e.source, e.target) for e in _upward()}
    stale = [f"{source} -> {target}" for source, target in ALLOWED if (source, target) not in present]
    assert not stale, f"allow-list entries no longer needed (remove them): {stale}"


@pytest.mark.parametrize(("source", "target"), [
    ("omc_vc.bitstring", "omc_vc.checks.status"),
    ("omc_vc.checks.status", "omc_vc.issue.status_lists"),
    ("omc_vc.verify", "omc_vc.checks.status"),
])
def test_the_status_roles_stay_apart(source: str, target: str) -> None:
    # the bitstring model, the issuer side and the verifier's check were once one module above verify
    assert all(e.target != target for e in _edges(source)), f"{source} imports {target}"


def test_the_checker_sees_function_level_and_type_checking_imports() -> None:
    # a guard on the guard: omc.profile imports the verifier's CheckContext only for types, and verdict
    # imports the status check inside make_verifier; both must be seen as arrows
    assert "omc_vc.verify" in {e.target for e in _edges("omc_vc.omc.profile")}
    assert "omc_vc.checks.status" in {e.target for e in _edges("omc_vc.verdict")}
