"""A local stand-in for NetBox's REST API: a real HTTP server on 127.0.0.1 serving NetBox 4.x JSON shapes
(as its API documentation and serializers show them: nested objects with id/url/display/name, choice
fields as {value, label}, cables with a_terminations/b_terminations) with NetBox's pagination (`limit`,
`offset`; `count`, `next` as an absolute URL, `previous`, `results`) and its token check (401 with
`{"detail": "Invalid token"}`). It can be told to fail: a timeout, a malformed page, a 500."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PATHS = {
    "/api/dcim/sites/": "dcim.site",
    "/api/dcim/racks/": "dcim.rack",
    "/api/dcim/devices/": "dcim.device",
    "/api/virtualization/clusters/": "virtualization.cluster",
    "/api/virtualization/virtual-machines/": "virtualization.virtualmachine",
    "/api/ipam/services/": "ipam.service",
    "/api/ipam/ip-addresses/": "ipam.ipaddress",
    "/api/dcim/cables/": "dcim.cable",
}
BASE = "http://netbox.example"


def _url(kind: str, obj_id: int) -> str:
    app, model = kind.split(".")
    plural = {"virtualmachine": "virtual-machines", "ipaddress": "ip-addresses"}.get(model, model + "s")
    return f"{BASE}/api/{app}/{plural}/{obj_id}/"


def nested(kind: str, obj_id: int, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": obj_id, "url": _url(kind, obj_id), "display": name, "name": name, **extra}


def choice(value: str) -> dict[str, str]:
    return {"value": value, "label": value.replace("-", " ").title()}


def site(i: int) -> dict[str, Any]:
    name = f"DC{i}"
    return {
        **nested("dcim.site", i, name), "slug": name.lower(), "status": choice("active"),
        "region": nested("dcim.region", 1, "Europe", slug="europe"), "tenant": None, "facility": f"Hall {i}",
        "time_zone": "Europe/Berlin", "description": "", "physical_address": f"{i} Data Street",
        "tags": [], "custom_fields": {}, "created": "2024-01-01T00:00:00Z", "last_updated": "2024-01-01T00:00:00Z",
    }  # fmt: skip


def rack(i: int, site_id: int) -> dict[str, Any]:
    return {
        **nested("dcim.rack", i, f"R{i}"), "site": nested("dcim.site", site_id, f"DC{site_id}", slug=f"dc{site_id}"),
        "location": None, "status": choice("active"), "u_height": 42, "serial": "", "asset_tag": None,
        "tags": [], "custom_fields": {},
    }  # fmt: skip


ROLES = [(1, "Server", "server"), (2, "Core switch", "core-switch"), (3, "Router", "router")]


def device(i: int, site_id: int, rack_id: int | None, role: int = 0) -> dict[str, Any]:
    role_id, role_name, role_slug = ROLES[role]
    name = f"dev-{i:05d}"
    return {
        **nested("dcim.device", i, name),
        "device_type": {"id": 1, "url": f"{BASE}/api/dcim/device-types/1/", "display": "PowerEdge R650",
                        "manufacturer": nested("dcim.manufacturer", 1, "Dell", slug="dell"),
                        "model": "PowerEdge R650", "slug": "poweredge-r650"},
        "role": nested("dcim.devicerole", role_id, role_name, slug=role_slug),
        "platform": nested("dcim.platform", 1, "Ubuntu 24.04", slug="ubuntu-24-04"),
        "serial": f"SN{i:06d}", "asset_tag": None,
        "site": nested("dcim.site", site_id, f"DC{site_id}", slug=f"dc{site_id}"),
        "location": None,
        "rack": nested("dcim.rack", rack_id, f"R{rack_id}") if rack_id else None,
        "position": 10.0 if rack_id else None, "face": choice("front") if rack_id else None,
        "status": choice("active"), "airflow": None,
        "primary_ip": {"id": i, "url": _url("ipam.ipaddress", i), "display": f"10.0.{i // 250}.{i % 250 + 1}/24",
                       "family": 4, "address": f"10.0.{i // 250}.{i % 250 + 1}/24"},
        "primary_ip4": None, "primary_ip6": None, "oob_ip": None, "cluster": None, "virtual_chassis": None,
        "description": "", "comments": "", "tags": [{"id": 1, "url": f"{BASE}/api/extras/tags/1/", "display": "Prod",
                                                     "name": "Prod", "slug": "prod", "color": "ff0000"}],
        "custom_fields": {}, "created": "2024-01-01T00:00:00Z", "last_updated": "2024-01-01T00:00:00Z",
    }  # fmt: skip


def cluster(i: int, site_id: int) -> dict[str, Any]:
    return {
        **nested("virtualization.cluster", i, f"cluster-{i}"), "type": nested("virtualization.clustertype", 1, "VMware", slug="vmware"),
        "group": None, "status": choice("active"), "tenant": None, "scope_type": "dcim.site", "scope_id": site_id,
        "scope": nested("dcim.site", site_id, f"DC{site_id}", slug=f"dc{site_id}"), "description": "", "tags": [],
    }  # fmt: skip


def vm(i: int, cluster_id: int, device_id: int | None) -> dict[str, Any]:
    return {
        **nested("virtualization.virtualmachine", i, f"vm-{i:05d}"), "status": choice("active"),
        "site": None, "cluster": nested("virtualization.cluster", cluster_id, f"cluster-{cluster_id}"),
        "device": nested("dcim.device", device_id, f"dev-{device_id:05d}") if device_id else None,
        "role": None, "tenant": None, "platform": None, "primary_ip": None, "vcpus": 2.0, "memory": 4096, "disk": 50,
        "description": "", "comments": "", "tags": [], "custom_fields": {},
    }  # fmt: skip


def service(i: int, device_id: int) -> dict[str, Any]:
    return {
        **nested("ipam.service", i, "ssh"), "device": nested("dcim.device", device_id, f"dev-{device_id:05d}"),
        "virtual_machine": None, "protocol": choice("tcp"), "ports": [22], "ipaddresses": [], "description": "",
    }  # fmt: skip


def ip_address(i: int, device_id: int) -> dict[str, Any]:
    address = f"10.0.{device_id // 250}.{device_id % 250 + 1}/24"
    return {
        "id": i, "url": _url("ipam.ipaddress", i), "display": address, "family": {"value": 4, "label": "IPv4"},
        "address": address, "vrf": None, "tenant": None, "status": choice("active"), "role": None,
        "assigned_object_type": "dcim.interface", "assigned_object_id": device_id,
        "assigned_object": {"id": device_id, "url": f"{BASE}/api/dcim/interfaces/{device_id}/", "display": "eth0",
                            "device": nested("dcim.device", device_id, f"dev-{device_id:05d}"), "name": "eth0",
                            "cable": None, "_occupied": False},
        "dns_name": "", "description": "", "tags": [],
    }  # fmt: skip


def cable(i: int, a: int, b: int) -> dict[str, Any]:
    def end(dev: int) -> dict[str, Any]:
        return {"object_type": "dcim.interface", "object_id": dev * 10,
                "object": {"id": dev * 10, "url": f"{BASE}/api/dcim/interfaces/{dev * 10}/", "display": "eth1",
                           "device": nested("dcim.device", dev, f"dev-{dev:05d}"), "name": "eth1", "cable": i,
                           "_occupied": True}}  # fmt: skip

    return {
        "id": i, "url": _url("dcim.cable", i), "display": f"#{i}", "type": "cat6", "a_terminations": [end(a)],
        "b_terminations": [end(b)], "status": choice("connected"), "tenant": None, "label": "", "color": "",
        "length": None, "length_unit": None, "description": "", "tags": [],
    }  # fmt: skip


def dataset(
    devices: int = 4, *, sites: int = 2, racks: int = 2, vms: int = 2, cables: int = 2
) -> dict[str, list[dict[str, Any]]]:
    """NetBox's objects by type: `devices` devices spread over the sites and racks, one IP and (for every
    tenth) an ssh service each, VMs on cluster 1 (the first on device 1), and cables between neighbours."""
    sites = max(sites, 1)
    return {
        "dcim.site": [site(i) for i in range(1, sites + 1)],
        "dcim.rack": [rack(i, (i - 1) % sites + 1) for i in range(1, racks + 1)],
        "dcim.device": [
            device(i, (i - 1) % sites + 1, (i - 1) % racks + 1 if racks else None, 1 if i % 10 == 2 else 0)
            for i in range(1, devices + 1)
        ],
        "virtualization.cluster": [cluster(1, 1)] if vms else [],
        "virtualization.virtualmachine": [
            vm(i, 1, 1 if i == 1 and devices else None) for i in range(1, vms + 1)
        ],
        "ipam.service": [service(i, d) for i, d in enumerate(range(1, devices + 1, 10), start=1)],
        "ipam.ipaddress": [ip_address(i, i) for i in range(1, devices + 1)],
        "dcim.cable": [cable(i, i, i + 1) for i in range(1, min(cables, max(devices - 1, 0)) + 1)],
    }


@dataclass
class StandIn:
    data: dict[str, list[dict[str, Any]]]
    token: str = "0123456789abcdef0123456789abcdef01234567"
    #: None, "timeout", "malformed" (a page that is not JSON), "shape" (JSON without results), "500".
    fail: str | None = None
    #: Fail only on this path (the others answer), e.g. "/api/dcim/cables/".
    fail_path: str | None = None
    requests: list[str] = field(default_factory=list)
    url: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)

    def page(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        rows = self.data.get(PATHS[path], [])
        limit = min(int(query.get("limit", ["50"])[0]) or 1000, 1000)
        offset = int(query.get("offset", ["0"])[0])
        nxt = (
            f"{self.url}{path}?limit={limit}&offset={offset + limit}" if offset + limit < len(rows) else None
        )
        prev = f"{self.url}{path}?limit={limit}&offset={max(offset - limit, 0)}" if offset else None
        return {"count": len(rows), "next": nxt, "previous": prev, "results": rows[offset : offset + limit]}


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            parts = urlsplit(self.path)
            standin.requests.append(self.path)
            if self.headers.get("Authorization") != f"Token {standin.token}":
                return self._send(401, json.dumps({"detail": "Invalid token"}).encode())
            if parts.path not in PATHS:
                return self._send(404, json.dumps({"detail": "Not found."}).encode())
            if standin.fail and (standin.fail_path is None or standin.fail_path == parts.path):
                if standin.fail == "timeout":
                    standin._stop.wait(5)
                    return None
                if standin.fail == "500":
                    return self._send(500, b"<h1>Server Error (500)</h1>", "text/html")
                if standin.fail == "shape":
                    return self._send(200, json.dumps({"detail": "no results here"}).encode())
                return self._send(200, b'{"count": 3, "next": null, "results": [{"id": 1,')
            self._send(200, json.dumps(standin.page(parts.path, parse_qs(parts.query))).encode())

    return Handler


@contextmanager
def serve(data: dict[str, list[dict[str, Any]]], **options: Any) -> Iterator[StandIn]:
    """Serve `data` on a free port of 127.0.0.1 until the block ends."""
    standin = StandIn(data, **options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        standin._stop.set()
        server.shutdown()
        server.server_close()
        thread.join()
