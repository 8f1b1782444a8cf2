"""NetBox objects (as its REST API serialises them) mapped to CMDB items: sites, racks and clusters to
classes of their own, devices to hosts or network devices by role, virtual machines, services; IP
addresses become attributes of their device or VM, cables connects_to between the two devices."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from pydantic import ValidationError

from vigil.cmdb.import_plan import Batch, ExtRef, Item, RelItem
from vigil.cmdb.import_schemas import RowError, Where
from vigil.cmdb.schemas import CIClassCreate, CICreate
from vigil.cmdb.vocabulary import Lifecycle, RelKind
from vigil.core import validation

SOURCE = "netbox"
#: The classes a NetBox import adds on its first run, when an administrator has not made them already.
CLASSES = (
    CIClassCreate(key="site", label="Site", description="A NetBox site: a building or data centre."),
    CIClassCreate(key="rack", label="Rack", description="A NetBox rack in a site."),
    CIClassCreate(key="cluster", label="Cluster", description="A NetBox virtualization cluster."),
    CIClassCreate(
        key="network_service",
        label="Network service",
        description="A NetBox service: a port on a device or VM.",
    ),
)
#: Words in a device role's slug or name that make the device a network device rather than a host.
NETWORK_ROLES = ("router", "switch", "firewall", "gateway", "load-balancer", "loadbalancer", "access-point", "wlan", "spine", "leaf", "network")  # fmt: skip
#: NetBox status values (sites, racks, devices, VMs, clusters) as CI lifecycles; others are active.
STATUS = {
    "planned": Lifecycle.PLANNED,
    "staging": Lifecycle.PLANNED,
    "staged": Lifecycle.PLANNED,
    "inventory": Lifecycle.PLANNED,
    "offline": Lifecycle.MAINTENANCE,
    "failed": Lifecycle.MAINTENANCE,
    "decommissioning": Lifecycle.MAINTENANCE,
    "deprecated": Lifecycle.MAINTENANCE,
    "retired": Lifecycle.RETIRED,
}


def _value(choice: Any) -> Any:
    """NetBox's choice fields are {value, label}; older ones and plain fields are the value itself."""
    return choice.get("value") if isinstance(choice, dict) else choice


def _name(nested: Any) -> str | None:
    if isinstance(nested, dict):
        return nested.get("name") or nested.get("display") or nested.get("address")
    return None


def _id(nested: Any) -> Any:
    return nested.get("id") if isinstance(nested, dict) else None


def _status(obj: dict[str, Any]) -> str:
    return str(STATUS.get(str(_value(obj.get("status")) or "active"), Lifecycle.ACTIVE))


def _tags(obj: dict[str, Any]) -> list[str]:
    return sorted({str(t.get("slug") or t.get("name"))[:50].strip().lower() for t in obj.get("tags") or [] if isinstance(t, dict) and (t.get("slug") or t.get("name"))} - {""})  # fmt: skip


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if v not in (None, "", [], {})}


def device_class(device: dict[str, Any]) -> str:
    role = device.get("role") or device.get("device_role") or {}
    words = f"{role.get('slug', '')} {role.get('name', '')}".lower() if isinstance(role, dict) else ""
    return "network_device" if any(w in words for w in NETWORK_ROLES) else "host"


