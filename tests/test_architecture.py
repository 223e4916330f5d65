"""The seams between apps hold: layers point one way, apps meet only at each other's public modules,
services never import jobs, and no two modules import each other (lazy imports inside functions
count: they hide a circle, they do not end it).

The import graph is read from the source by grimp (import-linter's engine), TYPE_CHECKING imports
left out. docs/architecture.md explains the rules and how a new app declares its public modules.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("yuqing", "customers", "incidents", "training")

# Each app's public modules: what another app may import. Everything else (views, forms, filters,
# jobs, admin, demo, urls, templatetags, helpers) is the app's own. A module listed here is public
# with its submodules (`customers.services.feedback`), never a name starting with "_".
PUBLIC: dict[str, frozenset[str]] = {
    "yuqing.platform": frozenset({"files", "http", "queue"}),
    "yuqing.postgres": frozenset({"owner", "rls"}),
    "yuqing.tenancy": frozenset(
        {"models", "roles", "context", "managers", "selectors", "services", "guard", "access", "admin", "forms", "demo"}
        | {"migration_ops"}
    ),
    "yuqing.audit": frozenset({"models", "services", "selectors"}),
    "yuqing.workcalendar": frozenset({"models", "services", "selectors", "deadlines", "complaint_limits"}),
    "yuqing.notify": frozenset({"models", "services", "selectors", "forms"}),
    "customers": frozenset({"models", "services", "selectors", "validators"}),
    "incidents": frozenset({"models", "services", "selectors"}),
    "training": frozenset({"models", "services", "selectors"}),
    "yuqing.monitoring": frozenset({"models", "services", "selectors"}),
    "yuqing.reports": frozenset({"models", "services", "selectors"}),
}

# Higher layers may import lower ones, never the reverse. Apps on one line know each other only
# through a service argument or a signal, except tenancy and audit: tenancy's writes are audited,
# and the audit trail's rows belong to tenants.
LAYERS = (
    ("yuqing.reports",),
    ("yuqing.monitoring",),
    ("incidents", "training"),
    ("customers",),
    ("yuqing.notify",),
    ("yuqing.workcalendar",),
    ("yuqing.audit", "yuqing.tenancy"),
)

# The composition root: settings, URLs, the cron table and the operator's commands wire every app
# together, so they may import any module of any app (but are imported by none).
COMPOSITION_ROOT = (
    "yuqing.settings",
    "yuqing.urls",
    "yuqing.platform_urls",
    "yuqing.cron",
    "yuqing.wsgi",
    "yuqing.platform.management",
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)


def _app_of(module: str) -> str | None:
    for app in sorted(PUBLIC, key=len, reverse=True):
        if module == app or module.startswith(app + "."):
            return app
    return None


def _is_root(module: str) -> bool:
    return any(module == root or module.startswith(root + ".") for root in COMPOSITION_ROOT)


def _is_public(app: str, module: str) -> bool:
    if module == app:
        return True
    parts = module[len(app) + 1 :].split(".")
    return parts[0] in PUBLIC[app] and not any(part.startswith("_") and part != "__init__" for part in parts)


def _imports(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    return [
        (importer, imported)
        for importer in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(importer))
        if imported in graph.modules
    ]


def _line(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    where = ", ".join(f"line {d['line_number']}" for d in details[:3])
    return f"{importer} -> {imported} ({where})"


def test_apps_import_only_each_others_public_modules(graph: grimp.ImportGraph) -> None:
    offences = []
    for importer, imported in _imports(graph):
        source, target = _app_of(importer), _app_of(imported)
        if target is None or source == target or _is_root(importer):
            continue
        if not _is_public(target, imported):
            offences.append(_line(graph, importer, imported))
    assert not offences, "Imports of another app's private modules:\n" + "\n".join(offences)


def test_no_service_imports_a_jobs_module(graph: grimp.ImportGraph) -> None:
    def is_services(module: str) -> bool:
        return ".services." in module + "." and not _is_root(module)

    def is_jobs(module: str) -> bool:
        return module.endswith(".jobs") or ".jobs." in module

    offences = [
        _line(graph, importer, imported)
        for importer, imported in _imports(graph)
        if is_services(importer) and is_jobs(imported)
    ]
    assert not offences, "Services name jobs by dotted path (yuqing.platform.queue.enqueue):\n" + "\n".join(offences)


def _strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other, directly or not."""
    edges = {
        m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i in graph.modules) for m in graph.modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = edges[node]
            if position < len(children):
                work.append((node, position + 1))
                child = children[position]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return groups


def test_no_two_modules_import_each_other(graph: grimp.ImportGraph) -> None:
    circles = _strongly_connected(graph)
    assert not circles, "Import circles (lazy imports included):\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_layers_point_one_way(graph: grimp.ImportGraph) -> None:
    layers = [grimp.Layer(*apps, independent=False) for apps in LAYERS]
    illegal = graph.find_illegal_dependencies_for_layers(layers=layers, containers=set())
    offences = [
        f"{dependency.importer} -> {dependency.imported}: "
        + "; ".join(f"{sorted(route.heads)} ... {sorted(route.tails)}" for route in dependency.routes)
        for dependency in illegal
        if not _is_root(dependency.importer)
    ]
    assert not offences, "A lower layer imports a higher one:\n" + "\n".join(offences)


def test_the_architecture_test_sees_a_circle_and_a_private_import(tmp_path: Path) -> None:
    """The checks above are not vacuous: on a tiny tree with each fault they report it."""
    package = tmp_path / "archprobe"
    (package / "one").mkdir(parents=True)
    (package / "two").mkdir()
    for path in (package, package / "one", package / "two"):
        (path / "__init__.py").write_text("")
    (package / "one" / "views.py").write_text("def v():\n    from archprobe.two import helpers\n")
    (package / "two" / "helpers.py").write_text("from archprobe.one import views\n")
    sys.path.insert(0, str(tmp_path))
    try:
        probe = grimp.build_graph("archprobe", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert _strongly_connected(probe) == [["archprobe.one.views", "archprobe.two.helpers"]]
    assert probe.direct_import_exists(importer="archprobe.one.views", imported="archprobe.two.helpers")
    assert _is_public("customers", "customers.services.feedback")
    assert not _is_public("customers", "customers.views.customers")
    assert not _is_public("customers", "customers.services._rows")
