"""The roles of the people (and the system) who act on a request, and their Chinese names
(DOMAIN.md section 1)."""

from __future__ import annotations

CLERK, REVIEWER, SUPERVISOR, AUDITOR, ADMIN, SYSTEM = (
    "clerk",
    "reviewer",
    "supervisor",
    "auditor",
    "admin",
    "system",
)
ROLES = (CLERK, REVIEWER, SUPERVISOR, AUDITOR, ADMIN)
ROLE_NAMES = {
    CLERK: "经办人",
    REVIEWER: "法制审核",
    SUPERVISOR: "负责人",
    AUDITOR: "督查/审计",
    ADMIN: "管理员",
    SYSTEM: "系统",
}
