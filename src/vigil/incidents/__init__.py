"""Incident management (ITIL 4): record, prioritise, work, resolve and close unplanned interruptions."""
