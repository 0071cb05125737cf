"""The statutory clock: a request's ledger of clock events -> its deadlines, with an explanation.

- ``timeline``: the ledger (event types, the timeline, reading it from JSON, ``TimelineError``);
- ``deadline``: the computation (working days counted, pauses, extension, supplement restart,
  Art. 35 date) -> ``Deadline``; also one line of ``caseflow deadline --batch``;
- ``explain``: the steps of the explanation and their Chinese wording.

The names the rest of caseflow uses are importable from here (``from caseflow import clock``).
"""

from caseflow.clock.deadline import Deadline, batch_line, compute, compute_json
from caseflow.clock.explain import Step
from caseflow.clock.timeline import ClockEvent, EventType, Timeline, TimelineError

__all__ = [
    "ClockEvent",
    "Deadline",
    "EventType",
    "Step",
    "Timeline",
    "TimelineError",
    "batch_line",
    "compute",
    "compute_json",
]
