"""The applicant's side (issue 18): online applications awaiting a clerk's confirmation (Art. 31(3))."""
