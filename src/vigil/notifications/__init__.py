"""Notifications: each user's in-app inbox, fed by domain events; later channels deliver the same rows."""