class _Mapper:
    def __init__(self, data: dict[str, list[dict[str, Any]]]) -> None:
        self.data = data
        self.batch = Batch(new_classes=list(CLASSES), retire_source=SOURCE, confirm=True)
        self.ips: dict[str, list[str]] = defaultdict(list)
        self.position = 0
        self.names: dict[str, str] = {}
        self._index_ips()

    def _index_ips(self) -> None:
        for ip in self.data.get("ipam.ipaddress", []):
            assigned = ip.get("assigned_object") or {}
            kind = ip.get("assigned_object_type")
            if kind == "dcim.interface" and _id(assigned.get("device")) is not None:
                self.ips[f"dcim.device:{assigned['device']['id']}"].append(str(ip.get("address")))
            elif kind == "virtualization.vminterface" and _id(assigned.get("virtual_machine")) is not None:
                self.ips[f"virtualization.virtualmachine:{assigned['virtual_machine']['id']}"].append(
                    str(ip.get("address"))
                )

    def ref(self, object_type: str, nested: Any) -> ExtRef | None:
        obj_id = _id(nested)
        return ExtRef(SOURCE, f"{object_type}:{obj_id}") if obj_id is not None else None

    def add(
        self, object_type: str, obj: dict[str, Any], ci_class: str, name: str, attrs: dict[str, Any]
    ) -> ExtRef:
        ext = f"{object_type}:{obj['id']}"
        raw = {
            "name": name[:200],
            "ci_class": ci_class,
            "status": _status(obj),
            "description": str(obj.get("description") or "")[:20000],
            "attributes": _clean({**attrs, "netbox_url": obj.get("url")}),
            "tags": _tags(obj),
            "external_ids": [{"source": SOURCE, "external_id": ext}],
        }
        where = Where(index=self.position)
        self.position += 1
        try:
            data = CICreate.model_validate(raw)
        except ValidationError as exc:
            self.batch.errors += [
                RowError(index=where.index, field=f, message=f"{ext}: {m}")
                for f, m in validation.field_errors(exc)
            ]
        else:
            self.batch.items.append(Item(where=where, data=data, given=frozenset(raw)))
        self.names[ext] = name
        return ExtRef(SOURCE, ext)

    def relate(self, source: ExtRef | None, kind: RelKind, target: ExtRef | None) -> None:
        if source is not None and target is not None and source != target:
            where = Where(index=len(self.batch.relationships))
            self.batch.relationships.append(RelItem(where, source, str(kind), target))

    def sites(self) -> None:
        for site in self.data.get("dcim.site", []):
            attrs = {"slug": site.get("slug"), "facility": site.get("facility"), "region": _name(site.get("region")), "time_zone": site.get("time_zone"), "physical_address": site.get("physical_address")}  # fmt: skip
            self.add("dcim.site", site, "site", _display(site, "site"), attrs)

    def racks(self) -> None:
        for rack in self.data.get("dcim.rack", []):
            site = _name(rack.get("site"))
            name = f"{site} / {_display(rack, 'rack')}" if site else _display(rack, "rack")
            attrs = {"site": site, "u_height": rack.get("u_height"), "serial": rack.get("serial"), "asset_tag": rack.get("asset_tag")}  # fmt: skip
            ref = self.add("dcim.rack", rack, "rack", name, attrs)
            self.relate(ref, RelKind.PART_OF, self.ref("dcim.site", rack.get("site")))

    def devices(self, names: Counter[str]) -> None:
        for device in self.data.get("dcim.device", []):
            ext = f"dcim.device:{device['id']}"
            dtype = device.get("device_type") or {}
            attrs = {
                "role": _name(device.get("role") or device.get("device_role")),
                "platform": _name(device.get("platform")),
                "manufacturer": _name(dtype.get("manufacturer")),
                "model": dtype.get("model"),
                "serial": device.get("serial"),
                "asset_tag": device.get("asset_tag"),
                "site": _name(device.get("site")),
                "rack": _name(device.get("rack")),
                "position": device.get("position"),
                "primary_ip": (device.get("primary_ip") or {}).get("address"),
                "ip_addresses": sorted(self.ips.get(ext, [])),
            }
            ref = self.add(
                "dcim.device", device, device_class(device), _unique(device, "device", names), attrs
            )
            parent = self.ref("dcim.rack", device.get("rack")) or self.ref("dcim.site", device.get("site"))
            self.relate(ref, RelKind.PART_OF, parent)

    def clusters(self) -> None:
        for cluster in self.data.get("virtualization.cluster", []):
            site = cluster.get("site") or (
                cluster.get("scope") if cluster.get("scope_type") == "dcim.site" else None
            )
            attrs = {
                "type": _name(cluster.get("type")),
                "group": _name(cluster.get("group")),
                "site": _name(site),
            }
            ref = self.add("virtualization.cluster", cluster, "cluster", _display(cluster, "cluster"), attrs)
            self.relate(ref, RelKind.PART_OF, self.ref("dcim.site", site))

    def vms(self, names: Counter[str]) -> None:
        for vm in self.data.get("virtualization.virtualmachine", []):
            ext = f"virtualization.virtualmachine:{vm['id']}"
            attrs = {
                "role": _name(vm.get("role")),
                "platform": _name(vm.get("platform")),
                "cluster": _name(vm.get("cluster")),
                "vcpus": vm.get("vcpus"),
                "memory_mb": vm.get("memory"),
                "disk_gb": vm.get("disk"),
                "primary_ip": (vm.get("primary_ip") or {}).get("address"),
                "ip_addresses": sorted(self.ips.get(ext, [])),
            }
            ref = self.add(
                "virtualization.virtualmachine", vm, "virtual_machine", _unique(vm, "vm", names), attrs
            )
            self.relate(ref, RelKind.HOSTED_ON, self.ref("virtualization.cluster", vm.get("cluster")))
            self.relate(ref, RelKind.HOSTED_ON, self.ref("dcim.device", vm.get("device")))

    def _parent(self, service: dict[str, Any]) -> ExtRef | None:
        if service.get("device"):
            return self.ref("dcim.device", service["device"])
        if service.get("virtual_machine"):
            return self.ref("virtualization.virtualmachine", service["virtual_machine"])
        kind = service.get("parent_object_type")  # NetBox >= 4.3
        if (
            kind in ("dcim.device", "virtualization.virtualmachine")
            and service.get("parent_object_id") is not None
        ):
            return ExtRef(SOURCE, f"{kind}:{service['parent_object_id']}")
        return None

    def services(self) -> None:
        for service in self.data.get("ipam.service", []):
            parent = self._parent(service)
            on = self.names.get(parent.external_id) if parent else None
            name = (
                f"{_display(service, 'service')} on {on}"
                if on
                else f"{_display(service, 'service')} #{service['id']}"
            )
            attrs = {
                "protocol": _value(service.get("protocol")),
                "ports": service.get("ports"),
                "ip_addresses": sorted(str(ip.get("address")) for ip in service.get("ipaddresses") or [] if isinstance(ip, dict)),
            }  # fmt: skip
            ref = self.add("ipam.service", service, "network_service", name, attrs)
            self.relate(ref, RelKind.RUNS_ON, parent)

    def _end(self, terminations: Any) -> ExtRef | None:
        for end in terminations or []:
            obj = end.get("object") if isinstance(end, dict) else None
            if end.get("object_type") == "dcim.interface" and isinstance(obj, dict):
                return self.ref("dcim.device", obj.get("device"))
        return None

    def cables(self) -> None:
        for cable in self.data.get("dcim.cable", []):
            self.relate(
                self._end(cable.get("a_terminations")),
                RelKind.CONNECTS_TO,
                self._end(cable.get("b_terminations")),
            )


def _display(obj: dict[str, Any], what: str) -> str:
    return (
        str(obj.get("name") or obj.get("display") or f"{what} {obj['id']}").strip() or f"{what} {obj['id']}"
    )


def _unique(obj: dict[str, Any], what: str, names: Counter[str]) -> str:
    """The object's name; one NetBox repeats (devices are unique per site, VMs per cluster) gets its id."""
    name = _display(obj, what)
    return f"{name} (#{obj['id']})" if names[name] > 1 else name


def to_batch(data: dict[str, list[dict[str, Any]]]) -> Batch:
    """What NetBox holds, as one import batch (its items numbered in the order they are read)."""
    mapper = _Mapper(data)
    mapper.sites()
    mapper.racks()
    device_names = Counter(_display(d, "device") for d in data.get("dcim.device", []))
    mapper.devices(device_names)
    mapper.clusters()
    mapper.vms(Counter(_display(v, "vm") for v in data.get("virtualization.virtualmachine", [])))
    mapper.services()
    mapper.cables()
    return mapper.batch
