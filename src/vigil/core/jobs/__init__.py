"""Durable background work: a job table written in the writer's transaction, drained by `vigil worker`."""
