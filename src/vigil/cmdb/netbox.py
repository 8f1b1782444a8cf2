"""NetBox import: read sites, racks, devices, clusters, virtual machines, services, IP addresses and cables
from NetBox's REST API (every page, as NetBox paginates), map them to CIs and relationships, and import
them as one batch: re-runs update in place by external id (`netbox`, `dcim.device:17`) and CIs gone from
NetBox are retired. Everything is fetched before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from vigil.cmdb import importer, policy
from vigil.cmdb.import_schemas import ImportReport
from vigil.cmdb.netbox_map import to_batch
from vigil.core.actor import Actor
from vigil.core.errors import BadGateway, Invalid, Unavailable

#: What is read, in this order; the key is the object type NetBox names them by.
ENDPOINTS: dict[str, str] = {
    "dcim.site": "/api/dcim/sites/",
    "dcim.rack": "/api/dcim/racks/",
    "dcim.device": "/api/dcim/devices/",
    "virtualization.cluster": "/api/virtualization/clusters/",
    "virtualization.virtualmachine": "/api/virtualization/virtual-machines/",
    "ipam.service": "/api/ipam/services/",
    "ipam.ipaddress": "/api/ipam/ip-addresses/",
    "dcim.cable": "/api/dcim/cables/",
}
PAGE_SIZE = 1000
#: Status codes a GET may be retried on: NetBox (or its proxy) busy or restarting.
RETRY_STATUS = frozenset({502, 503, 504})


class _Busy(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


@dataclass
class NetBoxClient:
    """Reads NetBox's REST API with a token. Only GETs, so retrying a failed connection or a busy answer is
    safe; `attempts` bounds it, `timeout` (seconds) bounds each request."""

    url: str
    token: str
    timeout: float = 30.0
    attempts: int = 3
    page_size: int = PAGE_SIZE
    transport: httpx.BaseTransport | None = None
    #: Called with (object type, objects read so far, NetBox's count) after each page.
    progress: Callable[[str, int, int], None] | None = None
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def _base(self) -> str:
        parts = urlsplit(self.url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid(f"{self.url!r} is not a NetBox URL such as https://netbox.example", field="url")
        return self.url.strip().rstrip("/") + "/"

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                headers={"Authorization": f"Token {self.token.strip()}", "Accept": "application/json"},
                timeout=self.timeout,
                transport=self.transport,
                follow_redirects=False,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _once(self, url: str) -> httpx.Response:
        response = self._http().get(url)
        if response.status_code in RETRY_STATUS:
            raise _Busy(response)
        return response

    def _get(self, url: str) -> httpx.Response:
        retry = retry_if_exception(lambda e: isinstance(e, httpx.TransportError | _Busy))
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(min=0.2, max=2),
                retry=retry,
                reraise=True,
            ):
                with attempt:
                    return self._once(url)
        except httpx.TimeoutException:
            raise Unavailable(
                f"NetBox at {self.url} did not answer within {self.timeout:g} s ({url})"
            ) from None
        except httpx.TransportError as exc:
            raise Unavailable(f"cannot reach NetBox at {self.url}: {exc or type(exc).__name__}") from None
        except _Busy as exc:
            raise BadGateway(f"NetBox answered {url} with HTTP {exc.response.status_code}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _page(self, url: str) -> dict[str, Any]:
        response = self._get(url)
        if response.status_code in (401, 403):
            raise Invalid(
                f"NetBox refused the token (HTTP {response.status_code}: {_detail(response)})", field="token"
            )
        if response.status_code != 200:
            raise BadGateway(f"NetBox answered {url} with HTTP {response.status_code}: {_detail(response)}")
        try:
            page = response.json()
        except ValueError:
            raise BadGateway(f"NetBox sent a page that is not JSON ({url})") from None
        nxt = page.get("next") if isinstance(page, dict) else None
        if not (
            isinstance(page, dict)
            and isinstance(page.get("results"), list)
            and isinstance(page.get("count"), int)
            and (nxt is None or isinstance(nxt, str))
            and all(isinstance(r, dict) and "id" in r for r in page["results"])
        ):
            raise BadGateway(f"NetBox sent a page without count, next and results ({url})")
        return page

    def objects(self, object_type: str) -> list[dict[str, Any]]:
        """Every object of the type, following `next` from page to page."""
        url: str | None = (
            f"{urljoin(self._base(), ENDPOINTS[object_type].lstrip('/'))}?limit={self.page_size}&offset=0"
        )
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        while url is not None:
            if url in seen:
                raise BadGateway(f"NetBox's pages loop back to {url}")
            seen.add(url)
            page = self._page(url)
            out += page["results"]
            if self.progress is not None:
                self.progress(object_type, len(out), page["count"])
            url = page["next"]
        return out

    def fetch_all(self) -> dict[str, list[dict[str, Any]]]:
        self._base()
        try:
            return {object_type: self.objects(object_type) for object_type in ENDPOINTS}
        finally:
            self.close()


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body["detail"]
    return response.reason_phrase


def import_netbox(
    *, session: Session, actor: Actor, client: NetBoxClient, dry_run: bool = False,
    progress: importer.Progress | None = None,
) -> ImportReport:  # fmt: skip
    """Read all of NetBox first, then import it in the caller's unit of work (administrators only)."""
    policy.require(actor, "ci.import_netbox")
    data = client.fetch_all()
    return importer.run(session, actor, to_batch(data), dry_run=dry_run, progress=progress)
