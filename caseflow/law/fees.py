"""Information processing fees (Regulation Art. 42; Fee Measures): the articles, what a fee may be
charged for, how the fee letters cite it, and the amounts."""

from __future__ import annotations

from caseflow.law.basis import FEE_MEASURES, REGULATION, Basis, cite
from caseflow.law.intake import ProvisionForm

# --- The articles (Regulation Art. 42; Fee Measures) -------------------------------------------


#: Regulation Art. 42: information is provided on request free of charge; where the quantity or the
#: frequency of requests clearly exceeds a reasonable range, a processing fee may be charged.
FEE_BASIS_REGULATION = Basis(REGULATION, "第四十二条")
#: Fee Measures Art. 3: per application (按件) or per amount (按量), both progressive; one method
#: per request, never both.
FEE_METHOD_BASIS = Basis(FEE_MEASURES, "第三条")
#: Art. 4: per application, for every kind of decision; a request with several items may be split
#: into several applications (件) by the 一事一申请 principle at the smallest reasonable unit; the
#: bands per applicant and calendar month.
FEE_PER_APPLICATION_BASIS = Basis(FEE_MEASURES, "第四条")
#: Art. 5: per amount (pages), where the applicant asks for paper copies, e-mail or copied electronic
#: data; information already proactively published whose access is told: no per-page fee.
FEE_PER_PAGE_BASIS = Basis(FEE_MEASURES, "第五条")
#: Art. 7: the fee notice is sent within the reply period and states the basis, standard, amount
#: and how to pay; the applicant pays within 20 working days from the day after receiving it,
#: otherwise the request is deemed abandoned.
FEE_NOTICE_BASIS = Basis(FEE_MEASURES, "第七条")
#: Art. 10: in force from 2021-01-01 (``FEE_MEASURES_IN_FORCE``).
FEE_IN_FORCE_BASIS = Basis(FEE_MEASURES, "第十条")


# --- What a per-page fee is charged for, and how the fee letters cite the articles ----------


#: The forms of provision a per-page fee may be charged for (Fee Measures Art. 5: paper copies,
#: e-mail, copied electronic data; paper copies sent by post or collected are paper copies). Not
#: inspection on the spot, which supplies no copy.
FEE_PER_PAGE_FORMS: frozenset[ProvisionForm] = frozenset(
    {
        ProvisionForm.PAPER,
        ProvisionForm.ELECTRONIC,
        ProvisionForm.EMAIL,
        ProvisionForm.POST,
        ProvisionForm.PICK_UP,
    }
)
#: The outcomes that supply the information; a per-page fee is charged only for them (Art. 5:
#: information already published, whose access is told, is not charged per page).
FEE_PER_PAGE_OUTCOMES: tuple[str, ...] = ("disclosed.provided", "partial")
#: Every fee letter cites these: the Regulation's permission, the method, the scale (per
#: application, per page), the notice and payment period.
FEE_LETTER_BASES: tuple[Basis, ...] = (
    FEE_BASIS_REGULATION,
    FEE_METHOD_BASIS,
    FEE_PER_APPLICATION_BASIS,
    FEE_PER_PAGE_BASIS,
    FEE_NOTICE_BASIS,
)
#: How the fee letters cite them: 《条例》第四十二条和《办法》第三条、第四条、第五条、第七条.
FEE_LETTER_BASIS_LABEL = cite(FEE_LETTER_BASES)


# --- The amounts ----------------------------------------------------------------------------


#: Per application, counted per applicant per calendar month per agency: (from, to, yuan each).
FEE_PER_APPLICATION_FREE = 10
FEE_PER_APPLICATION_FIRST_BAND = (11, 30, 100)
FEE_PER_APPLICATION_BAND_SIZE = 10
FEE_PER_APPLICATION_BAND_STEP = 100
#: Per page: bands of (first page, last page or None, yuan per page).
FEE_PER_PAGE_BANDS: tuple[tuple[int, int | None, int], ...] = (
    (1, 30, 0),
    (31, 100, 10),
    (101, 200, 20),
    (201, None, 40),
)
