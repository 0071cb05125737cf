"""Consulting third parties and other agencies (Art. 32-34): the parties, the letter and period of
each, what their silence means, and which objections block which outcomes."""

from __future__ import annotations

from caseflow.law.periods import AGENCY_OPINION, CO_PRODUCER_OPINION, THIRD_PARTY_OPINION, Period

#: The names of the consulted parties (for letters and refusals). Before issue 15 "agency" meant a
#: co-producer (silence = consent); migration 0016 renamed those rows "co_producer", and "agency" is
#: now another agency that did not co-produce the information.
CONSULTATION_PARTY_NAMES: dict[str, str] = {
    "third_party": "第三方",
    "co_producer": "共同制作机关",
    "agency": "其他机关",
}
#: The period each consulted party answers within (from the day after it received the letter).
CONSULTATION_PERIODS: dict[str, Period] = {
    "third_party": THIRD_PARTY_OPINION,
    "co_producer": CO_PRODUCER_OPINION,
    "agency": AGENCY_OPINION,
}
#: The letter each party is consulted by (its ``DocumentType`` code).
CONSULTATION_LETTERS: dict[str, str] = {k: f"consultation_{k}" for k in CONSULTATION_PARTY_NAMES}
#: What a party's silence at the end of its window means: only a co-producer's is consent (Art. 34);
#: a third party's (Art. 32) or another agency's is no opinion, and the office decides.
CONSULTATION_SILENCE: dict[str, str] = {"third_party": "none", "co_producer": "consent", "agency": "none"}
#: The opinions of a third party that require the Art. 32 decision notice before disclosure, by the
#: outcomes they block: an objection blocks every disclosing outcome (disclosed.* and partial); a
#: partial consent blocks a full disclosure (a partial reply may withhold what was objected to).
OBJECTION_BLOCKS: dict[str, tuple[str, ...]] = {
    "object": ("disclosed.", "partial"),
    "partial": ("disclosed.",),
}
#: Art. 32: "第三方不同意公开且有合理理由的，行政机关不予公开": a partial reply that withholds on this
#: ground (Art. 15) withholds what the third party objected to and discloses only the rest, so it
#: honours a whole objection and needs no decision notice (that notice is for disclosing over it).
OBJECTION_HONOURED_BY = "withheld.third_party"
