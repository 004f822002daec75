"""The record of every answer (issue #11): what the tutor told whom, from which passages and versions.

:mod:`tutor.audit.log` writes and exports it; :mod:`tutor.audit.replay` re-asks recorded questions
against today's index; ``python -m tutor.audit`` is the command line for both.
"""

from tutor.audit.log import AuditLog, settings_fingerprint

__all__ = ["AuditLog", "settings_fingerprint"]
