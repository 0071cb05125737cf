"""caseflow: requests for government information (政府信息公开 依申请公开) as state machines."""
