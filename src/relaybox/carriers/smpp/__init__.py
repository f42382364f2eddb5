"""The SMPP 3.4 carrier adapter (see docs/carriers.md)."""
