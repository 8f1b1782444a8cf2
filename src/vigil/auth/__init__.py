"""Identity: users, teams (assignment groups) and roles."""
