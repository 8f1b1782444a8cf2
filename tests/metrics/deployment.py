"""The shipped Prometheus rules and Grafana dashboard, read for tests: their files and the metric names
their PromQL uses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "vigil-rules.yml"
RULES_TEST = DEPLOY / "prometheus" / "vigil-rules.test.yml"
SCRAPE_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "itsm-analytics.json"
PROVISIONING = DEPLOY / "grafana" / "provisioning"

#: Vigil's metric names: everything else in an expression (`up`, functions, labels) is Prometheus's own.
_VIGIL_METRIC = re.compile(r"\b((?:itsm|vigil)_[a-z0-9_]+)\b")


def metric_names(expr: str) -> set[str]:
    # Label values are quoted; a Vigil name inside quotes (a route, say) is not a metric.
    return set(_VIGIL_METRIC.findall(re.sub(r'"[^"]*"', '""', expr)))


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panel_exprs(board: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def rule_metrics() -> set[str]:
    return {name for rule in rules() for name in metric_names(rule["expr"])}


def dashboard_metrics() -> set[str]:
    return {name for expr in panel_exprs(dashboard()) for name in metric_names(expr)}
