"""Append-only audit log, chained by SHA-256."""
from finplat.audit.models import AuditRecord
from finplat.audit.service import record, verify

__all__ = ["AuditRecord", "record", "verify"]
