from core.errors import DomainError


class AuditTrailAppendOnly(DomainError):
    """An attempt to change or delete an entry of the audit trail."""

    code = "audit_append_only"
    detail = "The audit trail is append-only: its entries are never changed or deleted."
