"""AI back ends behind small protocols: Google (paid) and local (offline)."""
