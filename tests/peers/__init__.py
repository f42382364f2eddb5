"""Real protocol peers on loopback for adapter tests and benchmarks."""
