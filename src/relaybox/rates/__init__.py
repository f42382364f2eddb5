"""Per-country prices for SMS segments and voice minutes: list prices and account overrides."""
