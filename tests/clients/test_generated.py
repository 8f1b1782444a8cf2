"""Clients generated from /openapi.json, as client authors make them, get typed results and typed errors:
Python with openapi-python-client (a dev dependency), TypeScript with @hey-api/openapi-ts through npm
(pinned below; installed once into ~/.cache/vigil-ts-client; skipped, saying why, without node/npm)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

BIN = Path(sys.executable).parent
TS_TOOLS = {"@hey-api/openapi-ts": "0.99.0", "typescript": "5.9.3"}
TS_CACHE = Path(os.environ.get("VIGIL_TS_CLIENT_CACHE", Path.home() / ".cache" / "vigil-ts-client"))
TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "strict": True,
        "noEmit": True,
        "skipLibCheck": True,
        "lib": ["ES2022", "DOM", "DOM.Iterable"],
    },
    "include": ["out/**/*.ts", "check.ts"],
}


def _spec(client: TestClient, where: Path) -> Path:
    path = where / "openapi.json"
    path.write_text(client.get("/openapi.json").text)
    return path


@pytest.fixture
def python_client(api_client: TestClient, tmp_path: Path) -> Iterator[Any]:
    spec = _spec(api_client, tmp_path)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout, run.stdout  # every schema and response understood
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("vigil_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "vigil_client" or m.startswith("vigil_client.")]:
            del sys.modules[name]


def test_the_python_client_gets_typed_results_and_typed_errors(
    python_client: Any, api_client: TestClient
) -> None:
    def operation(name: str) -> Any:
        return importlib.import_module(f"vigil_client.api.incidents.{name}")

    create_incident, get_incident, update_incident, list_incidents = map(
        operation, ["create_incident", "get_incident", "update_incident", "list_incidents"]
    )
    models = importlib.import_module("vigil_client.models")
    client = python_client.AuthenticatedClient(base_url="http://testserver", token="unused")
    client.set_httpx_client(api_client)  # the app in-process, with the test's admin token

    made = create_incident.sync_detailed(client=client, body=models.IncidentCreate(title="Disk full on db-1"))
    assert made.status_code == 201 and isinstance(made.parsed, models.IncidentRead)
    assert made.parsed.number.startswith("INC-") and made.headers["location"].endswith(made.parsed.number)

    missing = get_incident.sync(client=client, ref="INC-999999")
    assert isinstance(missing, models.Problem) and missing.status == 404 and "INC-999999" in missing.detail

    invalid = create_incident.sync(client=client, body=models.IncidentCreate(title=""))
    assert isinstance(invalid, models.Problem) and invalid.status == 422
    assert [e.field for e in invalid.errors] == ["title"]

    stale = update_incident.sync_detailed(
        client=client, ref=made.parsed.number, body=models.IncidentUpdate(title="Disk full", version=99)
    )
    assert stale.status_code == 412 and isinstance(stale.parsed, models.Problem)
    assert stale.parsed.type_ == "urn:vigil:problem:stale-version"
    assert stale.parsed.additional_properties["version"] == made.parsed.version

    page = list_incidents.sync(client=client, sort=models.SortKey.CREATED_AT_DESC)
    assert isinstance(page, models.IncidentPage) and page.items[0].number == made.parsed.number


def _npm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["npm", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _ts_tools() -> Path:
    """The pinned generator and compiler, installed once into the cache directory."""
    TS_CACHE.mkdir(parents=True, exist_ok=True)
    stamp = TS_CACHE / "installed.json"
    if not stamp.exists() or json.loads(stamp.read_text()) != TS_TOOLS:
        (TS_CACHE / "package.json").write_text(json.dumps({"name": "vigil-ts-client-check", "private": True}))
        done = _npm(
            "install", "--no-audit", "--no-fund", *[f"{n}@{v}" for n, v in TS_TOOLS.items()], cwd=TS_CACHE
        )
        if done.returncode != 0:
            pytest.skip(f"npm could not install {TS_TOOLS} (no registry?): {done.stderr.strip()[-300:]}")
        stamp.write_text(json.dumps(TS_TOOLS))
    return TS_CACHE / "node_modules"


def test_the_typescript_client_compiles_with_typed_errors(api_client: TestClient, tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip(
            "node and npm are not installed here: the TypeScript client is checked where they are (CI)"
        )
    modules = _ts_tools()
    spec = _spec(api_client, tmp_path)
    (tmp_path / "node_modules").symlink_to(modules)
    made = subprocess.run(
        [str(modules / ".bin" / "openapi-ts"), "-i", str(spec), "-o", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    check = (Path(__file__).parent / "check.ts").read_text()
    (tmp_path / "check.ts").write_text(check)
    compiled = subprocess.run([str(modules / ".bin" / "tsc"), "-p", "tsconfig.json"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    # ... and the types are real: misusing them fails to compile.
    (tmp_path / "check.ts").write_text(
        check + '\nexport const wrong: import("./out/types.gen").SortKey = "created";\n'
    )
    broken = subprocess.run([str(modules / ".bin" / "tsc"), "-p", "tsconfig.json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert broken.returncode != 0 and "SortKey" in broken.stdout
