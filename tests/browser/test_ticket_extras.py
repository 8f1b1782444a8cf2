"""In headless Chromium: a requester attaches a screenshot (thumbnail shown, download served as a file),
an agent watches and links incidents, and works the queue with the bulk-action bar."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, log_in_as

pytestmark = pytest.mark.browser


def _report(page: Page, title: str) -> str:
    page.goto("/incidents/new")
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Create incident").click()
    expect(page).to_have_url(re.compile(r"/incidents/INC-\d{6}\?notice=created$"))
    return page.url.split("/incidents/")[1].split("?")[0]


def test_attach_a_screenshot_see_its_thumbnail_and_download_it(
    page: Page, live_server: LiveServer, shoot: Callable[[str], Path], tmp_path: Path
) -> None:
    """On the portal (docs/portal.md): files go with the report and with a reply."""
    log_in_as(page, live_server, "requester")
    screenshot = tmp_path / "blue-screen.png"
    Image.new("RGB", (1200, 800), (20, 60, 200)).save(screenshot)
    notes = tmp_path / "page.html"
    notes.write_text("<script>document.title='pwned'</script>")

    page.goto("/portal/new")
    page.get_by_label("In a few words, what is wrong?").fill("Laptop shows a blue screen at boot")
    page.get_by_label("Screenshots or files").set_input_files(screenshot)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Thank you — we have your request.")
    number = page.locator("h1 .number").inner_text()
    thumb = page.locator(".attachments img")
    expect(thumb).to_have_attribute("alt", "blue-screen.png")
    # The thumbnail loads after the page does: wait for it (a busy machine may take a while), then measure.
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) == 320

    page.get_by_label("Your reply").fill("The page it shows, saved.")
    page.get_by_label("Add files").set_input_files(notes)
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".attachments li")).to_have_count(2)
    expect(page.locator(".attachments img")).to_have_count(1)  # no thumbnail for a non-image
    shoot("1-attachments")

    with page.expect_download() as download:
        page.get_by_role("link", name="page.html", exact=True).click()
    saved = download.value
    assert saved.suggested_filename == "page.html"
    assert Path(saved.path()).read_text() == notes.read_text()
    expect(page).to_have_title(re.compile(number))  # downloaded, never opened as a page
    image_bytes = page.request.get(thumb.get_attribute("src") or "").body()
    assert Image.open(io.BytesIO(image_bytes)).format == "PNG"


def test_watch_link_and_bulk_resolve_from_the_queue(
    page: Page, live_server: LiveServer, shoot: Callable[[str], Path]
) -> None:
    log_in_as(page, live_server, "agent")
    numbers = [_report(page, f"Printer {n} offline on floor 2") for n in (1, 2, 3)]
    page.goto(f"/incidents/{numbers[0]}")
    page.get_by_role("button", name="Watch").click()
    expect(page.get_by_role("status")).to_have_text("You are watching this incident.")
    expect(page.get_by_role("region", name="Watchers")).to_contain_text("Sam Agent")
    page.get_by_label("Email of the person to add").fill("rita.requester@example.com")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("region", name="Watchers")).to_contain_text("Rita Requester")
    page.get_by_label("Kind of link").select_option("caused_by")
    page.get_by_label("Incident number").fill(numbers[1])
    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.get_by_role("region", name="Related records")).to_contain_text(f"caused by {numbers[1]}")
    shoot("2-watchers-links")
    page.goto(f"/incidents/{numbers[1]}")
    expect(page.get_by_role("region", name="Related records")).to_contain_text(f"causes {numbers[0]}")

    page.goto("/incidents")
    for number in numbers[:2]:
        page.get_by_label(f"Select {number}").check()
    bar = page.get_by_role("form", name="Bulk action on the checked incidents")
    bar.get_by_label("Action").select_option("resolve")
    bar.get_by_label("Resolution notes").fill("Replaced the network card")
    shoot("3-bulk-bar")
    bar.get_by_role("button", name="Apply to checked").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resolve: 2 done")
    expect(page.get_by_role("table", name="Outcome per incident")).to_contain_text("resolved")
    shoot("4-bulk-result")

    page.goto("/incidents")
    for number in numbers:
        page.get_by_label(f"Select {number}").check()
    bar.get_by_label("Action").select_option("close")
    bar.get_by_role("button", name="Apply to checked").click()
    # Two were resolved and may be closed; the third is still open: refused, with the reason.
    expect(page.get_by_role("heading", level=1)).to_have_text("Close: 2 done, 1 refused")
    expect(page.locator("tr.refused")).to_contain_text(numbers[2])
