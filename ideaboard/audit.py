"""The audit log: every staff action is appended here; nothing in the app edits or deletes an entry."""

from __future__ import annotations

from typing import Any

from ideaboard.models import AuditEntry, User


async def record(actor: User | None, action: str, target_type: str, target_id: int | None, **detail: Any) -> AuditEntry:
    """Append one entry, e.g. record(sam, "status.change", "idea", 7, from_status="new", to_status="planned")."""
    return await AuditEntry.create(actor=actor, action=action, target_type=target_type, target_id=target_id,
                                   detail={k: str(v) if not isinstance(v, (int, float, bool, type(None))) else v
                                           for k, v in detail.items()})


async def list_entries(*, action: str | None = None, actor_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
    """Newest first, optionally filtered by action prefix and actor."""
    query = AuditEntry.all()
    if action:
        query = query.filter(action__startswith=action)
    if actor_id:
        query = query.filter(actor_id=actor_id)
    return await query.order_by("-created_at", "-id").limit(limit).select_related("actor")
