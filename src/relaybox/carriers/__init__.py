"""Carrier adapters: the contract, typed errors and a registry by name."""
