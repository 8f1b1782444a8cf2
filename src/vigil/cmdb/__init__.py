"""Configuration management: configuration items (a minimal table now; the CMDB issue extends it)."""
