"""The worker's retry of a delivery whose processing failed (idempotent: a processed one is skipped)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from vigil.alerts.service import intake
from vigil.core.jobs.queue import job


@job(intake.RETRY_JOB)
def process_delivery(session: Session, payload: dict[str, Any]) -> None:
    intake.reprocess(session, uuid.UUID(str(payload["delivery_id"])))
