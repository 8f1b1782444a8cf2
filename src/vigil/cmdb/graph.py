"""The CI page's impact picture: the impact analysis laid out by Graphviz's `dot` as SVG (business services
at the top), or, where `dot` is not installed, the same reach as a tree for an indented list.

Both are built from the analysis' shortest paths: each reached CI hangs under the CI one step nearer the
origin, and each edge is worded from its upper end ("db hosts app"). Only the nearest `LIMIT` CIs are drawn.
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass, field

import graphviz

from vigil.cmdb.schemas import CIRef, ImpactDirection, ImpactItem, ImpactRead

#: The most CIs a drawing or a tree shows (the nearest first); the page says when more were reached.
LIMIT = 150

#: A font dot measures well and every browser has (the layout is computed with its widths).
FONT = "Helvetica,Arial,sans-serif"
#: What the page says where `dot` is missing.
MISSING = "Install Graphviz (apt install graphviz) to see this as a drawing."

#: Colours for the light and the dark page (an <img> cannot read the page's CSS, so the SVG carries them).
STYLE = (
    "<style>"
    "text { fill: #1d2330; }"
    ".node polygon, .node path { fill: #ffffff; stroke: #8a93a6; }"
    ".node.service polygon, .node.service path { fill: #eaf0ff; stroke: #2f5bea; }"
    ".node.critical polygon, .node.critical path { stroke: #c0352b; stroke-width: 2.5; }"
    ".node.origin polygon, .node.origin path { fill: #fff4e5; stroke: #8a5a00; stroke-width: 2; }"
    ".edge path { stroke: #8a93a6; } .edge polygon { fill: #8a93a6; stroke: #8a93a6; }"
    ".edge text { fill: #5b6478; }"
    "@media (prefers-color-scheme: dark) {"
    "text { fill: #e3e7ef; } .edge text { fill: #9aa3b5; }"
    ".node polygon, .node path { fill: #171c27; stroke: #6b7489; }"
    ".node.service polygon, .node.service path { fill: #1d2746; stroke: #7f9cff; }"
    ".node.critical polygon, .node.critical path { stroke: #ff8a80; }"
    ".node.origin polygon, .node.origin path { fill: #35290f; stroke: #f0bd5e; }"
    ".edge path { stroke: #6b7489; } .edge polygon { fill: #6b7489; stroke: #6b7489; } }"
    "</style>"
)


@dataclass
class Node:
    """A CI in the impact tree, under the CI one step nearer the origin."""

    ci: CIRef
    criticality: int
    is_service: bool
    #: How the edge from the parent reads ("hosts", "is depended on by"); empty for the origin.
    words: str = ""
    children: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class Shape:
    """The impact cut to what is shown: the origin's tree, and whether CIs were left out."""

    root: Node
    shown: int
    reached: int
    cut: bool


def shape(impact: ImpactRead, *, limit: int = LIMIT) -> Shape:
    """The nearest `limit` reached CIs as a tree under the origin, from each one's shortest path. A CI
    whose parent is not shown (the actor may not see it) hangs under the origin."""
    root = Node(ci=impact.origin, criticality=0, is_service=False)
    kept = impact.items[:limit]
    nodes: dict[uuid.UUID, Node] = {impact.origin.id: root}
    for item in kept:  # nearest first, so a parent is placed before its children
        nodes[item.ci.id] = _node(item)
    for item in kept:
        parent = item.path[-2].ci.id if len(item.path) > 1 else impact.origin.id
        nodes.get(parent, root).children.append(nodes[item.ci.id])
    cut = len(impact.items) > limit or impact.truncated
    return Shape(root=root, shown=len(kept), reached=len(impact.items), cut=cut)


def _node(item: ImpactItem) -> Node:
    # The last step's label is the edge worded from the nearer CI (impact analysis words each step so).
    said = item.path[-1].label if item.path else ""
    return Node(ci=item.ci, criticality=item.criticality, is_service=item.is_service, words=said)


def dot_installed() -> bool:
    return shutil.which("dot") is not None


def render(impact: ImpactRead, *, dot: bool | None = None, limit: int = LIMIT) -> str | None:
    """The impact as an SVG document laid out by Graphviz's `dot`, or None when `dot` is not installed
    (`dot`: whether to use it; None finds out from PATH)."""
    if not (dot_installed() if dot is None else dot):
        return None
    graph = _graph(shape(impact, limit=limit), impact.direction)
    try:
        svg = graph.pipe(format="svg", engine="dot", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        return None
    return _styled(svg)


def _label(text: str) -> str:
    """Text for a DOT label: backslashes kept as they are (dot reads `\\N`, `\\l` as escapes)."""
    return text.replace("\\", "\\\\")


def _graph(cut: Shape, direction: ImpactDirection) -> graphviz.Digraph:
    # Upstream the services are reached last: bottom-to-top puts them at the top, the origin at the bottom.
    rankdir = "BT" if direction is ImpactDirection.UPSTREAM else "TB"
    graph = graphviz.Digraph(
        graph_attr={"rankdir": rankdir, "bgcolor": "transparent", "nodesep": "0.3", "ranksep": "0.5"},
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fontsize": "11",
            "margin": "0.12,0.06",
            "fontname": FONT,
        },
        edge_attr={"fontsize": "9", "arrowsize": "0.6", "fontname": FONT},
    )
    ids: dict[uuid.UUID, str] = {}

    def add(node: Node, parent: str | None) -> None:
        name = ids.setdefault(node.ci.id, f"n{len(ids)}")
        classes = ["origin"] if parent is None else []
        classes += ["service"] if node.is_service else []
        classes += ["critical"] if node.criticality == 1 else []
        label = f"{_label(node.ci.name)}\\n{_label(node.ci.ci_class.replace('_', ' '))}"
        graph.node(name, graphviz.nohtml(label), **{"class": " ".join(classes)} if classes else {})
        if parent is not None:
            graph.edge(parent, name, label=graphviz.nohtml(_label(node.words)))
        for child in node.children:
            add(child, name)

    add(cut.root, None)
    return graph


def _styled(svg: str) -> str:
    """The SVG with the page's colours for light and dark mode (CSS beats dot's presentation attributes)."""
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + STYLE, svg, count=1)
