"""The points service: persistence, services, HTTP API and CLI around the pure `points` domain core."""
