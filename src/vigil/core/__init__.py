"""Cross-cutting foundations: configuration, database, errors, audit, events, numbering, jobs."""
