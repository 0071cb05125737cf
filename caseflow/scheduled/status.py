"""The latest run of each scheduled job as a user may see it (the pages' job status, the digest)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from caseflow.cases.actor import Actor
from caseflow.models import Agency, JobRun
from caseflow.scheduled.job_names import JOB_TITLES
from caseflow.scheduled.runs import latest_runs


def job_status(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The latest run of each job, with the requests it skipped that ``actor`` may see."""
    paths = dict(session.execute(select(col(Agency.id), col(Agency.path))).all())
    runs: dict[str, JobRun] = {run.job: run for run in latest_runs(session)}
    status = []
    for name, title in JOB_TITLES.items():
        run = runs.get(name)
        skipped = [
            f
            for f in (run.failures if run else [])
            if f.get("agency_id") in paths and actor.sees(paths[f["agency_id"]])
        ]
        status.append(
            {
                "job": name,
                "title": title,
                "status": run.status if run else "never",
                "as_of": run.as_of.isoformat() if run else None,
                "finished_at": run.finished_at.isoformat() if run and run.finished_at else None,
                "instance": run.instance if run else None,
                "done": run.done if run else 0,
                "skipped": len(skipped),
                "skipped_requests": [
                    {"tracking_no": f["tracking_no"], "action": f["action"], "error": f["error"]}
                    for f in skipped
                ],
            }
        )
    return status
