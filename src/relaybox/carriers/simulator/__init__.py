"""The carrier simulator: a network in a box. The default adapter, and the sandbox."""
