"""The audit trail's surface: search, CSV export and chain verification for administrators."""
