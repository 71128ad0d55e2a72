"""Stand-ins for the cloud services, for tests, benchmarks and credential-free demos."""
