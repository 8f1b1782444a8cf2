"""SLA engine: business-hours calendars, policies, and clocks with warnings and breaches (ITIL 4 service level
management). It knows no record type: incidents (and later problems, changes, requests) start and stop its
clocks through its service."""
