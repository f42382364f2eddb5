"""Pure rules, no I/O: phone numbers, encoding and segments, status, keywords, OTP, money."""
