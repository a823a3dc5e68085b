"""`python -m bot sms ...` and `python -m bot login ...` (filled by the accounts work)."""
