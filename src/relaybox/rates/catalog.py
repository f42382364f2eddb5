"""Built-in list prices (USD): SMS per segment and voice per minute, by destination country.

These are the defaults an installation starts with; an operator's rows in ``rates`` replace
them country by country, and an account's rows in ``account_rates`` replace both for it.
Countries not listed are priced at REST_OF_WORLD.
"""

from __future__ import annotations

from dataclasses import dataclass

CURRENCY = "USD"


@dataclass(frozen=True)
class BuiltIn:
    name: str
    sms: str  # USD per segment
    voice: str  # USD per minute
    route: str  # route label: direct | premium | standard


REST_OF_WORLD = BuiltIn("Rest of world", "0.0600", "0.1200", "standard")

LIST: dict[str, BuiltIn] = {
    "US": BuiltIn("United States", "0.0079", "0.0140", "direct"),
    "CA": BuiltIn("Canada", "0.0075", "0.0130", "direct"),
    "MX": BuiltIn("Mexico", "0.0360", "0.0450", "direct"),
    "BR": BuiltIn("Brazil", "0.0250", "0.0350", "direct"),
    "AR": BuiltIn("Argentina", "0.0550", "0.0600", "standard"),
    "CL": BuiltIn("Chile", "0.0450", "0.0400", "standard"),
    "CO": BuiltIn("Colombia", "0.0100", "0.0450", "direct"),
    "PE": BuiltIn("Peru", "0.0500", "0.0500", "standard"),
    "GB": BuiltIn("United Kingdom", "0.0400", "0.0150", "direct"),
    "IE": BuiltIn("Ireland", "0.0750", "0.0250", "direct"),
    "DE": BuiltIn("Germany", "0.0850", "0.0200", "direct"),
    "FR": BuiltIn("France", "0.0750", "0.0200", "direct"),
    "NL": BuiltIn("Netherlands", "0.0900", "0.0200", "direct"),
    "BE": BuiltIn("Belgium", "0.0850", "0.0250", "direct"),
    "LU": BuiltIn("Luxembourg", "0.0600", "0.0300", "standard"),
    "ES": BuiltIn("Spain", "0.0750", "0.0200", "direct"),
    "PT": BuiltIn("Portugal", "0.0400", "0.0250", "direct"),
    "IT": BuiltIn("Italy", "0.0800", "0.0200", "direct"),
    "CH": BuiltIn("Switzerland", "0.0550", "0.0400", "direct"),
    "AT": BuiltIn("Austria", "0.0900", "0.0250", "direct"),
    "DK": BuiltIn("Denmark", "0.0450", "0.0200", "direct"),
    "SE": BuiltIn("Sweden", "0.0550", "0.0200", "direct"),
    "NO": BuiltIn("Norway", "0.0600", "0.0250", "direct"),
    "FI": BuiltIn("Finland", "0.0850", "0.0300", "direct"),
    "PL": BuiltIn("Poland", "0.0350", "0.0200", "direct"),
    "CZ": BuiltIn("Czechia", "0.0550", "0.0300", "standard"),
    "HU": BuiltIn("Hungary", "0.0850", "0.0350", "standard"),
    "RO": BuiltIn("Romania", "0.0600", "0.0300", "standard"),
    "GR": BuiltIn("Greece", "0.0500", "0.0300", "standard"),
    "TR": BuiltIn("Turkey", "0.0200", "0.0450", "standard"),
    "UA": BuiltIn("Ukraine", "0.0800", "0.0900", "standard"),
    "IL": BuiltIn("Israel", "0.0900", "0.0300", "standard"),
    "AE": BuiltIn("United Arab Emirates", "0.0400", "0.1600", "premium"),
    "SA": BuiltIn("Saudi Arabia", "0.0450", "0.1000", "premium"),
    "EG": BuiltIn("Egypt", "0.0850", "0.1200", "standard"),
    "ZA": BuiltIn("South Africa", "0.0250", "0.0500", "direct"),
    "NG": BuiltIn("Nigeria", "0.1300", "0.1100", "premium"),
    "KE": BuiltIn("Kenya", "0.0950", "0.0900", "standard"),
    "MA": BuiltIn("Morocco", "0.0900", "0.2500", "premium"),
    "IN": BuiltIn("India", "0.0050", "0.0200", "direct"),
    "PK": BuiltIn("Pakistan", "0.1000", "0.0600", "standard"),
    "BD": BuiltIn("Bangladesh", "0.1200", "0.0500", "standard"),
    "LK": BuiltIn("Sri Lanka", "0.1000", "0.0900", "standard"),
    "CN": BuiltIn("China", "0.0350", "0.0250", "premium"),
    "HK": BuiltIn("Hong Kong", "0.0500", "0.0200", "direct"),
    "TW": BuiltIn("Taiwan", "0.0600", "0.0450", "standard"),
    "JP": BuiltIn("Japan", "0.0750", "0.0600", "premium"),
    "KR": BuiltIn("South Korea", "0.0300", "0.0350", "direct"),
    "SG": BuiltIn("Singapore", "0.0400", "0.0200", "direct"),
    "MY": BuiltIn("Malaysia", "0.0500", "0.0300", "standard"),
    "TH": BuiltIn("Thailand", "0.0200", "0.0500", "standard"),
    "VN": BuiltIn("Vietnam", "0.0650", "0.0800", "premium"),
    "ID": BuiltIn("Indonesia", "0.3300", "0.0800", "premium"),
    "PH": BuiltIn("Philippines", "0.1500", "0.1500", "standard"),
    "AU": BuiltIn("Australia", "0.0450", "0.0200", "direct"),
    "NZ": BuiltIn("New Zealand", "0.1000", "0.0350", "direct"),
}
